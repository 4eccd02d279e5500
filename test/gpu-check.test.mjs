// The GPU check script (scripts/gpu-check.mjs) on a machine without a GPU: its comparison logic,
// the whole harness with a CPU session standing in for the device, and the errors it gives when
// the CUDA provider is missing.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, maxAbsDiff, unitRows, variantsFor, verdict } from '../scripts/gpu-check.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'scripts/gpu-check.mjs');
const require = createRequire(import.meta.url);

function run(args) {
  return new Promise((done) => {
    execFile(process.execPath, [script, ...args], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

test('maxAbsDiff finds the largest deviation, and a NaN fails the check', (t) => {
  t.is(maxAbsDiff(new Float32Array([1, 2, 3]), new Float32Array([1, 2.5, 2.75])), 0.5);
  t.is(maxAbsDiff([0, 0], [0, 0]), 0);
  t.true(Number.isNaN(maxAbsDiff([0, NaN, 1], [0, 0, 1])));
  t.is(verdict({ maxAbsDiff: NaN, limit: 1e-3, required: true }), 'FAIL');
  t.throws(() => maxAbsDiff([1], [1, 2]), { message: /lengths differ/ });
  t.deepEqual(Array.from(unitRows(new Float32Array([3, 4, 0, 0]), 2)), [Math.fround(0.6), Math.fround(0.8), 0, 0]);
});

test('limits: 1e-3 in float32, 1e-2 in TF32 and fp16; TensorRT is optional', (t) => {
  const variants = variantsFor(['cuda', 'tensorrt']);
  t.deepEqual(variants.map((v) => [v.label, v.precision, v.limit, v.required]), [
    ['cuda', 'fp32', 1e-3, true], ['cuda tf32', 'tf32', 1e-2, true], ['cuda fp16 model', 'fp16', 1e-2, true],
    ['tensorrt', 'fp32', 1e-3, false], ['tensorrt fp16', 'fp16', 1e-2, false],
  ]);
  t.deepEqual(variants[0].provider, { name: 'cuda' });
  t.is(variants[2].onnxFile, 'onnx/model_fp16.onnx');
  t.deepEqual(variants[4].provider, { name: 'tensorrt', fp16: true });
  t.is(verdict({ maxAbsDiff: 2e-3, limit: 1e-3, required: true }), 'FAIL');
  t.is(verdict({ maxAbsDiff: 2e-3, limit: 1e-2, required: true }), 'pass');
  t.is(verdict({ error: 'x', required: false }), 'skipped');
  t.is(verdict({ error: 'x', required: true }), 'FAIL');
  t.throws(() => variantsFor(['rocm']), { message: /cuda, tensorrt or cpu/ });
  const table = formatTable([{ model: 'm', workload: 'full', label: 'cuda', precision: 'fp32', limit: 1e-3, required: true, maxAbsDiff: 1.5e-4, rawMaxAbsDiff: 2e-3, textsPerSecond: 1234.5, ratio: 12.34 }]);
  t.regex(table, /\| m +\| full +\| cuda +\| fp32 +\| 1\.50e-4 +\| 1e-3 +\| pass +\| 2\.00e-3 +\| 1234\.5 +\| 12\.34× +\|/);
});

test('the whole harness runs with a second CPU session as the device', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'sentvec-gpu-check-')), 'result.json');
  const { code, stdout, stderr } = await run(['--providers', 'cpu', '--models', 'tiny', '--texts', '40', '--rounds', '1', '--batch-size', '16', '--json', out]);
  t.is(code, 0, stderr);
  t.regex(stdout, /\| tiny +\| varied +\| cpu \(no spinning\) +\| fp32 +\| 0\.00e\+0 +\| 1e-3 +\| pass/);
  t.regex(stdout, /\| tiny +\| full +\| cpu \(no spinning\)/);
  t.regex(stdout, /\| tiny +\| full +\| cpu fp16 model +\| fp16 +\| [0-9.]+e-[34] +\| 1e-2 +\| pass/);
  t.regex(stdout, /4 passed or skipped, 0 failed/);
  const result = JSON.parse(readFileSync(out, 'utf8'));
  t.is(result.rows.length, 4);
  for (const row of result.rows) t.true(row.textsPerSecond > 0 && row.ratio > 0);
  const half = result.rows.filter((r) => r.label === 'cpu fp16 model');
  t.true(half.every((r) => r.maxAbsDiff > 0 && r.rawMaxAbsDiff > 0), 'the float16 file was the one encoded');
});

test('without the CUDA provider: exit 1, the reason and how to get it; TensorRT is skipped', async (t) => {
  const cuda = (await sentvec.availableProviders()).find((p) => p.name === 'cuda');
  if (cuda.usable) return t.pass('the CUDA provider is usable on this machine: its missing-library path is not checked here');
  const { code, stdout, stderr } = await run(['--skip-install', '--models', 'tiny', '--texts', '16', '--rounds', '1']);
  t.is(code, 1);
  t.regex(stdout, /^GPU: /m);
  t.regex(stdout, /\| tiny +\| varied\+full +\| cuda +\| fp32 .*\| FAIL/);
  t.regex(stdout, /\| tiny +\| varied\+full +\| cuda fp16 model +\| fp16 .*\| FAIL/);
  t.regex(stdout, /\| tiny +\| full +\| tensorrt +\| fp32 .*\| skipped/);
  t.regex(stderr, /cuda \(tiny\), cuda tf32 \(tiny\), cuda fp16 model \(tiny\): ProviderError: execution provider 'cuda' cannot be used: .+ONNXRUNTIME_NODE_INSTALL=cuda12/);
});

test('bad arguments and an incomplete --cuda-libs folder are errors that say what to do', async (t) => {
  const texts = await run(['--providers', 'cpu', '--texts', '0']);
  t.is(texts.code, 2);
  t.regex(texts.stderr, /--texts takes a positive integer, not "0"/);
  const provider = await run(['--providers', 'rocm', '--skip-install']);
  t.is(provider.code, 2);
  t.regex(provider.stderr, /--providers takes cuda, tensorrt or cpu, not "rocm"/);
  const ortLibs = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin/napi-v6', process.platform, process.arch);
  if (process.platform !== 'linux' || process.arch !== 'x64' || existsSync(join(ortLibs, 'libonnxruntime_providers_cuda.so'))) {
    return t.log('the CUDA provider is installed (or not offered) here: --cuda-libs is not consulted');
  }
  const empty = mkdtempSync(join(tmpdir(), 'sentvec-cuda-libs-'));
  const libs = await run(['--cuda-libs', empty, '--models', 'tiny']);
  t.is(libs.code, 2);
  t.regex(libs.stderr, new RegExp(`--cuda-libs ${empty} lacks libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so: unzip runtimes/linux-x64/native/\\*\\.so from the NuGet package Microsoft\\.ML\\.OnnxRuntime\\.Gpu\\.Linux 1\\.30\\.0`));
});
