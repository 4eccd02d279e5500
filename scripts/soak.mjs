#!/usr/bin/env node
// Soak: repeats model load → encode → dispose cycles, then serves HTTP requests, sampling RSS,
// and fits a line to RSS after the warm-up: the slope (bytes per cycle, per request) is what a
// leak would show. Exits 1 when a slope passes its limit.
//   node --expose-gc scripts/soak.mjs [--cycles 10000] [--requests 100000] [--json]
// The full run is `npm run soak`; test/soak.test.mjs runs a bounded one in CI. Run with
// MALLOC_ARENA_MAX=1 to see leaks alone: with glibc's default per-thread arenas, RSS also grows
// in steps as ONNX Runtime's threads come and go with each model (fragmentation, not a leak).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { ensureModel } from './model/generate.mjs';

const require = createRequire(import.meta.url);
const { Model } = require('..');
const { createServer } = require('../dist/lib/server/index.js');
const { values } = parseArgs({ options: {
  cycles: { type: 'string', default: '10000' }, requests: { type: 'string', default: '100000' },
  concurrency: { type: 'string', default: '32' }, json: { type: 'boolean', default: false },
  'cycle-limit': { type: 'string', default: '1024' }, 'request-limit': { type: 'string', default: '64' },
} });
const cycles = Number(values.cycles);
const requests = Number(values.requests);
const gc = () => global.gc?.();
const rss = () => process.memoryUsage().rss;

// Least-squares slope of y over x.
function slope(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const dir = ensureModel('tiny');
const report = {};

if (cycles > 0) {
  const warmup = Math.floor(cycles / 3); // the allocators' and V8's steady state comes first
  const points = [];
  const started = performance.now();
  for (let i = 0; i < cycles; i++) {
    const model = await Model.load(dir);
    await model.encode(['a short text', 'another one with more words in it']);
    model.dispose();
    if (i >= warmup && (i - warmup) % Math.max(1, Math.floor((cycles - warmup) / 50)) === 0) {
      gc();
      points.push([i, rss()]);
    }
  }
  if (process.env.SOAK_TRACE) console.error(points.map(([i, r]) => `${i}:${(r / 2 ** 20).toFixed(1)}`).join(' '));
  report.cycles = { count: cycles, seconds: (performance.now() - started) / 1000, rssMiB: points.at(-1)[1] / 2 ** 20,
    slopeBytesPerCycle: slope(points), limit: Number(values['cycle-limit']) };
}

if (requests > 0) {
  const model = await Model.load(dir, { spinning: false });
  const app = await createServer(model, {});
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/v1/embeddings`;
  const body = JSON.stringify({ input: ['the soak test sends this text', 'and this one'] });
  const warmup = Math.floor(requests / 3);
  const points = [];
  const statuses = {};
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < requests) {
      const i = sent++;
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (i >= warmup && (i - warmup) % Math.max(1, Math.floor((requests - warmup) / 50)) === 0) {
        gc();
        points.push([i, rss()]);
      }
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  const seconds = (performance.now() - started) / 1000;
  await app.close();
  model.dispose();
  if (process.env.SOAK_TRACE) console.error(points.map(([i, r]) => `${i}:${(r / 2 ** 20).toFixed(1)}`).join(' '));
  report.requests = { count: requests, seconds, perSecond: requests / seconds, statuses, rssMiB: points.at(-1)[1] / 2 ** 20,
    slopeBytesPerRequest: slope(points), limit: Number(values['request-limit']) };
}

const failed = (report.cycles && report.cycles.slopeBytesPerCycle > report.cycles.limit) ||
  (report.requests && (report.requests.slopeBytesPerRequest > report.requests.limit || Object.keys(report.requests.statuses).some((s) => s !== '200')));
if (values.json) {
  console.log(JSON.stringify(report));
} else {
  if (report.cycles) console.log(`load/encode/dispose: ${report.cycles.count} cycles in ${report.cycles.seconds.toFixed(0)} s; RSS ${report.cycles.rssMiB.toFixed(0)} MiB; slope ${report.cycles.slopeBytesPerCycle.toFixed(0)} B/cycle (limit ${report.cycles.limit})`);
  if (report.requests) console.log(`server: ${report.requests.count} requests in ${report.requests.seconds.toFixed(0)} s (${report.requests.perSecond.toFixed(0)}/s), statuses ${JSON.stringify(report.requests.statuses)}; RSS ${report.requests.rssMiB.toFixed(0)} MiB; slope ${report.requests.slopeBytesPerRequest.toFixed(1)} B/request (limit ${report.requests.limit})`);
}
process.exit(failed ? 1 : 0);
