// sentvec/ai against the real AI SDK, both majors in use: `ai` 6 (devDependency `ai`) and `ai` 7
// (`ai7`): embed, embedMany, cosineSimilarity and rerank give Model.encode's vectors and the
// reranker's order; the model loads once per folder and is disposed with the provider.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as ai6 from 'ai';
import * as ai7 from 'ai7';
import { createSentvec, sentvec as defaultProvider } from 'sentvec/ai';
import { ensureModel } from '../scripts/model/generate.mjs';
import { sentvec } from './helpers/sentvec.mjs';
import { FakeReranker } from './helpers/fake-reranker.mjs';

const { Model, DisposedError, InvalidArgumentError } = sentvec;
const dir = ensureModel('tiny-prompts', { prompts: { query: 'query: ', passage: 'passage: ' }, normalize: true });
const texts = ['The library closes early.', '図書館は早く閉まります。', 'a', 'x '.repeat(600)];
const majors = [
  ['ai 6', ai6],
  ['ai 7', ai7],
];
const rows = (embeddings) => embeddings.toArray();

// Counts Model.load calls made while `body` runs.
async function countingLoads(body) {
  const load = Model.load;
  let loads = 0;
  Model.load = (...args) => {
    loads++;
    return load.apply(Model, args);
  };
  try {
    await body();
  } finally {
    Model.load = load;
  }
  return loads;
}

for (const [major, ai] of majors) {
  test.serial(`${major}: embed and embedMany give Model.encode's vectors, prompts applied`, async (t) => {
    const model = await Model.load(dir);
    t.teardown(() => model.dispose());
    const provider = createSentvec();
    t.teardown(() => provider.dispose());
    const many = await ai.embedMany({ model: provider.embedding(dir, { promptName: 'passage' }), values: texts });
    t.deepEqual(many.embeddings, rows(await model.encode(texts, { promptName: 'passage' })));
    const one = await ai.embed({ model: provider.embedding(dir, { promptName: 'query' }), value: texts[0] });
    const expected = rows(await model.encode(texts[0], { promptName: 'query' }))[0];
    t.deepEqual(one.embedding, expected);
    t.notDeepEqual(one.embedding, many.embeddings[0]);
    // Normalized vectors: cosine similarity is their dot product.
    const dot = expected.reduce((s, v, i) => s + v * many.embeddings[1][i], 0);
    t.true(Math.abs(ai.cosineSimilarity(one.embedding, many.embeddings[1]) - dot) < 1e-6);
  });

  test.serial(`${major}: dimensions, normalize and a call's providerOptions are those of encode`, async (t) => {
    const model = await Model.load(dir);
    t.teardown(() => model.dispose());
    const short = await ai.embed({ model: defaultProvider.embedding(model, { dimensions: 8, normalize: false }), value: texts[1] });
    t.deepEqual(short.embedding, rows(await model.encode(texts[1], { dimensions: 8, normalize: false }))[0]);
    const prompted = await ai.embed({
      model: defaultProvider.embedding(model),
      value: texts[1],
      providerOptions: { sentvec: { promptName: 'query' } },
    });
    t.deepEqual(prompted.embedding, rows(await model.encode(texts[1], { promptName: 'query' }))[0]);
    t.false(model.disposed, 'a Model given stays its owner\'s');
    if (ai === ai7) {
      // ai 7 passes embed()'s own dimensions to the model.
      const cut = await ai.embed({ model: defaultProvider.embedding(model), value: texts[1], dimensions: 8 });
      t.deepEqual(cut.embedding, rows(await model.encode(texts[1], { dimensions: 8 }))[0]);
    }
  });

  test.serial(`${major}: embedMany in pieces of maxEmbeddingsPerCall gives the same vectors`, async (t) => {
    const provider = createSentvec();
    t.teardown(() => provider.dispose());
    const values = Array.from({ length: 21 }, (_, i) => `sentence ${i} ${'word '.repeat(i)}`);
    const pieces = provider.embedding(dir, { maxEmbeddingsPerCall: 4 });
    const whole = provider.embedding(dir);
    t.is(whole.maxEmbeddingsPerCall, Infinity);
    const a = await ai.embedMany({ model: pieces, values });
    const b = await ai.embedMany({ model: whole, values });
    t.deepEqual(a.embeddings, b.embeddings);
  });

  test.serial(`${major}: rerank orders documents by the reranker's scores`, async (t) => {
    const reranker = new FakeReranker();
    const provider = createSentvec();
    const documents = ['cats sleep all day', 'the weather is fine', 'where do cats sleep at night'];
    const { ranking, rerankedDocuments } = await ai.rerank({ model: provider.reranking(reranker), query: 'where do cats sleep', documents, topN: 2 });
    t.deepEqual(
      ranking.map((r) => r.originalIndex),
      [2, 0],
    );
    t.deepEqual(rerankedDocuments, [documents[2], documents[0]]);
    t.is(ranking[0].score, 1);
    t.is(reranker.calls.at(-1).options.topK, 2);
    const objects = await ai.rerank({ model: provider.reranking(reranker), query: 'fine weather', documents: [{ text: 'rain' }, { text: 'fine weather' }] });
    t.deepEqual(objects.ranking.map((r) => r.originalIndex), [1, 0]);
    await provider.dispose();
    t.false(reranker.disposed, 'a Reranker given stays its owner\'s');
  });
}

test.serial('a folder loads once for all the provider\'s models, and dispose() frees it', async (t) => {
  const provider = createSentvec();
  const query = provider.embedding(dir, { promptName: 'query' });
  const loads = await countingLoads(async () => {
    await Promise.all([
      ai7.embed({ model: query, value: 'a' }),
      ai6.embedMany({ model: provider.embedding(dir), values: ['b', 'c'] }),
      ai7.embed({ model: provider.textEmbeddingModel(dir), value: 'd' }),
    ]);
  });
  t.is(loads, 1);
  await provider.dispose();
  await t.throwsAsync(ai7.embed({ model: query, value: 'a', maxRetries: 0 }), { instanceOf: DisposedError });
  // A model made after dispose() loads the folder again.
  const again = await countingLoads(() => ai7.embed({ model: provider.embedding(dir), value: 'a' }));
  t.is(again, 1);
  await provider.dispose();
});

test.serial('supportsParallelCalls: only where the scheduler runs several of the calls\' batches at once', async (t) => {
  const one = createSentvec();
  const two = createSentvec({ loadOptions: { scheduler: { maxInFlight: 2 } } });
  const unscheduled = createSentvec({ loadOptions: { scheduler: false } });
  t.teardown(() => Promise.all([one, two, unscheduled].map((p) => p.dispose())));
  t.false(await one.embedding(dir, { maxEmbeddingsPerCall: 4 }).supportsParallelCalls, 'one batch at a time: pieces would wait for each other');
  t.true(await two.embedding(dir, { maxEmbeddingsPerCall: 4 }).supportsParallelCalls);
  t.false(await two.embedding(dir, { maxEmbeddingsPerCall: 32 }).supportsParallelCalls, 'pieces of batchSize texts run their own batches');
  t.true(await two.embedding(dir, { maxEmbeddingsPerCall: 32, batchSize: 64 }).supportsParallelCalls);
  t.false(await two.embedding(dir).supportsParallelCalls);
  t.false(await unscheduled.embedding(dir, { maxEmbeddingsPerCall: 4 }).supportsParallelCalls);
});

test('bad settings are refused when the model is made, naming the setting', (t) => {
  t.throws(() => defaultProvider.embedding(dir, { promptname: 'query' }), { instanceOf: InvalidArgumentError, message: /promptname/ });
  t.throws(() => defaultProvider.embedding(dir, { dimensions: 0 }), { instanceOf: InvalidArgumentError, message: /dimensions/ });
  t.throws(() => defaultProvider.embedding(dir, { maxEmbeddingsPerCall: 0.5 }), { instanceOf: InvalidArgumentError, message: /maxEmbeddingsPerCall/ });
  t.throws(() => defaultProvider.embedding(''), { instanceOf: InvalidArgumentError, message: /model folder/ });
  t.throws(() => defaultProvider.reranking(42), { instanceOf: InvalidArgumentError, message: /Reranker/ });
  t.throws(() => defaultProvider.languageModel('x'), { instanceOf: InvalidArgumentError, message: /embedding and reranking/ });
});

test('a folder that is not a model fails the call with the loader\'s error, and a later call tries again', async (t) => {
  const provider = createSentvec();
  const model = provider.embedding('./no-such-folder');
  await t.throwsAsync(ai7.embed({ model, value: 'a', maxRetries: 0 }), { message: /no-such-folder/ });
  await t.throwsAsync(ai6.embed({ model, value: 'a', maxRetries: 0 }), { message: /no-such-folder/ });
  await provider.dispose();
});

test('require(\'sentvec/ai\') loads neither the SDK nor the server, the CLI or another framework', (t) => {
  const loaded = JSON.parse(
    execFileSync(process.execPath, ['-e', `require('sentvec/ai'); console.log(JSON.stringify(Object.keys(require.cache)))`], {
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    }),
  );
  t.true(loaded.some((f) => f.endsWith('dist/lib/frameworks/ai.js')));
  t.deepEqual(
    loaded.filter((f) => /node_modules\/(ai|@ai-sdk|fastify|@langchain|llamaindex|@llamaindex)\/|dist\/lib\/(server|cli)\/|frameworks\/(langchain|llamaindex)/.test(f)),
    [],
  );
});

test('a Reranker whose rank() answers a NaN score or a stray index fails ai.rerank with InferenceError, not a NaN score or a missing document', async (t) => {
  const provider = createSentvec();
  t.teardown(() => provider.dispose());
  const base = { info: new FakeReranker().info, predict: async () => new Float32Array(), dispose: async () => {} };
  const nan = { ...base, rank: async (q, texts, options) => texts.slice(0, options.topK).map((_, index) => ({ index, score: NaN })) };
  const stray = { ...base, rank: async () => [{ index: 7, score: 1 }] };
  for (const [label, reranker, message] of [['NaN', nan, /score NaN/], ['stray', stray, /index 7/]]) {
    const err = await t.throwsAsync(ai6.rerank({ model: provider.reranking(reranker), query: 'q', documents: ['a', 'b'], topN: 1, maxRetries: 0 }), undefined, label);
    const cause = err instanceof sentvec.InferenceError ? err : (err.lastError ?? err.cause);
    t.true(cause instanceof sentvec.InferenceError, `${label}: ${err.name}: ${err.message}`);
    t.regex(cause.message, message, label);
  }
});
