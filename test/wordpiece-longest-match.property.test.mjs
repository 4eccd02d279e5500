// Property test of WordPiece's greedy longest match (native/core/wordpiece_trie.h): random small
// vocabularies over a few one- to three-byte characters, where tokens are prefixes of one another
// and some are unreachable, with the continuation prefix varied; sentvec's ids must be Hugging
// Face's Rust tokenizer's (the oracle, test/helpers/rust-tokenizer.mjs) for random words.
import test from 'ava';
import fc from 'fast-check';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { ensureModel } from '../scripts/model/generate.mjs';
import { sentvec } from './helpers/sentvec.mjs';
import { writeVocabulary } from './helpers/wordpiece-vocab.mjs';

const { Model } = sentvec;
const source = ensureModel('tiny-wordpiece-uncased', { architecture: 'bert', tokenizer: 'wordpiece', cased: false, vocabSize: 6000, maxPositions: 512, maxSeqLength: 128 });
const base = JSON.parse(readFileSync(join(source, 'tokenizer.json'), 'utf8'));
const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
// Lower-case letters (the normalizer lower-cases), and characters of two and three bytes that
// share their lead byte, so that a byte walk can stop inside a character.
const chars = ['a', 'b', 'c', 'é', 'è', 'ß', 'ж', 'з', '日', '旦'];
const piece = fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 4 }).map((cs) => cs.join(''));

test('the longest match gives the Rust tokenizer\'s ids for random vocabularies and words', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-longest-match-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(source, dir, { recursive: true });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(piece, { minLength: 1, maxLength: 30 }),
      fc.uniqueArray(piece, { minLength: 0, maxLength: 30 }),
      fc.constantFrom('##', '@@', 'ж'),
      fc.array(fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 12 }).map((cs) => cs.join('')), { minLength: 1, maxLength: 6 }),
      async (starts, continuations, prefix, words) => {
        const tokens = [...specials, ...starts, ...continuations.map((c) => prefix + c)];
        writeVocabulary(dir, base, tokens, { continuingPrefix: prefix });
        const text = words.join(' ');
        const rust = Array.from((await Tokenizer.fromFile(join(dir, 'tokenizer.json')).encode(text)).getIds());
        const model = await Model.load(dir, { scheduler: false });
        try {
          const [ours] = await model.tokenize([text]);
          runs++;
          return JSON.stringify(Array.from(ours.ids)) === JSON.stringify(rust);
        } finally {
          model.dispose();
        }
      },
    ),
    { numRuns: 150, seed: Number(process.env.FC_SEED ?? 27) },
  );
  t.is(runs, 150);
});
