// Cross-encoders (issue 26): pair tokenization against Hugging Face's Rust tokenizer (npm
// `tokenizers`, what Python's sentence-transformers runs), and scores against a reference that
// runs the same ONNX file with onnxruntime-node on Rust's ids, on the parity corpus paired every
// way: short/short, short/long and long/long over the limit (longest_first truncation).
import test from 'ava';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { ensureModel, rerankerTwin, RERANKERS, TINY_BERT_RERANKER, TINY_RERANKER } from '../scripts/model/generate.mjs';
import { parityCorpus } from './fixtures/parity-corpus.mjs';
import { rustIds } from './helpers/rust-tokenizer.mjs';
import { startHub } from './helpers/hub-server.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentvec } from './helpers/sentvec.mjs';

const require = createRequire(import.meta.url);
const { binding } = require('../dist/lib/binding.js');
const { resolveModelDirectory } = require('../dist/lib/model/model-directory.js');
const { CrossEncoder, InvalidArgumentError, DisposedError } = sentvec;

const tinyXlmr = () => ensureModel('tiny-reranker', TINY_RERANKER);
const tinyBert = () => ensureModel('tiny-bert-reranker', TINY_BERT_RERANKER);
const tinyClassifier = () => ensureModel('tiny-classifier', { ...TINY_RERANKER, numLabels: 3 });

// The corpus paired every way: neighbours (short/short), a line with a run of lines (short/long,
// long/short) and two runs (long/long), the runs well past 128 tokens; equal sides (which keeps
// the odd piece), empty sides.
const n = parityCorpus.length;
const long = (i) => parityCorpus.slice(i % (n - 12), (i % (n - 12)) + 12).join(' ');
function corpusPairs() {
  const pairs = [];
  for (let i = 0; i + 1 < n; i += 2) pairs.push([parityCorpus[i], parityCorpus[i + 1]]);
  for (let i = 0; i < 40; i++) pairs.push([parityCorpus[(i * 7) % n], long(i * 13)]);
  for (let i = 0; i < 20; i++) pairs.push([long(i * 11), parityCorpus[(i * 5) % n]]);
  for (let i = 0; i < 30; i++) pairs.push([long(i * 17), long(i * 29 + 3)]);
  pairs.push([long(0), long(0)], ['', ''], ['', long(5)], [long(9), ''], [parityCorpus[3], parityCorpus[3]]);
  return pairs;
}

const show = (s) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

// The rows the executor runs for pairs: the native tokenize with pairs: true.
async function sentvecPairs(dir, pairs, maxSeqLength) {
  const config = await resolveModelDirectory(dir, { maxSeqLength });
  const native = await binding().loadModel({ ...config.native, scores: true });
  try {
    const r = await native.tokenize(pairs.flat(), { pairs: true });
    return pairs.map((_, i) => {
      const ids = Array.from(r.ids.subarray(r.offsets[i], r.offsets[i + 1]));
      const typeIds = ids.map((_, j) => (r.secondFrom[i] > 0 && j >= r.secondFrom[i] ? 1 : 0));
      return { ids, typeIds, truncated: r.truncated[i] === 1 };
    });
  } finally {
    native.dispose();
  }
}

for (const [name, dir, types] of [
  ['XLM-R', tinyXlmr, false],
  ['WordPiece', tinyBert, true],
]) {
  for (const maxSeqLength of [9, 33, 128, 512]) {
    test(`${name}: pair ids, token types and truncation equal the Rust tokenizer's on the corpus paired every way (max ${maxSeqLength})`, async (t) => {
      const path = dir();
      const pairs = corpusPairs();
      const got = await sentvecPairs(path, pairs, maxSeqLength);
      const want = await rustIds(path, pairs, { maxLength: maxSeqLength });
      const mismatches = [];
      pairs.forEach((p, i) => {
        // XLMRobertaTokenizer gives no token types (the model sees 0s); BERT's are 0 then 1.
        const typeIds = types ? want[i].typeIds : want[i].typeIds.map(() => 0);
        if (
          JSON.stringify(got[i].ids) !== JSON.stringify(want[i].ids) ||
          JSON.stringify(got[i].typeIds) !== JSON.stringify(typeIds) ||
          got[i].truncated !== want[i].overflowing
        )
          mismatches.push(`${i} ${show(p[0])} + ${show(p[1])}\n  want ${want[i].ids.slice(0, 20)}\n  got  ${got[i].ids.slice(0, 20)}`);
      });
      const over = want.filter((w) => w.overflowing).length;
      t.log(`${pairs.length} pairs, ${over} over the limit`);
      t.true(over >= (maxSeqLength >= 512 ? 3 : 60));
      t.deepEqual(mismatches, [], `${mismatches.length} of ${pairs.length} pairs differ:\n${mismatches.slice(0, 4).join('\n')}`);
    });
  }
}

// The reference: onnxruntime-node on the same file, fed Rust's ids (and its token types where the
// export takes them), logits through the activation in float64.
async function referenceScores(dir, pairs, { maxLength, activation }) {
  const session = await ort.InferenceSession.create(`${dir}/onnx/model.onnx`);
  const rows = await rustIds(dir, pairs, { maxLength });
  const pad = session.inputNames.includes('token_type_ids') ? 0 : 1;
  const out = [];
  for (let start = 0; start < rows.length; start += 16) {
    const batch = rows.slice(start, start + 16);
    const seq = Math.max(...batch.map((r) => r.ids.length));
    const ids = new BigInt64Array(batch.length * seq).fill(BigInt(pad));
    const mask = new BigInt64Array(batch.length * seq);
    const types = new BigInt64Array(batch.length * seq);
    batch.forEach((r, b) =>
      r.ids.forEach((id, k) => {
        ids[b * seq + k] = BigInt(id);
        mask[b * seq + k] = 1n;
        types[b * seq + k] = BigInt(r.typeIds[k]);
      }),
    );
    const feeds = { input_ids: new ort.Tensor('int64', ids, [batch.length, seq]), attention_mask: new ort.Tensor('int64', mask, [batch.length, seq]) };
    if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', types, [batch.length, seq]);
    const { logits } = await session.run(feeds);
    for (const x of logits.data) out.push(activation === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : x);
  }
  await session.release();
  return out;
}

const twins = Object.keys(RERANKERS);
for (const id of twins) {
  test(`${id} twin: scores within 1e-5 of onnxruntime-node on Rust's ids, rank order identical`, async (t) => {
    const dir = ensureModel(`reranker-${id.split('/')[1]}`, rerankerTwin(id));
    const maxSeqLength = 128;
    const ce = await CrossEncoder.load(dir, { maxSeqLength });
    const real = RERANKERS[id];
    const activation = real.legacyActivation || real.activationFn ? 'identity' : 'sigmoid';
    t.is(ce.info.activation, activation);
    t.is(ce.info.numLabels, 1);
    const pairs = corpusPairs();
    const ours = await ce.predict(pairs);
    const want = await referenceScores(dir, pairs, { maxLength: maxSeqLength, activation });
    let worst = 0;
    let at = -1;
    want.forEach((w, i) => {
      const d = Math.abs(ours[i] - w);
      if (!(d <= worst)) [worst, at] = [d, i];
    });
    t.log(`${pairs.length} pairs, largest difference ${worst.toExponential(2)} (pair ${at})`);
    t.true(worst <= 1e-5, `pair ${at}: ${ours[at]} vs ${want[at]}`);
    // rank(): the order of the reference's scores over one query's documents.
    const query = parityCorpus[0];
    const documents = [...parityCorpus.slice(1, 40), long(3), long(50)];
    const ranked = await ce.rank(query, documents);
    const ref = await referenceScores(dir, documents.map((d) => [query, d]), { maxLength: maxSeqLength, activation });
    const order = Array.from(ref.keys()).sort((a, b) => ref[b] - ref[a] || a - b);
    t.deepEqual(
      ranked.map((r) => r.index),
      order,
    );
    await ce.dispose();
  });
}

test('the default length is the tokenizer\'s model_max_length: 512, and 8192 for bge-reranker-v2-m3', async (t) => {
  const base = await CrossEncoder.load(ensureModel('reranker-bge-reranker-base', rerankerTwin('BAAI/bge-reranker-base')));
  t.is(base.info.maxSeqLength, 512);
  await base.dispose();
  const m3 = await CrossEncoder.load(ensureModel('reranker-bge-reranker-v2-m3', rerankerTwin('BAAI/bge-reranker-v2-m3')));
  t.is(m3.info.maxSeqLength, 8192);
  await m3.dispose();
});

test('predict: one score per pair; activation none gives the logits, sigmoid of which is the default', async (t) => {
  const ce = await CrossEncoder.load(tinyXlmr());
  const pairs = [
    ['How fast is the phone?', 'The phone runs the model in 8 ms.'],
    ['Where is the station?', 'Bread is sold until noon.'],
  ];
  const scores = await ce.predict(pairs);
  const logits = await ce.predict(pairs, { activation: 'none' });
  t.is(scores.length, 2);
  logits.forEach((x, i) => t.true(Math.abs(scores[i] - 1 / (1 + Math.exp(-x))) < 1e-6));
  t.deepEqual(await ce.predict([]), new Float32Array(0));
  await ce.dispose();
});

test('a classifier (3 labels): 3 values per pair, row-major; identity by default, softmax rows sum to 1; rank refuses it', async (t) => {
  const ce = await CrossEncoder.load(tinyClassifier());
  t.is(ce.info.numLabels, 3);
  t.is(ce.info.activation, 'identity');
  const pairs = [
    ['a', 'b'],
    ['c', 'd e f'],
  ];
  const raw = await ce.predict(pairs);
  t.is(raw.length, 6);
  const soft = await ce.predict(pairs, { activation: 'softmax' });
  for (let i = 0; i < 2; i++) t.true(Math.abs(soft[3 * i] + soft[3 * i + 1] + soft[3 * i + 2] - 1) < 1e-6);
  await t.throwsAsync(ce.rank('a', ['b']), { instanceOf: InvalidArgumentError, message: /predict\(\)/ });
  await ce.dispose();
});

test('rank: best first, topK, returnDocuments; ties keep document order', async (t) => {
  const ce = await CrossEncoder.load(tinyBert());
  const docs = ['fast car', 'slow boat', 'fast car', 'a quick answer'];
  const all = await ce.rank('how fast', docs);
  t.is(all.length, 4);
  for (let i = 1; i < all.length; i++) t.true(all[i - 1].score >= all[i].score);
  t.is(all.findIndex((r) => r.index === 0) < all.findIndex((r) => r.index === 2), true);
  const top = await ce.rank('how fast', docs, { topK: 2, returnDocuments: true });
  t.deepEqual(
    top.map((r) => [r.index, r.document]),
    all.slice(0, 2).map((r) => [r.index, docs[r.index]]),
  );
  t.false('document' in all[0]);
  await ce.dispose();
});

test('concurrent small calls share batches through the scheduler and get the scores they get alone', async (t) => {
  const ce = await CrossEncoder.load(tinyBert());
  const pairs = Array.from({ length: 24 }, (_, i) => [`question ${i}`, `${parityCorpus[i]} ${i % 3 ? long(i) : ''}`]);
  const alone = await ce.predict(pairs, { batchSize: 1024 });
  const batches = [];
  ce.scheduler.onBatch = (e) => batches.push(e.size);
  const shared = await Promise.all(pairs.map((p) => ce.predict([p])));
  t.true(batches.some((size) => size > 1), `batches ${batches}`);
  shared.forEach((s, i) => t.true(Math.abs(s[0] - alone[i]) < 1e-5, `pair ${i}`));
  await ce.dispose();
});

test('bad input gets typed errors that say what to fix', async (t) => {
  const ce = await CrossEncoder.load(tinyXlmr());
  await t.throwsAsync(ce.predict('q'), { instanceOf: InvalidArgumentError, message: /pairs/ });
  await t.throwsAsync(ce.predict([['only one']]), { instanceOf: InvalidArgumentError, message: /pairs\[0\]/ });
  await t.throwsAsync(ce.predict([['q', 'bad \uD800']]), { instanceOf: InvalidArgumentError, message: /lone surrogate/ });
  await t.throwsAsync(ce.predict([['q', 'x']], { batchSize: 0 }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(ce.predict([['q', 'x']], { activation: 'relu' }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(ce.predict([['q', 'x']], { topK: 1 }), { instanceOf: InvalidArgumentError, message: /topK/ });
  await t.throwsAsync(ce.rank('q', ['x'], { topK: 0 }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(ce.rank(1, ['x']), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(ce.rank('q', ['x', 'a\0b']), { instanceOf: InvalidArgumentError, message: /^documents\[1\] contains a NUL/ });
  await t.throwsAsync(CrossEncoder.load(tinyXlmr(), { maxSeqLength: 3 }), { instanceOf: InvalidArgumentError, message: /at least 4/ });
  await t.throwsAsync(CrossEncoder.load(tinyXlmr(), { pooling: 'mean' }), { instanceOf: InvalidArgumentError, message: /pooling/ });
  // An embedding model is not a cross-encoder: no logits output.
  await t.throwsAsync(CrossEncoder.load(ensureModel('tiny')), { instanceOf: sentvec.ModelFileError, message: /logits/ });
  await ce.dispose();
  await t.throwsAsync(ce.predict([['q', 'x']]), { instanceOf: DisposedError });
});

test('dispose() lets accepted calls finish', async (t) => {
  const ce = await CrossEncoder.load(tinyXlmr());
  const running = ce.predict([['a question', long(1)]]);
  await ce.dispose();
  t.is((await running).length, 1);
  t.true(ce.disposed);
});

test('int8: quantizeModel makes an export that CrossEncoder loads with precision int8', async (t) => {
  const { mkdtempSync, cpSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/sentvec-ce-int8-`);
  cpSync(tinyBert(), dir, { recursive: true });
  await sentvec.quantizeModel(dir);
  const f32 = await CrossEncoder.load(dir);
  const i8 = await CrossEncoder.load(dir, { precision: 'int8' });
  t.regex(i8.onnxPath, /qint8/);
  const pairs = corpusPairs().slice(0, 50);
  const a = await f32.predict(pairs, { activation: 'none' });
  const b = await i8.predict(pairs, { activation: 'none' });
  let worst = 0;
  a.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b[i]))));
  t.log(`largest logit difference int8 vs float32: ${worst.toFixed(4)}`);
  t.true(worst < 0.5);
  await f32.dispose();
  await i8.dispose();
});

test('int8: quantizeModel keeps a classifier head (dense, out_proj) float32 and the encoder int8', async (t) => {
  const { mkdtempSync, cpSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/sentvec-ce-head-`);
  cpSync(tinyXlmr(), dir, { recursive: true });
  const result = await sentvec.quantizeModel(dir);
  // The score comes straight out of the head: int8 there would add its error to every score
  // and save nothing (one row per pair).
  t.is(result.float32Matmuls, 2);
  t.true(result.matmuls > 0);
  const ce = await CrossEncoder.load(dir, { precision: 'int8' });
  t.is((await ce.predict(corpusPairs().slice(0, 3))).length, 3);
  await ce.dispose();
});

// Serial (run alone, before the concurrent tests): reading a whole 31 MiB side takes ~16 s on these
// machines, three of them ~50 s; read as far as the limit, the two pairs take ~0.1–1 s.
test.serial('a 31 MiB passage is read only about as far as the limit (Rust stops each side at the word that reaches it)', async (t) => {
  const ce = await CrossEncoder.load(tinyXlmr());
  const big = 'The train to the coast leaves at seven every morning. '.repeat(600_000);
  const started = performance.now();
  const [one, two] = [await ce.predict([['query', big]]), await ce.predict([[big, big]])];
  const ms = performance.now() - started;
  t.log(`two pairs with ${(big.length / 2 ** 20).toFixed(0)} MiB passages: ${ms.toFixed(0)} ms`);
  t.true(ms < 10_000);
  t.true(Number.isFinite(one[0]) && Number.isFinite(two[0]));
  await ce.dispose();
});

// Serial: the loopback hub shares this process's event loop, which the other tests' synchronous
// reference tokenizing holds for seconds (long enough for a transfer to be cut as stalled).
test.serial('a hub id is downloaded (HubOptions apply), then loaded: the scores of the twin\'s folder; a folder refuses revision', async (t) => {
  const id = 'cross-encoder/ms-marco-TinyBERT-L-2-v2';
  const dir = ensureModel('twin-ms-marco-TinyBERT-L-2-v2', rerankerTwin(id));
  const hub = await startHub(dir, { repo: id });
  const cacheDir = mkdtempSync(join(tmpdir(), 'sentvec-ce-hub-'));
  t.teardown(async () => {
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  const files = [];
  const fromHub = await CrossEncoder.load(id, {
    endpoint: hub.endpoint,
    cacheDir,
    revision: 'main',
    attempts: 1,
    onProgress: ({ file }) => files.push(file),
  });
  const local = await CrossEncoder.load(dir);
  t.true(files.includes('onnx/model.onnx'));
  t.true(fromHub.onnxPath.startsWith(cacheDir));
  const docs = ['what a fast car', 'a slow boat on the river', 'ranking with pairs'];
  t.deepEqual(await fromHub.rank('fast cars', docs), await local.rank('fast cars', docs));
  t.deepEqual(fromHub.info, local.info);
  // Cached now: offline finds it; hf:// forces the hub's reading.
  const again = await CrossEncoder.load(`hf://${id}`, { cacheDir, offline: true });
  t.deepEqual(await again.predict([['a', 'b']]), await local.predict([['a', 'b']]));
  await Promise.all([fromHub.dispose(), local.dispose(), again.dispose()]);
  await t.throwsAsync(CrossEncoder.load(dir, { revision: 'v2' }), { instanceOf: InvalidArgumentError, message: /revision/ });
  await t.throwsAsync(CrossEncoder.load(id, { revison: 'v2' }), { instanceOf: InvalidArgumentError, message: /revison/ });
});

test('Model.load of a cross-encoder says to use CrossEncoder.load', async (t) => {
  await t.throwsAsync(sentvec.Model.load(tinyXlmr()), { instanceOf: sentvec.ModelFileError, message: /CrossEncoder\.load/ });
});

test('worker threads: a cross-encoder in each of two workers gives the main thread\'s scores', async (t) => {
  const { Worker } = await import('node:worker_threads');
  const dir = tinyBert();
  const pairs = corpusPairs().slice(0, 20);
  const ce = await CrossEncoder.load(dir);
  const want = Array.from(await ce.predict(pairs));
  await ce.dispose();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { CrossEncoder } = require(workerData.lib);
    (async () => {
      const ce = await CrossEncoder.load(workerData.dir);
      const scores = await ce.predict(workerData.pairs);
      await ce.dispose();
      parentPort.postMessage(Array.from(scores));
    })();`;
  const lib = new URL('../dist/lib/sentvec.js', import.meta.url).pathname;
  const run = () =>
    new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { lib, dir, pairs } });
      w.once('message', resolve);
      w.once('error', reject);
    });
  const got = await Promise.all([run(), run()]);
  for (const scores of got) t.deepEqual(scores, want);
});
