// The reranking routes (issue 26, item 4): POST /v1/rerank in Cohere's and Jina's shape and
// POST /rerank in TEI's, over a stand-in reranker that scores by word overlap, served beside the
// embedding model or alone, with the admission, limits, auth, drain, metrics and errors of the rest.
import test from 'ava';
import { FakeReranker, overlap } from './helpers/fake-reranker.cjs';
import { fakeStore } from './helpers/fake-store.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const { Model, InvalidArgumentError } = sentvec;
const { createServer } = server;

const query = 'when does the night train leave';
const documents = [
  'The bakery opens at six.',
  'The night train leaves at ten.',
  'Trains leave from platform 4.',
  'When does the conference in Lyon start?',
];
// The fake's answer, best first: what every route must carry.
const order = documents
  .map((d, index) => ({ index, score: Math.fround(overlap(query, d)) }))
  .sort((a, b) => b.score - a.score || a.index - b.index);

async function start(t, { model = false, reranker = new FakeReranker(), ...options } = {}) {
  const embedder = model ? await Model.load(tinyModel()) : null;
  const app = await createServer(embedder, { apiKey: 'sk-test', ...(reranker ? { reranker } : {}), ...options });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    embedder?.dispose();
  });
  const post = async (path, body, headers = {}) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return { app, url, post, reranker };
}

test('POST /v1/rerank answers in Cohere\'s and Jina\'s shape: documents as strings or {text}, top_n, return_documents', async (t) => {
  const { post } = await start(t, { rerankerName: 'bge-reranker-base' });
  const plain = await post('/v1/rerank', { query, documents });
  t.is(plain.status, 200);
  t.deepEqual(Object.keys(plain.body).sort(), ['id', 'meta', 'model', 'results', 'usage']);
  t.deepEqual(plain.body.results, order.map(({ index, score }) => ({ index, relevance_score: score })));
  t.is(plain.body.model, 'bge-reranker-base', "the server's reranker name when the request names none");
  t.deepEqual(plain.body.usage, { search_units: 1 });
  t.deepEqual(plain.body.meta, { billed_units: { search_units: 1 } });
  const objects = await post('/v1/rerank', {
    model: 'rerank-v3.5',
    query,
    documents: documents.map((text) => ({ text })),
    top_n: 2,
    return_documents: true,
  });
  t.is(objects.status, 200);
  t.is(objects.body.model, 'rerank-v3.5');
  t.deepEqual(
    objects.body.results,
    order.slice(0, 2).map(({ index, score }) => ({ index, relevance_score: score, document: { text: documents[index] } })),
  );
  const many = await post('/v1/rerank', { query, documents: Array(250).fill('x'), top_n: 1000 });
  t.is(many.body.results.length, 250, 'top_n past the documents: all of them');
  t.deepEqual(many.body.usage, { search_units: 3 }, '100 documents per search unit');
});

test('POST /rerank answers in TEI\'s shape: texts, return_text, raw_scores', async (t) => {
  const { post, reranker } = await start(t);
  const r = await post('/rerank', { query, texts: documents });
  t.is(r.status, 200);
  t.deepEqual(r.body, order.map(({ index, score }) => ({ index, score })));
  t.deepEqual(reranker.calls.at(-1).options, { topK: 4 }, "the model's own activation unless raw_scores");
  const text = await post('/rerank', { query, texts: documents, return_text: true, raw_scores: true, truncate: true });
  t.deepEqual(
    text.body,
    order.map(({ index, score }) => ({ index, score: Math.fround(score * 10 - 5), text: documents[index] })),
  );
  t.is(reranker.calls.at(-1).options.activation, 'none', 'raw_scores: the logits');
});

test('a server of the reranker alone answers the embedding routes with a 404 that says why; health and metrics name the reranker', async (t) => {
  const { post, url } = await start(t);
  for (const path of ['/v1/embeddings', '/embed', '/tokenize', '/v1/search']) {
    const r = await post(path, { input: 'x', inputs: 'x', query: 'x' });
    t.is(r.status, 404, path);
    t.regex(r.body.error.message, /serves no embedding model \(only a reranker: POST \/v1\/rerank, POST \/rerank\)/);
    t.is(r.body.error.type, 'not_found_error');
  }
  const health = await (await fetch(`${url}/health`)).json();
  t.deepEqual(health, { status: 'ok', reranker: { model: 'sentvec-reranker', maxSeqLength: 512 } });
  await post('/v1/rerank', { query, documents });
  const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer sk-test' } })).text();
  t.regex(metrics, /sentvec_requests_total\{route="\/v1\/rerank",status="200"\} 1/);
});

test('beside the embedding model both are served; without a reranker, the rerank routes are a 404 that says why', async (t) => {
  const both = await start(t, { model: true });
  t.is((await both.post('/v1/embeddings', { input: 'hello' })).status, 200);
  t.is((await both.post('/v1/rerank', { query, documents })).status, 200);
  const health = await (await fetch(`${both.url}/health`)).json();
  t.is(health.model, 'sentvec');
  t.is(health.reranker.model, 'sentvec-reranker');
  const modelOnly = await start(t, { model: true, reranker: null });
  for (const path of ['/v1/rerank', '/rerank']) {
    const r = await modelOnly.post(path, { query, documents, texts: documents });
    t.is(r.status, 404);
    t.regex(r.body.error.message, /serves no reranker, so there is no \/(v1\/)?rerank; serve a cross-encoder beside the model \(sentvec serve --reranker <dir>\)/);
  }
});

test('the rerank routes check their fields and the server\'s limits like the embedding routes, and require the key', async (t) => {
  const { post, reranker } = await start(t, { maxInputs: 3, maxInputChars: 50 });
  const cases = [
    ['/v1/rerank', { documents }, 400, 'query', /'query' must be a non-empty string/],
    ['/v1/rerank', { query, documents: [] }, 400, 'documents', /'documents' must be a non-empty array of strings or \{"text": …\} objects/],
    ['/v1/rerank', { query, documents: ['a', { body: 'b' }] }, 400, 'documents[1]', /documents\[1\] must be a string or an object with a string "text"/],
    ['/v1/rerank', { query, documents: ['a', 'b', 'c', 'd'] }, 400, 'documents', /'documents' has 4 documents; at most 3 are allowed per request/],
    ['/v1/rerank', { query, documents: ['a', 'x'.repeat(51)] }, 413, 'documents[1]', /documents\[1\] has 51 characters; at most 50 are allowed/],
    ['/v1/rerank', { query: 'q'.repeat(51), documents: ['a'] }, 413, 'query[0]', /query\[0\] has 51 characters/],
    ['/v1/rerank', { query, documents: ['a'], top_n: 0 }, 400, 'top_n', /'top_n' must be an integer from 1/],
    ['/v1/rerank', { query, documents: ['a'], return_documents: 'yes' }, 400, 'return_documents', /'return_documents' must be a boolean/],
    ['/v1/rerank', { query, documents: ['a\u0000'] }, 400, 'documents[0]', /contains a lone surrogate or a NUL character/],
    ['/rerank', { query, texts: [{ text: 'a' }] }, 400, 'texts[0]', /texts\[0\] must be a string\./],
    ['/rerank', { query, texts: ['a'], raw_scores: 1 }, 400, 'raw_scores', /'raw_scores' must be a boolean/],
  ];
  for (const [path, body, status, param, message] of cases) {
    const r = await post(path, body);
    t.is(r.status, status, JSON.stringify(body).slice(0, 80));
    t.is(r.body.error.param, param);
    t.regex(r.body.error.message, message);
  }
  const unauthorized = await post('/v1/rerank', { query, documents: ['a'] }, { authorization: 'Bearer nope' });
  t.is(unauthorized.status, 401);
  t.is(unauthorized.body.error.code, 'invalid_api_key');
  t.is(reranker.calls.length, 0, 'nothing refused reached the reranker');
});

test('close() lets a rerank in flight finish and refuses new ones with 503', async (t) => {
  const reranker = new FakeReranker({ delayMs: 300 });
  const { app, post } = await start(t, { reranker });
  const inFlight = post('/v1/rerank', { query, documents });
  // close() once the request is inside the reranker (its 300 ms have begun).
  while (reranker.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const closing = app.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const late = await post('/rerank', { query, texts: documents }).catch((err) => ({ status: 'refused', err }));
  const first = await inFlight;
  await closing;
  t.is(first.status, 200);
  t.is(first.body.results.length, 4);
  // A late request gets 503 while the listener is still open, or is refused once it has closed.
  t.true(late.status === 503 || late.status === 'refused', String(late.status));
  if (late.status === 503) t.is(late.body.error.code, 'shutting_down');
});

test('createServer checks what it serves', async (t) => {
  await t.throwsAsync(createServer(null, {}), { instanceOf: InvalidArgumentError, message: /needs a model, a reranker \(\{ reranker \}\), or both/ });
  await t.throwsAsync(createServer(null, { reranker: {} }), { instanceOf: InvalidArgumentError, message: /Expected a CrossEncoder \(or an object with rank\(\)\) for reranker/ });
  await t.throwsAsync(createServer(null, { reranker: new FakeReranker(), store: fakeStore(32) }), {
    instanceOf: InvalidArgumentError,
    message: /a store is searched with the embedding model it was filled with/,
  });
  await t.throwsAsync(createServer(null, { reranker: new FakeReranker(), rerankerName: 7 }), { message: /Expected a non-empty string for rerankerName/ });
});

test('POST /v1/search with "rerank": true reorders the nearest candidates by the reranker, with both scores', async (t) => {
  const model = await Model.load(tinyModel());
  const store = fakeStore(model.dimension, 50);
  const reranker = new FakeReranker();
  const app = await createServer(model, { store, reranker });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
  });
  const post = async (body) => {
    const res = await fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  // The fake store answers ids 0, 1, 2, … with scores 1 − i/k; "passage 7" overlaps passage 7 wholly, the others by half.
  const r = await post({ query: 'passage 7', top_k: 2, rerank: true, candidates: 10, include: [] });
  t.is(r.status, 200);
  t.deepEqual(r.body.data[0].results, [
    { id: 7, score: 1, retrieval_score: Math.fround(1 - 7 / 10) },
    { id: 0, score: 0.5, retrieval_score: 1 },
  ]);
  t.is(reranker.calls.at(-1).pairs, 10);
  const plain = await post({ query: 'passage 7', top_k: 2, include: [] });
  t.deepEqual(plain.body.data[0].results, [{ id: 0, score: 1 }, { id: 1, score: 0.5 }], 'without rerank: as before');
  const cases = [
    [{ query: 'x', candidates: 5 }, 'candidates', /'candidates' is how many hits "rerank": true reorders/],
    [{ query: 'x', top_k: 5, rerank: true, candidates: 4 }, 'candidates', /'candidates' must be an integer from 5 to 10000/],
    [{ query: 'x', rerank: 'yes' }, 'rerank', /'rerank' must be a boolean/],
  ];
  for (const [body, param, message] of cases) {
    const bad = await post(body);
    t.is(bad.status, 400);
    t.is(bad.body.error.param, param);
    t.regex(bad.body.error.message, message);
  }
  const noReranker = await start(t, { model: true, reranker: null, store: fakeStore(32, 5), apiKey: undefined });
  const refused = await noReranker.post('/v1/search', { query: 'x', rerank: true });
  t.is(refused.status, 400);
  t.is(refused.body.error.code, 'reranker_not_served');
});

test('maxRerankPairs caps the cross-encoder pairs of one request: documents, and queries × candidates of a reranked search (400 too_many_pairs, nothing run)', async (t) => {
  const model = await Model.load(tinyModel());
  const reranker = new FakeReranker();
  const app = await createServer(model, { store: fakeStore(model.dimension, 50), reranker, maxRerankPairs: 20 });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
  });
  const post = async (path, body) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const many = Array.from({ length: 21 }, (_, i) => `passage ${i}`);
  const cases = [
    ['/v1/rerank', { query, documents: many }, 'documents', /'documents' has 21 documents, which is 21 cross-encoder pairs; this server allows at most 20 per request \(maxRerankPairs\): send fewer documents/],
    ['/rerank', { query, texts: many }, 'texts', /'texts' has 21 documents, which is 21 cross-encoder pairs; .*at most 20/],
    ['/v1/search', { query: ['a', 'b', 'c'], top_k: 5, rerank: true, candidates: 7 }, 'query', /"rerank": true with 3 queries × 7 candidates asks for 21 cross-encoder pairs; this server allows at most 20 per request \(maxRerankPairs\): send fewer queries per request, or ask for fewer 'candidates'/],
    ['/v1/search', { query: 'a', top_k: 5, rerank: true }, 'candidates', /with 1 query × 100 candidates asks for 100 cross-encoder pairs/],
  ];
  for (const [path, body, param, message] of cases) {
    const r = await post(path, body);
    t.is(r.status, 400, path);
    t.is(r.body.error.code, 'too_many_pairs');
    t.is(r.body.error.param, param);
    t.regex(r.body.error.message, message);
  }
  t.is(reranker.calls.length, 0, 'nothing refused reached the reranker');
  t.is((await post('/v1/rerank', { query, documents: many.slice(0, 20) })).status, 200, 'at the cap: answered');
  t.is((await post('/v1/search', { query: ['a', 'b'], top_k: 5, rerank: true, candidates: 10, include: [] })).status, 200);
  for (const bad of [0, 10_000_001, 2.5, '20'])
    await t.throwsAsync(createServer(null, { reranker, maxRerankPairs: bad }), { instanceOf: InvalidArgumentError, message: /for maxRerankPairs/ });
});

test('a reranker whose rank() answers no ranking (NaN, a stray or repeated index, too few or too many) is a 500, never a wrong answer; the server stays up', async (t) => {
  const answers = [
    (n) => Array.from({ length: n }, (_, index) => ({ index, score: NaN })),
    () => [],
    (n) => Array.from({ length: 2 * n }, (_, i) => ({ index: i % n, score: 1 })),
    (n) => Array.from({ length: n }, (_, index) => ({ index: index + 99, score: 1 })),
    (n) => Array.from({ length: n }, () => ({ index: 0, score: 1 })),
    () => [null, null, null, null],
  ];
  let answer = answers[0];
  const reranker = { ...new FakeReranker(), rank: async (q, docs) => answer(docs.length) };
  const { post } = await start(t, { reranker });
  for (const [i, a] of answers.entries()) {
    answer = a;
    for (const [path, body] of [
      ['/v1/rerank', { query, documents, return_documents: true }],
      ['/rerank', { query, texts: documents, return_text: true }],
    ]) {
      const r = await post(path, body);
      t.is(r.status, 500, `answer ${i}, ${path}: ${JSON.stringify(r.body)}`);
      t.is(r.body.error.type, 'server_error');
    }
  }
  answer = (n) => Array.from({ length: n }, (_, index) => ({ index, score: 0.5 }));
  t.is((await post('/v1/rerank', { query, documents })).status, 200, 'the next request is answered');
});

test('POST /v1/search with "rerank": true stops reranking the pages of a client that has gone', async (t) => {
  const model = await Model.load(tinyModel());
  const reranker = new FakeReranker({ delayMs: 20 });
  // 512 queries × 1000 candidates asked (the store has 50): past the default cap of pairs.
  const app = await createServer(model, { store: fakeStore(model.dimension, 50), reranker, maxRerankPairs: 512_000 });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
  });
  const abort = new AbortController();
  const body = { query: Array.from({ length: 512 }, (_, i) => `query ${i}`), rerank: true, candidates: 1000, include: [] };
  const request = fetch(`${url}/v1/search`, { method: 'POST', signal: abort.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  while (reranker.calls.length < 8) await new Promise((resolve) => setTimeout(resolve, 10));
  abort.abort();
  t.is(await request.then(() => 'answered', (err) => err.name), 'AbortError');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const atLeave = reranker.calls.length;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  // 512 queries of 50 candidates at 20 ms a query: had the work gone on, about 200 more calls by now.
  t.true(reranker.calls.length <= atLeave + 4, `${reranker.calls.length - atLeave} rerank calls after the client left`);
  t.true(reranker.calls.length < 512);
});

test('createServer refuses an empty modelName or rerankerName, or one name for both (GET /v1/models would list one id twice)', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  for (const [options, message] of [
    [{ rerankerName: '' }, /Expected a non-empty string for rerankerName/],
    [{ modelName: '' }, /Expected a non-empty string for modelName/],
    [{ modelName: 5 }, /Expected a non-empty string for modelName but received 5/],
    [{ modelName: 'bge', rerankerName: 'bge' }, /modelName and rerankerName are both "bge"/],
    [{ rerankerName: 'sentvec' }, /both "sentvec"/],
  ])
    await t.throwsAsync(createServer(model, { reranker: new FakeReranker(), ...options }), { instanceOf: InvalidArgumentError, message }, JSON.stringify(options));
  const alone = await createServer(null, { reranker: new FakeReranker(), rerankerName: 'sentvec' });
  t.deepEqual(JSON.parse((await alone.inject({ method: 'GET', url: '/v1/models' })).body).data.map((m) => m.id), ['sentvec'], 'a reranker alone may take any name');
  await alone.close();
});
