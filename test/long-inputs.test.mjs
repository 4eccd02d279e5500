// Inputs far longer than the model's length: tokenization stops once the length is reached, so a
// 50 MB text costs what its first window costs, not memory in proportion to its size (it used
// to: 1.6 GB for 50 MB). Each measure runs in a fresh process, as peak RSS is per process.
import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureModel } from '../scripts/model/generate.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const root = createRequire(import.meta.url).resolve('..');
const MiB = 1024 * 1024;

// Tokenizes and embeds a text of `bytes` (`unit`, a JavaScript expression, repeated) in a child; its peak RSS growth.
function measure(dir, unit, bytes) {
  const script = `
    const { Model } = require(${JSON.stringify(root)});
    (async () => {
      const model = await Model.load(${JSON.stringify(dir)});
      const unit = ${unit};
      const text = unit.repeat(Math.ceil(${bytes} / Buffer.byteLength(unit)));
      const before = process.resourceUsage().maxRSS;
      const tokenized = await model.tokenize(text);
      await model.encode([text]);
      const grown = process.resourceUsage().maxRSS - before;
      console.log(JSON.stringify({ grownKiB: grown, ids: tokenized.ids.length, truncated: tokenized.truncated }));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

const bytes = 50 * 1000 * 1000;
// The binding's UTF-8 copies of the text (tokenize and encode each make one) plus a generous
// 64 MiB; whole-input normalization took some 30 bytes per byte.
const bound = 2 * bytes + 64 * MiB;

const wordPieceModel = () =>
  ensureModel('tiny-wordpiece-uncased', { architecture: 'bert', tokenizer: 'wordpiece', cased: false, vocabSize: 6000, maxPositions: 512, maxSeqLength: 128 });

const cases = [
  ['SentencePiece, words', tinyModel, "'alpha beta gamma delta '"],
  // No space for 600 KB at a time: windows end at CJK characters.
  ['SentencePiece, Japanese without spaces', tinyModel, "'日本語の文章です。東京は大きい都市だ。'.repeat(20000) + ' '"],
  ['SentencePiece, one 50 MB word', tinyModel, "'a'"],
  ['WordPiece', wordPieceModel, "'The Quick brown fox, 日本語. '"],
];
for (const [name, dir, unit] of cases) {
  test.serial(`a 50 MB input truncated to the model's length is tokenized in bounded memory: ${name}`, async (t) => {
    const { grownKiB, ids, truncated } = await measure(dir(), unit, bytes);
    t.is(ids, 128);
    t.true(truncated);
    t.log(`peak RSS grew by ${Math.round(grownKiB / 1024)} MiB`);
    t.true(grownKiB * 1024 < bound, `peak RSS grew by ${Math.round(grownKiB / 1024)} MiB (bound ${Math.round(bound / MiB)} MiB)`);
  });
}

// WordPiece matches a word longest candidate first: trying every candidate, not only those as
// long as a token can be, made a word of n characters cost n³ (a 20,000-character word: hours)
// once a model's max_input_chars_per_word lets such words be split.
test('a word of 20,000 characters, split because max_input_chars_per_word allows it, tokenizes at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-long-word-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(wordPieceModel(), dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  json.model.max_input_chars_per_word = 1000000;
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  const model = await sentvec.Model.load(dir);
  t.teardown(() => model.dispose());
  const { tokens, truncated } = await model.tokenize('x'.repeat(20000));
  t.true(truncated);
  t.deepEqual(tokens, ['[CLS]', 'x', ...Array(125).fill('##x'), '[SEP]']);
});
