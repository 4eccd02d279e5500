// int8 quantization in-process (lib/model/quantize.ts) and Model.load's precision: 'int8'.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModel, testTwin } from '../scripts/model/generate.mjs';
import { parityCorpus } from './fixtures/parity-corpus.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, quantizeModel, InvalidArgumentError, ModelFileError } = sentvec;
const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');
const texts = parityCorpus.filter((_, i) => i % 5 === 0);

function copy(t, source) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-quantize-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(source, dir, { recursive: true });
  return dir;
}

async function fidelity(dir, options) {
  const f = await Model.load(dir, { scheduler: false });
  const q = await Model.load(dir, { scheduler: false, ...options });
  const a = await f.encode(texts, { normalize: true });
  const b = await q.encode(texts, { normalize: true });
  const cos = texts.map((_, i) => a.get(i).reduce((s, x, k) => s + x * b.get(i)[k], 0));
  f.dispose();
  q.dispose();
  return { mean: cos.reduce((s, x) => s + x, 0) / cos.length, min: Math.min(...cos), onnxPath: q.onnxPath };
}

test('quantizeModel writes an int8 export beside the float32 one, which precision: int8 loads', async (t) => {
  const dir = copy(t, tinyModel());
  const before = sha(join(dir, 'onnx/model.onnx'));
  const result = await quantizeModel(dir);
  t.is(result.path, join(dir, 'onnx/model_qint8.onnx'));
  t.is(result.matmuls, 2 * 6, 'six weight matrices per layer (query, key, value, output, intermediate, output)');
  t.is(result.biases, 2 * 6, 'the bias Add after each is folded into its DynamicQuantizeMatMul');
  t.true(result.embeddingTable);
  t.is(result.bytesAfter, statSync(result.path).size);
  t.true(result.bytesAfter < 0.5 * result.bytesBefore, `${result.bytesAfter} of ${result.bytesBefore} bytes`);
  t.is(sha(join(dir, 'onnx/model.onnx')), before, 'the float32 export is left as it is');
  const { mean, min, onnxPath } = await fidelity(dir, { precision: 'int8' });
  t.is(onnxPath, result.path);
  t.log(`cosine with float32 over ${texts.length} texts: mean ${mean.toFixed(5)}, min ${min.toFixed(5)}`);
  t.true(mean >= 0.99 && min >= 0.97, `mean ${mean}, min ${min}`);
  // Without the table: only the weight matrices.
  const partial = await quantizeModel(dir, { embeddings: false, output: 'onnx/model_matmul_int8.onnx' });
  t.false(partial.embeddingTable);
  t.true(partial.bytesAfter > result.bytesAfter);
});

test('float32Layers keeps the first layers float32, found by name or else by position', async (t) => {
  const dir = copy(t, tinyModel());
  const all = await quantizeModel(dir, { output: 'onnx/all.onnx' });
  const first = await quantizeModel(dir, { output: 'onnx/first.onnx', float32Layers: 1 });
  t.is(first.matmuls, 6);
  t.is(first.float32Matmuls, 6);
  t.is(all.float32Matmuls, 0);
  t.true(first.bytesAfter > all.bytesAfter);
  const [a, b] = [await fidelity(dir, { onnxFile: 'onnx/all.onnx' }), await fidelity(dir, { onnxFile: 'onnx/first.onnx' })];
  t.log(`cosine with float32: all int8 ${a.mean.toFixed(5)} (min ${a.min.toFixed(5)}), first layer float32 ${b.mean.toFixed(5)} (min ${b.min.toFixed(5)})`);
  t.true(b.mean >= a.mean, 'keeping a layer float32 does not lose fidelity');
  await t.throwsAsync(quantizeModel(dir, { output: 'onnx/x.onnx', float32Layers: 3 }), { instanceOf: InvalidArgumentError, message: /this model has 2 layers/ });
  await t.throwsAsync(quantizeModel(dir, { output: 'onnx/x.onnx', float32Layers: -1 }), { instanceOf: InvalidArgumentError });
  // An export whose names carry no layer numbers: the position among the MatMuls, over config.json's layer count.
  const anonymous = copy(t, tinyModel());
  const bytes = readFileSync(join(anonymous, 'onnx/model.onnx'), 'latin1').replaceAll('layer.', 'block.');
  writeFileSync(join(anonymous, 'onnx/model.onnx'), bytes, 'latin1');
  const byPosition = await quantizeModel(anonymous, { output: 'onnx/first.onnx', float32Layers: 1 });
  t.is(byPosition.float32Matmuls, 6);
  const [x, y] = [await fidelity(anonymous, { onnxFile: 'onnx/first.onnx' }), b];
  t.is(x.mean, y.mean, 'the same layer was kept');
  const config = JSON.parse(readFileSync(join(anonymous, 'config.json'), 'utf8'));
  writeFileSync(join(anonymous, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 5 }));
  await t.throwsAsync(quantizeModel(anonymous, { output: 'onnx/x.onnx', float32Layers: 1 }), { instanceOf: ModelFileError, message: /cannot tell which encoder layer/ });
});

test('a model whose weights sit in model.onnx_data quantizes into one file', async (t) => {
  const dir = copy(t, ensureModel('twin-bge-m3-2-layers', { ...testTwin('BAAI/bge-m3'), layers: 2 }));
  const result = await quantizeModel(dir);
  t.true(result.bytesBefore > statSync(join(dir, 'onnx/model.onnx')).size, 'counts the external weights');
  const { mean } = await fidelity(dir, { precision: 'int8' });
  t.true(mean >= 0.99, `mean ${mean}`);
});

test('precision: int8 takes sentvec\'s export, else the one published for this CPU, and says when there is none', async (t) => {
  const dir = copy(t, tinyModel());
  await t.throwsAsync(Model.load(dir, { precision: 'int8' }), {
    instanceOf: ModelFileError,
    message: /no int8 export in .*looked for onnx\/model_qint8\.onnx, .*onnx\/model_quint8_avx2\.onnx\): make one with `sentvec quantize/,
  });
  await quantizeModel(dir);
  // As sentence-transformers publishes them: only an AVX2 file.
  copyFileSync(join(dir, 'onnx/model_qint8.onnx'), join(dir, 'onnx/model_quint8_avx2.onnx'));
  rmSync(join(dir, 'onnx/model_qint8.onnx'));
  const m = await Model.load(dir, { precision: 'int8' });
  t.is(m.onnxPath, join(dir, 'onnx/model_quint8_avx2.onnx'));
  m.dispose();
  await t.throwsAsync(Model.load(dir, { precision: 'int8', onnxFile: 'onnx/model.onnx' }), { instanceOf: InvalidArgumentError, message: /onnxFile or precision, not both/ });
  await t.throwsAsync(Model.load(dir, { precision: 'int4' }), { instanceOf: InvalidArgumentError, message: /'float32' or 'int8' for precision/ });
});

test('quantizing a file that is not ONNX, or has nothing to quantize, is a ModelFileError; options are checked', async (t) => {
  const dir = copy(t, tinyModel());
  writeFileSync(join(dir, 'onnx/broken.onnx'), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
  await t.throwsAsync(quantizeModel(dir, { onnxFile: 'onnx/broken.onnx' }), { instanceOf: ModelFileError, message: /broken\.onnx is not a valid ONNX file/ });
  await t.throwsAsync(quantizeModel(dir, { onnxFile: 'onnx/missing.onnx' }), { instanceOf: ModelFileError, message: /cannot read .*missing\.onnx/ });
  // A FIFO or a device in the export's place is refused, not read without end.
  execFileSync('mkfifo', [join(dir, 'onnx/fifo.onnx')]);
  symlinkSync('/dev/zero', join(dir, 'onnx/zero.onnx'));
  for (const onnxFile of ['onnx/fifo.onnx', 'onnx/zero.onnx'])
    await t.throwsAsync(quantizeModel(dir, { onnxFile }), { instanceOf: ModelFileError, message: /\.onnx (is not a regular file|leads to \/dev\/zero, outside the model folder)/ }, onnxFile);
  await quantizeModel(dir);
  await t.throwsAsync(quantizeModel(dir, { onnxFile: 'onnx/model_qint8.onnx', output: 'onnx/again.onnx' }), {
    instanceOf: ModelFileError,
    message: /no float32 MatMul weight or embedding table to quantize/,
  });
  await t.throwsAsync(quantizeModel(dir, { output: 'onnx/model.onnx' }), { instanceOf: InvalidArgumentError, message: /is the model's own .*model\.onnx/ });
  await t.throwsAsync(quantizeModel(dir, { bits: 4 }), { instanceOf: InvalidArgumentError, message: /Unknown option/ });
  t.false(existsSync(join(dir, 'onnx/again.onnx')));
});

test('sentvec quantize, then --precision int8', async (t) => {
  const dir = copy(t, tinyModel());
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/sentvec.js');
  const run = (args) =>
    new Promise((done) => execFile(process.execPath, [bin, ...args], (error, stdout, stderr) => done({ code: error ? error.code : 0, stdout, stderr })));
  const q = await run(['quantize', dir]);
  t.is(q.code, 0, q.stderr);
  t.regex(q.stdout, /model_qint8\.onnx: 12 weight matrices and the embedding table in int8, [\d.]+ MB \(float32: [\d.]+ MB\)/);
  writeFileSync(join(dir, 'input.txt'), 'The night train leaves at ten.\nThe bakery opens at six.\n');
  const answer = await run(['-i', join(dir, 'input.txt'), '--model', dir, '-p', 'train', '--precision', 'int8', '--json']);
  t.is(answer.code, 0, answer.stderr);
  t.regex(answer.stderr, /Using .*model_qint8\.onnx \(int8\)/);
  t.is(JSON.parse(answer.stdout).results.length, 1);
  const both = await run(['-i', join(dir, 'input.txt'), '--model', dir, '-p', 'train', '--precision', 'int8', '--onnx-file', 'onnx/model.onnx']);
  t.is(both.code, 2);
  const kept = await run(['quantize', dir, '--float32-layers', '1', '--output', 'onnx/first.onnx']);
  t.is(kept.code, 0, kept.stderr);
  t.regex(kept.stdout, /first\.onnx: 6 weight matrices and the embedding table in int8 \(6 kept float32\)/);
  const bad = await run(['quantize', dir, '--float32-layers', 'x']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--float32-layers.*expected an integer from 0 to 1,000/);
});

test('optimizedCache: a model of 2 GiB or more with its external weights is loaded without a save attempt', async (t) => {
  const dir = copy(t, tinyModel());
  const cache = mkdtempSync(join(tmpdir(), 'sentvec-optimized-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  // A sparse file: 2 GiB by its size, no blocks on disk. The tiny model does not read it; the size is what counts.
  writeFileSync(join(dir, 'onnx/model.onnx_data'), '');
  truncateSync(join(dir, 'onnx/model.onnx_data'), 2 ** 31);
  for (let i = 0; i < 2; i++) {
    const m = await Model.load(dir, { optimizedCache: cache });
    t.false(m.info.fromCache);
    m.dispose();
  }
  t.deepEqual(readdirSync(cache), [], 'nothing written, nothing tried');
  truncateSync(join(dir, 'onnx/model.onnx_data'), 2 ** 31 - 1 - statSync(join(dir, 'onnx/model.onnx')).size);
  (await Model.load(dir, { optimizedCache: cache })).dispose();
  t.is(readdirSync(cache).length, 1, 'just under the limit: cached');
});

test('optimizedCache: the first load writes the optimized model, later loads read it and give the same vectors', async (t) => {
  const dir = copy(t, tinyModel());
  const cache = mkdtempSync(join(tmpdir(), 'sentvec-optimized-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const texts = ['The library closes early.', '図書館は早く閉まります。'];
  const plain = await Model.load(dir);
  const want = (await plain.encode(texts)).toArray();
  plain.dispose();
  const first = await Model.load(dir, { optimizedCache: cache });
  t.false(first.info.fromCache);
  const files = (await import('node:fs')).readdirSync(cache);
  t.is(files.length, 1);
  t.regex(files[0], /^[0-9a-f]{24}\.ort$/);
  t.deepEqual((await first.encode(texts)).toArray(), want);
  first.dispose();
  const second = await Model.load(dir, { optimizedCache: cache });
  t.true(second.info.fromCache);
  const got = (await second.encode(texts)).toArray();
  got.forEach((row, i) => row.forEach((x, d) => t.true(Math.abs(x - want[i][d]) < 1e-6)));
  second.dispose();
  // A damaged cache file is optimized again and replaced, never an error.
  writeFileSync(join(cache, files[0]), 'not a model');
  const repaired = await Model.load(dir, { optimizedCache: cache });
  t.false(repaired.info.fromCache);
  repaired.dispose();
  t.true((await Model.load(dir, { optimizedCache: cache })).info.fromCache);
  // Another model file (or an int8 one): another key.
  await quantizeModel(dir);
  const q = await Model.load(dir, { optimizedCache: cache, precision: 'int8' });
  t.false(q.info.fromCache);
  q.dispose();
  t.is((await import('node:fs')).readdirSync(cache).filter((f) => f.endsWith('.ort')).length, 2);
  await t.throwsAsync(Model.load(dir, { optimizedCache: 42 }), { instanceOf: InvalidArgumentError, message: /boolean or a folder for optimizedCache/ });
});

test('an optimizedCache folder that cannot be made or written does not stop the load', async (t) => {
  // (A folder under a file cannot be made, even by root, who can write anywhere else.)
  for (const folder of [join(tinyModel(), 'onnx/model.onnx', 'under-a-file')]) {
    const model = await Model.load(tinyModel(), { optimizedCache: folder });
    t.false(model.info.fromCache);
    t.is((await model.encode('still works')).length, 1);
    model.dispose();
  }
});

// A one-MatMul ONNX model written field by field, so that single fields can be made wrong.
const pb = createRequire(import.meta.url)('../dist/lib/model/protobuf.js');
function oneMatMul({ weight = [], externalLength } = {}) {
  const { encode, int, msg, raw, str } = pb;
  // Fields given in `weight` replace the default ones of that number.
  const defaults = [int(1, 2), int(1, 2), int(2, 1), str(8, 'W')].filter((f) => !weight.some((w) => w.number === f.number));
  const data =
    externalLength === undefined
      ? [raw(9, new Uint8Array(16))]
      : [int(14, 1), msg(13, [str(1, 'location'), str(2, 'w.bin')]), msg(13, [str(1, 'length'), str(2, String(externalLength))])];
  const init = msg(5, [...defaults, ...data, ...weight]);
  const node = msg(1, [str(1, 'X'), str(1, 'W'), str(2, 'Y'), str(3, 'mm'), str(4, 'MatMul')]);
  return encode([int(1, 8), msg(7, [node, init]), msg(8, [str(1, ''), int(2, 17)])]);
}

test('a field of the wrong wire type or an external length of 2^40 is a ModelFileError naming the tensor', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-quantize-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'w.bin'), new Uint8Array(16));
  const cases = {
    'a varint name': oneMatMul({ weight: [pb.int(8, 7)] }),
    'raw data as a varint': pb.encode([pb.int(1, 8), pb.msg(7, [pb.msg(1, [pb.str(1, 'X'), pb.str(1, 'W'), pb.str(2, 'Y'), pb.str(4, 'MatMul')]), pb.msg(5, [pb.int(1, 2), pb.int(1, 2), pb.int(2, 1), pb.str(8, 'W'), pb.int(9, 5)])])]),
    'dims as fixed32': oneMatMul({ weight: [{ number: 1, wire: 5, value: new Uint8Array(4) }, pb.int(1, 2)] }),
    'a dimension of 2^63': oneMatMul({ weight: [pb.int(1, 2n ** 63n), pb.int(1, 2)] }),
    'data type as bytes': oneMatMul({ weight: [pb.str(2, 'x')] }),
    'external length 2^40': oneMatMul({ externalLength: 2 ** 40 }),
    'external length -1': oneMatMul({ externalLength: -1 }),
  };
  for (const [what, bytes] of Object.entries(cases)) {
    writeFileSync(join(dir, 'model.onnx'), bytes);
    const err = await t.throwsAsync(quantizeModel(dir, { onnxFile: 'model.onnx', output: 'out.onnx' }), { instanceOf: ModelFileError }, what);
    if (what !== 'a varint name') t.regex(err?.message ?? '', /initializer "W"/, what);
    t.regex(err?.message ?? '', /model\.onnx/, what);
  }
  t.false(existsSync(join(dir, 'out.onnx')));
  // Found by the fuzz test (model-files.property): a MatMul without an output was a TypeError.
  const { encode, int, msg, raw, str } = pb;
  const init = msg(5, [int(1, 2), int(1, 2), int(2, 1), str(8, 'W'), raw(9, new Uint8Array(16))]);
  writeFileSync(join(dir, 'model.onnx'), encode([int(1, 8), msg(7, [msg(1, [str(1, 'X'), str(1, 'W'), str(4, 'MatMul')]), init])]));
  await t.throwsAsync(quantizeModel(dir, { onnxFile: 'model.onnx', output: 'out.onnx' }), { instanceOf: ModelFileError, message: /no float32 MatMul weight/ });
});

test('the quantizer reads a model\'s files by the loader\'s rules: an export or external weights linked from outside the folder are refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-quantize-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'sentvec-quantize-elsewhere-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
  writeFileSync(join(elsewhere, 'w.bin'), new Uint8Array(16));
  symlinkSync(join(elsewhere, 'w.bin'), join(dir, 'w.bin'));
  writeFileSync(join(dir, 'model.onnx'), oneMatMul({ externalLength: 16 }));
  await t.throwsAsync(quantizeModel(dir, { onnxFile: 'model.onnx', output: 'out.onnx' }), {
    instanceOf: ModelFileError,
    message: /w\.bin leads to .*w\.bin, outside the model folder/,
  });
  writeFileSync(join(elsewhere, 'model.onnx'), oneMatMul());
  symlinkSync(join(elsewhere, 'model.onnx'), join(dir, 'linked.onnx'));
  await t.throwsAsync(quantizeModel(dir, { onnxFile: 'linked.onnx', output: 'out.onnx' }), {
    instanceOf: ModelFileError,
    message: /linked\.onnx leads to .*model\.onnx, outside the model folder/,
  });
  await t.throwsAsync(quantizeModel(dir, { onnxFile: '../x.onnx', output: 'out.onnx' }), { instanceOf: InvalidArgumentError, message: /a file inside the model folder .* for onnxFile/ });
  t.false(existsSync(join(dir, 'out.onnx')));
});

test('the output is never one of the model\'s files: not its config, weights or export, by another name or through a link', async (t) => {
  const dir = copy(t, tinyModel());
  const before = Object.fromEntries(readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, f)).isFile()).map((f) => [f, sha(join(dir, f))]));
  symlinkSync('onnx', join(dir, 'alias'));
  linkSync(join(dir, 'onnx/model.onnx'), join(dir, 'hard.onnx'));
  copyFileSync(join(dir, 'onnx/model.onnx'), join(dir, 'onnx/model_fp16.onnx'));
  writeFileSync(join(dir, 'onnx/model.onnx_data'), 'weights');
  const cases = {
    'config.json': /must name an \.onnx file/,
    'onnx/model.onnx_data': /must name an \.onnx file/,
    'alias/model.onnx': /is the model's own .*onnx\/model\.onnx/,
    'hard.onnx': /is the model's own .*onnx\/model\.onnx/,
    'onnx/model_fp16.onnx': /exists and is not an int8 export that quantizeModel wrote/,
  };
  for (const [output, message] of Object.entries(cases)) {
    await t.throwsAsync(quantizeModel(dir, { output }), { instanceOf: InvalidArgumentError, message }, output);
  }
  for (const [f, hash] of Object.entries(before)) t.is(sha(join(dir, f)), hash, f);
  const m = await Model.load(dir, { scheduler: false });
  t.is(m.dimension, 32, 'the float32 model still loads');
  m.dispose();
  // An earlier int8 export of its own is replaced, through a link too.
  const first = await quantizeModel(dir);
  t.is((await quantizeModel(dir, { output: 'alias/model_qint8.onnx' })).bytesAfter, first.bytesAfter);
});
