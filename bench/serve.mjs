// Serving throughput: load from this process (autocannon) against `sentvec serve` in another,
// single-sentence requests from the parity corpus's length mix, 1 / 8 / 64 concurrent clients.
//   npm run bench -- serve [--models tiny,mpnet-base-twin --duration 10 --clients 1,8,64 --in-flight 1]
// Ratios, measured in the same run: server at 64 clients ÷ offline encode() of the same texts in
// batches of 64; coalescing server ÷ a naive server (bench/naive-server.mjs) at 64 clients.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parityCorpus } from '../test/fixtures/parity-corpus.mjs';
import { MODELS } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { Model } = createRequire(import.meta.url)('..');


export function startServer(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const m = stderr.match(/on (http:\/\/\S+)/);
      if (m) {
        clearInterval(poll);
        resolve({ url: m[1], stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) });
      }
    }, 20);
    child.once('exit', (code) => { clearInterval(poll); reject(new Error(`server exited (${code}): ${stderr}`)); });
  });
}

function load(url, texts, connections, duration) {
  return new Promise((resolve, reject) => {
    autocannon({
      url: `${url}/v1/embeddings`, connections, duration, method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: texts.map((input) => ({ method: 'POST', body: JSON.stringify({ input, encoding_format: 'base64' }) })),
    }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function loopDelay(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(text.match(/^sentvec_event_loop_delay_p99_seconds (\S+)/m)?.[1] ?? NaN) * 1000;
}

export async function run(args) {
  const { values } = parseArgs({ args, options: {
    models: { type: 'string', default: 'tiny,mpnet-base-twin' }, duration: { type: 'string', default: '10' },
    clients: { type: 'string', default: '1,8,64' }, 'in-flight': { type: 'string', default: '1' },
  } });
  const duration = Number(values.duration);
  const texts = parityCorpus.filter((t) => t.trim().length > 0 && t.length < 400).slice(0, 512);
  const rows = [];
  const targets = [];
  for (const name of values.models.split(',')) {
    const dir = MODELS[name]();
    const model = await Model.load(dir, { scheduler: false });
    await model.encode(texts.slice(0, 64), { batchSize: 64 });
    let t0 = performance.now();
    await model.encode(texts, { batchSize: 64 });
    const offline = texts.length / ((performance.now() - t0) / 1000);
    model.dispose();
    const row = { model: name, 'offline encode texts/s': +offline.toFixed(1) };
    for (const inFlight of values['in-flight'].split(',')) {
      const server = await startServer([join(here, '../bin/sentvec.js'), 'serve', '--model', dir, '--port', '0', '--max-in-flight', inFlight]);
      for (const clients of values.clients.split(',').map(Number)) {
        await loopDelay(server.url);
        const r = await load(server.url, texts, clients, duration);
        const lag = await loopDelay(server.url);
        const key = `${clients} clients${values['in-flight'].includes(',') ? ` (in-flight ${inFlight})` : ''}`;
        row[`${key} req/s`] = +r.requests.average.toFixed(1);
        row[`${key} p50 ms`] = r.latency.p50;
        row[`${key} p99 ms`] = r.latency.p99;
        row[`${key} loop p99 ms`] = +lag.toFixed(1);
        if (r.non2xx || r.errors) row[`${key} errors`] = r.non2xx + r.errors;
        if (clients === 64) row['64 clients ÷ offline'] = +(r.requests.average / offline).toFixed(2);
      }
      await server.stop();
    }
    if (values.clients.split(',').includes('64')) {
      const naive = await startServer([join(here, 'naive-server.mjs'), dir]);
      const r = await load(naive.url, texts, 64, duration);
      await naive.stop();
      row['naive 64 clients req/s'] = +r.requests.average.toFixed(1);
      const ours = Object.entries(row).find(([k]) => k.startsWith('64 clients') && k.endsWith('req/s'))[1];
      row['coalescing ÷ naive'] = +(ours / r.requests.average).toFixed(2);
    }
    if (row['64 clients ÷ offline'] !== undefined) targets.push({ name: `serve 64 clients ≥ 0.9× offline encode (${name})`, value: row['64 clients ÷ offline'], goal: 0.9 });
    if (row['coalescing ÷ naive'] !== undefined) // Batching saves no arithmetic on a few CPU cores: a GPU-check target, not a CPU one.
    if (row['coalescing ÷ naive'] !== undefined) targets.push({ name: `coalescing ≥ 3× naive server at 64 clients (${name})`, value: row['coalescing ÷ naive'], goal: 3, kind: 'gpu' });
    console.log(row);
    rows.push(row);
  }
  for (const row of rows) console.table(Object.entries(row).map(([metric, value]) => ({ metric, value })));
  return { rows, targets };
}
