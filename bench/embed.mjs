// Embedding throughput on the realistic corpus: sentvec encode() vs transformers.js 4.3.1's
// feature-extraction pipeline (mean pooling + normalize) vs raw onnxruntime-node session runs on
// the same length-sorted batches with JS pooling (the engine's ceiling: tokenization excluded).
// Batch sizes 1, 8, 32, 128; the tiny model and both shape twins; every engine gets the same
// intra-op thread count (the physical cores) and truncates at 128 tokens.
//   npm run bench -- embed [--models tiny,minilm-l12-twin,mpnet-base-twin --batches 1,8,32,128 --rounds N]
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { env, pipeline } from '@huggingface/transformers';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { encoderMacs, machinePeak, MODELS, require, sentvec, time } from './common.mjs';

const ort = require('onnxruntime-node');
const TEXTS = { tiny: 512, 'minilm-l12-twin': 256, 'mpnet-base-twin': 128 };

function meanPoolNormalize(data, ids, batch, seq, hidden) {
  const out = new Float32Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * hidden, (b + 1) * hidden);
    let count = 0;
    for (let t = 0; t < seq; t++) {
      if (ids[b * seq + t] === 1n && t > 0) continue;
      count++;
      const base = (b * seq + t) * hidden;
      for (let h = 0; h < hidden; h++) row[h] += data[base + h];
    }
    let norm = 0;
    for (let h = 0; h < hidden; h++) { row[h] /= count; norm += row[h] * row[h]; }
    norm = Math.sqrt(norm) || 1;
    for (let h = 0; h < hidden; h++) row[h] /= norm;
  }
  return out;
}

export async function run(args) {
  const { values } = parseArgs({ args, options: {
    models: { type: 'string', default: 'tiny,minilm-l12-twin,mpnet-base-twin' }, batches: { type: 'string', default: '1,8,32,128' },
    rounds: { type: 'string', default: '3' },
  } });
  const threads = sentvec.physicalCores();
  const peak = machinePeak();
  if (peak) console.log(`peak: ${peak.f32.toFixed(1)} G float32 multiply-adds/s (${peak.how})`);
  const rows = [];
  const targets = [];
  for (const name of values.models.split(',')) {
    const dir = MODELS[name]();
    const texts = realisticCorpus(TEXTS[name] ?? 256, 99);
    const rounds = name === 'tiny' ? Number(values.rounds) : Math.min(Number(values.rounds), 2);
    const model = await sentvec.Model.load(dir, { threads, scheduler: false, maxSeqLength: 128 });
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(dir)}/`;
    const extractor = await pipeline('feature-extraction', basename(dir), { dtype: 'fp32', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
    extractor.tokenizer._tokenizerConfig.model_max_length = 128; // its limit, like sentvec's maxSeqLength
    const session = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' });
    const tokenized = await model.tokenize(texts);
    const order = tokenized.map((t, i) => i).sort((a, b) => tokenized[b].ids.length - tokenized[a].ids.length || a - b);
    for (const batchSize of values.batches.split(',').map(Number)) {
      const ours = await time(rounds, () => model.encode(texts, { batchSize, normalize: true }));
      const theirs = await time(rounds, async () => {
        for (let i = 0; i < texts.length; i += batchSize) await extractor(texts.slice(i, i + batchSize), { pooling: 'mean', normalize: true });
      });
      const ceiling = await time(rounds, async () => {
        for (let i = 0; i < order.length; i += batchSize) {
          const part = order.slice(i, i + batchSize);
          const seq = tokenized[part[0]].ids.length;
          const ids = new BigInt64Array(part.length * seq).fill(1n);
          const mask = new BigInt64Array(part.length * seq);
          part.forEach((k, b) => tokenized[k].ids.forEach((id, t) => { ids[b * seq + t] = BigInt(id); mask[b * seq + t] = 1n; }));
          const feeds = { input_ids: new ort.Tensor('int64', ids, [part.length, seq]), attention_mask: new ort.Tensor('int64', mask, [part.length, seq]) };
          if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(part.length * seq), [part.length, seq]);
          const out = await session.run(feeds);
          const hidden = out.last_hidden_state.dims[2];
          meanPoolNormalize(out.last_hidden_state.data, ids, part.length, seq, hidden);
        }
      });
      const row = {
        model: name, batch: batchSize, texts: texts.length,
        'sentvec texts/s': +(texts.length / ours * 1000).toFixed(1),
        'transformers.js texts/s': +(texts.length / theirs * 1000).toFixed(1),
        'raw ORT texts/s': +(texts.length / ceiling * 1000).toFixed(1),
        'sentvec ÷ transformers.js': +(theirs / ours).toFixed(2),
        'sentvec ÷ raw ORT': +(ceiling / ours).toFixed(2),
        // Against the hardware: the arithmetic done, next to what the cores can do.
        'sentvec GMAC/s': +(encoderMacs(dir, tokenized.map((t) => t.ids.length)) / ours / 1e6).toFixed(1),
      };
      if (peak) row['% of float32 peak'] = +((100 * row['sentvec GMAC/s']) / peak.f32).toFixed(1);
      console.log(row);
      rows.push(row);
      if (batchSize === 32 && name === 'tiny') targets.push({ name: 'embed ≥ 3× transformers.js (tiny, batch 32)', value: theirs / ours, goal: 3 });
      if (batchSize === 32 && name === 'mpnet-base-twin') targets.push({ name: 'embed ≥ 1.5× transformers.js (base twin, batch 32)', value: theirs / ours, goal: 1.5 });
      if (batchSize === 32) targets.push({ name: `embed ≥ 0.97× raw ORT (${name}, batch 32)`, value: ceiling / ours, goal: 0.97 });
    }
    model.dispose();
    await extractor.dispose();
    await session.release();
  }
  console.table(rows);
  return { rows, targets };
}
