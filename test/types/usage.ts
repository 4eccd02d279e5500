// Compiled (not run) by test/types.test.mjs: the published declarations must accept this usage
// and reject the lines marked @ts-expect-error.
import {
  Embeddings,
  InvalidArgumentError,
  Model,
  PostgresStore,
  SentvecError,
  StoreConnectionError,
  Tokenized,
  physicalCores,
  type StoreSearchResult,
  Index,
  type VectorStore,
  type VectorSearchResult,
  type RerankOptions,
  semanticSearch,
} from '../../dist/lib/sentvec.js';
import { createServer } from '../../dist/lib/server/index.js';

async function usage(): Promise<void> {
  const model: Model = await Model.load('dir', { maxSeqLength: 128, pooling: ['mean', 'cls'], threads: 2, normalize: true });
  const e: Embeddings = await model.encode(['a', 'b'], { batchSize: 8, normalize: true, truncate: false });
  const row: Float32Array = e.get(0);
  const flags: readonly boolean[] = e.truncated;
  const one: Tokenized = await model.tokenize('x');
  const many: Tokenized[] = await model.tokenize(['x', 'y']);
  const tokens: string[] = one.tokens;
  const n: number = model.dimension + model.maxSeqLength + physicalCores() + row.length + flags.length + many.length + tokens.length;
  void n;
  try {
    await model.encode('x');
  } catch (err) {
    if (err instanceof InvalidArgumentError) console.log(err.code);
    if (err instanceof SentvecError) console.log(err.code);
  }
  const gpu = await Model.load('dir', { onnxFile: 'onnx/model_fp16.onnx', providers: [{ name: 'cuda', deviceId: 0, tf32: false }, { name: 'tensorrt', fp16: true }, 'cpu'], fallback: true });
  gpu.dispose();
  // @ts-expect-error tf32 is a boolean
  await Model.load('dir', { providers: [{ name: 'cuda', tf32: 'yes' }] });
  // @ts-expect-error pooling modes are a closed set
  await Model.load('dir', { pooling: 'median' });
  // @ts-expect-error batchSize is a number
  await model.encode('x', { batchSize: '8' });
  // @ts-expect-error unknown options are rejected by the types too
  await model.encode('x', { batch_size: 8 });
  model.dispose();
}
void usage;

async function storeUsage(model: Model): Promise<void> {
  // The declarations name no type of `pg`: they compile without @types/pg.
  const store = await PostgresStore.open({ connection: 'postgres://localhost/db', dimension: model.dimension, index: 'hnsw', hnsw: { m: 16 } });
  await store.add(await model.encode(['a']), undefined, { texts: ['a'], metadata: [{ lang: 'en' }] });
  await store.upsert([new Float32Array(model.dimension)], [1n]);
  const hit: StoreSearchResult = await store.search(new Float32Array(model.dimension), { topK: 3, include: ['text'], filter: { metadata: { lang: 'en' } } });
  const texts: (string | null)[] | undefined = hit.texts;
  const many: StoreSearchResult[] = await store.search([new Float32Array(model.dimension)]);
  const size: number = (await store.size()) + (await store.remove([1])) + many.length + (texts?.length ?? 0);
  void size;
  try {
    await store.search(new Float32Array(1));
  } catch (err) {
    if (err instanceof StoreConnectionError) console.log(err.written);
  }
  // @ts-expect-error include names columns: text and metadata
  await store.search(new Float32Array(1), { include: ['embedding'] });
  // @ts-expect-error upsert needs ids
  await store.upsert([new Float32Array(1)]);
  await store.close();
}
void storeUsage;

async function contractUsage(model: Model, store: PostgresStore): Promise<void> {
  // Index and PostgresStore are both the search contract.
  const stores: VectorStore[] = [new Index({ dimension: model.dimension }), store];
  const results: VectorSearchResult[] = await stores[0].search([new Float32Array(model.dimension)], { topK: 1, include: ['text'] });
  const texts: (string | null)[] | undefined = results[0].texts;
  void texts;
  // @ts-expect-error the contract's include names text and metadata only
  await stores[1].search([new Float32Array(1)], { include: ['embedding'] });
}
void contractUsage;

async function rerankUsage(model: Model, store: PostgresStore, reranker: NonNullable<RerankOptions['rerank']>): Promise<void> {
  const query = new Float32Array(model.dimension);
  const hit = await store.search(query, { topK: 3, rerank: reranker, candidates: 30, queryText: 'q' });
  const both: [Float32Array, Float32Array | undefined] = [hit.scores, hit.retrievalScores];
  void both;
  const index = new Index({ dimension: model.dimension });
  await index.search([query, query], { rerank: reranker, queryText: ['a', 'b'], documents: ['text of id 0'] });
  // @ts-expect-error queryText is text, not a vector
  await index.search(query, { rerank: reranker, queryText: query });
  const [hits] = await semanticSearch(query, [query], { rerank: reranker, queryText: 'q', documents: ['a'] });
  const retrieval: number | undefined = hits[0].retrievalScore;
  void retrieval;
  await createServer(null, { reranker });
  await createServer(model, { reranker, rerankerName: 'bge-reranker-base' });
}
void rerankUsage;
