// Lifetimes that trouble peers: worker_threads, and memory over load/dispose cycles.
import test from 'ava';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const require = createRequire(import.meta.url);
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { Model } = require(workerData.lib);
(async () => {
  const model = await Model.load(workerData.dir);
  const e = await model.encode(workerData.texts, { normalize: true });
  parentPort.postMessage(Array.from(e.data));
  if (workerData.dispose) model.dispose();
})();`;

test('models load and encode inside worker_threads, several at once, and workers can be terminated', async (t) => {
  const dir = tinyModel();
  const texts = ['worker thread one', 'другой поток', '別のスレッド'];
  const main = await sentvec.Model.load(dir);
  const expected = (await main.encode(texts, { normalize: true })).data;
  const run = (dispose) => new Promise((resolve, reject) => {
    const w = new Worker(workerSource, { eval: true, workerData: { lib: require.resolve('..'), dir, texts, dispose } });
    w.once('message', (data) => {
      w.terminate().then(() => resolve(data));
    });
    w.once('error', reject);
  });
  const results = await Promise.all([run(true), run(false), run(true)]);
  for (const r of results) t.true(r.every((v, i) => Math.abs(v - expected[i]) < 1e-6));
  main.dispose();
});

test('memory stays bounded over 40 load → encode → dispose cycles', async (t) => {
  if (/libasan/.test(process.env.LD_PRELOAD ?? '')) {
    return t.pass('under AddressSanitizer freed memory sits in quarantine, so RSS says nothing about leaks');
  }
  const dir = tinyModel();
  const cycle = async () => {
    const m = await sentvec.Model.load(dir);
    await m.encode(['a short text', 'another one with more words in it']);
    m.dispose();
  };
  for (let i = 0; i < 5; i++) await cycle(); // let allocators reach their steady state
  global.gc?.();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 40; i++) await cycle();
  global.gc?.();
  const growth = (process.memoryUsage().rss - before) / 2 ** 20;
  t.log(`RSS growth over 40 cycles: ${growth.toFixed(1)} MiB`);
  t.true(growth < 40, `RSS grew ${growth.toFixed(1)} MiB`);
});
