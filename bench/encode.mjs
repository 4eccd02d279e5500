// Encode throughput: sentvec against transformers.js on the same model directories and texts,
// in the same run (ratios, not absolute times, are the result: this machine is noisy).
//   npm run bench -- encode [--rounds N --texts N --models tiny,base]
// Models are random-weight XLM-R "shape twins" made by scripts/model/generate.mjs: tiny (2×32)
// and base (12 layers × 768, 12 heads, FFN 3072: paraphrase-multilingual-mpnet-base-v2's encoder
// shape, with the small generated vocabulary).
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoModel, AutoTokenizer, env, mean_pooling } from '@huggingface/transformers';
import { ensureModel } from '../scripts/model/generate.mjs';
import { parityCorpus } from '../test/fixtures/parity-corpus.mjs';

const { Model } = createRequire(import.meta.url)('../dist/lib/index.js');
export async function run(args) {
const { values } = parseArgs({ args, options: { rounds: { type: 'string', default: '5' }, texts: { type: 'string', default: '256' }, models: { type: 'string', default: 'tiny,base' } } });
const rounds = Number(values.rounds);
const MODELS = {
  tiny: () => ensureModel('tiny'),
  base: () => ensureModel('bench-base', { layers: 12, hidden: 768, heads: 12, intermediate: 3072, seed: 7 }),
};
const pool = parityCorpus.filter((t) => t.trim().length > 0);
const texts = Array.from({ length: Number(values.texts) }, (_, i) => pool[(i * 7) % pool.length]);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  await fn(); // warm-up
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

const rows = [];
for (const name of values.models.split(',')) {
  const dir = MODELS[name]();
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const reference = await AutoModel.from_pretrained(basename(dir), { dtype: 'fp32' });
  const model = await Model.load(dir);
  const sentvecMs = await time(() => model.encode(texts, { batchSize: 32, normalize: true }));
  const transformersMs = await time(async () => {
    for (let i = 0; i < texts.length; i += 32) {
      const inputs = tokenizer(texts.slice(i, i + 32), { padding: true, truncation: true, max_length: model.maxSeqLength });
      const { last_hidden_state } = await reference(inputs);
      mean_pooling(last_hidden_state, inputs.attention_mask).normalize(2, -1);
    }
  });
  rows.push({ model: name, texts: texts.length, 'sentvec texts/s': (texts.length / sentvecMs * 1000).toFixed(1),
    'transformers.js texts/s': (texts.length / transformersMs * 1000).toFixed(1), 'sentvec ÷ transformers.js': (transformersMs / sentvecMs).toFixed(2) });
  model.dispose();
  await reference.dispose();
}
console.log(`encode, batch 32, mean + normalize, median of ${rounds} rounds; ONNX Runtime threads: physical cores (both)`);
console.table(rows);
return rows;
}
