// sentvec/langchain against the real @langchain/core (and @langchain/classic's MemoryVectorStore
// and ContextualCompressionRetriever): Model.encode's vectors with the query and document prompts,
// a vector store round trip, and reranking through a Reranker.
import test from 'ava';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Document } from '@langchain/core/documents';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { ContextualCompressionRetriever } from '@langchain/classic/retrievers/contextual_compression';
import { SentvecEmbeddings, SentvecReranker } from 'sentvec/langchain';
import { ensureModel } from '../scripts/model/generate.mjs';
import { sentvec } from './helpers/sentvec.mjs';
import { FakeReranker } from './helpers/fake-reranker.mjs';

const { Model, DisposedError, InvalidArgumentError } = sentvec;
const prompts = { query: 'query: ', passage: 'passage: ' };
const dir = ensureModel('tiny-prompts', { prompts, normalize: true });
const texts = ['The library closes early.', '図書館は早く閉まります。', 'a', 'x '.repeat(600)];
const rows = (embeddings) => embeddings.toArray();
const root = new URL('..', import.meta.url).pathname;

test('embedQuery uses the model\'s query prompt and embedDocuments its passage prompt: Model.encode\'s vectors', async (t) => {
  const model = await Model.load(dir);
  t.teardown(() => model.dispose());
  const embeddings = new SentvecEmbeddings({ model: dir });
  t.teardown(() => embeddings.dispose());
  t.deepEqual(await embeddings.embedDocuments(texts), rows(await model.encode(texts, { promptName: 'passage' })));
  t.deepEqual(await embeddings.embedQuery(texts[0]), rows(await model.encode(texts[0], { promptName: 'query' }))[0]);
  t.notDeepEqual(await embeddings.embedQuery(texts[0]), (await embeddings.embedDocuments([texts[0]]))[0]);
});

test('prompt names, null for none, dimensions and normalize are those of encode', async (t) => {
  const model = await Model.load(dir);
  t.teardown(() => model.dispose());
  const embeddings = new SentvecEmbeddings({ model, queryPromptName: 'passage', documentPromptName: null, dimensions: 8, normalize: false });
  t.deepEqual(await embeddings.embedQuery(texts[1]), rows(await model.encode(texts[1], { promptName: 'passage', dimensions: 8, normalize: false }))[0]);
  t.deepEqual(await embeddings.embedDocuments(texts), rows(await model.encode(texts, { prompt: '', dimensions: 8, normalize: false })));
  await embeddings.dispose();
  t.false(model.disposed, 'a Model given stays its owner\'s');
  await t.throwsAsync(embeddings.embedQuery('a'), { instanceOf: DisposedError });
});

test('a model without prompts embeds queries and documents alike', async (t) => {
  const plain = ensureModel('tiny');
  const embeddings = new SentvecEmbeddings({ model: plain });
  t.teardown(() => embeddings.dispose());
  t.deepEqual(await embeddings.embedQuery(texts[0]), (await embeddings.embedDocuments([texts[0]]))[0]);
});

test('MemoryVectorStore round trip: documents in, the nearest out, with the query prompt', async (t) => {
  const embeddings = new SentvecEmbeddings({ model: dir });
  t.teardown(() => embeddings.dispose());
  const docs = texts.map((pageContent, i) => new Document({ pageContent, metadata: { i } }));
  const store = await MemoryVectorStore.fromDocuments(docs, embeddings);
  const [[best, score]] = await store.similaritySearchWithScore(texts[1], 1);
  t.is(best.metadata.i, 1);
  const q = await embeddings.embedQuery(texts[1]);
  const d = (await embeddings.embedDocuments([texts[1]]))[0];
  t.true(Math.abs(score - q.reduce((s, v, i) => s + v * d[i], 0)) < 1e-6);
});

test.serial('one folder loads once for every adapter on it, and is disposed after the last lets go', async (t) => {
  const load = Model.load;
  const loaded = [];
  Model.load = async (...args) => {
    const model = await load.apply(Model, args);
    loaded.push(model);
    return model;
  };
  t.teardown(() => (Model.load = load));
  const a = new SentvecEmbeddings({ model: dir });
  const b = new SentvecEmbeddings({ model: dir });
  await Promise.all([a.embedQuery('x'), b.embedDocuments(['y', 'z']), a.embedDocuments(['w'])]);
  t.is(loaded.length, 1);
  await a.dispose();
  t.false(loaded[0].disposed);
  t.is((await b.embedQuery('still here')).length, 32);
  await b.dispose();
  t.true(loaded[0].disposed);
});

test('SentvecReranker keeps the topK documents best first, with their scores; in ContextualCompressionRetriever', async (t) => {
  const reranker = new FakeReranker();
  const compressor = new SentvecReranker({ model: reranker, topK: 2 });
  const docs = ['cats sleep all day', 'the weather is fine', 'where do cats sleep at night'].map(
    (pageContent, i) => new Document({ pageContent, metadata: { i }, id: `d${i}` }),
  );
  const kept = await compressor.compressDocuments(docs, 'where do cats sleep');
  t.deepEqual(
    kept.map((d) => [d.metadata.i, d.metadata.relevanceScore, d.id]),
    [
      [2, 1, 'd2'],
      [0, 0.5, 'd0'],
    ],
  );
  t.deepEqual(await compressor.rerank(docs, 'fine weather'), [
    { index: 1, relevanceScore: 1 },
    { index: 0, relevanceScore: 0 },
    { index: 2, relevanceScore: 0 },
  ]);
  t.deepEqual(await compressor.compressDocuments([], 'anything'), []);

  const embeddings = new SentvecEmbeddings({ model: dir });
  t.teardown(() => embeddings.dispose());
  const store = await MemoryVectorStore.fromDocuments(docs, embeddings);
  const retriever = new ContextualCompressionRetriever({ baseCompressor: compressor, baseRetriever: store.asRetriever(3) });
  const found = await retriever.invoke('where do cats sleep');
  t.deepEqual(
    found.map((d) => d.metadata.i),
    [2, 0],
  );
  await compressor.dispose();
  t.false(reranker.disposed, 'a Reranker given stays its owner\'s');
});

test('bad options are refused when the adapter is made, naming the option', (t) => {
  t.throws(() => new SentvecEmbeddings({ model: dir, queryPrompt: 'query' }), { instanceOf: InvalidArgumentError, message: /queryPrompt/ });
  t.throws(() => new SentvecEmbeddings({ model: dir, queryPromptName: '' }), { instanceOf: InvalidArgumentError, message: /queryPromptName/ });
  t.throws(() => new SentvecEmbeddings({ model: dir, batchSize: 0 }), { instanceOf: InvalidArgumentError, message: /batchSize/ });
  t.throws(() => new SentvecEmbeddings({}), { instanceOf: InvalidArgumentError, message: /model folder/ });
  t.throws(() => new SentvecReranker({ model: new FakeReranker(), topK: 0 }), { instanceOf: InvalidArgumentError, message: /topK/ });
  t.throws(() => new SentvecReranker({ model: {} }), { instanceOf: InvalidArgumentError, message: /Reranker/ });
});

test('an unknown prompt name fails the call with the model\'s prompt names', async (t) => {
  const embeddings = new SentvecEmbeddings({ model: dir, queryPromptName: 'question' });
  t.teardown(() => embeddings.dispose());
  await t.throwsAsync(embeddings.embedQuery('a'), { instanceOf: InvalidArgumentError, message: /query, passage/ });
});

test('without @langchain/core, requiring sentvec/langchain says what to install', (t) => {
  // The package alone, where no node_modules holds @langchain/core.
  const dirCopy = mkdtempSync(join(tmpdir(), 'sentvec-no-langchain-'));
  t.teardown(() => rmSync(dirCopy, { recursive: true, force: true }));
  cpSync(join(root, 'dist'), join(dirCopy, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dirCopy, 'package.json'));
  const out = execFileSync(
    process.execPath,
    ['-e', `try { require('./dist/lib/frameworks/langchain.js') } catch (e) { console.log(e.code + ' ' + e.message) }`],
    { cwd: dirCopy, encoding: 'utf8' },
  );
  t.regex(out, /^ERR_MISSING_DEPENDENCY sentvec\/langchain needs @langchain\/core .*npm install @langchain\/core/);
});

test('require(\'sentvec/langchain\') loads no server, CLI, other adapter or AI SDK code', (t) => {
  const loaded = JSON.parse(
    execFileSync(process.execPath, ['-e', `require('sentvec/langchain'); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8', cwd: root }),
  );
  t.true(loaded.some((f) => f.includes('node_modules/@langchain/core/')));
  t.deepEqual(
    loaded.filter((f) => /node_modules\/(ai|@ai-sdk|fastify|llamaindex|@llamaindex|@langchain\/classic)\/|dist\/lib\/(server|cli)\/|frameworks\/(ai|llamaindex)/.test(f)),
    [],
  );
});

test('SentvecReranker refuses a Reranker whose rank() answers no ranking (a stray index, a NaN score) with InferenceError, not a TypeError or a NaN relevanceScore', async (t) => {
  const documents = [new Document({ pageContent: 'a' }), new Document({ pageContent: 'b' })];
  const stray = { ...new FakeReranker(), predict: async () => new Float32Array(), dispose: async () => {}, rank: async () => [{ index: 5, score: 1 }, { index: 0, score: 0 }] };
  const nan = { ...stray, rank: async (q, texts) => texts.map((_, index) => ({ index, score: NaN })) };
  await t.throwsAsync(new SentvecReranker({ model: stray, topK: 2 }).compressDocuments(documents, 'a'), { instanceOf: sentvec.InferenceError, message: /index 5/ });
  await t.throwsAsync(new SentvecReranker({ model: nan }).rerank(documents, 'a'), { instanceOf: sentvec.InferenceError, message: /score NaN/ });
});
