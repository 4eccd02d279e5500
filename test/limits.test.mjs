// One source for each limit and name list: the core's (native/core/limits.h, pooling.h, dense.h),
// which the addon exports and lib/ reads; the core refuses what is out of range on its own.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const require = createRequire(import.meta.url);
const root = join(fileURLToPath(import.meta.url), '..', '..');
const { binding } = require('../dist/lib/binding.js');
const { RANGES } = require('../dist/lib/validate.js');

// The members of a string-literal union type in lib/<module>.ts.
function union(name, module = 'binding') {
  const ts = require('typescript');
  const file = join(root, `lib/${module}.ts`);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const decl = source.statements.find((s) => ts.isTypeAliasDeclaration(s) && s.name.text === name);
  return decl.type.types.map((member) => member.literal.text);
}

test('RANGES takes the limits the core enforces from the addon, with the values the README documents', (t) => {
  const { limits } = binding();
  t.deepEqual(limits, { maxThreads: 256, maxDimension: 1_048_576, maxTopK: 4_294_967_295, maxOversample: 1000, maxDotNorm: 9.2e18, maxTokenizeLength: 2 ** 31 });
  t.deepEqual(RANGES.threads, [1, limits.maxThreads]);
  t.deepEqual(RANGES.dimension, [1, limits.maxDimension]);
  t.deepEqual(RANGES.topK, [1, limits.maxTopK]);
  t.deepEqual(RANGES.oversample, [1, limits.maxOversample]);
});

test('the pooling modes, Dense activations, metrics and precisions are the core lists, and the TypeScript types name the same', (t) => {
  const addon = binding();
  t.deepEqual(addon.poolingModes, ['cls', 'max', 'mean', 'mean_sqrt_len']);
  t.deepEqual(addon.denseActivations, ['identity', 'tanh', 'relu', 'sigmoid', 'gelu']);
  t.deepEqual([...addon.poolingModes].sort(), union('PoolingMode').sort());
  t.deepEqual([...addon.denseActivations].sort(), union('DenseActivation').sort());
  t.deepEqual(addon.metrics, ['cosine', 'dot']);
  t.deepEqual(addon.precisions, ['float32', 'int8', 'binary']);
  t.deepEqual([...addon.metrics].sort(), union('Metric', 'search/contract').sort());
  t.deepEqual([...addon.precisions].sort(), union('Precision', 'search/vector-index').sort());
});

test('the core refuses out-of-range values passed straight to the addon, with typed errors', async (t) => {
  const addon = binding();
  const { limits } = addon;
  const options = { dimension: 4, metric: 'cosine', precision: 'int8', rescore: true, threads: 1 };
  t.throws(() => addon.createIndex({ ...options, dimension: limits.maxDimension + 1 }), {
    instanceOf: sentvec.InvalidArgumentError,
    message: /dimension must be between 1 and 1048576/,
  });
  t.throws(() => addon.createIndex({ ...options, threads: limits.maxThreads + 1 }), { instanceOf: sentvec.InvalidArgumentError });
  const index = addon.createIndex(options);
  t.teardown(() => index.dispose());
  await index.add(new Float32Array([1, 2, 3, 4]));
  const query = new Float32Array([1, 0, 0, 0]);
  for (const [k, oversample] of [
    [limits.maxTopK + 1, 10],
    [0, 10],
    [1, limits.maxOversample + 1],
    [1, 0],
  ]) {
    await t.throwsAsync(async () => index.search(query, k, undefined, oversample), { instanceOf: sentvec.InvalidArgumentError }, `k ${k}, oversample ${oversample}`);
  }
  const { counts } = await index.search(query, limits.maxTopK, undefined, limits.maxOversample);
  t.deepEqual([...counts], [1]);
  // A sparse array as long as arrays go: refused at its first item, not sized by its length.
  const model = await addon.loadModel({ onnxPath: `${tinyModel()}/onnx/model.onnx`, tokenizerPath: `${tinyModel()}/sentencepiece.bpe.model`, maxSeqLength: 128 });
  t.teardown(() => model.dispose());
  const sparse = [];
  sparse.length = 2 ** 32 - 1;
  for (const call of [() => model.tokenize(sparse), () => model.encode(sparse, { batchSize: 1, truncate: true })])
    t.throws(call, { instanceOf: sentvec.InvalidArgumentError, message: 'texts[0] is not a string' });
  await t.throwsAsync(async () => addon.loadModel({ onnxPath: 'x', tokenizerPath: 'y', pooling: ['median'] }), {
    instanceOf: sentvec.InvalidArgumentError,
    message: /pooling median is not one of cls, max, mean, mean_sqrt_len/,
  });
});

test('loading sentvec does not load the addon: RANGES reads the limits on first use', (t) => {
  const probe = `
    const s = require('.');
    const loaded = () => Object.keys(require.cache).some((k) => k.endsWith('.node'));
    const before = loaded();
    const [, max] = require('./dist/lib/validate.js').RANGES.threads;
    console.log(JSON.stringify({ before, after: loaded(), max, entry: typeof s.Index }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' }));
  t.deepEqual(out, { before: false, after: true, max: 256, entry: 'function' });
});

test('tokenize refuses a maxLength outside 2 to maxTokenizeLength, from the core', async (t) => {
  const addon = binding();
  const model = await addon.loadModel({
    onnxPath: join(tinyModel(), 'onnx/model.onnx'),
    tokenizerPath: join(tinyModel(), 'sentencepiece.bpe.model'),
    maxSeqLength: 16,
  });
  t.teardown(() => model.dispose());
  for (const maxLength of [1, addon.limits.maxTokenizeLength + 1]) {
    await t.throwsAsync(async () => model.tokenize(['a text'], { maxLength }), {
      instanceOf: sentvec.InvalidArgumentError,
      message: /maxLength must be from 2 to 2147483648/,
    });
  }
  const { ids } = await model.tokenize(['a text'], { maxLength: addon.limits.maxTokenizeLength });
  t.true(ids.length >= 3);
});
