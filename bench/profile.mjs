// Where the time of one encode goes, float32 and int8, on the shape twins at batch 1, 8 and 32:
// sentvec's own stages (tokenize; the ONNX Runtime run, timed as a raw onnxruntime-node session on
// the same file, ids and threads; the rest: packing the batch, pooling, Dense, N-API and JS) and,
// inside the run, ONNX Runtime's per-node profile (session option enableProfiling) summed by
// operator class. Stages run interleaved round after round; shares are of the same command's run.
//   npm run bench -- profile [--models minilm-l12-twin,mpnet-base-twin --batches 1,8,32 --rounds N]
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { interleaved, MODELS, require, sentvec } from './common.mjs';

const ort = require('onnxruntime-node');

// Operator classes, by op type; a MatMul of two 4-dimensional activations ([batch, heads, …]) is
// attention's scores or context.
export function operatorClass(op, args) {
  if (/QAttention|^Attention$|MultiHeadAttention|Softmax/.test(op)) return 'attention (score/softmax/context)';
  const ranks = (args?.input_type_shape ?? []).map((t) => Object.values(t)[0]?.length);
  if (/^(MatMul|FusedMatMul|MatMulInteger)$/.test(op) && ranks[0] === 4 && ranks[1] === 4) return 'attention (score/softmax/context)';
  if (op === 'DynamicQuantizeMatMul' || op === 'MatMulInteger' || op === 'MatMulIntegerToFloat') return 'int8 GEMM (with its activation quantization)';
  if (op === 'DynamicQuantizeLinear' || op === 'QuantizeLinear' || op === 'DequantizeLinear') return 'activation quantization';
  if (/^(MatMul|FusedMatMul|Gemm)$/.test(op)) return 'float32 GEMM';
  if (/LayerNorm/.test(op)) return 'LayerNorm';
  if (/Gelu|^Erf$/.test(op)) return 'GELU';
  if (op === 'Gather' || op === 'EmbedLayerNormalization') return 'Gather (embeddings)';
  if (/Pool|ReduceMean|ReduceSum/.test(op)) return 'pooling';
  return 'rest';
}

/** Microseconds per operator class over the profiled runs, from ONNX Runtime's JSON trace. */
function nodeTimes(file, runs) {
  const events = JSON.parse(readFileSync(file, 'utf8'));
  const byClass = {};
  const byOp = {};
  const runsSeen = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  // The first run (a warm-up) is left out.
  const warm = runsSeen[0].ts + runsSeen[0].dur;
  const modelRun = runsSeen.slice(1).reduce((s, e) => s + e.dur, 0);
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < warm) continue;
    const op = e.args?.op_name ?? '?';
    const cls = operatorClass(op, e.args);
    byClass[cls] = (byClass[cls] ?? 0) + e.dur / runs;
    byOp[op] = (byOp[op] ?? 0) + e.dur / runs;
  }
  return { byClass, byOp, modelRun: modelRun / runs };
}

function feedsFor(session, tokenized) {
  const seq = Math.max(...tokenized.map((t) => t.ids.length));
  const n = tokenized.length;
  const ids = new BigInt64Array(n * seq);
  const mask = new BigInt64Array(n * seq);
  tokenized.forEach((t, b) => t.ids.forEach((id, k) => { ids[b * seq + k] = BigInt(id); mask[b * seq + k] = 1n; }));
  const feeds = { input_ids: new ort.Tensor('int64', ids, [n, seq]), attention_mask: new ort.Tensor('int64', mask, [n, seq]) };
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(n * seq), [n, seq]);
  return feeds;
}

export const CLASSES = ['float32 GEMM', 'int8 GEMM (with its activation quantization)', 'activation quantization', 'attention (score/softmax/context)', 'LayerNorm', 'GELU', 'Gather (embeddings)', 'pooling', 'rest'];

export async function run(args) {
  const { values } = parseArgs({ args, options: { models: { type: 'string', default: 'minilm-l12-twin,mpnet-base-twin' }, batches: { type: 'string', default: '1,8,32' }, rounds: { type: 'string', default: '5' } } });
  const threads = sentvec.physicalCores();
  const rounds = Number(values.rounds);
  const stages = [];
  const operators = [];
  const ops = {};
  for (const name of values.models.split(',')) {
    const dir = MODELS[name]();
    if (!existsSync(join(dir, 'onnx/model_qint8.onnx'))) await sentvec.quantizeModel(dir);
    for (const precision of ['float32', 'int8']) {
      const file = join(dir, precision === 'int8' ? 'onnx/model_qint8.onnx' : 'onnx/model.onnx');
      const model = await sentvec.Model.load(dir, { threads, scheduler: false, maxSeqLength: 128, precision });
      const options = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };
      const session = await ort.InferenceSession.create(file, options);
      for (const batch of values.batches.split(',').map(Number)) {
        const texts = realisticCorpus(batch, 7);
        const tokenized = await model.tokenize(texts);
        const feeds = feedsFor(session, tokenized);
        const runs = await interleaved(rounds, {
          encode: () => model.encode(texts, { batchSize: batch }),
          tokenize: () => model.tokenize(texts),
          run: () => session.run(feeds),
        });
        const total = runs.median('encode');
        const tok = runs.median('tokenize');
        const ortRun = runs.median('run');
        const share = (x) => +((100 * x) / total).toFixed(1);
        const row = { model: name, precision, batch, 'encode ms': +total.toFixed(1), 'tokenize %': share(tok), 'ONNX Runtime run %': share(ortRun), 'rest (pack, pool, Dense, N-API/JS) %': share(Math.max(0, total - tok - ortRun)), 'run ÷ encode, range over rounds': `${runs.ratio('run', 'encode').min.toFixed(2)}–${runs.ratio('run', 'encode').max.toFixed(2)}` };
        stages.push(row);
        // The per-node profile: its own session (profiling costs time of its own).
        const prefix = join(mkdtempSync(join(tmpdir(), 'sentvec-profile-')), 'ort');
        const profiled = await ort.InferenceSession.create(file, { ...options, enableProfiling: true, profileFilePrefix: prefix });
        const profiledRuns = Math.max(2, Math.min(rounds, 3));
        await profiled.run(feeds); // warm-up, dropped below
        for (let r = 0; r < profiledRuns; r++) await profiled.run(feeds);
        profiled.endProfiling();
        await profiled.release();
        const dirOf = join(prefix, '..');
        const traceFile = require('node:fs').readdirSync(dirOf).map((f) => join(dirOf, f))[0];
        const t = nodeTimes(traceFile, profiledRuns);
        rmSync(dirOf, { recursive: true, force: true });
        const sum = Object.values(t.byClass).reduce((a, b) => a + b, 0);
        const op = { model: name, precision, batch };
        for (const c of CLASSES) op[`${c} %`] = +((100 * (t.byClass[c] ?? 0)) / sum).toFixed(1);
        operators.push(op);
        ops[`${name} ${precision} b${batch}`] = Object.fromEntries(Object.entries(t.byOp).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +(v / 1000).toFixed(2)]));
        console.log(row, op);
      }
      model.dispose();
      await session.release();
    }
  }
  console.table(stages);
  console.table(operators);
  return {
    rows: stages,
    operators,
    ops,
    markdown: [
      'Share of ONNX Runtime node time by operator class (per-node profile, `enableProfiling`, after one warm-up run):',
      '',
      tableOf(operators),
      '',
      'DynamicQuantizeMatMul quantizes its input and runs the integer GEMM in one kernel: the profile cannot part the two.',
    ],
  };
}

function tableOf(rows) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${keys.map((k) => r[k] ?? '').join(' | ')} |`)].join('\n');
}
