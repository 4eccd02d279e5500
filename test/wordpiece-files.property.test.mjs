// Property test of the WordPiece tokenizer readers (tokenizer.json, vocab.txt with
// tokenizer_config.json): random and mutated files load, or fail with a ModelFileError naming the
// file, never another exception, a hang or memory out of proportion to the file.
import test from 'ava';
import fc from 'fast-check';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureModel } from '../scripts/model/generate.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, ModelFileError } = sentvec;
const { resolveModelDirectory } = await import('../dist/lib/model/model-directory.js');

const source = ensureModel('tiny-wordpiece-uncased', { architecture: 'bert', tokenizer: 'wordpiece', cased: false, vocabSize: 6000, maxPositions: 512, maxSeqLength: 128 });
const validJson = JSON.parse(readFileSync(join(source, 'tokenizer.json'), 'utf8'));
const validVocab = readFileSync(join(source, 'vocab.txt'), 'utf8');
const validConfig = JSON.parse(readFileSync(join(source, 'tokenizer_config.json'), 'utf8'));

const dir = mkdtempSync(join(tmpdir(), 'sentvec-wordpiece-'));
cpSync(source, dir, { recursive: true });
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

// Values that readers get wrong: ids at and past every limit, non-integers, wrong types.
const oddValue = fc.oneof(
  fc.constantFrom(-1, 0, 1, 1.5, 100, 2 ** 26 - 1, 2 ** 26, 2 ** 31, 2 ** 32 - 2, 4e9, 1e15, 1e30, -1e30, '', '\n', '[UNK]', null, true, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);
const paths = [
  'model', 'model.type', 'model.vocab', 'model.vocab.[UNK]', 'model.vocab.[CLS]', 'model.vocab.the', 'model.vocab.new token',
  'model.unk_token', 'model.continuing_subword_prefix', 'model.max_input_chars_per_word',
  'normalizer', 'normalizer.type', 'normalizer.lowercase', 'normalizer.strip_accents', 'normalizer.clean_text', 'normalizer.handle_chinese_chars',
  'pre_tokenizer', 'pre_tokenizer.type', 'post_processor', 'post_processor.type', 'post_processor.single', 'post_processor.single.0.SpecialToken.id',
  'post_processor.cls', 'added_tokens', 'added_tokens.0', 'added_tokens.1.id', 'added_tokens.2.content', 'added_tokens.3.special', 'added_tokens.4.normalized',
  'added_tokens.5', 'added_tokens.5.id', 'added_tokens.5.content',
];
const mutation = fc.record({ path: fc.constantFrom(...paths), remove: fc.boolean(), value: oddValue });

function mutate(object, mutations) {
  const copy = structuredClone(object);
  for (const { path, remove, value } of mutations) {
    const keys = path.split('.');
    let at = copy;
    for (const key of keys.slice(0, -1)) {
      if (at[key] === null || typeof at[key] !== 'object') at[key] = {};
      at = at[key];
    }
    if (remove) delete at[keys[keys.length - 1]];
    else at[keys[keys.length - 1]] = value;
  }
  return copy;
}

// A file's text further damaged: cut short, or a byte range replaced by random text.
const damage = fc.oneof(
  fc.constant(undefined),
  fc.record({ at: fc.nat(), cut: fc.constant(true) }),
  fc.record({ at: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 8 }) }),
);
function damaged(text, how) {
  if (!how) return text;
  const at = how.at % (text.length + 1);
  return how.cut ? text.slice(0, at) : text.slice(0, at) + how.text + text.slice(at + how.text.length);
}

const jsonCase = fc.record({
  kind: fc.constant('json'),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  damage,
  config: fc.array(fc.record({ path: fc.constantFrom('cls_token', 'sep_token', 'pad_token', 'unk_token', 'do_lower_case'), remove: fc.boolean(), value: oddValue }), { maxLength: 2 }),
});
const vocabLine = fc.oneof(
  fc.constantFrom('[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]', 'the', '##s', '', '\r', 'a\rb'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const vocabCase = fc.record({
  kind: fc.constant('vocab'),
  lines: fc.oneof(fc.constant(undefined), fc.array(vocabLine, { maxLength: 30 })),
  newline: fc.constantFrom('\n', '\r\n'),
  damage,
  config: fc.array(
    fc.record({ path: fc.constantFrom('cls_token', 'sep_token', 'pad_token', 'unk_token', 'mask_token', 'do_lower_case', 'strip_accents', 'tokenize_chinese_chars'), remove: fc.boolean(), value: oddValue }),
    { maxLength: 3 },
  ),
});

function write(c) {
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(mutate(validConfig, c.config)));
  rmSync(join(dir, 'tokenizer.json'), { force: true });
  if (c.kind === 'json') {
    writeFileSync(join(dir, 'tokenizer.json'), damaged(JSON.stringify(mutate(validJson, c.mutations)), c.damage));
    writeFileSync(join(dir, 'vocab.txt'), validVocab);
  } else {
    const text = c.lines === undefined ? validVocab : c.lines.join(c.newline);
    writeFileSync(join(dir, 'vocab.txt'), damaged(text, c.damage));
  }
}

// Known traps, always tried: an added token's id far past the vocabulary (an array of 4e9 holes
// to scan), and max_input_chars_per_word out of range (a bad *option* for the native side).
const traps = [
  { kind: 'json', mutations: [{ path: 'added_tokens.5', remove: false, value: { id: 4e9, content: '[X]', special: true } }], damage: undefined, config: [] },
  { kind: 'json', mutations: [{ path: 'model.vocab.new token', remove: false, value: 2 ** 26 - 1 }], damage: undefined, config: [] },
  { kind: 'json', mutations: [{ path: 'model.max_input_chars_per_word', remove: false, value: -1 }], damage: undefined, config: [] },
  { kind: 'json', mutations: [{ path: 'model.max_input_chars_per_word', remove: false, value: 1e30 }], damage: undefined, config: [] },
];

async function outcome(load) {
  try {
    await load();
    return 'loaded';
  } catch (err) {
    if (err instanceof ModelFileError) return 'ModelFileError';
    throw err;
  }
}

test.serial('random and mutated tokenizer.json and vocab.txt files: read, or a ModelFileError', async (t) => {
  const seen = {};
  await fc.assert(
    fc.asyncProperty(fc.oneof(jsonCase, vocabCase), async (c) => {
      write(c);
      const result = await outcome(() => resolveModelDirectory(dir, {}));
      seen[result] = (seen[result] ?? 0) + 1;
    }),
    { numRuns: 150, examples: traps.map((c) => [c]) },
  );
  t.log(seen);
  t.true(seen.loaded > 0 && seen.ModelFileError > 0);
});

test.serial('what the readers accept, the native tokenizer loads (or refuses with a ModelFileError) and runs', async (t) => {
  const seen = {};
  await fc.assert(
    fc.asyncProperty(fc.oneof(jsonCase, vocabCase), async (c) => {
      write(c);
      const result = await outcome(async () => {
        const model = await Model.load(dir, { scheduler: false });
        try {
          await model.tokenize(['The quick brown fox, 日本語 [MASK] ##s.', '']);
        } finally {
          model.dispose();
        }
      });
      seen[result] = (seen[result] ?? 0) + 1;
    }),
    { numRuns: 25, examples: traps.map((c) => [c]) },
  );
  t.log(seen);
  t.true(seen.ModelFileError > 0);
});
