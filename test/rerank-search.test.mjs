// Retrieve, then rerank (issue 26, item 3): Index.search, PostgresStore.search and semanticSearch
// with `{ rerank, candidates }`, through a stand-in reranker that scores by word overlap, so that
// the expected order is known. The real CrossEncoder is tested where it is built.
import test from 'ava';
import { FakeReranker, overlap } from './helpers/fake-reranker.cjs';
import { randomVectors } from './helpers/random.mjs';
import { startCluster } from '../scripts/postgres-cluster.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Index, PostgresStore, semanticSearch, InvalidArgumentError } = sentvec;

const WORDS = ['train', 'night', 'bread', 'lyon', 'march', 'bakery', 'station', 'conference', 'mountain', 'ticket'];
const dimension = 16;
const vectors = randomVectors(200, dimension, 11);
// Each vector's text: three of WORDS, chosen by its id, so that overlap scores differ from similarity.
const documents = vectors.map((_, i) => `${WORDS[i % 10]} ${WORDS[(i * 3 + 1) % 10]} ${WORDS[(i * 7 + 2) % 10]} ${i}`);
const queries = randomVectors(3, dimension, 12);
const queryTexts = ['night train ticket', 'bakery bread', 'conference in lyon in march'];

// What a search with rerank must answer: the plain search's `candidates` hits, ordered by the
// reranker's score (ties: the better retrieval first), cut to topK.
function expected(plain, queryText, topK) {
  const order = Array.from(plain.ids, (_, j) => j)
    .map((j) => ({ j, score: overlap(queryText, documents[Number(plain.ids[j])]) }))
    .sort((a, b) => b.score - a.score || a.j - b.j)
    .slice(0, topK);
  return {
    ids: order.map((o) => plain.ids[o.j]),
    scores: order.map((o) => Math.fround(o.score)),
    retrievalScores: order.map((o) => plain.scores[o.j]),
  };
}

function same(t, got, want, label) {
  t.deepEqual(Array.from(got.ids), want.ids, `${label}: ids`);
  t.deepEqual(Array.from(got.scores), want.scores, `${label}: scores are the reranker's`);
  t.deepEqual(Array.from(got.retrievalScores), want.retrievalScores, `${label}: retrievalScores are the vector search's`);
}

async function filledIndex() {
  const index = new Index({ dimension });
  await index.add(vectors);
  return index;
}

test('Index.search reranks the candidates it retrieved, with both scores, for one query and for several', async (t) => {
  const index = await filledIndex();
  const reranker = new FakeReranker();
  const plain = await index.search(queries, { topK: 40 });
  const one = await index.search(queries[0], { topK: 5, rerank: reranker, candidates: 40, queryText: queryTexts[0], documents });
  same(t, one, expected(plain[0], queryTexts[0], 5), 'one query');
  t.is(reranker.calls.length, 1);
  t.is(reranker.calls[0].pairs, 40, 'the reranker reads exactly `candidates` passages');
  const several = await index.search(queries, { topK: 5, rerank: reranker, candidates: 40, queryText: queryTexts, documents });
  t.is(several.length, 3);
  several.forEach((r, q) => same(t, r, expected(plain[q], queryTexts[q], 5), `query ${q}`));
  // The reranked order is not the retrieval order: otherwise the test would prove nothing.
  t.notDeepEqual(Array.from(one.ids), Array.from(plain[0].ids.subarray(0, 5)));
  const withText = await index.search(queries[0], { topK: 3, rerank: reranker, candidates: 40, queryText: queryTexts[0], documents, include: ['text'] });
  t.deepEqual(withText.texts, Array.from(withText.ids, (id) => documents[Number(id)]), 'include text: the texts the reranker read');
});

test('candidates defaults to max(topK, 100); topK defaults to 10', async (t) => {
  const index = await filledIndex();
  const reranker = new FakeReranker();
  const r = await index.search(queries[1], { rerank: reranker, queryText: queryTexts[1], documents });
  t.is(r.ids.length, 10);
  t.is(reranker.calls[0].pairs, 100);
  await index.search(queries[1], { topK: 150, rerank: reranker, queryText: queryTexts[1], documents });
  t.is(reranker.calls[1].pairs, 150);
});

test('semanticSearch reranks with the corpus texts: corpusId, score (the reranker\'s) and retrievalScore', async (t) => {
  const reranker = new FakeReranker();
  const plain = await semanticSearch(queries, vectors, { topK: 30 });
  const hits = await semanticSearch(queries, vectors, { topK: 4, rerank: reranker, candidates: 30, queryText: queryTexts, documents });
  hits.forEach((list, q) => {
    const want = expected(
      { ids: plain[q].map((h) => BigInt(h.corpusId)), scores: plain[q].map((h) => h.score) },
      queryTexts[q],
      4,
    );
    t.deepEqual(
      list.map((h) => [h.corpusId, h.score, h.retrievalScore]),
      want.ids.map((id, i) => [Number(id), want.scores[i], want.retrievalScores[i]]),
    );
  });
  const without = await semanticSearch(queries[0], vectors, { topK: 2 });
  t.false('retrievalScore' in without[0][0], 'no retrievalScore without rerank');
});

test('bad rerank options are refused with a message that says what to pass', async (t) => {
  const index = await filledIndex();
  const reranker = new FakeReranker();
  const q = queries[0];
  const base = { rerank: reranker, queryText: 'x', documents };
  const cases = [
    [{ ...base, topK: 20, candidates: 10 }, /candidates \(10\) is less than topK \(20\)/],
    [{ ...base, candidates: 0 }, /Expected an integer from 1 to 100,000 for candidates but received 0/],
    [{ ...base, candidates: 100_001 }, /Expected an integer from 1 to 100,000 for candidates/],
    [{ ...base, candidates: 2.5 }, /for candidates but received 2\.5/],
    [{ rerank: reranker, documents }, /for queryText but received undefined: the reranker reads the query as text/],
    [{ ...base, queryText: ['a', 'b'] }, /Expected 1 query texts \(one per query\) for queryText but received 2/],
    [{ ...base, rerank: {} }, /Expected a CrossEncoder \(or an object with rank\(\)\) for rerank/],
    [{ ...base, documents: 'text' }, /Expected an array of texts by id for documents/],
    [{ rerank: reranker, queryText: 'x' }, /this store keeps no texts \(an Index keeps vectors only\).*pass documents/],
    [{ ...base, documents: documents.slice(0, 10) }, /documents\[\d+\] is undefined, but the vector with id \d+ is a candidate/],
    [{ ...base, rerankk: reranker }, /Unknown option "rerankk"/],
  ];
  for (const [options, message] of cases) {
    const err = await t.throwsAsync(index.search(q, options), { instanceOf: InvalidArgumentError }, JSON.stringify(Object.keys(options)));
    t.regex(err.message, message);
  }
  t.is(reranker.calls.length, 0, 'nothing reached the reranker');
  await t.throwsAsync(semanticSearch(q, vectors, { topK: 5, candidates: 2, rerank: reranker, queryText: 'x', documents }), {
    message: /candidates \(2\) is less than topK \(5\)/,
  });
});

test('a reranker that fails rejects the search with its error; the index answers the next one', async (t) => {
  const index = await filledIndex();
  const broken = new FakeReranker();
  await broken.dispose();
  await t.throwsAsync(index.search(queries[0], { rerank: broken, queryText: 'x', documents }), { message: /disposed/ });
  t.is((await index.search(queries[0], { topK: 3 })).ids.length, 3);
});

test.serial('PostgresStore.search reranks with the texts it keeps, and says which vector has none', async (t) => {
  let cluster;
  try {
    cluster = startCluster();
  } catch (err) {
    // Without PostgreSQL the contract is still covered through Index above.
    t.log(`no PostgreSQL: ${err.message}`);
    t.fail('PostgreSQL + pgvector are needed: bash scripts/setup.sh --test');
    return;
  }
  const store = await PostgresStore.open({ connection: cluster.connectionString, table: 'rerank', dimension });
  try {
    await store.add(vectors, undefined, { texts: documents, metadata: documents.map((_, i) => ({ i })) });
    const reranker = new FakeReranker();
    const plain = await store.search(queries, { topK: 40 });
    const results = await store.search(queries, { topK: 5, rerank: reranker, candidates: 40, queryText: queryTexts, include: ['metadata'] });
    results.forEach((r, q) => {
      const want = expected(plain[q], queryTexts[q], 5);
      t.deepEqual(Array.from(r.ids), want.ids);
      t.deepEqual(Array.from(r.scores), want.scores);
      r.retrievalScores.forEach((s, i) => t.true(Math.abs(s - want.retrievalScores[i]) < 1e-6));
      t.deepEqual(r.metadata, Array.from(r.ids, (id) => ({ i: Number(id) })), 'metadata follows the new order');
      t.is(r.texts, undefined, 'texts only when include asks for them');
    });
    await store.add([queries[0]], [1000], { texts: [null] });
    await t.throwsAsync(store.search(queries[0], { topK: 1, candidates: 5, rerank: reranker, queryText: 'x' }), {
      instanceOf: InvalidArgumentError,
      message: /the vector with id 1000 was stored without a text.*pass documents/,
    });
  } finally {
    await store.close();
    cluster.stop();
  }
});

// Rerankers that answer something that is no ranking: each must fail the search, never become a
// hit with a NaN score, a missing hit, a repeated one, or a TypeError from deep inside.
const brokenRerankers = {
  'a NaN score': (documents, topK) => documents.slice(0, topK).map((_, index) => ({ index, score: NaN })),
  'too few results': () => [],
  'too many results': (documents) => [...documents, ...documents].map((_, i) => ({ index: i % documents.length, score: 1 })),
  'an index past the documents': (documents, topK) => documents.slice(0, topK).map((_, index) => ({ index: index + 1000, score: 1 })),
  'a repeated index': (documents, topK) => documents.slice(0, topK).map(() => ({ index: 0, score: 1 })),
  'no array': () => 42,
};

test('Index.search refuses a reranker whose rank() answers no ranking, with InferenceError naming what it answered', async (t) => {
  const index = await filledIndex();
  for (const [label, answer] of Object.entries(brokenRerankers)) {
    const reranker = { ...new FakeReranker(), rank: async (query, texts, options) => answer(texts, options.topK) };
    const err = await t.throwsAsync(
      index.search(queries[0], { topK: 5, rerank: reranker, candidates: 20, queryText: queryTexts[0], documents }),
      { instanceOf: sentvec.InferenceError },
      label,
    );
    t.regex(err.message, /the reranker's rank\(\) answered .*it must answer 5 results/, label);
  }
});
