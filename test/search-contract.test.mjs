// The search contract (lib/search/contract.ts): Index and PostgresStore are both a VectorStore,
// and what takes a VectorStore (the server's /v1/search) works with an Index.
import test from 'ava';
import { tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const { Index, Model, InvalidArgumentError } = sentvec;

function smallIndex() {
  const index = new Index({ dimension: 4 });
  return index.add([new Float32Array([1, 0, 0, 0]), new Float32Array([0, 1, 0, 0]), new Float32Array([1, 1, 0, 0])]).then(() => index);
}

test('Index takes the contract\'s include and, keeping no texts or metadata, answers ids and scores only', async (t) => {
  const index = await smallIndex();
  t.teardown(() => index.dispose());
  const [r] = await index.search([new Float32Array([1, 0, 0, 0])], { topK: 2, include: ['text', 'metadata'] });
  t.deepEqual(Object.keys(r).sort(), ['ids', 'scores']);
  t.deepEqual([...r.ids], [0n, 2n]);
  const plain = await index.search(new Float32Array([1, 0, 0, 0]), { topK: 2 });
  t.deepEqual([...plain.scores], [...r.scores]);
  await t.throwsAsync(index.search([new Float32Array(4)], { include: ['embedding'] }), {
    instanceOf: InvalidArgumentError,
    message: /array of 'text' and 'metadata' for include/,
  });
});

test('Index refuses a metadata filter with a message that says why and what to use instead', async (t) => {
  const index = await smallIndex();
  t.teardown(() => index.dispose());
  await t.throwsAsync(index.search([new Float32Array(4)], { filter: { metadata: { lang: 'en' } } }), {
    instanceOf: InvalidArgumentError,
    message: /keeps no metadata.*filter by ids or a bitmap/,
  });
});

test('the server serves /v1/search from an Index: hits with ids and scores, without texts or metadata', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  const texts = ['The train leaves at seven.', 'Il pleut.', 'Cats sleep a lot.'];
  const index = new Index({ dimension: model.dimension });
  t.teardown(() => index.dispose());
  await index.add(await model.encode(texts, { normalize: true }));
  const app = await server.createServer(model, { store: index });
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const r = await fetch(`${url}/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: texts[1], top_k: 3 }),
  });
  t.is(r.status, 200);
  const body = await r.json();
  t.is(body.data.length, 1);
  t.is(body.data[0].results.length, 3);
  t.is(body.data[0].results[0].id, 1);
  t.deepEqual(Object.keys(body.data[0].results[0]), ['id', 'score']);
  const filtered = await fetch(`${url}/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: texts[1], filter: { metadata: { lang: 'en' } } }),
  });
  t.is(filtered.status, 400);
});
