import test from 'ava';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { fakeStore } from './helpers/fake-store.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { Model } = sentvec;
const { createServer } = server;
const maxDelta = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

async function start(t, serverOptions = {}, loadOptions = {}) {
  const model = await Model.load(tinyModel(), loadOptions);
  const app = await createServer(model, { apiKey: 'sk-test', ...serverOptions });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
  });
  const post = (path, body, headers = {}) => fetch(`${url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { model, url, post, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 }) };
}

test('the openai client gets the same vectors as model.encode, base64 (its default) and float', async (t) => {
  const { model, client } = await start(t);
  const texts = ['The train leaves at seven.', '電車は七時に出発します。', 'Il pleut.'];
  const want = await model.encode(texts, { normalize: true });
  const single = await client.embeddings.create({ model: 'sentvec', input: texts[0] });
  t.is(single.object, 'list');
  t.is(single.data.length, 1);
  t.is(single.data[0].index, 0);
  t.true(maxDelta(single.data[0].embedding, want.get(0)) < 1e-6);
  const batch = await client.embeddings.create({ model: 'sentvec', input: texts, encoding_format: 'float' });
  t.deepEqual(batch.data.map((d) => d.index), [0, 1, 2]);
  batch.data.forEach((d, i) => t.true(maxDelta(d.embedding, want.get(i)) < 1e-6));
  const tokens = (await model.tokenize(texts)).reduce((n, x) => n + x.ids.length, 0);
  t.deepEqual(batch.usage, { prompt_tokens: tokens, total_tokens: tokens });
  t.is(batch.model, 'sentvec');
});

test('dimensions truncates (Matryoshka) and renormalizes', async (t) => {
  const { model, client } = await start(t);
  const full = await model.encode('shorter vectors please', { normalize: true });
  const r = await client.embeddings.create({ model: 'm', input: 'shorter vectors please', dimensions: 8 });
  const v = r.data[0].embedding;
  t.is(v.length, 8);
  const head = Array.from(full.get(0).slice(0, 8));
  const n = Math.hypot(...head);
  t.true(maxDelta(v, head.map((x) => x / n)) < 1e-6);
  await t.throwsAsync(client.embeddings.create({ model: 'm', input: 'x', dimensions: 33 }), { instanceOf: OpenAI.BadRequestError, message: /'dimensions' must be an integer from 1 to 32/ });
});

test('token id input (one array or several) embeds like the text', async (t) => {
  const { model, client } = await start(t);
  const tok = await model.tokenize('token input works');
  const pieces = Array.from(tok.ids.slice(1, -1));
  const want = await model.encode('token input works', { normalize: true });
  const r = await client.embeddings.create({ model: 'm', input: pieces, encoding_format: 'float' });
  t.true(maxDelta(r.data[0].embedding, want.get(0)) < 1e-6, 'unframed ids are framed with <s> … </s>');
  const r2 = await client.embeddings.create({ model: 'm', input: [Array.from(tok.ids), pieces], encoding_format: 'float' });
  t.true(maxDelta(r2.data[0].embedding, r2.data[1].embedding) < 1e-6, 'framed ids are used as they are');
  await t.throwsAsync(client.embeddings.create({ model: 'm', input: [1, 999999] }), { instanceOf: OpenAI.BadRequestError, message: /not a token id/ });
});

test('errors have OpenAI\'s shape: malformed JSON, wrong types, empty input, bad format', async (t) => {
  const { post } = await start(t);
  const cases = [
    ['{"input": ', 400, null],
    [{ input: 5 }, 400, 'input'],
    [{ input: [] }, 400, 'input'],
    [{ input: ['ok', 7] }, 400, 'input[1]'],
    [{ input: 'x', encoding_format: 'hex' }, 400, 'encoding_format'],
    [{ input: 'x', truncate: 'yes' }, 400, 'truncate'],
    [[1, 2], 400, null],
  ];
  for (const [body, status, param] of cases) {
    const r = await post('/v1/embeddings', body);
    t.is(r.status, status, JSON.stringify(body));
    const json = await r.json();
    t.deepEqual(Object.keys(json.error).sort(), ['code', 'message', 'param', 'type']);
    t.is(json.error.type, 'invalid_request_error');
    t.is(json.error.param, param);
    t.true(json.error.message.length > 10);
  }
});

test('authentication: a missing or wrong key is 401; /health needs none', async (t) => {
  const { url, post } = await start(t);
  const wrong = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
  const err = await t.throwsAsync(wrong.embeddings.create({ model: 'm', input: 'x' }), { instanceOf: OpenAI.AuthenticationError });
  t.is(err.status, 401);
  t.is((await post('/v1/embeddings', { input: 'x' }, { authorization: '' })).status, 401);
  t.is((await fetch(`${url}/health`)).status, 200);
});

test('limits: inputs per request, characters per input, body size → 400 / 413', async (t) => {
  const { post } = await start(t, { maxInputs: 3, maxInputChars: 50, bodyLimit: 2000 });
  let r = await post('/v1/embeddings', { input: ['a', 'b', 'c', 'd'] });
  t.is(r.status, 400);
  t.is((await r.json()).error.code, 'too_many_inputs');
  r = await post('/v1/embeddings', { input: 'x'.repeat(51) });
  t.is(r.status, 413);
  t.is((await r.json()).error.code, 'input_too_large');
  r = await post('/v1/embeddings', { input: ['y'.repeat(3000)] });
  t.is(r.status, 413);
  t.is((await r.json()).error.code, 'request_too_large');
});

test('/tokenize applies the embedding routes\' input checks: characters per input (413), lone surrogates and NUL (400)', async (t) => {
  const { post } = await start(t, { maxInputChars: 50 });
  let r = await post('/tokenize', { inputs: ['fine', 'x'.repeat(51)] });
  t.is(r.status, 413);
  let { error } = await r.json();
  t.is(error.code, 'input_too_large');
  t.is(error.param, 'inputs[1]');
  r = await post('/tokenize', { inputs: 'x'.repeat(51) });
  t.is(r.status, 413);
  r = await post('/tokenize', '{"inputs": ["ok", "\\ud800 lone"]}');
  t.is(r.status, 400);
  ({ error } = await r.json());
  t.is(error.param, 'inputs[1]');
  t.is((await post('/tokenize', { inputs: 'nul\u0000inside' })).status, 400);
  t.is((await post('/tokenize', { inputs: 'x'.repeat(50) })).status, 200);
});

test('a full queue answers 429 with Retry-After instead of growing', async (t) => {
  const { post } = await start(t, {}, { scheduler: { maxQueuedTokens: 30, maxInFlight: 1, maxWaitMicros: 200000 } });
  const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => post('/v1/embeddings', { input: `request ${i} with several words in it` })));
  const statuses = responses.map((r) => r.status);
  t.true(statuses.includes(200));
  t.true(statuses.includes(429));
  const limited = responses.find((r) => r.status === 429);
  t.is(limited.headers.get('retry-after'), '1');
  t.is((await limited.json()).error.type, 'rate_limit_error');
});

test('over-long inputs are truncated and counted, or refused when truncate is false', async (t) => {
  const { post } = await start(t);
  const long = 'word '.repeat(400);
  let r = await post('/v1/embeddings', { input: ['short', long] });
  t.is(r.status, 200);
  t.is(r.headers.get('x-sentvec-truncated-inputs'), '1');
  r = await post('/v1/embeddings', { input: long, truncate: false });
  t.is(r.status, 413);
  const json = await r.json();
  t.is(json.error.code, 'context_length_exceeded');
  t.is(json.error.param, 'input[0]');
  r = await post('/embed', { inputs: long });
  t.is(r.status, 413, 'TEI-style /embed refuses by default');
  r = await post('/embed', { inputs: long, truncate: true });
  t.is(r.status, 200);
});

test('/embed, /tokenize, /health and /metrics', async (t) => {
  const { model, url, post } = await start(t);
  const want = await model.encode(['alpha beta', 'gamma'], { normalize: true });
  const embed = await (await post('/embed', { inputs: ['alpha beta', 'gamma'] })).json();
  t.is(embed.length, 2);
  t.true(maxDelta(embed[1], want.get(1)) < 1e-6);
  const raw = await (await post('/embed', { inputs: 'gamma', normalize: false })).json();
  t.true(Math.abs(Math.hypot(...raw[0]) - 1) > 1e-3, 'normalize: false keeps the raw pooled vector');
  const tokens = await (await post('/tokenize', { inputs: 'Hello <mask>' })).json();
  t.deepEqual(tokens[0].map((x) => x.id), Array.from((await model.tokenize('Hello <mask>')).ids));
  t.deepEqual(tokens[0].filter((x) => x.special).map((x) => x.text), ['<s>', '<mask>', '</s>']);
  const health = await (await fetch(`${url}/health`)).json();
  t.is(health.status, 'ok');
  t.is(health.dimension, 32);
  const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer sk-test' } })).text();
  for (const name of ['sentvec_requests_total', 'sentvec_errors_total', 'sentvec_batch_size_bucket', 'sentvec_batch_tokens_bucket', 'sentvec_queue_depth', 'sentvec_request_duration_seconds_bucket', 'sentvec_event_loop_delay_p99_seconds']) {
    t.true(metrics.includes(name), name);
  }
  t.regex(metrics, /sentvec_requests_total\{route="\/embed",status="200"\} 2/);
});

test('two servers on one model: closing the first leaves the second\'s batch metrics counting', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  const first = await createServer(model);
  const second = await createServer(model);
  const url = await second.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => second.close());
  await first.close();
  const r = await fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input": ["one", "two"]}' });
  t.is(r.status, 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  t.regex(metrics, /^sentvec_batch_size_count [1-9]/m);
  t.regex(metrics, /^sentvec_batch_size_sum 2$/m);
});

test('a failing store or an unexpected error tells the client nothing internal: no socket path, host or table', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  let failure;
  const store = { dimension: model.dimension, search: async () => { throw failure; } };
  const app = await createServer(model, { store });
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const search = () => fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "x"}' });
  failure = new sentvec.StoreConnectionError('connect ENOENT /var/run/secret-cluster/.s.PGSQL.5432');
  let r = await search();
  t.is(r.status, 503);
  let body = await r.json();
  t.is(body.error.code, 'store_unavailable');
  t.notRegex(body.error.message, /secret-cluster|PGSQL|ENOENT/);
  failure = new Error('relation "private_schema.passages" does not exist (/srv/sentvec/data)');
  r = await search();
  t.is(r.status, 500);
  body = await r.json();
  t.is(body.error.type, 'server_error');
  t.notRegex(body.error.message, /private_schema|\/srv\//);
  t.regex(body.error.message, /log/);
  await t.throwsAsync(createServer(model, { logger: 'all' }), { instanceOf: sentvec.InvalidArgumentError, message: /true, false or 'errors' for logger/ });
});

test('/v1/search bounds its answer by bytes (413 response_too_large, naming the limit) and asks the store a page at a time', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  const store = fakeStore(model.dimension);
  const app = await createServer(model, { store, maxResponseBytes: 8 << 20 });
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const search = (body) => fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // 20 queries × 1000 results × 4 KB = 80 MB of answer against a limit of 8 MiB.
  const queries = Array.from({ length: 20 }, (_, i) => `query ${i}`);
  let r = await search({ query: queries, top_k: 1000 });
  t.is(r.status, 413);
  const { error } = await r.json();
  t.is(error.code, 'response_too_large');
  t.regex(error.message, /maxResponseBytes/);
  t.true(store.rowsAsked <= 8000, `the store was asked for ${store.rowsAsked} rows before the refusal`);
  t.true(store.largestCall <= 4096, `one store call asked for ${store.largestCall} rows`);
  // Within the limit: the same answer as one call would give, in order, ids, scores and texts.
  store.rowsAsked = 0;
  r = await search({ query: queries, top_k: 50, include: ['text', 'metadata'], model: 'm' });
  t.is(r.status, 200);
  t.regex(r.headers.get('content-type'), /^application\/json/);
  const body = await r.json();
  t.deepEqual(Object.keys(body), ['object', 'data', 'model', 'usage']);
  t.is(body.model, 'm');
  t.is(body.data.length, 20);
  t.deepEqual(body.data.map((d) => d.index), queries.map((_, i) => i));
  t.is(body.data[7].results.length, 50);
  t.deepEqual(body.data[7].results[3], { id: 10, score: Math.fround(1 - 3 / 50), text: `passage 10 `.padEnd(4096, 'lorem ipsum '), metadata: { n: 10 } });
  t.is(store.rowsAsked, 1000);
  await t.throwsAsync(createServer(model, { store, maxResponseBytes: 100 }), { instanceOf: sentvec.InvalidArgumentError, message: /1,024 to 268,435,456 for maxResponseBytes/ });
});

test('CORS is off by default and on when asked', async (t) => {
  const off = await start(t);
  const r1 = await fetch(`${off.url}/health`, { headers: { origin: 'https://example.org' } });
  t.is(r1.headers.get('access-control-allow-origin'), null);
  const on = await start(t, { cors: 'https://example.org' });
  const r2 = await fetch(`${on.url}/health`, { headers: { origin: 'https://example.org' } });
  t.is(r2.headers.get('access-control-allow-origin'), 'https://example.org');
});

test('SIGTERM shortly after 200 requests: each completes or gets a clean 503, none is reset, and the process exits 0', async (t) => {
  const child = spawn(process.execPath, [join(root, 'bin/sentvec.js'), 'serve', '--model', tinyModel(), '--port', '0', '--max-wait-us', '20000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  while (!/on (http:\/\/\S+)/.test(stderr)) await new Promise((r) => setTimeout(r, 20));
  const url = new URL(stderr.match(/on (http:\/\/\S+)/)[1]);
  // One connection per request (no keep-alive): those still in the kernel's queue at SIGTERM
  // would be reset if the listener closed at once.
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const body = JSON.stringify({ input: Array.from({ length: 20 }, (_, i) => `in flight ${i} ${'words '.repeat(i)}`) });
  const requests = Array.from({ length: 200 }, () => new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/v1/embeddings', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(data) }));
    });
    req.on('error', (error) => resolve({ error: error.code }));
    req.end(body);
  }));
  await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  const results = await Promise.all(requests);
  t.is(await exited, 0, stderr);
  const count = (f) => results.filter(f).length;
  t.log(`200: ${count((r) => r.status === 200)}, 503: ${count((r) => r.status === 503)}, errors: ${count((r) => r.error)}`);
  t.deepEqual(results.filter((r) => r.error), [], 'no connection was reset');
  for (const r of results) {
    if (r.status === 200) t.is(r.body.data.length, 20);
    else {
      t.is(r.status, 503);
      t.deepEqual(r.body.error.code, 'shutting_down');
    }
  }
  t.regex(stderr, /SIGTERM: finishing requests in flight/);
});

test('an empty API key is refused instead of turning authentication off; the Bearer scheme is case-insensitive', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  await t.throwsAsync(createServer(model, { apiKey: '' }), { instanceOf: sentvec.InvalidArgumentError, message: /non-empty string for apiKey/ });
  await t.throwsAsync(createServer(model, { maxInputs: 0 }), { instanceOf: sentvec.InvalidArgumentError, message: /from 1 to 1,000,000 for maxInputs but received 0/ });
  await t.throwsAsync(createServer(model, { drainTimeout: 5 }), { instanceOf: sentvec.InvalidArgumentError, message: /Unknown option "drainTimeout"/ });
  const { post } = await start(t);
  for (const authorization of ['bearer sk-test', 'BEARER   sk-test', 'Bearer sk-test']) {
    t.is((await post('/v1/embeddings', { input: 'x' }, { authorization })).status, 200, authorization);
  }
  t.is((await post('/v1/embeddings', { input: 'x' }, { authorization: 'Basic sk-test' })).status, 401);
  const child = spawn(process.execPath, [join(root, 'bin/sentvec.js'), 'serve', '--model', tinyModel(), '--api-key', ''], { encoding: 'utf8' });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  t.is(await new Promise((r) => child.on('exit', r)), 2);
  t.regex(stderr, /--api-key is empty/);
});

test('an API key a header cannot carry (non-ASCII, a space at an end) is refused at start, not left never to match', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  for (const apiKey of ['clé-secrète', 'sk-日本', ' sk-padded', 'sk-tab\t']) {
    await t.throwsAsync(createServer(model, { apiKey }), { instanceOf: sentvec.InvalidArgumentError, message: /printable ASCII/ }, JSON.stringify(apiKey));
  }
  const { post } = await start(t, { apiKey: 'sk with ~ inner spaces!' });
  t.is((await post('/v1/embeddings', { input: 'x' }, { authorization: 'Bearer sk with ~ inner spaces!' })).status, 200);
});

test('unknown routes get 404 in OpenAI\'s error shape', async (t) => {
  const { post, url } = await start(t);
  for (const r of [await post('/v2/embeddings', { input: 'x' }), await fetch(`${url}/nothing-here`, { headers: { authorization: 'Bearer sk-test' } })]) {
    t.is(r.status, 404);
    const { error } = await r.json();
    t.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
    t.is(error.code, 'not_found');
    t.regex(error.message, /Routes: POST \/v1\/embeddings/);
  }
});

// A POST that sends its headers and then one byte at a time, as a slow or hostile client does.
function openSlowRequest(url, path = '/v1/embeddings') {
  const u = new URL(url);
  const req = http.request({ host: u.hostname, port: u.port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000', authorization: 'Bearer sk-test' } });
  const result = new Promise((resolve) => {
    req.on('response', (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', (error) => resolve({ error: error.code }));
    req.on('close', () => resolve({ closed: true }));
  });
  req.flushHeaders();
  const timer = setInterval(() => req.write('['), 200);
  req.on('close', () => clearInterval(timer));
  return { result, destroy: () => { clearInterval(timer); req.destroy(); } };
}

test('a client sending 1 byte at a time is cut by the request timeout, and cannot hold a drain past its deadline', async (t) => {
  const model = await Model.load(tinyModel());
  const app = await createServer(model, { apiKey: 'sk-test', requestTimeoutMs: 1500, drainTimeoutMs: 800 });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  let started = performance.now();
  const first = await openSlowRequest(url).result;
  const cut = performance.now() - started;
  t.log(`slow body cut after ${cut.toFixed(0)} ms`);
  t.true(cut >= 1400 && cut < 4000, `cut after ${cut} ms`);
  t.true(first.status === 408 || first.closed === true || first.error !== undefined, JSON.stringify(first));
  // Draining: the slow request is in flight; a new request gets 503, /health 503; close() ends by the deadline.
  const slow = openSlowRequest(url);
  await new Promise((r) => setTimeout(r, 400)); // its headers are in: it is a request in flight
  started = performance.now();
  const closing = app.close();
  await new Promise((r) => setTimeout(r, 50));
  const during = await fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body: '{"input":"x"}' }).then(async (r) => ({ status: r.status, json: await r.json() }), (e) => ({ error: e }));
  const health = await fetch(`${url}/health`).then((r) => r.status, () => 'refused');
  await closing;
  const drained = performance.now() - started;
  t.log(`close() with a slow client took ${drained.toFixed(0)} ms (drain deadline 800 ms)`);
  t.true(drained >= 750 && drained < 2500, `drain took ${drained} ms`);
  t.is(during.status, 503);
  t.is(during.json.error.code, 'shutting_down');
  t.is(during.json.error.type, 'server_error');
  t.is(health, 503);
  await slow.result;
  model.dispose();
});

test('a body over bodyLimit gets 413 with a JSON body, not a broken pipe; bodies over the pending-bytes budget get 429', async (t) => {
  const { url } = await start(t, { bodyLimit: 1 << 20, maxPendingBytes: 3 << 20 }, { scheduler: { maxWaitMicros: 100000 } });
  const u = new URL(url);
  const send = (bytes, { declare = true } = {}) => new Promise((resolve) => {
    const req = http.request({ host: u.hostname, port: u.port, path: '/v1/embeddings', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...(declare ? { 'content-length': String(bytes) } : {}) } }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(data), retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', (error) => resolve({ error: error.code }));
    // Up to 2 MB: valid JSON padded with spaces; beyond, spaces only (refused before parsing).
    if (bytes <= 2 << 20) return req.end(JSON.stringify({ input: ['y'.repeat(90_000)] }).padEnd(bytes, ' '));
    const chunk = Buffer.alloc(1 << 16, 32);
    let sent = 0;
    const write = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once('drain', write);
      }
      req.end();
    };
    write();
  });
  for (const declare of [true, false]) {
    const big = await send(50 << 20, { declare });
    t.is(big.status, 413, JSON.stringify(big));
    t.is(big.json.error.code, 'request_too_large');
  }
  const flood = await Promise.all(Array.from({ length: 12 }, () => send(900_000)));
  const statuses = flood.map((r) => r.status);
  t.log(`12 concurrent 0.9 MB requests with a 3 MiB budget: ${statuses.filter((s) => s === 200).length} × 200, ${statuses.filter((s) => s === 429).length} × 429`);
  t.true(statuses.includes(200), JSON.stringify(flood[0]));
  t.true(statuses.includes(429));
  t.true(statuses.every((s) => s === 200 || s === 429));
  const busy = flood.find((r) => r.status === 429);
  t.is(busy.json.error.code, 'server_busy');
  t.is(busy.retryAfter, '1');
});

test('clients that announce large bodies and send almost nothing hold no budget: other POSTs still get in', async (t) => {
  const { url, post } = await start(t, { bodyLimit: 1 << 20, maxPendingBytes: 2 << 20 });
  const u = new URL(url);
  const silent = Array.from({ length: 4 }, () => {
    const req = http.request({ host: u.hostname, port: u.port, path: '/v1/embeddings', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'content-length': String(1 << 20) } });
    req.on('error', () => {});
    req.write('{"input": "x');
    return req;
  });
  t.teardown(() => silent.forEach((req) => req.destroy()));
  await new Promise((r) => setTimeout(r, 300));
  const r = await post('/v1/embeddings', { input: 'an honest request' });
  t.is(r.status, 200, JSON.stringify(await r.clone().json()));
  const big = await post('/v1/embeddings', JSON.stringify({ input: 'y' }).padEnd(900_000, ' '));
  t.is(big.status, 200, 'a body near bodyLimit still fits beside 4 × 12 bytes received');
});

test('prompt_name on /v1/embeddings and /embed applies the model prompt (include_prompt: false honoured); unknown names are a 400', async (t) => {
  const { ensureModel } = await import('../scripts/model/generate.mjs');
  const dir = ensureModel('tiny-prompts-excluded', {
    prompts: { query: 'query: ', passage: 'passage: ' }, defaultPromptName: 'query', includePrompt: false, truncateDim: 16, normalize: true,
  });
  const model = await Model.load(dir);
  const app = await createServer(model, {});
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
  });
  const post = (path, body) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const texts = ['The train leaves at seven.', '電車は七時に出発します。'];
  const passage = await model.encode(texts, { promptName: 'passage' });
  const query = await model.encode(texts);
  t.is(passage.dimension, 16);
  const openai = await (await post('/v1/embeddings', { input: texts, prompt_name: 'passage' })).json();
  openai.data.forEach((d, i) => t.true(maxDelta(d.embedding, passage.get(i)) < 1e-6));
  const tei = await (await post('/embed', { inputs: texts, prompt_name: 'passage' })).json();
  tei.forEach((row, i) => t.true(maxDelta(row, passage.get(i)) < 1e-6));
  // No prompt_name: the model's default prompt, as in encode().
  const byDefault = await (await post('/embed', { inputs: texts })).json();
  byDefault.forEach((row, i) => t.true(maxDelta(row, query.get(i)) < 1e-6));
  t.true(maxDelta(byDefault[0], tei[0]) > 1e-4);
  // Token ids are embedded as given, without a prompt.
  const ids = Array.from((await model.tokenize(texts[0])).ids);
  const raw = await (await post('/v1/embeddings', { input: [ids], prompt_name: 'passage' })).json();
  t.true(maxDelta(raw.data[0].embedding, (await model.encodeTokens([ids])).get(0)) < 1e-6);
  const bad = await post('/v1/embeddings', { input: texts, prompt_name: 'document' });
  t.is(bad.status, 400);
  t.regex((await bad.json()).error.message, /'prompt_name' must be one of this model's prompts \(query, passage\)/);
});

test('long_inputs: "chunk" embeds long texts in windows on /v1/embeddings and /embed, as Model.encode does', async (t) => {
  const { model, post } = await start(t);
  const { corpusLines } = await import('../scripts/model/corpus.mjs');
  const long = corpusLines().slice(0, 10).join(' ');
  const want = await model.encode(['short text', long], { longInputs: 'chunk', overlap: 8, normalize: true, windows: true });
  t.true(want.windows.text.length > 2, 'the long text takes several windows');
  const res = await post('/v1/embeddings', { input: ['short text', long], long_inputs: 'chunk', overlap: 8, encoding_format: 'float' });
  t.is(res.status, 200);
  t.is(res.headers.get('x-sentvec-truncated-inputs'), null);
  const body = await res.json();
  body.data.forEach((d, i) => t.true(maxDelta(d.embedding, want.get(i)) < 1e-6));
  const windows = want.windows;
  let tokens = 0;
  for (let j = 0; j < windows.text.length; j++) tokens += windows.tokenEnd[j] - windows.tokenStart[j] + 2;
  t.is(body.usage.prompt_tokens, tokens);
  const tei = await (await post('/embed', { inputs: [long], long_inputs: 'chunk', overlap: 8, dimensions: 8 })).json();
  const cut = await model.encode(long, { longInputs: 'chunk', overlap: 8, dimensions: 8, normalize: true });
  t.true(maxDelta(tei[0], cut.get(0)) < 1e-6);
  const plain = await post('/v1/embeddings', { input: long });
  t.is(plain.headers.get('x-sentvec-truncated-inputs'), '1');
  for (const [body, message] of [
    [{ input: long, long_inputs: 'split' }, /'long_inputs' must be 'truncate' or 'chunk'/],
    [{ input: long, overlap: 4 }, /'overlap' applies to "long_inputs": "chunk" only/],
    [{ input: long, long_inputs: 'chunk', overlap: 1000 }, /'overlap' must be an integer from 0 to 63/],
    [{ input: long, long_inputs: 'chunk', truncate: false }, /contradicts/],
  ]) {
    const r = await post('/v1/embeddings', body);
    t.is(r.status, 400);
    t.regex((await r.json()).error.message, message);
  }
});
