// Reranking throughput (issue 26) on the bge-reranker-base shape twin (XLM-R 12 × 768, 250,002
// tokens, random weights): sentvec CrossEncoder.predict() vs transformers.js 4.3.1 (its tokenizer
// with text_pair + AutoModelForSequenceClassification, sigmoid: what its docs do for rerankers;
// its text-classification pipeline takes no pairs and softmaxes one logit to 1.0) vs raw
// onnxruntime-node runs of the same length-sorted batches of sentvec's ids (the engine's ceiling:
// tokenization excluded); batch sizes 1, 16, 64; and int8 (quantizeModel) against float32:
// pairs/s and the Spearman correlation of their scores. Every engine gets the same intra-op
// threads and truncates pairs at 512 tokens.
//   npm run bench -- rerank [--pairs N --batches 1,16,64 --rounds N] (--batches none: int8 only)
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoModelForSequenceClassification, AutoTokenizer, env } from '@huggingface/transformers';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { ensureModel, rerankerTwin } from '../scripts/model/generate.mjs';
import { require, sentvec, time } from './common.mjs';

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
    pairs: { type: 'string', default: '64' }, batches: { type: 'string', default: '1,16,64' }, rounds: { type: 'string', default: '2' },
  } });
  const threads = sentvec.physicalCores();
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
  const out = [];
  for (const batchSize of values.batches === 'none' ? [] : values.batches.split(',').map(Number)) {
    const ours = await time(rounds, () => ce.predict(pairs, { batchSize }));
    const theirs = await time(rounds, async () => {
      for (let i = 0; i < pairs.length; i += batchSize) {
        const batch = pairs.slice(i, i + batchSize);
        const inputs = tokenizer(batch.map((p) => p[0]), { text_pair: batch.map((p) => p[1]), padding: true, truncation: true, max_length: 512 });
        const { logits } = await model(inputs);
        logits.sigmoid();
      }
    });
    const raw = await time(rounds, async () => {
      for (let i = 0; i < order.length; i += batchSize) {
        const batch = order.slice(i, i + batchSize);
        const seq = rows[batch[0]].length;
        const ids = new BigInt64Array(batch.length * seq).fill(1n);
        const mask = new BigInt64Array(batch.length * seq);
        batch.forEach((j, b) => rows[j].forEach((id, k) => { ids[b * seq + k] = BigInt(id); mask[b * seq + k] = 1n; }));
        const { logits } = await session.run({ input_ids: new ort.Tensor('int64', ids, [batch.length, seq]), attention_mask: new ort.Tensor('int64', mask, [batch.length, seq]) });
        for (let k = 0; k < logits.data.length; k++) 1 / (1 + Math.exp(-logits.data[k]));
      }
    });
    const row = {
      batch: batchSize,
      'sentvec pairs/s': (pairs.length / (ours / 1000)).toFixed(1),
      'transformers.js pairs/s': (pairs.length / (theirs / 1000)).toFixed(1),
      'onnxruntime pairs/s': (pairs.length / (raw / 1000)).toFixed(1),
      'vs transformers.js': (theirs / ours).toFixed(2),
      'vs onnxruntime': (raw / ours).toFixed(2),
    };
    console.log(row);
    out.push(row);
  }
  // int8 against float32, batch 16.
  await sentvec.quantizeModel(dir);
  const int8 = await sentvec.CrossEncoder.load(dir, { threads, scheduler: false, maxSeqLength: 512, precision: 'int8' });
  const f32Scores = await ce.predict(pairs, { activation: 'none' });
  const i8Scores = await int8.predict(pairs, { activation: 'none' });
  const f32 = await time(rounds, () => ce.predict(pairs, { batchSize: 16 }));
  const i8 = await time(rounds, () => int8.predict(pairs, { batchSize: 16 }));
  const int8Row = {
    batch: 16,
    'float32 pairs/s': (pairs.length / (f32 / 1000)).toFixed(1),
    'int8 pairs/s': (pairs.length / (i8 / 1000)).toFixed(1),
    'int8 vs float32': (f32 / i8).toFixed(2),
    'score Spearman': spearman(f32Scores, i8Scores).toFixed(4),
  };
  console.log(int8Row);
  await ce.dispose();
  await int8.dispose();
  await session.release();
  return { rows: out, int8: int8Row };
}
