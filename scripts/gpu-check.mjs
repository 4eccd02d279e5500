#!/usr/bin/env node
// GPU check: one command for a machine with an NVIDIA GPU (docs/gpu.md, "GPU check").
//   npm run gpu-check [-- --providers cuda,tensorrt --models tiny,mpnet-base-twin --texts 256
//                        --batch-size 64 --rounds 3 --cuda-libs DIR --skip-install --json FILE]
// 1. Installs ONNX Runtime's CUDA provider libraries beside onnxruntime-node's libonnxruntime
//    (from --cuda-libs DIR, else onnxruntime-node's own NuGet installer), unless already there.
// 2. Adds the CUDA runtime folders it finds (pip's nvidia-* packages, CUDA_HOME, /usr/local/cuda)
//    to LD_LIBRARY_PATH and runs the check in a child process, since the loader reads it at start.
// 3. For each model (generated with a float16 copy of its weights, onnx/model_fp16.onnx), encodes
//    two workloads on the CPU (float32 file) and with each GPU variant: "varied" (the realistic
//    corpus: every length, padding inside batches) and "full" (every text truncated to 128
//    tokens, one input shape: what TensorRT, which builds an engine per shape range, is timed
//    on). Prints max |Δ| against the CPU vectors, scaled to unit length (what cosine search
//    sees, and free of the model's output scale), with its limit (1e-3 in float32, 1e-2 in
//    TF32 and fp16); max |Δ| of the unscaled vectors beside it; the speed ratio GPU ÷ CPU.
//    Exits 1 if a check failed.
// `--providers cpu` runs the same harness with a second CPU session as the "device": how CI
// checks this script on machines without a GPU.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const CHILD = 'SENTVEC_GPU_CHECK_CHILD';
const CUDA_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
const OPTIONAL_LIBS = ['libonnxruntime_providers_tensorrt.so'];
const FULL_LENGTH = 128;
// The same weights in half precision, beside onnx/model.onnx as in Hugging Face repositories.
const FP16_FILE = 'onnx/model_fp16.onnx';

/** Largest absolute difference between two equally long vectors. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`vector lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN; // so that a NaN output fails the check
    if (d > max) max = d;
  }
  return max;
}

/** Copies of `rows × dimension` vectors scaled to unit length (a zero vector stays zero). */
export function unitRows(data, dimension) {
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length / dimension; r++) {
    let sum = 0;
    for (let d = 0; d < dimension; d++) sum += data[r * dimension + d] ** 2;
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let d = 0; d < dimension; d++) out[r * dimension + d] = data[r * dimension + d] * scale;
  }
  return out;
}

/** The GPU variants a provider list asks for, each with the max |Δ| it must keep to. */
export function variantsFor(providers) {
  const variants = [];
  for (const name of providers) {
    if (name === 'cuda') {
      variants.push({ label: 'cuda', provider: { name: 'cuda' }, precision: 'fp32', limit: 1e-3, required: true, workloads: ['varied', 'full'] });
      variants.push({ label: 'cuda tf32', provider: { name: 'cuda', tf32: true }, precision: 'tf32', limit: 1e-2, required: true, workloads: ['varied', 'full'] });
      variants.push({ label: 'cuda fp16 model', provider: { name: 'cuda' }, onnxFile: FP16_FILE, precision: 'fp16', limit: 1e-2, required: true, workloads: ['varied', 'full'] });
    } else if (name === 'tensorrt') {
      // Optional: the check says why it was skipped when TensorRT is not installed.
      variants.push({ label: 'tensorrt', provider: { name: 'tensorrt' }, precision: 'fp32', limit: 1e-3, required: false, workloads: ['full'] });
      variants.push({ label: 'tensorrt fp16', provider: { name: 'tensorrt', fp16: true }, precision: 'fp16', limit: 1e-2, required: false, workloads: ['full'] });
    } else if (name === 'cpu') {
      variants.push({ label: 'cpu (no spinning)', provider: 'cpu', spinning: false, precision: 'fp32', limit: 1e-3, required: true, workloads: ['varied', 'full'] });
      variants.push({ label: 'cpu fp16 model', provider: 'cpu', onnxFile: FP16_FILE, precision: 'fp16', limit: 1e-2, required: true, workloads: ['varied', 'full'] });
    } else {
      throw new Error(`--providers takes cuda, tensorrt or cpu, not "${name}"`);
    }
  }
  return variants;
}

/** A row's verdict: 'pass', 'FAIL' or 'skipped'. */
export function verdict(row) {
  if (row.error) return row.required ? 'FAIL' : 'skipped';
  return row.maxAbsDiff <= row.limit ? 'pass' : 'FAIL';
}

export function formatTable(rows) {
  const header = ['model', 'workload', 'provider', 'precision', 'max |Δ| unit', 'limit', 'check', 'max |Δ| raw', 'texts/s', 'GPU ÷ CPU'];
  const body = rows.map((r) => [
    r.model, r.workload, r.label, r.precision,
    r.error ? '—' : r.maxAbsDiff.toExponential(2), r.limit.toExponential(0), verdict(r),
    r.error ? '—' : r.rawMaxAbsDiff.toExponential(2),
    r.error ? '—' : r.textsPerSecond.toFixed(1), r.error ? '—' : `${r.ratio.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function onnxruntimeLibDir() {
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(root, 'bin/napi-v6', process.platform, process.arch);
}

/** Copies or downloads the CUDA provider libraries; returns what it did, throws what to do. */
function installCudaProvider(libsDir) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`onnxruntime-node ships a CUDA provider for linux x64 only; this is ${process.platform} ${process.arch}`);
  }
  const target = onnxruntimeLibDir();
  if (CUDA_LIBS.every((f) => existsSync(join(target, f)))) return `already installed in ${target}`;
  if (libsDir) {
    const missing = CUDA_LIBS.filter((f) => !existsSync(join(libsDir, f)));
    if (missing.length) {
      throw new Error(`--cuda-libs ${libsDir} lacks ${missing.join(', ')}: unzip runtimes/linux-x64/native/*.so from the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux ${require('onnxruntime-node/package.json').version} into it`);
    }
    for (const f of [...CUDA_LIBS, ...OPTIONAL_LIBS].filter((x) => existsSync(join(libsDir, x)))) {
      const tmp = join(target, `.${f}.${process.pid}`);
      copyFileSync(join(libsDir, f), tmp);
      renameSync(tmp, join(target, f));
    }
    return `copied from ${libsDir} into ${target}`;
  }
  const script = join(dirname(require.resolve('onnxruntime-node/package.json')), 'script/install.js');
  const run = spawnSync(process.execPath, [script], { stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' } });
  if (run.status !== 0 || !CUDA_LIBS.every((f) => existsSync(join(target, f)))) {
    throw new Error('onnxruntime-node could not download its CUDA provider (NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux). '
      + 'Without network: fetch that package elsewhere, unzip runtimes/linux-x64/native/*.so into a folder, and pass --cuda-libs <folder>');
  }
  return `downloaded into ${target}`;
}

/** Folders that may hold the CUDA 12 / cuDNN 9 runtime ONNX Runtime's CUDA provider loads. */
function cudaRuntimeDirs() {
  const dirs = [];
  try {
    const out = execFileSync('python3', ['-c', 'import site, sys; print("\\n".join(site.getsitepackages() + [site.getusersitepackages()] + sys.path))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const sp of new Set(out.split('\n').filter(Boolean))) {
      const nvidia = join(sp, 'nvidia');
      if (!existsSync(nvidia)) continue;
      for (const pkg of readdirSync(nvidia)) if (existsSync(join(nvidia, pkg, 'lib'))) dirs.push(join(nvidia, pkg, 'lib'));
    }
  } catch { /* no python3: rely on the system's loader paths */ }
  for (const d of [process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'lib64'), '/usr/local/cuda/lib64']) if (d && existsSync(d)) dirs.push(d);
  return [...new Set(dirs)];
}

function gpuDescription() {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const cuda = execFileSync('nvidia-smi', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).match(/CUDA Version:\s*([\d.]+)/);
    return `${out.trim()}${cuda ? `, driver supports CUDA ${cuda[1]}` : ''}`;
  } catch {
    return 'none found (nvidia-smi is not on PATH)';
  }
}

function median(xs) { return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]; }

async function timeEncode(model, texts, batchSize, rounds) {
  const first = await model.encode(texts, { batchSize }); // warm-up; also the vectors compared
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await model.encode(texts, { batchSize });
    runs.push(performance.now() - t0);
  }
  return { data: first.data, dimension: first.dimension, textsPerSecond: texts.length / (median(runs) / 1000) };
}

async function check(values) {
  const sentvec = require('..');
  const { ensureModel, TWINS } = await import('./model/generate.mjs');
  const { realisticCorpus } = await import('./model/corpus.mjs');
  const providers = values.providers.split(',').map((s) => s.trim()).filter(Boolean);
  const variants = variantsFor(providers);
  const texts = Number(values.texts);
  const batchSize = Number(values['batch-size']);
  const rounds = Number(values.rounds);
  const corpus = realisticCorpus(Math.max(texts * 12, 3000));
  const workloads = {
    varied: corpus.slice(0, texts),
    // Twelve corpus lines are always past FULL_LENGTH tokens; checked below through `truncated`.
    full: Array.from({ length: texts }, (_, i) => corpus.slice(i * 12, i * 12 + 12).join(' ')),
  };
  const rows = [];
  for (const name of values.models.split(',').map((s) => s.trim()).filter(Boolean)) {
    const dir = name === 'tiny' ? ensureModel('tiny-fp16', { fp16File: true })
      : TWINS[name] ? ensureModel(`${name}-fp16`, { ...TWINS[name], fp16File: true }) : resolve(name);
    const cpu = await sentvec.Model.load(dir, { maxSeqLength: FULL_LENGTH });
    const tokenized = await cpu.tokenize(workloads.full);
    if (tokenized.some((t) => !t.truncated)) throw new Error('a "full" workload text is shorter than 128 tokens: the workload would not have one shape');
    const baseline = {};
    for (const [w, list] of Object.entries(workloads)) baseline[w] = await timeEncode(cpu, list, batchSize, rounds);
    console.log(`${name}: CPU ${Object.entries(baseline).map(([w, b]) => `${w} ${b.textsPerSecond.toFixed(1)} texts/s`).join(', ')}`);
    cpu.dispose();
    for (const v of variants) {
      let model;
      let error;
      try {
        if (v.onnxFile && !existsSync(join(dir, v.onnxFile))) throw new Error(`${dir} has no ${v.onnxFile}`);
        model = await sentvec.Model.load(dir, {
          maxSeqLength: FULL_LENGTH, providers: [v.provider],
          ...(v.spinning === undefined ? {} : { spinning: v.spinning }), ...(v.onnxFile ? { onnxFile: v.onnxFile } : {}),
        });
      } catch (err) {
        error = err;
      }
      if (error) {
        // One row for the variant: its provider did not load, so no workload ran.
        rows.push({ model: name, workload: v.workloads.join('+'), label: v.label, precision: v.precision, limit: v.limit, required: v.required, error: `${error.name}: ${error.message}` });
        console.log(`  ${v.label}: cannot be loaded (${error.name})`);
        continue;
      }
      for (const w of v.workloads) {
        const row = { model: name, workload: w, label: v.label, precision: v.precision, limit: v.limit, required: v.required };
        try {
          const result = await timeEncode(model, workloads[w], batchSize, rounds);
          row.maxAbsDiff = maxAbsDiff(unitRows(result.data, result.dimension), unitRows(baseline[w].data, result.dimension));
          row.rawMaxAbsDiff = maxAbsDiff(result.data, baseline[w].data);
          row.textsPerSecond = result.textsPerSecond;
          row.ratio = result.textsPerSecond / baseline[w].textsPerSecond;
        } catch (err) {
          row.error = `${err.name}: ${err.message}`;
        }
        rows.push(row);
        console.log(`  ${v.label} / ${w}: ${row.error ? row.error : `max |Δ| ${row.maxAbsDiff.toExponential(2)} (unit vectors), ${row.ratio.toFixed(2)}× the CPU`}`);
      }
      model.dispose();
    }
  }
  return rows;
}

async function main() {
  const { values } = parseArgs({ options: {
    providers: { type: 'string', default: 'cuda,tensorrt' },
    models: { type: 'string', default: 'tiny,mpnet-base-twin' },
    texts: { type: 'string', default: '256' },
    'batch-size': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    'cuda-libs': { type: 'string' },
    'skip-install': { type: 'boolean', default: false },
    json: { type: 'string' },
  } });
  for (const key of ['texts', 'batch-size', 'rounds']) {
    if (!/^[1-9]\d*$/.test(values[key])) throw new Error(`--${key} takes a positive integer, not "${values[key]}"`);
  }
  const providers = values.providers.split(',').map((s) => s.trim()).filter(Boolean);
  variantsFor(providers); // rejects an unknown name before anything is installed
  const gpu = providers.some((p) => p !== 'cpu');
  if (gpu && !process.env[CHILD]) {
    console.log(`GPU: ${gpuDescription()}`);
    if (!values['skip-install']) console.log(`CUDA provider libraries: ${installCudaProvider(values['cuda-libs'])}`);
    const dirs = cudaRuntimeDirs();
    if (dirs.length) console.log(`CUDA runtime folders added to LD_LIBRARY_PATH: ${dirs.join(', ')}`);
    const env = { ...process.env, [CHILD]: '1', LD_LIBRARY_PATH: [...dirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env });
    process.exitCode = child.status ?? 1;
    return;
  }
  const sentvec = require('..');
  console.log(`providers: ${(await sentvec.availableProviders()).map((p) => `${p.name} ${p.usable ? 'usable' : 'unusable'}`).join(', ')}`);
  const rows = await check(values);
  console.log(`\n${formatTable(rows)}`);
  if (values.json) {
    const dir = mkdtempSync(join(dirname(resolve(values.json)), '.gpu-check-'));
    writeFileSync(join(dir, 'out.json'), `${JSON.stringify({ gpu: gpuDescription(), rows }, null, 2)}\n`);
    renameSync(join(dir, 'out.json'), resolve(values.json));
    rmSync(dir, { recursive: true, force: true });
  }
  const failed = rows.filter((r) => verdict(r) === 'FAIL');
  const reasons = new Map();
  for (const r of rows.filter((x) => x.error)) reasons.set(r.error, [...(reasons.get(r.error) ?? []), `${r.label} (${r.model})`]);
  for (const [reason, where] of reasons) console.error(`\n${where.join(', ')}: ${reason}`);
  console.log(`\n${rows.length - failed.length} passed or skipped, ${failed.length} failed`);
  process.exitCode = failed.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`gpu-check: ${err.message}`);
    process.exitCode = 2;
  });
}
