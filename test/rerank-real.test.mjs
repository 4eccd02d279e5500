// Reranking's surfaces with a real cross-encoder (issue 26): the tiny reranker twins of both
// tokenizer families (XLM-R SentencePiece; BERT WordPiece with token types) behind POST /v1/rerank
// and /rerank, Index.search and PostgresStore.search with `rerank`, the CLI, the AI SDK's
// rerank() and LangChain's compressor. Each answer must equal CrossEncoder.rank/predict run by
// hand on the same texts. (The stand-in reranker's tests probe odd answers; these prove the join.)
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ai from 'ai';
import { Document } from '@langchain/core/documents';
import { createSentvec } from 'sentvec/ai';
import { SentvecReranker } from 'sentvec/langchain';
import { ensureModel, TINY_BERT_RERANKER, TINY_RERANKER } from '../scripts/model/generate.mjs';
import { startCluster } from '../scripts/postgres-cluster.mjs';
import { randomVectors } from './helpers/random.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const { CrossEncoder, Index, PostgresStore } = sentvec;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/sentvec.js');

const twins = [
  ['XLM-R', () => ensureModel('tiny-reranker', TINY_RERANKER)],
  ['WordPiece', () => ensureModel('tiny-bert-reranker', TINY_BERT_RERANKER)],
];

const query = 'when does the night train leave';
const passages = [
  'The bakery opens at six.',
  'The night train leaves at ten from platform 4.',
  'Trains leave from platform 4.',
  'La conférence aura lieu à Lyon en mars.',
  'Night buses run every hour, and the last train leaves at midnight.',
  '夜行列車は十時に出発します。',
];

async function load(t, dir) {
  const ce = await CrossEncoder.load(dir);
  t.teardown(() => ce.dispose());
  return ce;
}

for (const [family, twin] of twins) {
  test(`${family}: POST /v1/rerank and POST /rerank answer CrossEncoder.rank's scores and order; raw_scores are activation 'none'`, async (t) => {
    const ce = await load(t, twin());
    const app = await server.createServer(null, { reranker: ce });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => app.close());
    const post = async (path, body) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      t.is(res.status, 200, path);
      return res.json();
    };
    const ranked = await ce.rank(query, passages);
    const raw = await ce.rank(query, passages, { activation: 'none' });
    // A real model's order is not the documents' order: otherwise the test would prove nothing.
    t.notDeepEqual(
      ranked.map((r) => r.index),
      passages.map((_, i) => i),
    );
    const cohere = await post('/v1/rerank', { query, documents: passages.map((text) => ({ text })) });
    t.deepEqual(
      cohere.results,
      ranked.map((r) => ({ index: r.index, relevance_score: r.score })),
    );
    const top = await post('/v1/rerank', { query, documents: passages, top_n: 2, return_documents: true });
    t.deepEqual(
      top.results,
      ranked.slice(0, 2).map((r) => ({ index: r.index, relevance_score: r.score, document: { text: passages[r.index] } })),
    );
    t.deepEqual(
      await post('/rerank', { query, texts: passages }),
      ranked.map((r) => ({ index: r.index, score: r.score })),
    );
    t.deepEqual(
      await post('/rerank', { query, texts: passages, raw_scores: true }),
      raw.map((r) => ({ index: r.index, score: r.score })),
    );
    // The same scores as predict's, pair by pair.
    const predicted = await ce.predict(passages.map((p) => [query, p]));
    for (const r of ranked) t.is(r.score, predicted[r.index]);
  });

  test(`${family}: Index.search with rerank equals "search the candidates, then rank them" done by hand`, async (t) => {
    const ce = await load(t, twin());
    const dimension = 8;
    const documents = Array.from({ length: 60 }, (_, i) => `${passages[i % passages.length]} (${i})`);
    const index = new Index({ dimension });
    await index.add(randomVectors(documents.length, dimension, 5));
    const queries = randomVectors(2, dimension, 6);
    const queryText = [query, 'la conférence de Lyon'];
    const plain = await index.search(queries, { topK: 20 });
    const reranked = await index.search(queries, { topK: 5, rerank: ce, candidates: 20, queryText, documents });
    for (let q = 0; q < 2; q++) {
      const texts = Array.from(plain[q].ids, (id) => documents[Number(id)]);
      const byHand = await ce.rank(queryText[q], texts, { topK: 5 });
      t.deepEqual(
        Array.from(reranked[q].ids),
        byHand.map((r) => plain[q].ids[r.index]),
      );
      t.deepEqual(
        Array.from(reranked[q].scores),
        byHand.map((r) => r.score),
      );
      t.deepEqual(
        Array.from(reranked[q].retrievalScores),
        byHand.map((r) => plain[q].scores[r.index]),
      );
    }
  });
}

test.serial(
  'PostgresStore.search with rerank (the texts it keeps) equals "search the candidates, then rank them" done by hand',
  async (t) => {
    let cluster;
    try {
      cluster = startCluster();
    } catch (err) {
      t.fail(`PostgreSQL + pgvector are needed (bash scripts/setup.sh --test): ${err.message}`);
      return;
    }
    const ce = await load(t, twins[1][1]());
    const dimension = 8;
    const documents = Array.from({ length: 40 }, (_, i) => `${passages[i % passages.length]} (${i})`);
    const store = await PostgresStore.open({ connection: cluster.connectionString, table: 'rerank_real', dimension });
    try {
      await store.add(randomVectors(documents.length, dimension, 7), undefined, { texts: documents });
      const queryVector = randomVectors(1, dimension, 8)[0];
      const [plain] = await store.search([queryVector], { topK: 15, include: ['text'] });
      const [reranked] = await store.search([queryVector], { topK: 4, rerank: ce, candidates: 15, queryText: query });
      const byHand = await ce.rank(query, plain.texts, { topK: 4 });
      t.deepEqual(
        Array.from(reranked.ids),
        byHand.map((r) => plain.ids[r.index]),
      );
      t.deepEqual(
        Array.from(reranked.scores),
        byHand.map((r) => r.score),
      );
      t.deepEqual(
        Array.from(reranked.retrievalScores),
        byHand.map((r) => plain.scores[r.index]),
      );
    } finally {
      await store.close();
    }
  },
);

function run(args) {
  const env = { ...process.env, SENTVEC_CACHE: join(tmpdir(), 'sentvec-cli-cache') };
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { env }, (error, stdout, stderr) => done({ code: error ? error.code : 0, stdout, stderr }));
  });
}

test("the CLI with a real twin: `-i … --rerank <dir>` and `sentvec rerank` print CrossEncoder.rank's order and scores", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-rerank-real-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'input.txt');
  writeFileSync(input, passages.join('\n'));
  const reranker = twins[1][1]();
  const ce = await load(t, reranker);
  const ranked = await ce.rank(query, passages);
  const lines = await run(['rerank', '-q', query, '-i', input, '--model', reranker]);
  t.is(lines.code, 0, lines.stderr);
  t.deepEqual(
    lines.stdout.trim().split('\n'),
    ranked.map((r) => `Text: ${passages[r.index]} (Score:${r.score.toFixed(3)})`),
  );
  const json = JSON.parse((await run(['rerank', '-q', query, '-i', input, '--model', reranker, '-k', '2', '--json'])).stdout);
  t.deepEqual(
    json.results,
    ranked.slice(0, 2).map((r) => ({ text: passages[r.index], score: Number(r.score.toFixed(6)), line: r.index + 1 })),
  );
  // Every sentence a candidate: the printed order is the cross-encoder's over all of them.
  const search = await run([
    '-i',
    input,
    '--model',
    tinyModel(),
    '--rerank',
    reranker,
    '-p',
    query,
    '-k',
    '3',
    '--candidates',
    String(passages.length),
    '-q',
  ]);
  t.is(search.code, 0, search.stderr);
  t.deepEqual(
    search.stdout.trim().split('\n'),
    ranked.slice(0, 3).map((r) => `Text: ${passages[r.index]} (Similarity:${r.score.toFixed(3)})`),
  );
});

test("the AI SDK's rerank() and LangChain's compressor with a real CrossEncoder give its order and scores", async (t) => {
  const ce = await load(t, twins[0][1]());
  const ranked = await ce.rank(query, passages);
  const provider = createSentvec();
  t.teardown(() => provider.dispose());
  const { ranking } = await ai.rerank({ model: provider.reranking(ce), query, documents: passages, topN: 3 });
  t.deepEqual(
    ranking.map((r) => [r.originalIndex, r.score]),
    ranked.slice(0, 3).map((r) => [r.index, r.score]),
  );
  // A folder: the provider loads the cross-encoder itself, and answers the same.
  const byFolder = await ai.rerank({ model: provider.reranking(twins[0][1]()), query, documents: passages, topN: 3 });
  t.deepEqual(
    byFolder.ranking.map((r) => [r.originalIndex, r.score]),
    ranked.slice(0, 3).map((r) => [r.index, r.score]),
  );
  const compressor = new SentvecReranker({ model: ce, topK: 2 });
  const docs = passages.map((pageContent, i) => new Document({ pageContent, metadata: { i } }));
  const kept = await compressor.compressDocuments(docs, query);
  t.deepEqual(
    kept.map((d) => [d.metadata.i, d.metadata.relevanceScore]),
    ranked.slice(0, 2).map((r) => [r.index, r.score]),
  );
});
