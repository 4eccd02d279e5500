// Bad input: each gives a typed error (or the documented result), and the process lives on.
import test from 'ava';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, InvalidArgumentError, ModelFileError, SentvecError } = sentvec;
const require = createRequire(import.meta.url);

let model;
test.before(async () => {
  model = await Model.load(tinyModel());
});
test.after.always(() => model?.dispose());

// A copy of the test model to damage.
function copyModel(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-bad-'));
  cpSync(tinyModel(), dir, { recursive: true });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function stillWorks(t) {
  const e = await model.encode('still alive');
  t.is(e.length, 1);
}

test('non-string elements', async (t) => {
  for (const bad of [[1], ['ok', null], [undefined], [{}], [['nested']], [Symbol.for('x')]]) {
    const err = await t.throwsAsync(model.encode(bad), { instanceOf: InvalidArgumentError });
    t.is(err.code, 'ERR_INVALID_ARG');
    t.regex(err.message, /Expected a string for texts\[\d\]/);
  }
  await t.throwsAsync(model.encode(42), { instanceOf: InvalidArgumentError, message: /string or an array of strings/ });
  await t.throwsAsync(model.tokenize([3]), { instanceOf: InvalidArgumentError });
  await stillWorks(t);
});

test('an empty array returns an empty result', async (t) => {
  const e = await model.encode([]);
  t.is(e.length, 0);
  t.is(e.data.length, 0);
  t.is(e.dimension, model.dimension);
  t.deepEqual(await model.tokenize([]), []);
});

test('lone surrogates', async (t) => {
  for (const bad of ['abc\ud800', '\udc00x', 'ok \ud83d no pair']) {
    const err = await t.throwsAsync(model.encode(['fine', bad]), { instanceOf: InvalidArgumentError });
    t.regex(err.message, /texts\[1\] contains a lone surrogate \(UTF-16 code unit at index \d+\)/);
    t.regex(err.message, /toWellFormed/);
  }
  // A proper pair is fine.
  t.is((await model.encode('emoji 😀')).length, 1);
  await stillWorks(t);
});

test('NUL characters', async (t) => {
  const err = await t.throwsAsync(model.encode('before\0after'), { instanceOf: InvalidArgumentError });
  t.regex(err.message, /NUL character \(U\+0000\) at index 6/);
  await t.throwsAsync(model.tokenize(['\0']), { instanceOf: InvalidArgumentError });
  await stillWorks(t);
});

test('a 1 MB string is embedded from its beginning and flagged as truncated, quickly', async (t) => {
  const big = 'Embeddings turn sentences into vectors. '.repeat(26215);
  t.true(big.length >= 1_000_000);
  const started = process.hrtime.bigint();
  const e = await model.encode(['short', big]);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.deepEqual(e.truncated, [false, true]);
  const head = await model.encode(big.slice(0, 2000));
  t.true(e.get(1).every((v, i) => Math.abs(v - head.get(0)[i]) < 1e-5), 'same vector as its first 2000 characters');
  t.log(`1 MB string: ${ms.toFixed(0)} ms`);
  await t.throwsAsync(model.encode(big, { truncate: false }), { code: 'ERR_INPUT_TOO_LONG' });
  const noSpaces = 'あ'.repeat(1_000_000);
  t.true((await model.encode(noSpaces)).truncated[0]);
  await stillWorks(t);
});

test('batchSize 0, negative, NaN, non-integer, wrong type', async (t) => {
  for (const batchSize of [0, -1, NaN, 1.5, Infinity, '8', null]) {
    const err = await t.throwsAsync(model.encode(['a'], { batchSize }), { instanceOf: InvalidArgumentError });
    t.regex(err.message, /Expected an integer from 1 to 1,024 for batchSize but received/);
  }
  await stillWorks(t);
});

test('unknown and mistyped options are rejected with a hint', async (t) => {
  await t.throwsAsync(model.encode('a', { batch_size: 4 }), { instanceOf: InvalidArgumentError, message: /Unknown option "batch_size".*did you mean "batchSize"/ });
  await t.throwsAsync(model.encode('a', { normalize: 'yes' }), { instanceOf: InvalidArgumentError, message: /boolean for normalize/ });
  await t.throwsAsync(Model.load(tinyModel(), { maxSeqLen: 3 }), { instanceOf: InvalidArgumentError, message: /Unknown option "maxSeqLen"/ });
  await t.throwsAsync(Model.load(tinyModel(), { pooling: 'median' }), { instanceOf: InvalidArgumentError, message: /pooling/ });
  await t.throwsAsync(Model.load(tinyModel(), { maxSeqLength: 1000 }), { instanceOf: InvalidArgumentError, message: /exceeds the 512 tokens/ });
  await t.throwsAsync(Model.load(tinyModel(), { threads: 0 }), { instanceOf: InvalidArgumentError, message: /threads/ });
});

test('a missing model directory', async (t) => {
  const err = await t.throwsAsync(Model.load('/nonexistent/sentvec-model'), { instanceOf: ModelFileError });
  t.is(err.code, 'ERR_MODEL_FILE');
  t.is(err.file, '/nonexistent/sentvec-model');
  t.regex(err.message, /does not exist/);
  await t.throwsAsync(Model.load(''), { instanceOf: InvalidArgumentError });
});

test('a truncated ONNX file', async (t) => {
  const dir = copyModel(t);
  const onnx = join(dir, 'onnx/model.onnx');
  truncateSync(onnx, Math.floor(statSync(onnx).size / 2));
  const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(err.file, onnx);
  t.regex(err.message, /could not be loaded as an ONNX model .*truncated or corrupt/s);
  await stillWorks(t);
});

test('an empty or missing ONNX file', async (t) => {
  const dir = copyModel(t);
  const onnx = join(dir, 'onnx/model.onnx');
  writeFileSync(onnx, '');
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /model\.onnx is empty/ });
  rmSync(onnx);
  const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.regex(err.message, /no ONNX model in .*onnx\/model\.onnx or .*model\.onnx/);
});

test('a file that is not a SentencePiece model', async (t) => {
  const dir = copyModel(t);
  const spm = join(dir, 'sentencepiece.bpe.model');
  writeFileSync(spm, 'this is plain text, not a protobuf model\n'.repeat(10));
  const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(err.file, spm);
  t.regex(err.message, /is not a SentencePiece model/);
  // Another valid protobuf (the ONNX model) is not a SentencePiece model either.
  writeFileSync(spm, readFileSync(join(dir, 'onnx/model.onnx')));
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /sentencepiece\.bpe\.model/ });
  writeFileSync(spm, '');
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /sentencepiece\.bpe\.model is empty/ });
  rmSync(spm);
  // (The folder's tokenizer.json says Unigram: the missing file is named as the one to fetch.)
  const missing = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /no sentencepiece\.bpe\.model, which sentvec reads for it; download that file too/ });
  t.is(missing.file, spm);
  rmSync(join(dir, 'tokenizer.json'));
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /cannot read .*sentencepiece\.bpe\.model/ });
  await stillWorks(t);
});

// The model's normalization rules (normalizer_spec.precompiled_charsmap), replaced by appending
// another normalizer_spec: protobuf merges it into the first, the later charsmap winning.
function withCharsmap(dir, charsmap) {
  const spm = join(dir, 'sentencepiece.bpe.model');
  const spec = protobuf.Writer.create().uint32(26).fork().uint32(18).bytes(charsmap).ldelim().finish();
  writeFileSync(spm, Buffer.concat([readFileSync(spm), spec]));
  return spm;
}
const charsmap = (trieSize, units, outputs) => {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(trieSize);
  return Buffer.concat([header, Buffer.from(Uint32Array.from(units).buffer), Buffer.from(outputs)]);
};

test('damaged normalization rules in the SentencePiece model: a ModelFileError naming them, or rules that match nothing', async (t) => {
  for (const [what, blob] of [
    ['outputs that are not UTF-8', charsmap(4, [0], [0x61, 0xff, 0xfe, 0])],
    ['a trie size that is not whole units', charsmap(6, [0, 0], [0x61, 0])],
  ]) {
    const dir = copyModel(t);
    const spm = withCharsmap(dir, blob);
    const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError }, what);
    t.is(err.file, spm);
    t.regex(err.message, /normalization rules \(normalizer_spec\.precompiled_charsmap\) are malformed/);
  }
  // A trie whose units point outside it: every lookup ends there, and the text passes unchanged.
  const dir = copyModel(t);
  withCharsmap(dir, charsmap(8, [0xfffffc00, 0xffffffff], [0x61, 0]));
  const damaged = await Model.load(dir);
  const [ids] = await damaged.tokenize(['ﬁ①\u0301 still tokenized']);
  t.true(ids.ids.length > 4);
  damaged.dispose();
  await stillWorks(t);
});

test('missing, empty and corrupt JSON configuration files name the file', async (t) => {
  const dir = copyModel(t);
  const config = join(dir, 'config.json');
  const original = readFileSync(config, 'utf8');
  writeFileSync(config, '');
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /config\.json is empty/ });
  writeFileSync(config, original.slice(0, 40));
  const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(err.file, config);
  t.regex(err.message, /is not valid JSON/);
  writeFileSync(config, JSON.stringify({ ...JSON.parse(original), model_type: 'mpnet' }));
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /model_type is "mpnet"; sentvec runs encoders of model_type "xlm-roberta" or "bert"/ });
  writeFileSync(config, JSON.stringify({ ...JSON.parse(original), hidden_size: 48 }));
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /width 32 but config\.json says hidden_size 48/ });
  rmSync(config);
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /cannot read .*config\.json/ });
  writeFileSync(config, original);
  writeFileSync(join(dir, '1_Pooling/config.json'), '{"pooling_mode_lasttoken": true}');
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /pooling_mode_lasttoken/ });
  writeFileSync(join(dir, 'modules.json'), JSON.stringify([{ type: 'sentence_transformers.models.Dense', path: '2_Dense' }]));
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /Dense module/ });
});

test('every error is a SentvecError with a code', async (t) => {
  const err = await t.throwsAsync(Model.load('/nonexistent'));
  t.true(err instanceof SentvecError);
  t.true(err instanceof Error);
  t.is(typeof err.code, 'string');
});

test('numeric load options outside their documented range are refused at once, naming option, value and range', async (t) => {
  const dir = tinyModel();
  for (const threads of [1e6, 257, 0, -1, 2.5]) {
    await t.throwsAsync(sentvec.Model.load(dir, { threads }), { instanceOf: sentvec.InvalidArgumentError, message: new RegExp(`Expected an integer from 1 to 256 for threads but received ${threads}`) });
  }
  await t.throwsAsync(sentvec.Model.load(dir, { maxSeqLength: 1 }), { instanceOf: sentvec.InvalidArgumentError, message: /from 2 to 1,048,576 for maxSeqLength/ });
  // Checked before any file is read or downloaded: a folder that does not exist, or a hub id no
  // hub serves, still gets the option's error.
  for (const source of ['/nonexistent/model', 'acme/not-served']) {
    await t.throwsAsync(sentvec.Model.load(source, { threads: 0 }), { instanceOf: sentvec.InvalidArgumentError, message: /for threads/ }, source);
    await t.throwsAsync(sentvec.Model.load(source, { spinning: 'yes' }), { instanceOf: sentvec.InvalidArgumentError, message: /spinning/ }, source);
  }
  const model = await sentvec.Model.load(dir, { threads: 256 });
  t.is(model.info.threads, 256);
  await t.throwsAsync(model.encode(['a', 'b'], { batchSize: 1025 }), { instanceOf: sentvec.InvalidArgumentError, message: /from 1 to 1,024 for batchSize but received 1025/ });
  model.dispose();
});

test('model and index files that crashed the fuzzers (fuzz/regressions) give typed errors or work', async (t) => {
  const root = new URL('../fuzz/regressions/', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-fuzzed-'));
  cpSync(tinyModel(), dir, { recursive: true });
  for (const file of readdirSync(join(root, 'sentencepiece_model'))) {
    writeFileSync(join(dir, 'sentencepiece.bpe.model'), readFileSync(join(root, 'sentencepiece_model', file)));
    try {
      const model = await Model.load(dir);
      const e = await model.encode(['Hello world', '日本語', ' <mask> ']);
      t.true(e.data.every(Number.isFinite), file);
      model.dispose();
    } catch (err) {
      t.true(err instanceof ModelFileError, `${file}: ${err}`);
    }
  }
  for (const file of readdirSync(join(root, 'index_file'))) {
    const err = await t.throwsAsync(sentvec.Index.load(join(root, 'index_file', file)));
    t.true(err instanceof sentvec.IndexFileError, `${file}: ${err}`);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('the error contract: every code native code raises has its own class, and native errors arrive as that class', async (t) => {
  const { binding } = require('../dist/lib/binding.js');
  const { NATIVE_ERROR_CODES, createError } = require('../dist/lib/errors.js');
  const addon = binding();
  t.deepEqual([...addon.errorCodes].sort(), [...NATIVE_ERROR_CODES].sort(), 'native/core/error.h and lib/errors.ts list the same codes');
  const classes = new Set();
  for (const code of addon.errorCodes) {
    const err = createError(code, 'm', 's');
    t.is(err.code, code);
    t.true(err instanceof SentvecError);
    t.not(err.constructor, SentvecError, `${code} has a class of its own`);
    classes.add(err.constructor);
  }
  t.is(classes.size, addon.errorCodes.length);
  // Straight from the addon, with no lib/ code between: thrown synchronously and rejected.
  const sync = t.throws(() => addon.createIndex({ dimension: 0, metric: 'cosine', precision: 'float32', rescore: true, threads: 1 }));
  t.true(sync instanceof sentvec.InvalidArgumentError);
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-contract-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.svi'), 'not an index');
  const rejected = await t.throwsAsync(addon.loadIndex(join(dir, 'bad.svi'), 1));
  t.true(rejected instanceof sentvec.IndexFileError);
  t.is(rejected.file, join(dir, 'bad.svi'));
  const provider = await t.throwsAsync(
    addon.loadModel({
      onnxPath: join(tinyModel(), 'onnx/model.onnx'),
      tokenizerPath: join(tinyModel(), 'sentencepiece.bpe.model'),
      maxSeqLength: 16,
      providers: [{ name: 'nnapi', options: [] }],
    }),
  );
  t.true(provider instanceof sentvec.ProviderError);
  t.is(provider.provider, 'nnapi');
});

// Texts whose copy does not fit: the binding's allocation on the calling thread once aborted the
// process (node-addon-api turns only its own errors into JavaScript ones). A child process under
// a 2 GB address-space limit is handed 3,000 references to one string of 2^20 characters, a copy
// of 3 GB.
test('texts whose copy does not fit in memory: OutOfMemoryError from tokenize and encode, and the process lives on', async (t) => {
  const { execFile } = await import('node:child_process');
  const script = `
    const { Model } = require(${JSON.stringify(join(import.meta.dirname, '..'))});
    (async () => {
      const model = await Model.load(${JSON.stringify(tinyModel())});
      const texts = Array(3000).fill('x'.repeat(1 << 20));
      const out = [];
      for (const call of [() => model.tokenize(texts), () => model.encode(texts)]) {
        try { await call(); out.push('no error'); } catch (e) { out.push(e.constructor.name + ': ' + e.message); }
      }
      out.push((await model.encode('still alive')).length);
      console.log(JSON.stringify(out));
    })();`;
  // (Not under AddressSanitizer, scripts/test-sanitizers.sh: its shadow memory cannot be mapped
  // within the limit. The child loads the release build then.)
  const env = { ...process.env, LD_PRELOAD: '' };
  if (env.SENTVEC_BINARY?.includes('build-asan')) delete env.SENTVEC_BINARY;
  const stdout = await new Promise((resolve, reject) =>
    execFile('bash', ['-c', 'ulimit -v 2000000 && exec "$0" -e "$1"', process.execPath, script], { env }, (err, out, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out),
    ),
  );
  const [tokenize, encode, alive] = JSON.parse(stdout);
  for (const answer of [tokenize, encode]) t.is(answer, 'OutOfMemoryError: the texts (3000 of them, 3145728000 UTF-16 code units) do not fit in memory; pass fewer at a time');
  t.is(alive, 1);
});
