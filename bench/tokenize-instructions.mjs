#!/usr/bin/env node
// Instructions per token of sentvec's two tokenizers' Encode (valgrind's callgrind, counting only
// inside each tokenizer's Encode): a deterministic figure, where the tokenize suite's times move
// with the load of other processes.
//   node bench/tokenize-instructions.mjs            (needs valgrind; a few minutes)
//   node bench/tokenize-instructions.mjs --child wordpiece|sentencepiece   (what callgrind runs)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { ensureModel, testTwin } from '../scripts/model/generate.mjs';
import { MODELS, sentvec } from './common.mjs';

const dirs = {
  wordpiece: () => ensureModel('twin-sentence-transformers_LaBSE', testTwin('sentence-transformers/LaBSE')),
  sentencepiece: () => MODELS['mpnet-base-twin'](),
};

if (process.argv[2] === '--child') {
  // One thread: callgrind runs threads one at a time anyway, and one thread keeps the count plain.
  const model = await sentvec.Model.load(dirs[process.argv[3]](), { maxSeqLength: 512, threads: 1 });
  const tokens = (await model.tokenize(realisticCorpus())).reduce((n, t) => n + t.ids.length, 0);
  console.log(`tokens ${tokens}`);
  model.dispose();
} else {
  const out = mkdtempSync(join(tmpdir(), 'sentvec-callgrind-'));
  for (const [name, cls] of [['sentencepiece', 'SentencePiece'], ['wordpiece', 'WordPiece']]) {
    dirs[name](); // generated outside callgrind
    const log = execFileSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(out, name)}`, `--toggle-collect=sentvec::${cls}Tokenizer::Encode(*`,
      process.execPath, fileURLToPath(import.meta.url), '--child', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tokens = Number(log.match(/tokens (\d+)/)[1]);
    const annotate = execFileSync('callgrind_annotate', [join(out, name)], { encoding: 'utf8' });
    const instructions = Number(annotate.match(/([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS/)[1].replace(/,/g, ''));
    console.log(`${cls}: ${instructions} instructions in Encode, ${tokens} tokens, ${(instructions / tokens).toFixed(0)} per token`);
  }
  rmSync(out, { recursive: true, force: true });
}
