// Marks that NFD reorders (strip_accents): Hugging Face's BertNormalizer decomposes the whole text
// and puts each run of marks in canonical order, then drops the nonspacing ones. sentvec orders the
// run in place (native/core/wordpiece_tokenizer.cc), so that a long text read window by window
// keeps its spans (the wordpiece fuzzer checks that; fuzz/regressions/wordpiece/window-cut-*); the
// ids must be the Rust tokenizer's.
import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { ensureModel } from '../scripts/model/generate.mjs';
import { sentvec } from './helpers/sentvec.mjs';
import { writeVocabulary } from './helpers/wordpiece-vocab.mjs';

const { Model } = sentvec;
const source = ensureModel('tiny-wordpiece-uncased', { architecture: 'bert', tokenizer: 'wordpiece', cased: false, vocabSize: 6000, maxPositions: 512, maxSeqLength: 128 });
// Spacing marks with a combining class, which strip_accents keeps: U+302E (class 224) and
// U+1D165 (class 216), so NFD puts U+1D165 first. U+0301 is nonspacing (dropped), U+0007 a control
// character (cleaned away), neither a barrier; 'b' and '日' are.
const hi = '\u302E', lo = '\u{1D165}';
const tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', `a${lo}${hi}`, `a${hi}${lo}`, `a${hi}`, `##${lo}`, `b${lo}`, '日', `${lo}`, `##${hi}`, `${hi}`];

test('marks are put in canonical order as Hugging Face\'s NFD does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-marks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(source, dir, { recursive: true });
  const base = JSON.parse(readFileSync(join(source, 'tokenizer.json'), 'utf8'));
  const vocab = writeVocabulary(dir, base, tokens);
  const texts = [
    `a${hi}${lo}`,
    `a${lo}${hi}`,
    `a${hi}\u0301${lo}`,
    `a${hi}\u0007${lo} b`,
    `a${hi}b${lo}`,
    `a${hi}日${lo}`,
    `x a${hi}${lo}${hi}${lo} b${lo}`,
  ];
  const rust = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
  const model = await Model.load(dir, { scheduler: false });
  t.teardown(() => model.dispose());
  const ours = await model.tokenize(texts);
  for (const [i, text] of texts.entries()) {
    const expected = Array.from((await rust.encode(text)).getIds());
    t.deepEqual(Array.from(ours[i].ids), expected, JSON.stringify(text));
  }
  // The reordered pair is one token, so the test can fail: Rust's ids name `a<lo><hi>`.
  t.is(Array.from(ours[0].ids)[1], vocab[`a${lo}${hi}`]);
});
