// Property test of pair tokenization (Tokenizer::EncodePair through the native tokenize with
// pairs: true) against Hugging Face's Rust tokenizer: random pairs of words from the parity
// corpus and random characters (spaces or none, CJK runs that are one word to XLM-R, specials
// spelled in the text, empty sides), at random length limits, must give Rust's ids, token types
// and truncation flag. (A side whose own tokenization differs from Rust's is left out and counted:
// that is the single-text tokenizer's parity, test/parity.test.mjs, not the pair rule; such sides
// exist for WordPiece, e.g. U+11A9A, which sentvec's Unicode tables call punctuation and Rust's
// older ones do not.) The fuzz targets (fuzz/tokenizer_fuzzer.cc, wordpiece_fuzzer.cc) check the
// same function's invariants on any bytes.
import test from 'ava';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { ensureModel, TINY_BERT_RERANKER, TINY_RERANKER } from '../scripts/model/generate.mjs';
import { parityCorpus } from './fixtures/parity-corpus.mjs';
import { rustIds } from './helpers/rust-tokenizer.mjs';

const require = createRequire(import.meta.url);
const { binding } = require('../dist/lib/binding.js');
const { resolveModelDirectory } = require('../dist/lib/model/model-directory.js');

const scale = Number(process.env.SENTVEC_FUZZ_SCALE ?? 1);
const words = [...new Set(parityCorpus.flatMap((line) => line.split(/\s+/)))].filter(Boolean);
const specials = ['<s>', '</s>', '<mask>', '[SEP]', '[CLS]', '[MASK]'];
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...words) },
  { weight: 1, arbitrary: fc.constantFrom(...specials) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('日本語の文章です', 'こんにちは世界', '漢字') },
);
const side = fc
  .tuple(fc.array(piece, { maxLength: 40 }), fc.constantFrom(' ', '', '  ', '\n'))
  .map(([parts, sep]) => parts.join(sep).replaceAll('\0', ''));

for (const [name, spec, types] of [
  ['XLM-R', TINY_RERANKER, false],
  ['WordPiece', TINY_BERT_RERANKER, true],
]) {
  test(`${name}: random pairs at random limits tokenize as Rust's pair encoding`, async (t) => {
    const dir = ensureModel(name === 'XLM-R' ? 'tiny-reranker' : 'tiny-bert-reranker', spec);
    const natives = new Map();
    const native = async (maxSeqLength) => {
      if (!natives.has(maxSeqLength)) {
        const config = await resolveModelDirectory(dir, { maxSeqLength });
        natives.set(maxSeqLength, await binding().loadModel({ ...config.native, scores: true }));
      }
      return natives.get(maxSeqLength);
    };
    let runs = 0;
    let truncated = 0;
    let apart = 0;
    const single = async (texts) => {
      const r = await (await native(512)).tokenize(texts);
      const want = await rustIds(dir, texts, { maxLength: 512 });
      return texts.map((_, i) => JSON.stringify(Array.from(r.ids.subarray(r.offsets[i], r.offsets[i + 1]))) === JSON.stringify(want[i].ids));
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(side, side), { minLength: 1, maxLength: 8 }), fc.constantFrom(4, 5, 6, 7, 11, 16, 33, 64), async (pairs, maxSeqLength) => {
        const same = await single(pairs.flat());
        const kept = pairs.filter((_, i) => same[2 * i] && same[2 * i + 1]);
        apart += pairs.length - kept.length;
        pairs = kept;
        if (pairs.length === 0) return;
        runs++;
        const r = await (await native(maxSeqLength)).tokenize(pairs.flat(), { pairs: true });
        const want = await rustIds(dir, pairs, { maxLength: maxSeqLength });
        pairs.forEach((_, i) => {
          const ids = Array.from(r.ids.subarray(r.offsets[i], r.offsets[i + 1]));
          const typeIds = ids.map((_, j) => (r.secondFrom[i] > 0 && j >= r.secondFrom[i] ? 1 : 0));
          if (want[i].overflowing) truncated++;
          if (JSON.stringify(ids) !== JSON.stringify(want[i].ids)) throw new Error(`ids ${ids} vs Rust ${want[i].ids}`);
          if (JSON.stringify(typeIds) !== JSON.stringify(types ? want[i].typeIds : want[i].typeIds.map(() => 0)))
            throw new Error(`token types ${typeIds} vs Rust ${want[i].typeIds}`);
          if ((r.truncated[i] === 1) !== want[i].overflowing) throw new Error(`truncated ${r.truncated[i]} vs Rust ${want[i].overflowing}`);
        });
      }),
      { numRuns: 150 * scale, seed: 26 },
    );
    for (const n of natives.values()) n.dispose();
    t.log(`${runs} runs, ${truncated} pairs over their limit, ${apart} pairs left out (a side tokenized unlike Rust)`);
    t.true(truncated > 50);
  });
}
