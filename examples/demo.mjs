#!/usr/bin/env node
// The main job, for now: embed the sentences of a text file and print the one nearest to a query.
//   node examples/demo.mjs [file] [query]
// With no model directory given (SENTVEC_MODEL), it uses the generated test model: random
// weights, so the answers show the pipeline working, not real semantic similarity.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModel } from '../scripts/model/generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { Model } = createRequire(import.meta.url)('../dist/lib/index.js');

const file = process.argv[2] ?? join(here, 'input.txt');
const query = process.argv[3] ?? 'When does the train to the mountains leave?';
const dir = process.env.SENTVEC_MODEL ?? ensureModel('tiny');
if (!process.env.SENTVEC_MODEL) {
  console.log('Note: using the generated test model (random weights, 2 layers, 32 dimensions).');
  console.log('      Similarities show the pipeline working, not meaning. Set SENTVEC_MODEL=<dir> for a real model.\n');
}

const sentences = readFileSync(file, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
const model = await Model.load(dir);
const started = performance.now();
const corpus = await model.encode(sentences, { normalize: true });
const ms = performance.now() - started;
const [q] = await model.encode([query], { normalize: true });

let best = -1;
let bestScore = -Infinity;
for (const [i, row] of [...corpus].entries()) {
  let dot = 0;
  for (let d = 0; d < row.length; d++) dot += row[d] * q[d];
  if (dot > bestScore) [best, bestScore] = [i, dot];
}
console.log(`Embedded ${sentences.length} sentences from ${file} in ${ms.toFixed(1)} ms (${model.dimension} dimensions).`);
console.log(`User: ${query}`);
console.log(`Text: ${sentences[best]} (Similarity:${bestScore.toFixed(3)})`);
model.dispose();
