// Reranking throughput (issue 26) on the bge-reranker-base shape twin (XLM-R 12 × 768, 250,002
// tokens, random weights): sentvec CrossEncoder.predict() vs transformers.js 4.3.1 (its tokenizer
// with text_pair + AutoModelForSequenceClassification, sigmoid: what its docs do for rerankers;
// its text-classification pipeline takes no pairs and softmaxes one logit to 1.0) vs raw
// onnxruntime-node runs of the same length-sorted batches of sentvec's ids (the engine's ceiling:
// tokenization excluded); batch sizes 1, 16, 64; and int8 (quantizeModel) against float32:
// pairs/s and the Spearman correlation of their scores. Every engine gets the same intra-op
// threads and truncates pairs at 512 tokens.
// End to end: POST /v1/search with "rerank": true (an Index of passages, `candidates` hits per
// query reranked by an ms-marco-MiniLM-L-6-v2 full-shape twin; bench/rerank-server.mjs) against
// plain POST /v1/search on the same server, `--clients` concurrent clients (autocannon).
//   npm run bench -- rerank [--pairs N --batches 1,16,64 --rounds N --clients 64 --duration S --candidates N]
//   (--batches none: no throughput rows; --clients none: no end-to-end row)
import autocannon from 'autocannon';
import { basename, dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AutoModelForSequenceClassification, AutoTokenizer, env } from '@huggingface/transformers';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { ensureModel, rerankerTwin } from '../scripts/model/generate.mjs';
import { median, MODELS, require, sentvec } from './common.mjs';
import { startServer } from './serve.mjs';

const ort = require('onnxruntime-node');
const { binding } = require('../dist/lib/binding.js');
const { resolveModelDirectory } = require('../dist/lib/model/model-directory.js');

const twin = () => ensureModel('bge-reranker-base-twin', rerankerTwin('BAAI/bge-reranker-base', { fullShape: true, seed: 21 }));

function ranks(xs) {
  const order = Array.from(xs.keys()).sort((a, b) => xs[a] - xs[b]);
  const r = new Float64Array(xs.length);
  order.forEach((i, k) => (r[i] = k));
  return r;
}

/** Milliseconds per round of each engine: one warm-up each, then `rounds` rounds taking turns. */
async function interleaved(rounds, engines) {
  const names = Object.keys(engines);
  for (const name of names) await engines[name]();
  const ms = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      const t0 = performance.now();
      await engines[name]();
      ms[name].push(performance.now() - t0);
    }
  }
  return ms;
}

/** "median (min–max)" of per-round figures. */
const spread = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

/** Spearman's rank correlation (no ties expected in float scores). */
export function spearman(a, b) {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i] - rb[i]) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

export async function run(args) {
  const { values } = parseArgs({ args, options: {
    clients: { type: 'string', default: '64' }, duration: { type: 'string', default: '10' }, candidates: { type: 'string', default: '20' },
    pairs: { type: 'string', default: '64' }, batches: { type: 'string', default: '1,16,64' }, rounds: { type: 'string', default: '5' },
  } });
  const threads = sentvec.physicalCores();
  const cpu = execFileSync('lscpu', { encoding: 'utf8' }).match(/^Model name:\s*(.+)$/m)?.[1] ?? 'unknown';
  const load = loadavg()[0].toFixed(1);
  const rounds = Number(values.rounds);
  const dir = twin();
  // Queries of a few words against passages of a sentence or a few.
  const texts = realisticCorpus(2 * Number(values.pairs), 7);
  const pairs = Array.from({ length: Number(values.pairs) }, (_, i) => [texts[2 * i].split(' ').slice(0, 8).join(' '), texts[2 * i + 1]]);
  const ce = await sentvec.CrossEncoder.load(dir, { threads, scheduler: false, maxSeqLength: 512 });
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const model = await AutoModelForSequenceClassification.from_pretrained(basename(dir), { dtype: 'fp32', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
  const session = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' });
  // sentvec's pair rows (Rust's ids), longest first, for the raw runs.
  const config = await resolveModelDirectory(dir, { maxSeqLength: 512 });
  const native = await binding().loadModel({ ...config.native, scores: true, threads: 1 });
  const tok = await native.tokenize(pairs.flat(), { pairs: true });
  native.dispose();
  const rows = pairs.map((_, i) => tok.ids.subarray(tok.offsets[i], tok.offsets[i + 1]));
  const order = rows.map((_, i) => i).sort((a, b) => rows[b].length - rows[a].length || a - b);
  const tokens = rows.reduce((n, r) => n + r.length, 0);
  console.log(`${pairs.length} pairs, ${(tokens / pairs.length).toFixed(0)} tokens per pair on average; ${threads} threads`);
  // Engines take turns within each round (the order reversed every other round), so a neighbour's
  // load on a shared machine falls on all of them alike; each figure is the median of the rounds
  // with their range, and each ratio the median of the rounds' own ratios.
  const out = [];
  for (const batchSize of values.batches === 'none' ? [] : values.batches.split(',').map(Number)) {
    const engines = {
      sentvec: () => ce.predict(pairs, { batchSize }),
      'transformers.js': async () => {
        for (let i = 0; i < pairs.length; i += batchSize) {
          const batch = pairs.slice(i, i + batchSize);
          const inputs = tokenizer(batch.map((p) => p[0]), { text_pair: batch.map((p) => p[1]), padding: true, truncation: true, max_length: 512 });
          const { logits } = await model(inputs);
          logits.sigmoid();
        }
      },
      onnxruntime: async () => {
        for (let i = 0; i < order.length; i += batchSize) {
          const batch = order.slice(i, i + batchSize);
          const seq = rows[batch[0]].length;
          const ids = new BigInt64Array(batch.length * seq).fill(1n);
          const mask = new BigInt64Array(batch.length * seq);
          batch.forEach((j, b) => rows[j].forEach((id, k) => { ids[b * seq + k] = BigInt(id); mask[b * seq + k] = 1n; }));
          const { logits } = await session.run({ input_ids: new ort.Tensor('int64', ids, [batch.length, seq]), attention_mask: new ort.Tensor('int64', mask, [batch.length, seq]) });
          for (let k = 0; k < logits.data.length; k++) 1 / (1 + Math.exp(-logits.data[k]));
        }
      },
    };
    const ms = await interleaved(rounds, engines);
    const rate = (name) => spread(ms[name].map((t) => pairs.length / (t / 1000)));
    const ratio = (name) => median(ms[name].map((t, r) => t / ms.sentvec[r])).toFixed(2);
    const row = {
      batch: batchSize,
      'sentvec pairs/s': rate('sentvec'),
      'transformers.js pairs/s': rate('transformers.js'),
      'onnxruntime pairs/s': rate('onnxruntime'),
      'vs transformers.js': ratio('transformers.js'),
      'vs onnxruntime': ratio('onnxruntime'),
    };
    console.log(row);
    out.push(row);
  }
  // int8 against float32, batch 16.
  await sentvec.quantizeModel(dir);
  const int8 = await sentvec.CrossEncoder.load(dir, { threads, scheduler: false, maxSeqLength: 512, precision: 'int8' });
  const f32Scores = await ce.predict(pairs, { activation: 'none' });
  const i8Scores = await int8.predict(pairs, { activation: 'none' });
  const ms = await interleaved(rounds, {
    float32: () => ce.predict(pairs, { batchSize: 16 }),
    int8: () => int8.predict(pairs, { batchSize: 16 }),
  });
  // On a random-weight twin the float32 scores may sit close together, and then a rank
  // correlation measures how the twin's scores cluster more than what int8 changed: Spearman is
  // a gate only where the int8 error is small against the scores' spread.
  const sd = Math.sqrt(f32Scores.reduce((s, x) => s + x * x, 0) / f32Scores.length - (f32Scores.reduce((s, x) => s + x, 0) / f32Scores.length) ** 2);
  const meanDelta = f32Scores.reduce((s, x, i) => s + Math.abs(x - i8Scores[i]), 0) / f32Scores.length;
  const int8Row = {
    batch: 16,
    'float32 pairs/s': spread(ms.float32.map((t) => pairs.length / (t / 1000))),
    'int8 pairs/s': spread(ms.int8.map((t) => pairs.length / (t / 1000))),
    'int8 vs float32': median(ms.float32.map((t, r) => t / ms.int8[r])).toFixed(2),
    'logit sd (float32)': sd.toFixed(4),
    'mean abs Δ logit': meanDelta.toFixed(4),
    'score Spearman': spearman(f32Scores, i8Scores).toFixed(4),
    // Ranks measure the quantizer only where the float32 scores are spread: logits within a
    // sliver of each other (a random twin can give that) reorder under any change at all.
    'Spearman gate (≥ 0.99)': sd < 0.1 ? 'n/a: float32 logits clustered (sd < 0.1)' : spearman(f32Scores, i8Scores) >= 0.99 ? 'pass' : 'short',
  };
  console.log(int8Row);
  await ce.dispose();
  await int8.dispose();
  await session.release();
  const e2e = values.clients === 'none' ? undefined : await endToEnd(Number(values.clients), Number(values.duration), Number(values.candidates));
  const notes = [
    `CPU (lscpu): ${cpu}, ${threads} threads per engine; load average ${load} at the start (the cores are shared). ` +
      `${pairs.length} pairs of ${(tokens / pairs.length).toFixed(0)} tokens on average; figures are medians of ${rounds} interleaved rounds (min–max), ratios the medians of each round's own ratio.`,
    'Every engine runs the same onnx/model.onnx with the same intra-op threads, truncation at 512 and the same pairs; onnxruntime gets sentvec\'s ids, longest first, without tokenizing.',
    'The int8 Spearman is a gate only where the float32 logits are spread (sd ≥ 0.1); mean |Δ logit| against the logit sd says how far int8 moves the scores. The classifier head stays float32 (quantizeModel).',
  ];
  return { rows: out, int8: int8Row, ...(e2e ? { e2e } : {}), notes };
}

function load(url, bodies, connections, duration) {
  return new Promise((resolve, reject) => {
    autocannon({
      url: `${url}/v1/search`, connections, duration, timeout: 120, method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: bodies.map((b) => ({ method: 'POST', body: JSON.stringify(b) })),
    }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

// Retrieve-then-rerank through the server against plain retrieval, on one server in one run.
export async function endToEnd(clients, duration, candidates) {
  const reranker = ensureModel('ms-marco-MiniLM-L-6-v2-twin', rerankerTwin('cross-encoder/ms-marco-MiniLM-L-6-v2', { fullShape: true, seed: 22 }));
  const here = dirname(fileURLToPath(import.meta.url));
  const queries = realisticCorpus(256, 11).map((t) => t.split(' ').slice(0, 8).join(' '));
  // The ceiling: the same reranker offline on the very pairs the server reranks (each query's
  // `candidates` nearest passages under the same embedding model), one predict() per query.
  const passages = realisticCorpus(2000, 3);
  const embedder = await sentvec.Model.load(MODELS.tiny(), { spinning: false });
  const index = new sentvec.Index({ dimension: embedder.dimension });
  await index.add(await embedder.encode(passages, { normalize: true, batchSize: 64 }));
  const hits = await index.search(await embedder.encode(queries.slice(0, 16), { normalize: true }), { topK: candidates });
  index.dispose();
  embedder.dispose();
  const ce = await sentvec.CrossEncoder.load(reranker, { spinning: false, scheduler: false });
  const perQuery = hits.map((h, q) => Array.from(h.ids, (id) => [queries[q], passages[Number(id)]]));
  const offlineMs = median(await (async () => {
    const runs = [];
    for (let r = 0; r < 4; r++) {
      const t0 = performance.now();
      for (const pairs of perQuery) await ce.predict(pairs);
      if (r > 0) runs.push(performance.now() - t0);
    }
    return runs;
  })());
  await ce.dispose();
  const offline = (perQuery.length * candidates) / (offlineMs / 1000);
  const server = await startServer([join(here, 'rerank-server.mjs'), MODELS.tiny(), reranker, '2000']);
  const plainBodies = queries.map((query) => ({ query, top_k: 10 }));
  const rerankBodies = queries.map((query) => ({ query, top_k: 10, rerank: true, candidates }));
  try {
    await load(server.url, rerankBodies, 4, 2);
    const plain = await load(server.url, plainBodies, clients, duration);
    const reranked = await load(server.url, rerankBodies, clients, duration);
    const row = {
      clients,
      candidates,
      'search req/s': +plain.requests.average.toFixed(1),
      'search p50 ms': plain.latency.p50,
      'search+rerank req/s': +reranked.requests.average.toFixed(1),
      'search+rerank p50 ms': reranked.latency.p50,
      'search+rerank p99 ms': reranked.latency.p99,
      'reranked pairs/s': +(reranked.requests.average * candidates).toFixed(1),
      'offline predict pairs/s': +offline.toFixed(1),
      'server ÷ offline (pairs/s)': +((reranked.requests.average * candidates) / offline).toFixed(2),
      'rerank ÷ search (req/s)': +(reranked.requests.average / plain.requests.average).toFixed(3),
      errors: plain.non2xx + plain.errors + reranked.non2xx + reranked.errors,
    };
    console.log(row);
    return row;
  } finally {
    await server.stop();
  }
}
