#!/usr/bin/env node
// Peak memory of long inputs: encodes `--inputs` texts of `--tokens` tokens each on a twin of a
// real model (default BAAI/bge-m3's test twin: its 24 layers, 16 heads and 8,194-row position
// table, 64 wide) in a fresh process, and prints the peak RSS and the time. The figure in docs/encoding.md
// for 8k-token inputs comes from here: node scripts/long-inputs-rss.mjs --tokens 8192 --inputs 4
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { ensureModel, testTwin } from './model/generate.mjs';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'BAAI/bge-m3' }, tokens: { type: 'string', default: '8192' }, inputs: { type: 'string', default: '4' } },
});
const dir = ensureModel(`twin-${values.model.replace('/', '_')}`, testTwin(values.model));
const child = `
  const { Model } = require(${JSON.stringify(createRequire(import.meta.url).resolve('..'))});
  (async () => {
    const model = await Model.load(${JSON.stringify(dir)}, { maxSeqLength: ${Number(values.tokens)} });
    // Words of the generated vocabulary: about one token each.
    const words = (await model.tokenize(['alpha beta gamma delta']))[0].tokens.length;
    const text = 'alpha beta gamma delta '.repeat(Math.ceil(${Number(values.tokens)} / (words - 2)));
    const before = process.resourceUsage().maxRSS;
    const start = Date.now();
    const e = await model.encode(Array(${Number(values.inputs)}).fill(text));
    const tokens = (await model.tokenize([text]))[0].ids.length;
    console.log(JSON.stringify({ inputs: e.length, tokens, truncated: e.truncated[0], seconds: (Date.now() - start) / 1000,
      rssBeforeMiB: Math.round(before / 1024), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  })();`;
console.log(execFileSync(process.execPath, ['-e', child], { encoding: 'utf8' }).trim());
