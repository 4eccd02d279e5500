// PostgresStore (PostgreSQL + pgvector, a throw-away local cluster) beside the in-memory Index:
// ingest (COPY through the store, hand-written multi-row INSERT, Index.add), the HNSW build, and
// queries (exact and HNSW, recall@10 against exact).
//   npm run bench -- store [--sizes 100000 --dims 384,768 --queries 200 --ef 40,100 --insert 20000]
// The corpus is shaped like text embeddings (embeddingLikeRows): uniform random vectors have no
// neighbourhoods and are HNSW's worst case, far from what a sentence model makes.
// Queries run one at a time from one client (latency-bound: each is a round trip), and as 4
// concurrent clients (the server's 2 cores busy). Needs `bash scripts/setup.sh --test`.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { startCluster } from '../scripts/postgres-cluster.mjs';
import { recall, sentvec } from './common.mjs';
import { uniform } from '../scripts/model/onnx.mjs';

const require = createRequire(import.meta.url);
const pg = require('pg');
const pgvector = require('pgvector');

// Seeded uniform numbers in [-0.5, 0.5).
const rng = (seed) => {
  const next = uniform(seed);
  return () => next() - 0.5;
};

function gauss(r) {
  return Math.sqrt(-2 * Math.log(r() + 0.5 + 1e-12)) * Math.cos(2 * Math.PI * (r() + 0.5));
}

// Text embeddings vary along far fewer directions than they have dimensions: each vector is a
// point of a 64-dimensional mixture of 200 topics, projected into `dim` dimensions (the same
// projection for corpus and queries), plus noise, normalized.
function embeddingLikeRows(n, dim, seed, latent = 64, topics = 200, noise = 0.2) {
  const shared = rng(1234);
  const projection = Float32Array.from({ length: latent * dim }, () => gauss(shared) / Math.sqrt(latent));
  const centers = Float32Array.from({ length: topics * latent }, () => gauss(shared));
  const r = rng(seed);
  const data = new Float32Array(n * dim);
  const z = new Float32Array(latent);
  for (let i = 0; i < n; i++) {
    const c = Math.floor((r() + 0.5) * topics) % topics;
    for (let l = 0; l < latent; l++) z[l] = centers[c * latent + l] + 0.7 * gauss(r);
    let s = 0;
    for (let d = 0; d < dim; d++) {
      let v = noise * gauss(r);
      for (let l = 0; l < latent; l++) v += z[l] * projection[l * dim + d];
      data[i * dim + d] = v;
      s += v * v;
    }
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) data[i * dim + d] *= inv;
  }
  return data;
}

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

// Queries one at a time, then `clients` at once; returns both QPS and the results of the first pass.
async function queryRates(search, queries, clients = 4) {
  const results = [];
  const serial = await timed(async () => {
    for (const q of queries) results.push(await search(q));
  });
  let next = 0;
  const parallel = await timed(() =>
    Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < queries.length) await search(queries[next++]);
      }),
    ),
  );
  return { qps: (queries.length / serial.ms) * 1000, qpsParallel: (queries.length / parallel.ms) * 1000, results };
}


export async function run(args) {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string', default: '100000' },
      dims: { type: 'string', default: '384,768' },
      queries: { type: 'string', default: '200' },
      ef: { type: 'string', default: '40,100' },
      insert: { type: 'string', default: '20000' },
    },
  });
  const queryCount = Number(values.queries);
  const cluster = startCluster({
    settings: { shared_buffers: '2GB', maintenance_work_mem: '2GB', max_parallel_maintenance_workers: '1', max_connections: '50' },
  });
  const rows = [];
  const targets = [];
  try {
    for (const n of values.sizes.split(',').map(Number)) {
      for (const dim of values.dims.split(',').map(Number)) {
        const corpus = embeddingLikeRows(n, dim, n + dim);
        const queries = Array.from({ length: queryCount }, (_, q) => embeddingLikeRows(1, dim, 9000 + q));
        const label = `${n / 1000}k × ${dim}`;

        // Ingest. Index.add: the in-memory reference.
        const index = new sentvec.Index({ dimension: dim, metric: 'cosine', threads: 1 });
        const indexAdd = await timed(() => index.add(corpus));
        // The store: binary COPY, 10,000 vectors per add() (each one transaction).
        const store = await sentvec.PostgresStore.open({ connection: cluster.connectionString, table: `b${dim}_${n}`, dimension: dim });
        const copy = await timed(async () => {
          for (let i = 0; i < n; i += 10_000) await store.add(corpus.subarray(i * dim, Math.min(n, i + 10_000) * dim));
        });
        // What one writes by hand: multi-row INSERT of pgvector's text form, 500 rows per statement, one transaction.
        const insertCount = Math.min(n, Number(values.insert));
        const client = new pg.Client({ connectionString: cluster.connectionString });
        await client.connect();
        await client.query(`CREATE TABLE hand_${dim} (id bigint PRIMARY KEY, embedding vector(${dim}) NOT NULL)`);
        const insert = await timed(async () => {
          await client.query('BEGIN');
          for (let i = 0; i < insertCount; i += 500) {
            const params = [];
            const tuples = [];
            for (let r = i; r < Math.min(insertCount, i + 500); r++) {
              params.push(r, pgvector.toSql(Array.from(corpus.subarray(r * dim, (r + 1) * dim))));
              tuples.push(`($${params.length - 1}, $${params.length})`);
            }
            await client.query(`INSERT INTO hand_${dim} (id, embedding) VALUES ${tuples.join(', ')}`, params);
          }
          await client.query('COMMIT');
        });
        await client.query(`DROP TABLE hand_${dim}`);
        await client.end();
        const copyRate = (n / copy.ms) * 1000;
        const insertRate = (insertCount / insert.ms) * 1000;
        rows.push({
          corpus: label,
          step: 'ingest',
          'Index.add vectors/s': Math.round((n / indexAdd.ms) * 1000),
          'store COPY vectors/s': Math.round(copyRate),
          [`INSERT vectors/s (${insertCount / 1000}k)`]: Math.round(insertRate),
          'COPY ÷ INSERT': +(copyRate / insertRate).toFixed(2),
        });
        console.log(rows.at(-1));

        // Exact queries: Index, the store (every row scored).
        const exactIndex = await queryRates((q) => index.search(q, { topK: 10 }), queries);
        const exactStore = await queryRates((q) => store.search(q, { topK: 10 }), queries.slice(0, Math.min(queryCount, 50)));
        const truth = exactIndex.results;
        rows.push({
          corpus: label,
          step: 'exact top-10',
          'Index QPS': +exactIndex.qps.toFixed(1),
          'Index QPS (4 clients)': +exactIndex.qpsParallel.toFixed(1),
          'store QPS': +exactStore.qps.toFixed(1),
          'store QPS (4 clients)': +exactStore.qpsParallel.toFixed(1),
          'store ÷ Index': +(exactStore.qps / exactIndex.qps).toFixed(3),
          'recall@10': recall(exactStore.results, truth.slice(0, exactStore.results.length)),
        });
        console.log(rows.at(-1));
        await store.close();

        // HNSW: opening with index 'hnsw' builds it over the rows already there.
        const build = await timed(() =>
          sentvec.PostgresStore.open({ connection: cluster.connectionString, table: `b${dim}_${n}`, dimension: dim, index: 'hnsw' }),
        );
        await build.value.close();
        for (const ef of values.ef.split(',').map(Number)) {
          const hnsw = await sentvec.PostgresStore.open({
            connection: cluster.connectionString,
            table: `b${dim}_${n}`,
            dimension: dim,
            index: 'hnsw',
            hnsw: { efSearch: ef },
          });
          const rates = await queryRates((q) => hnsw.search(q, { topK: 10 }), queries);
          const r = recall(rates.results, truth);
          rows.push({
            corpus: label,
            step: `HNSW top-10, efSearch ${ef}`,
            'build s': +(build.ms / 1000).toFixed(1),
            'Index QPS': +exactIndex.qps.toFixed(1),
            'store QPS': +rates.qps.toFixed(1),
            'store QPS (4 clients)': +rates.qpsParallel.toFixed(1),
            'store ÷ Index': +(rates.qps / exactIndex.qps).toFixed(3),
            'recall@10': +r.toFixed(3),
          });
          console.log(rows.at(-1));
          if (ef === 100) targets.push({ name: `store HNSW recall@10 ≥ 0.9 (${label}, efSearch 100)`, value: r, goal: 0.9 });
          await hnsw.close();
        }
        index.dispose();
      }
    }
  } finally {
    cluster.stop();
  }
  console.table(rows);
  return { rows, targets };
}
