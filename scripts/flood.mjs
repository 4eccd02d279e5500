#!/usr/bin/env node
// Flood probe: `sentvec serve`'s server (createServer, default options) in this process, and a
// client process that sends N concurrent requests of M MB each (inputs of 100,000 characters,
// the per-input limit). Reports the answers, RSS (peak and after) and the latency of /health,
// polled every 5 ms throughout: what admission by bytes is for.
//   node scripts/flood.mjs [N = 200] [M = 14]
import { fork } from 'node:child_process';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ensureModel } from './model/generate.mjs';

if (process.argv[2] === 'client') {
  const [url, n, mb] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
  const text = 'word '.repeat(20000);
  const body = JSON.stringify({ input: Array.from({ length: Math.floor((mb * 2 ** 20) / text.length) }, () => text) });
  const statuses = {};
  const count = (key) => { statuses[key] = (statuses[key] ?? 0) + 1; };
  await Promise.all(Array.from({ length: n }, () => fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    .then(async (r) => { await r.arrayBuffer(); count(r.status); }, (e) => count(e.cause?.code ?? e.message))));
  process.send(statuses);
  process.exit(0);
}

const require = createRequire(import.meta.url);
const { Model } = require('..');
const { createServer } = require('../dist/lib/server/index.js');
const [n, mb] = [Number(process.argv[2] ?? 200), Number(process.argv[3] ?? 14)];
const model = await Model.load(ensureModel('tiny'), { spinning: false });
const app = await createServer(model, {});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
let peak = process.memoryUsage().rss;
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let gcMax = 0;
const gcs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration); });
gcs.observe({ entryTypes: ['gc'] });
let stop = false;
const health = [];
const poll = (async () => {
  while (!stop) {
    const t0 = performance.now();
    await fetch(`${url}/health`).then((r) => r.arrayBuffer());
    health.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
})();
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
const child = fork(fileURLToPath(import.meta.url), ['client', url, String(n), String(mb)]);
const statuses = await new Promise((r) => child.once('message', r));
stop = true;
clearInterval(sampler);
loop.disable();
gcs.disconnect();
await poll;
health.sort((a, b) => a - b);
const q = (p) => health[Math.min(health.length - 1, Math.floor(health.length * p))].toFixed(1);
console.log(`${n} × ${mb} MB requests: ${Object.entries(statuses).map(([k, v]) => `${v} × ${k}`).join(', ')}; RSS peak ${(peak / 2 ** 20).toFixed(0)} MiB, after ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; /health (${health.length} polls) p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${health.at(-1).toFixed(1)} ms; event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(0)} ms; longest GC pause ${gcMax.toFixed(0)} ms`);
await app.close();
model.dispose();
