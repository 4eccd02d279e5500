import test from 'ava';
import { join } from 'node:path';
import { corpusLines } from '../scripts/model/corpus.mjs';
import { tinyFp16Model, tinyModel, tinyNoTokenTypesModel, tinyOverflowModel, tinyPooledFp16Model, tinyPooledModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, Embeddings, DisposedError, InputTooLongError, InferenceError } = sentvec;
const texts = ['The library closes early.', '図書館は早く閉まります。', 'La bibliothèque ferme tôt.', 'a', '', 'Поезд отправляется в семь часов утра.'];

const maxDelta = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

let model;
test.before(async () => {
  model = await Model.load(tinyModel());
});
test.after.always(() => model?.dispose());

test('reads the model directory: dimension, maxSeqLength, pooling, normalize default', (t) => {
  t.is(model.dimension, 32);
  t.is(model.maxSeqLength, 128);
  t.deepEqual(model.pooling, ['mean']);
  t.false(model.normalize);
  t.is(model.info.outputName, 'last_hidden_state');
  t.is(model.info.threads, sentvec.physicalCores());
  t.is(model.vocabSize, model.info.vocabSize);
});

test('encode returns one row per input in input order, in one Float32Array', async (t) => {
  const e = await model.encode(texts);
  t.true(e instanceof Embeddings);
  t.is(e.length, texts.length);
  t.is(e.dimension, 32);
  t.true(e.data instanceof Float32Array);
  t.is(e.data.length, texts.length * 32);
  t.is(e.get(1).buffer, e.data.buffer, 'rows are views, not copies');
  for (const [i, text] of texts.entries()) {
    const single = await model.encode(text);
    t.true(maxDelta(single.get(0), e.get(i)) < 1e-5, `row ${i} equals encoding "${text}" alone`);
  }
  t.deepEqual([...e].length, texts.length);
  t.is(e.toArray()[2].length, 32);
});

test('batch size and length sorting do not change the vectors', async (t) => {
  const a = await model.encode(texts, { batchSize: 1 });
  const b = await model.encode(texts, { batchSize: 32 });
  const c = await model.encode(texts, { batchSize: 4 });
  t.true(maxDelta(a.data, b.data) < 1e-5);
  t.true(maxDelta(a.data, c.data) < 1e-5);
});

test('normalize gives unit vectors; without it the norms differ from 1', async (t) => {
  const raw = await model.encode(texts, { normalize: false });
  const unit = await model.encode(texts, { normalize: true });
  for (let i = 0; i < texts.length; i++) {
    t.true(Math.abs(norm(unit.get(i)) - 1) < 1e-5);
    const r = raw.get(i);
    const n = norm(r);
    t.true(maxDelta(r.map((x) => x / n), unit.get(i)) < 1e-5);
  }
  t.true([...raw].some((r) => Math.abs(norm(r) - 1) > 1e-3));
});

test('different texts give different vectors; the same text gives the same vector', async (t) => {
  const e = await model.encode(['same text', 'same text', 'something else entirely'], { normalize: true });
  t.true(maxDelta(e.get(0), e.get(1)) === 0);
  t.true(maxDelta(e.get(0), e.get(2)) > 1e-3);
});

test('long inputs are truncated and flagged, never silently', async (t) => {
  const long = 'The river was frozen for three weeks. '.repeat(100);
  const e = await model.encode(['short', long]);
  t.deepEqual(e.truncated, [false, true]);
  t.is(e.truncatedCount, 1);
  const tok = await model.tokenize(long);
  t.is(tok.ids.length, 128);
  t.is(tok.ids[0], 0);
  t.is(tok.ids[127], 2, 'truncation keeps </s>');
  t.true(tok.truncated);
  const err = await t.throwsAsync(model.encode(['short', long], { truncate: false }), { instanceOf: InputTooLongError });
  t.is(err.code, 'ERR_INPUT_TOO_LONG');
  t.regex(err.message, /texts\[1\]/);
});

test('an input of exactly maxSeqLength tokens is not truncated; one more piece is', async (t) => {
  const small = await Model.load(tinyModel(), { maxSeqLength: 8 });
  // Find word counts whose text has exactly 6 and then 7 or more pieces (8 with <s> and </s>).
  let fits;
  let over;
  for (let n = 1; n <= 12 && over === undefined; n++) {
    const text = Array(n).fill('a').join(' ');
    const pieces = (await model.tokenize(text)).ids.length - 2;
    if (pieces === 6) fits = text;
    if (pieces > 6 && fits !== undefined) over = text;
  }
  t.truthy(fits, 'some repetition of "a" has six pieces');
  const a = await small.tokenize(fits);
  t.is(a.ids.length, 8);
  t.false(a.truncated);
  const b = await small.tokenize(over);
  t.is(b.ids.length, 8);
  t.true(b.truncated);
  t.is(b.ids[7], 2);
  small.dispose();
});

test('tokenize gives ids, token strings and XLM-R framing', async (t) => {
  const r = await model.tokenize('Hello <mask>');
  t.true(r.ids instanceof Int32Array);
  t.is(r.ids[0], 0);
  t.is(r.ids.at(-1), 2);
  t.is(r.tokens[0], '<s>');
  t.is(r.tokens.at(-1), '</s>');
  t.is(r.tokens.at(-2), '<mask>');
  t.is(r.ids.at(-2), model.vocabSize - 1, '<mask> is the last id');
  const many = await model.tokenize(['a', 'b']);
  t.is(many.length, 2);
  t.deepEqual(Array.from((await model.tokenize('')).ids), [0, 2]);
});

test('concurrent encode calls on one model each get their own correct vectors', async (t) => {
  const inputs = Array.from({ length: 16 }, (_, i) => [`sentence number ${i}`, texts[i % texts.length]]);
  const expected = await Promise.all(inputs.map((batch) => model.encode(batch, { batchSize: 1 })));
  const concurrent = await Promise.all(inputs.map((batch) => model.encode(batch)));
  for (let i = 0; i < inputs.length; i++) t.true(maxDelta(expected[i].data, concurrent[i].data) < 1e-5);
});

test('an already pooled sentence_embedding output is used as is', async (t) => {
  const pooled = await Model.load(tinyPooledModel());
  t.is(pooled.info.outputName, 'sentence_embedding');
  t.true(pooled.info.pooledOutput);
  const a = await pooled.encode(texts, { normalize: true });
  const b = await model.encode(texts, { normalize: true });
  t.true(maxDelta(a.data, b.data) < 1e-5, 'same weights: in-graph mean equals native mean');
  pooled.dispose();
});

test('a model without token_type_ids input is fed only what it declares', async (t) => {
  const m = await Model.load(tinyNoTokenTypesModel());
  const e = await m.encode(texts, { normalize: true });
  const b = await model.encode(texts, { normalize: true });
  t.true(maxDelta(e.data, b.data) < 1e-5);
  m.dispose();
});

test('pooling modes cls, max and concatenation follow the options', async (t) => {
  const cls = await Model.load(tinyModel(), { pooling: 'cls' });
  const max = await Model.load(tinyModel(), { pooling: 'max' });
  const both = await Model.load(tinyModel(), { pooling: ['mean', 'cls'] });
  t.is(both.dimension, 64);
  t.deepEqual(both.pooling, ['cls', 'mean']);
  const [c, m, cb, mean] = await Promise.all([cls.encode(texts), max.encode(texts), both.encode(texts), model.encode(texts)]);
  t.true(maxDelta(c.data, mean.data) > 1e-3);
  for (let i = 0; i < texts.length; i++) {
    t.true(maxDelta(cb.get(i).subarray(0, 32), c.get(i)) < 1e-6, 'cls comes first');
    t.true(maxDelta(cb.get(i).subarray(32), mean.get(i)) < 1e-6);
    for (let d = 0; d < 32; d++) t.true(m.get(i)[d] >= mean.get(i)[d] - 1e-6, 'max ≥ mean');
  }
  for (const x of [cls, max, both]) x.dispose();
});

test('threads and maxSeqLength options override the defaults', async (t) => {
  const m = await Model.load(tinyModel(), { threads: 1, maxSeqLength: 16 });
  t.is(m.info.threads, 1);
  t.is(m.maxSeqLength, 16);
  const e = await m.encode(texts);
  const ref = await model.encode(texts);
  t.true(maxDelta(e.get(0), ref.get(0)) < 1e-5, 'a short text is unaffected by the limit');
  m.dispose();
});

test('dispose frees the model; later calls throw DisposedError; in-flight calls finish', async (t) => {
  const m = await Model.load(tinyModel());
  const inFlight = m.encode(Array(200).fill('a sentence that takes a little while'));
  m.dispose();
  t.true(m.disposed);
  const e = await inFlight;
  t.is(e.length, 200);
  const err = await t.throwsAsync(m.encode('x'), { instanceOf: DisposedError });
  t.is(err.code, 'ERR_DISPOSED');
  await t.throwsAsync(m.tokenize('x'), { instanceOf: DisposedError });
  t.notThrows(() => m.dispose(), 'dispose twice is harmless');
});

test('Symbol.dispose disposes', async (t) => {
  const m = await Model.load(tinyModel());
  m[Symbol.dispose]();
  t.true(m.disposed);
});

// The float32 and float16 files of one model directory, loaded side by side.
async function fullAndHalf(t, dir) {
  const full = await Model.load(dir);
  const half = await Model.load(dir, { onnxFile: 'onnx/model_fp16.onnx' });
  t.teardown(() => { full.dispose(); half.dispose(); });
  return [full, half];
}

test('a float16 export (onnx/model_fp16.onnx) gives the float32 vectors within half-precision error', async (t) => {
  const lines = corpusLines().slice(0, 200);
  const dir = tinyFp16Model();
  const [full, half] = await fullAndHalf(t, dir);
  t.is(full.onnxPath, join(dir, 'onnx/model.onnx'));
  t.is(half.onnxPath, join(dir, 'onnx/model_fp16.onnx'));
  const [a, b] = await Promise.all([full.encode(lines), half.encode(lines)]);
  t.is(b.dimension, a.dimension);
  const delta = maxDelta(a.data, b.data);
  t.log(`max |Δ| float16 vs float32 over ${lines.length} lines: ${delta.toExponential(2)}`);
  t.true(delta > 0, 'the float16 file is the one in use');
  t.true(delta <= 1e-2, `max |Δ| ${delta}`);
  const [na, nb] = await Promise.all([full.encode(lines, { normalize: true }), half.encode(lines, { normalize: true })]);
  for (let i = 0; i < lines.length; i++) {
    let dot = 0;
    for (let d = 0; d < na.dimension; d++) dot += na.data[i * na.dimension + d] * nb.data[i * nb.dimension + d];
    t.true(dot > 0.9999, `cosine ${dot} on line ${i}`);
  }
});

test('a float16 sentence_embedding output is widened too', async (t) => {
  const lines = corpusLines().slice(0, 50);
  const [full, half] = await fullAndHalf(t, tinyPooledFp16Model());
  const [a, b] = await Promise.all([full.encode(lines), half.encode(lines)]);
  const delta = maxDelta(a.data, b.data);
  t.true(delta > 0 && delta <= 1e-2, `max |Δ| ${delta}`);
});

test('a NaN or infinity from the model is an InferenceError naming the input, not a vector', async (t) => {
  const [full, half] = await fullAndHalf(t, tinyOverflowModel());
  const ok = await full.encode(['fine in float32', 'also fine']);
  t.true(ok.data.every(Number.isFinite));
  const err = await t.throwsAsync(half.encode(['fine in float32', 'also fine']), { instanceOf: InferenceError });
  t.regex(err.message, /non-finite value \((NaN|infinity)\) in the vector of input [01]; a float16 export can overflow .*float32 model file/);
  t.is((await half.encode(['x']).catch((e) => e)).code, err.code, 'the model stays usable and fails the same way');
});

// A framework's reactive state (Vue, MobX) hands over a Proxy of an array: Array.isArray says
// yes, and the addon, which reads plain arrays only, once answered "texts must be an array of strings".
test('a Proxy of an array of texts tokenizes and encodes as the array does', async (t) => {
  const proxy = new Proxy([...texts], {});
  t.deepEqual(
    (await model.tokenize(proxy)).map((x) => Array.from(x.ids)),
    (await model.tokenize(texts)).map((x) => Array.from(x.ids)),
  );
  t.deepEqual(Array.from((await model.encode(proxy)).data), Array.from((await model.encode(texts)).data));
});
