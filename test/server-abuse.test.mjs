// The server under abuse, as a hostile or careless client would treat it: floods, slow and silent
// senders, and the largest requests the default limits allow on every route. After each, the
// server is still up and /health, polled throughout, answered within 1 s every time. Everything
// goes to 127.0.0.1, and every phase is bounded in requests and in time. The figures (health
// latency, peak RSS) are logged for the Reliability page (docs/reliability.md).
import test from 'ava';
import { fork } from 'node:child_process';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const KEY = 'sk-abuse';
const MiB = 2 ** 20;

async function startServer(t) {
  const child = fork(join(here, 'helpers/abuse-server.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const next = () => new Promise((resolve, reject) => {
    child.once('message', resolve);
    exited.then((e) => reject(new Error(`the server exited: ${JSON.stringify(e)}`)));
  });
  const { url } = await next();
  t.teardown(() => { if (child.connected) child.kill(); });
  return {
    url,
    exited,
    memory: () => { child.send('memory'); return next(); },
    stop: () => { child.send('stop'); return exited; },
  };
}

// Polls /health every 100 ms until stop() and reports the slowest answer (or any failure).
function watchHealth(url) {
  let running = true;
  const latencies = [];
  const failures = [];
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
        await r.json();
        if (r.status !== 200) failures.push(`status ${r.status}`);
      } catch (error) {
        failures.push(String(error));
      }
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    running = false;
    await done;
    return { worst: Math.max(...latencies), probes: latencies.length, failures };
  };
}

const post = (url, path, body, headers = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  }).then(async (r) => ({ status: r.status, body: await r.text() }));

// A POST that announces `announce` bytes, sends `first`, then one byte every `everyMs` (never, if 0).
function trickle(url, { announce, first, everyMs = 0 }) {
  const u = new URL(url);
  const req = http.request({ host: u.hostname, port: u.port, path: '/v1/embeddings', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'content-length': String(announce) } });
  req.on('error', () => {});
  req.on('response', (res) => res.resume());
  req.write(first);
  const timer = everyMs > 0 ? setInterval(() => req.write(' '), everyMs) : undefined;
  return () => { clearInterval(timer); req.destroy(); };
}

// 8,000 characters of words: 2,048 of them fill a 16 MiB body (the default bodyLimit).
const words = (i, chars) => `text ${i}: ${'lorem ipsum dolor sit amet consectetur '.repeat(Math.ceil(chars / 39))}`.slice(0, chars);

test.serial('floods, slow and silent senders and maximal requests on every route: the server stays up and /health answers within 1 s', async (t) => {
  t.timeout(120_000);
  const server = await startServer(t);
  const { url } = server;
  const phase = async (name, run) => {
    const stop = watchHealth(url);
    const started = performance.now();
    const result = await run();
    const seconds = (performance.now() - started) / 1000;
    const health = await stop();
    const { peakRss } = await server.memory();
    t.log(`${name}: ${seconds.toFixed(1)} s, /health worst ${health.worst.toFixed(0)} ms over ${health.probes} probes, peak RSS ${(peakRss / MiB).toFixed(0)} MiB`);
    t.deepEqual(health.failures, [], `${name}: /health failed`);
    t.true(health.worst < 1000, `${name}: /health took ${health.worst.toFixed(0)} ms`);
    return result;
  };
  t.log(`started: peak RSS ${((await server.memory()).peakRss / MiB).toFixed(0)} MiB`);

  // A flood: 64 clients sending as fast as they are answered for 2 s, one request in five
  // unauthenticated and one in five malformed.
  const flood = await phase('flood, 64 clients for 2 s', async () => {
    const statuses = { valid: [], unauthenticated: [], malformed: [] };
    const until = performance.now() + 2000;
    await Promise.all(Array.from({ length: 64 }, async (_, c) => {
      for (let i = 0; performance.now() < until; i++) {
        const kind = (c + i) % 5 === 3 ? 'unauthenticated' : (c + i) % 5 === 4 ? 'malformed' : 'valid';
        const r = kind === 'unauthenticated'
          ? await post(url, '/v1/embeddings', { input: 'x' }, { authorization: 'Bearer wrong' })
          : await post(url, '/v1/embeddings', kind === 'malformed' ? '{"input": [' : { input: `flood request ${c} ${i}` });
        statuses[kind].push(r.status);
      }
    }));
    return statuses;
  });
  t.log(`flood: ${flood.valid.length + flood.unauthenticated.length + flood.malformed.length} requests answered`);
  t.true(flood.valid.every((s) => s === 200 || s === 429), JSON.stringify(flood.valid));
  t.true(flood.valid.some((s) => s === 200));
  t.true(flood.unauthenticated.every((s) => s === 401));
  t.true(flood.malformed.every((s) => s === 400));

  // Silent senders (16 MiB announced, 12 bytes sent) and slow ones (a byte every 100 ms): an
  // honest request beside them is answered, a large one too.
  await phase('50 silent + 50 slow senders', async () => {
    const silent = Array.from({ length: 50 }, () => trickle(url, { announce: 16 * MiB, first: '{"input": "x' }));
    await new Promise((r) => setTimeout(r, 500));
    const slow = Array.from({ length: 50 }, () => trickle(url, { announce: 1000, first: '{"input": "', everyMs: 100 }));
    await new Promise((r) => setTimeout(r, 1000));
    const small = await post(url, '/v1/embeddings', { input: 'an honest request' });
    const large = await post(url, '/v1/embeddings', { input: Array.from({ length: 100 }, (_, i) => words(i, 80_000)) });
    [...slow, ...silent].forEach((close) => close());
    t.is(small.status, 200, small.body);
    t.is(large.status, 200, large.body.slice(0, 300));
  });

  // The largest legal requests: 16 MiB bodies (bodyLimit) of 2,048 inputs (maxInputs) of 8,000
  // characters, or of 167 inputs of 100,000 characters (maxInputChars).
  const many = { input: Array.from({ length: 2048 }, (_, i) => words(i, 8000)) };
  const long = { input: Array.from({ length: 167 }, (_, i) => words(i, 100_000)) };
  t.true(JSON.stringify(many).length <= 16 * MiB && JSON.stringify(long).length <= 16 * MiB);
  const embedded = await phase('/v1/embeddings 2,048 × 8,000 characters (16 MiB)', () => post(url, '/v1/embeddings', many));
  t.is(embedded.status, 200, embedded.body.slice(0, 300));
  t.is(JSON.parse(embedded.body).data.length, 2048);
  const embeddedLong = await phase('/v1/embeddings 167 × 100,000 characters (16 MiB)', () => post(url, '/v1/embeddings', long));
  t.is(embeddedLong.status, 200, embeddedLong.body.slice(0, 300));
  const tokenized = await phase('/tokenize 2 × (2,048 × 8,000 characters) at once', () => Promise.all([
    post(url, '/tokenize', { inputs: many.input }),
    post(url, '/tokenize', { inputs: long.input }),
  ]));
  for (const r of tokenized) t.is(r.status, 200, r.body.slice(0, 300));
  t.is(JSON.parse(tokenized[0].body).length, 2048);
  const tooLong = await post(url, '/tokenize', { inputs: ['x'.repeat(100_001)] });
  t.is(tooLong.status, 413);

  // /v1/search: 2,048 queries × top_k 1,000 over 4 KB passages would be 8 GB of answer.
  const queries = Array.from({ length: 2048 }, (_, i) => `query ${i}`);
  const searched = await phase('/v1/search 2,048 queries × top_k 1,000', () => Promise.all([
    post(url, '/v1/search', { query: queries, top_k: 1000 }),
    post(url, '/v1/search', { query: queries, top_k: 1000, include: [] }),
  ]));
  for (const r of searched) {
    t.is(r.status, 413, r.body.slice(0, 300));
    t.is(JSON.parse(r.body).error.code, 'response_too_large');
  }
  const fits = await phase('/v1/search 2,048 queries × top_k 5 with texts', () => post(url, '/v1/search', { query: queries, top_k: 5 }));
  t.is(fits.status, 200, fits.body.slice(0, 300));

  const health = await fetch(`${url}/health`);
  t.is(health.status, 200);
  t.deepEqual(await server.stop(), { code: 0, signal: null });
});
