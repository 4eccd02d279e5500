// Execution providers on a CPU-only machine: CPU works; every other provider gives a typed error
// that says which, why and how to get it; fallback reaches the CPU with a warning.
import test from 'ava';
import { createRequire } from 'node:module';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const require = createRequire(import.meta.url);

const { Model, ProviderError, InvalidArgumentError, availableProviders } = sentvec;
const hints = { cuda: /sentvec install-cuda --from <folder>.*ONNXRUNTIME_NODE_INSTALL=cuda12/, tensorrt: /TensorRT 10/, coreml: /macOS/, nnapi: /Android/ };

test('cpu is the default and always usable', async (t) => {
  const model = await Model.load(tinyModel());
  t.is(model.provider, 'cpu');
  const explicit = await Model.load(tinyModel(), { providers: ['cpu'] });
  t.is(explicit.provider, 'cpu');
  const [a, b] = await Promise.all([model.encode('same'), explicit.encode('same')]);
  t.deepEqual(Array.from(a.data), Array.from(b.data));
  model.dispose();
  explicit.dispose();
});

test('availableProviders lists what this build has and what can really be loaded', async (t) => {
  const list = await availableProviders();
  // The native list (native/core/providers.cc) and the TypeScript one (PROVIDER_NAMES) agree.
  t.deepEqual(list.map((p) => p.name), [...sentvec.PROVIDER_NAMES]);
  t.deepEqual([...sentvec.PROVIDER_NAMES], ['cpu', 'cuda', 'tensorrt', 'coreml', 'nnapi']);
  const cpu = list.find((p) => p.name === 'cpu');
  t.true(cpu.compiled && cpu.usable);
  for (const p of list.filter((x) => !x.usable)) {
    t.is(typeof p.reason, 'string');
    t.regex(p.reason, hints[p.name], p.name);
  }
  if (process.platform === 'linux' && process.arch === 'x64') {
    t.true(list.find((p) => p.name === 'cuda').compiled, 'the linux-x64 ONNX Runtime build has the CUDA provider compiled in');
    t.false(list.find((p) => p.name === 'coreml').usable);
    t.false(list.find((p) => p.name === 'nnapi').usable);
  }
});

test('each unusable provider is a ProviderError naming it, the reason and the way to get it', async (t) => {
  const usable = new Set((await availableProviders()).filter((p) => p.usable).map((p) => p.name));
  for (const name of ['cuda', 'tensorrt', 'coreml', 'nnapi']) {
    if (usable.has(name)) {
      t.log(`${name} is usable on this machine: its error is not checked here`);
      continue;
    }
    const err = await t.throwsAsync(Model.load(tinyModel(), { providers: [name, 'cpu'] }), { instanceOf: ProviderError }, name);
    t.is(err.code, 'ERR_PROVIDER');
    t.is(err.provider, name);
    t.regex(err.message, new RegExp(`execution provider '${name}' cannot be used: .+\\. To use it, `));
    t.regex(err.message, hints[name]);
  }
});

test('fallback: true skips to the next provider and emits a warning', async (t) => {
  const usable = new Set((await availableProviders()).filter((p) => p.usable).map((p) => p.name));
  if (usable.has('cuda')) return t.pass('cuda is usable here: nothing to fall back from');
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const model = await Model.load(tinyModel(), { providers: [{ name: 'cuda', deviceId: 0 }, 'cpu'], fallback: true });
  t.is(model.provider, 'cpu');
  await new Promise((r) => setImmediate(r));
  const warning = warnings.find((w) => w.code === 'SENTVEC_PROVIDER_FALLBACK');
  t.truthy(warning);
  t.regex(warning.message, /'cuda' cannot be used: .*trying 'cpu'/);
  t.is((await model.encode('works on the cpu')).length, 1);
  model.dispose();
  const err = await t.throwsAsync(Model.load(tinyModel(), { providers: ['coreml', 'nnapi'], fallback: true }), { instanceOf: ProviderError });
  t.regex(err.message, /none of the requested execution providers can be used/);
  t.regex(err.message, /add 'cpu' to the list/);
});

test('provider options are validated', async (t) => {
  const bad = [
    [{ providers: ['gpu'] }, /Expected one of cpu, cuda, tensorrt, coreml, nnapi for providers\[0\]\.name/],
    [{ providers: [] }, /at least one provider/],
    [{ providers: [{ name: 'cuda', device: 1 }] }, /Unknown option "device" for the cuda provider .*known: deviceId, gpuMemLimit, tf32/],
    [{ providers: [{ name: 'cuda', tf32: 1 }] }, /boolean for providers\[0\]\.tf32/],
    [{ providers: [{ name: 'cuda', deviceId: -1 }] }, /Expected an integer from 0 to 1,023 for providers\[0\]\.deviceId but received -1/],
    [{ providers: [{ name: 'tensorrt', fp16: 'yes' }] }, /boolean for providers\[0\]\.fp16/],
    [{ providers: [{ name: 'tensorrt', engineCachePath: '' }] }, /folder path/],
    [{ providers: [{ name: 'coreml', computeUnits: 'GPU' }] }, /one of 'ALL', 'CPUOnly', 'CPUAndGPU', 'CPUAndNeuralEngine'/],
    [{ providers: [{ name: 'cpu', threads: 2 }] }, /Unknown option "threads" for the cpu provider/],
    [{ providers: ['cpu'], fallback: 'yes' }, /boolean for fallback/],
  ];
  for (const [options, pattern] of bad) {
    await t.throwsAsync(Model.load(tinyModel(), options), { instanceOf: InvalidArgumentError, message: pattern }, JSON.stringify(options));
  }
});

test('cuda runs without TF32 unless asked, so its vectors match the CPU and PyTorch', (t) => {
  const { resolveProviders } = require('../dist/lib/model/providers.js');
  t.deepEqual(resolveProviders(['cuda']), [{ name: 'cuda', options: [['use_tf32', '0']] }]);
  t.deepEqual(resolveProviders([{ name: 'cuda', deviceId: 1, tf32: true }]), [{ name: 'cuda', options: [['device_id', '1'], ['use_tf32', '1']] }]);
  t.deepEqual(resolveProviders([{ name: 'tensorrt', fp16: true }]), [{ name: 'tensorrt', options: [['trt_fp16_enable', '1']] }]);
});
