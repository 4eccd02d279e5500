// Ending a worker_threads worker while sentvec calls are in flight must not take the process down:
// Node completes that work during the worker's teardown, when JavaScript can no longer run.
// Each case runs in a child process, so that an abort fails the test instead of ava.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tinyModel } from './helpers/models.mjs';

const require = createRequire(import.meta.url);
const lib = require.resolve('..');

// In the worker: start the calls of `kind` and tell the parent; the parent then ends the worker
// after `delay` ms, by terminate() or by process.exit() inside it.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { Model, Index } = require(workerData.lib);
const ignore = () => {};
(async () => {
  const { kind, dir } = workerData;
  const texts = Array.from({ length: 300 }, (_, i) => 'a sentence to embed, number ' + i);
  if (kind === 'load') {
    Model.load(dir).catch(ignore);
  } else if (kind === 'index') {
    const index = new Index({ dimension: 64 });
    const vectors = Float32Array.from({ length: 64 * 20000 }, Math.random);
    index.add(vectors).catch(ignore);
    index.search([vectors.subarray(0, 64), vectors.subarray(64, 128)], { topK: 5 }).catch(ignore);
    index.save(workerData.file).catch(ignore);
    index.remove([1, 2, 3]).catch(ignore);
  } else {
    const model = await Model.load(dir);
    if (kind === 'encode') model.encode(texts).catch(ignore);
    if (kind === 'tokenize') model.tokenize(texts).catch(ignore);
    if (kind === 'encodeTokens') model.encodeTokens([[0, 5, 6, 2], [0, 7, 2]]).catch(ignore);
    if (kind === 'scheduled') for (let i = 0; i < 50; i++) model.encode('small ' + i).catch(ignore);
    if (kind === 'dispose') { model.encode(texts).catch(ignore); model.dispose(); }
    // JavaScript calling into the addon at the moment the worker is terminated (the scheduler's
    // own calls, and the caller's): their errors cannot be thrown into JavaScript any more.
    if (kind === 'busy') {
      const spin = () => { model.encode('busy ' + Math.random()).catch(ignore); model.tokenize('x').catch(ignore); setImmediate(spin); };
      spin();
    }
  }
  parentPort.postMessage('started');
  if (workerData.exit) setTimeout(() => process.exit(0), workerData.delay);
})();`;

const parentSource = `
const { Worker } = require('node:worker_threads');
const [lib, dir, file] = process.argv.slice(1);
const kinds = ['encode', 'tokenize', 'encodeTokens', 'scheduled', 'dispose', 'load', 'index', 'busy', 'busy', 'busy'];
(async () => {
  let ended = 0;
  for (const kind of kinds) {
    for (const delay of [0, 1, 5, 20]) {
      for (const exit of [false, true]) {
        // The case in flight, for the failure message should the process die by a signal.
        process.stderr.write('worker ' + kind + ' ' + (exit ? 'process.exit()' : 'terminate()') + ' after ' + delay + ' ms\\n');
        await new Promise((resolve, reject) => {
          const w = new Worker(${JSON.stringify(workerSource)}, { eval: true, workerData: { lib, dir, kind, delay, exit, file } });
          w.once('message', () => { if (!exit) setTimeout(() => w.terminate(), delay); });
          w.once('error', reject);
          w.once('exit', () => { ended++; resolve(); });
        });
      }
    }
  }
  console.log('workers ended: ' + ended);
})();`;

test('terminating a worker (or process.exit() in it) with any call in flight leaves the process running', (t) => {
  const dir = tinyModel();
  const file = `${process.env.TMPDIR ?? '/tmp'}/sentvec-teardown-${process.pid}.svi`;
  const child = spawnSync(process.execPath, ['-e', parentSource, lib, dir, file], { encoding: 'utf8', timeout: 240_000 });
  t.log(child.stdout.trim());
  // stderr ends with the case that was running (its 'worker …' line) and whatever Node printed.
  t.is(child.signal, null, `child killed by ${child.signal}: ${child.stderr.slice(-2000)}`);
  t.is(child.status, 0, child.stderr.slice(-2000));
  t.regex(child.stdout, /workers ended: 80/);
});
