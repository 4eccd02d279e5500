// PostgresStore against a real PostgreSQL + pgvector (a throw-away cluster per file, see
// scripts/postgres-cluster.mjs; `bash scripts/setup.sh --test` installs what it needs).
// The test that kills connections and restarts the server is serial: ava runs it before the others.
import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { startCluster } from '../scripts/postgres-cluster.mjs';
import { sentvec } from './helpers/sentvec.mjs';
import { randomVectors } from './helpers/random.mjs';

const require = createRequire(import.meta.url);
const pg = require('pg');
const {
  Index,
  PostgresStore,
  InvalidArgumentError,
  DuplicateIdError,
  DimensionMismatchError,
  PgvectorMissingError,
  StoreConnectionError,
  StoreError,
} = sentvec;

let cluster;
test.before(() => {
  cluster = startCluster();
});
test.after.always(() => cluster?.stop());

let tables = 0;
const open = (options = {}) =>
  PostgresStore.open({ connection: cluster.connectionString, table: `t${++tables}`, dimension: 32, ...options });

function sameResults(t, got, want, label) {
  t.deepEqual(Array.from(got.ids), Array.from(want.ids), `${label}: ids`);
  let worst = 0;
  for (let i = 0; i < want.scores.length; i++) worst = Math.max(worst, Math.abs(got.scores[i] - want.scores[i]));
  t.true(worst <= 1e-5, `${label}: scores differ by ${worst}`);
}

for (const metric of ['cosine', 'dot']) {
  test(`exact search gives Index's ids and scores (${metric})`, async (t) => {
    const dimension = 48;
    const vectors = randomVectors(1500, dimension, 7);
    const queries = randomVectors(20, dimension, 8);
    const ids = Array.from({ length: vectors.length }, (_, i) => i * 3 + 1);
    const store = await open({ dimension, metric });
    const index = new Index({ dimension, metric });
    try {
      await store.add(vectors.slice(0, 700), ids.slice(0, 700));
      await store.add(vectors.slice(700), ids.slice(700));
      await index.add(vectors, ids);
      t.is(await store.size(), 1500);
      const [got, want] = [await store.search(queries, { topK: 10 }), await index.search(queries, { topK: 10 })];
      t.is(got.length, queries.length);
      got.forEach((g, q) => sameResults(t, g, want[q], `query ${q}`));
      sameResults(t, await store.search(queries[0]), await index.search(queries[0]), 'one query, default topK');
      // More than it holds: all of it, ordered.
      sameResults(t, await store.search(queries[1], { topK: 1e9 }), await index.search(queries[1], { topK: 1e9 }), 'topK 1e9');
      const filter = ids.filter((id) => id % 2 === 0);
      sameResults(
        t,
        await store.search(queries[2], { topK: 25, filter }),
        await index.search(queries[2], { topK: 25, filter }),
        'id filter',
      );
      const bitmap = new Uint8Array(ids[ids.length - 1] / 8 + 1);
      for (const id of ids.slice(0, 300)) bitmap[id >> 3] |= 1 << (id & 7);
      sameResults(
        t,
        await store.search(queries[3], { topK: 5, filter: { bitmap } }),
        await index.search(queries[3], { topK: 5, filter: { bitmap } }),
        'bitmap filter',
      );
      const removed = ids.slice(100, 400);
      t.is(await store.remove([...removed, 999_999]), 300);
      t.is(await index.remove(removed), 300);
      sameResults(t, await store.search(queries[4], { topK: 50 }), await index.search(queries[4], { topK: 50 }), 'after remove');
      t.deepEqual(await store.search([]), []);
    } finally {
      index.dispose();
      await store.close();
    }
  });
}

test('automatic ids continue above the largest ever given, across processes writing one table', async (t) => {
  const a = await open();
  const b = await PostgresStore.open({ connection: cluster.connectionString, table: a.table, dimension: 32 });
  const index = new Index({ dimension: 32 });
  try {
    const v = randomVectors(10, 32, 1);
    await a.add(v.slice(0, 2)); // 0, 1
    await index.add(v.slice(0, 2));
    await a.add(v.slice(2, 3), [40]);
    await index.add(v.slice(2, 3), [40]);
    await a.remove([40]);
    await index.remove([40]);
    await b.add(v.slice(3, 5)); // 41, 42: above 40 although 40 is gone
    await index.add(v.slice(3, 5));
    const all = await b.search(v[0], { topK: 10 });
    const want = await index.search(v[0], { topK: 10 });
    t.deepEqual(Array.from(all.ids).sort(), [0n, 1n, 41n, 42n]);
    sameResults(t, all, want, 'same as Index');
    // Concurrent writers never get the same id.
    await Promise.all([...Array(6)].map((_, i) => (i % 2 ? a : b).add(randomVectors(5, 32, 100 + i))));
    t.is(await a.size(), 34);
    const every = await a.search(v[0], { topK: 100 });
    t.is(new Set(every.ids).size, 34);
  } finally {
    index.dispose();
    await a.close();
    await b.close();
  }
});

test('a duplicate id rejects the whole call and stores nothing; upsert replaces', async (t) => {
  const store = await open({ dimension: 4, metric: 'dot' });
  try {
    const v = (x) => Float32Array.of(x, 0, 0, 0);
    await store.add([v(1), v(2)], [1, 2], { texts: ['one', 'two'] });
    const err = await t.throwsAsync(store.add([v(3), v(4)], [3, 2]), { instanceOf: DuplicateIdError });
    t.regex(err.message, /id 2 .*upsert/);
    await t.throwsAsync(store.add([v(3), v(4)], [5, 5]), { instanceOf: DuplicateIdError });
    t.is(await store.size(), 2);
    await store.upsert([v(20), v(30)], [2, 3], { texts: ['TWO', 'three'], metadata: [{ lang: 'en' }, null] });
    const hits = await store.search(v(1), { topK: 5, include: ['text', 'metadata'] });
    t.deepEqual(Array.from(hits.ids), [3n, 2n, 1n]);
    t.deepEqual(Array.from(hits.scores), [30, 20, 1]);
    t.deepEqual(hits.texts, ['three', 'TWO', 'one']);
    t.deepEqual(hits.metadata, [null, { lang: 'en' }, null]);
    await t.throwsAsync(store.upsert([v(1), v(1)], [7, 7]), { instanceOf: DuplicateIdError });
    t.is(await store.size(), 3);
  } finally {
    await store.close();
  }
});

test('texts and metadata round-trip, metadata filters', async (t) => {
  const store = await open({ dimension: 8 });
  try {
    const vectors = randomVectors(50, 8, 3);
    const texts = vectors.map((_, i) => (i === 7 ? 'naïve café — 東京 🍣 "quoted"\n\ttab' : `text ${i}`));
    const metadata = vectors.map((_, i) => ({ lang: i % 2 ? 'de' : 'en', n: i, nested: { ok: true } }));
    await store.add(vectors, undefined, { texts, metadata });
    const hit = await store.search(vectors[7], { topK: 1, include: ['text', 'metadata'] });
    t.deepEqual(Array.from(hit.ids), [7n]);
    t.is(hit.texts[0], texts[7]);
    t.deepEqual(hit.metadata[0], metadata[7]);
    const de = await store.search(vectors[0], { topK: 50, filter: { metadata: { lang: 'de' } }, include: ['metadata'] });
    t.is(de.ids.length, 25);
    t.true(de.metadata.every((m) => m.lang === 'de'));
    // Several COPY chunks (1 MiB each): 3,000 rows of about 1.2 KB, and one row larger than a chunk.
    const many = randomVectors(3000, 8, 4);
    const long = many.map((_, i) => `${i} ${'ü東'.repeat(200)}`);
    long[1234] = 'x'.repeat(3 << 20);
    await store.add(many, many.map((_, i) => 1000 + i), { texts: long, metadata: many.map((_, i) => ({ i })) });
    t.is(await store.size(), 3050);
    for (const i of [0, 1234, 1999, 2999]) {
      const hit = await store.search(many[i], { topK: 1, filter: [1000 + i], include: ['text', 'metadata'] });
      t.is(hit.texts[0], long[i]);
      t.deepEqual(hit.metadata[0], { i });
    }
  } finally {
    await store.close();
  }
});

test('any text and JSON metadata round-trip through binary COPY (property); NUL, lone surrogates and BigInt are refused', async (t) => {
  const store = await open({ dimension: 2, metric: 'dot' });
  try {
    // PostgreSQL's text holds any Unicode but NUL; keys of jsonb objects come back sorted.
    const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((x) => !x.includes('\0'));
    const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.option(text), fc.option(fc.dictionary(text, value, { maxKeys: 4 }))), { minLength: 1, maxLength: 8 }),
        async (items) => {
          const base = ++round * 100;
          const ids = items.map((_, i) => base + i);
          const vectors = items.map((_, i) => Float32Array.of(1, -(base + i)));
          await store.add(vectors, ids, { texts: items.map(([x]) => x), metadata: items.map(([, m]) => m) });
          const hits = await store.search(Float32Array.of(0, -1), { topK: items.length, filter: ids, include: ['text', 'metadata'] });
          t.deepEqual(Array.from(hits.ids, Number), [...ids].reverse());
          const want = [...items].reverse();
          t.deepEqual(
            hits.texts,
            want.map(([x]) => x),
          );
          t.deepEqual(
            hits.metadata,
            want.map(([, m]) => m),
          );
        },
      ),
      { numRuns: 60 },
    );
    const v = [Float32Array.of(1, 2)];
    await t.throwsAsync(store.add(v, [1], { texts: ['a\0b'] }), { instanceOf: InvalidArgumentError, message: /texts\[0\] contains a NUL/ });
    await t.throwsAsync(store.add(v, [1], { texts: ['\ud800x'] }), { instanceOf: InvalidArgumentError, message: /lone surrogate/ });
    await t.throwsAsync(store.add(v, [1], { metadata: [{ a: { b: '\0' } }] }), {
      instanceOf: InvalidArgumentError,
      message: /metadata\[0\]\.a\.b contains a NUL/,
    });
    await t.throwsAsync(store.add(v, [1], { metadata: [{ n: 1n }] }), {
      instanceOf: InvalidArgumentError,
      message: /cannot be written as JSON.*BigInt/,
    });
    const cyclic = {};
    cyclic.self = cyclic;
    await t.throwsAsync(store.add(v, [1], { metadata: [cyclic] }), { instanceOf: InvalidArgumentError });
    await t.throwsAsync(store.search(v[0], { filter: { metadata: { k: '\udc00' } } }), {
      instanceOf: InvalidArgumentError,
      message: /filter.metadata.k/,
    });
  } finally {
    await store.close();
  }
});

test('bad input: typed errors, nothing stored', async (t) => {
  const store = await open({ dimension: 4 });
  try {
    await t.throwsAsync(store.add([Float32Array.of(1, 2, 3)]), {
      instanceOf: InvalidArgumentError,
      message: /has 3 values; this store has dimension 4/,
    });
    await t.throwsAsync(store.add([Float32Array.of(1, NaN, 3, 4)]), {
      instanceOf: InvalidArgumentError,
      message: /vector 0 has NaN at position 1/,
    });
    const dot = await open({ dimension: 2, metric: 'dot' });
    await t.throwsAsync(dot.add([Float32Array.of(1e19, 0)]), { instanceOf: InvalidArgumentError, message: /L2 norm of 1\.000e\+19; with metric 'dot'/ });
    await dot.close();
    await t.throwsAsync(store.add([Float32Array.of(1, 2, 3, 4)], [2n ** 63n]), { instanceOf: InvalidArgumentError, message: /2\^63/ });
    await t.throwsAsync(store.add([Float32Array.of(1, 2, 3, 4)], [1], { texts: [1] }), { instanceOf: InvalidArgumentError });
    await t.throwsAsync(store.add([Float32Array.of(1, 2, 3, 4)], [1], { texts: ['a', 'b'] }), { instanceOf: InvalidArgumentError });
    await t.throwsAsync(store.search(Float32Array.of(1, 2, 3)), { instanceOf: InvalidArgumentError });
    await t.throwsAsync(store.search(Float32Array.of(1, 2, 3, 4), { topK: 0 }), { instanceOf: InvalidArgumentError });
    await t.throwsAsync(store.search(Float32Array.of(1, 2, 3, 4), { top_k: 3 }), { instanceOf: InvalidArgumentError, message: /topK/ });
    t.is(await store.size(), 0);
    await t.throwsAsync(open({ table: 'x"; DROP TABLE sentvec_stores; --' }), { instanceOf: InvalidArgumentError, message: /table name/ });
    await t.throwsAsync(open({ dimension: 16_001 }), { instanceOf: InvalidArgumentError });
    await t.throwsAsync(open({ dimension: 2001, index: 'hnsw' }), { instanceOf: InvalidArgumentError, message: /2000/ });
    await t.throwsAsync(open({ hnsw: { m: 40, efConstruction: 64 } }), { instanceOf: InvalidArgumentError, message: /2 × hnsw.m/ });
    await t.throwsAsync(PostgresStore.open({ connection: 42, dimension: 4 }), { instanceOf: InvalidArgumentError });
  } finally {
    await store.close();
  }
  await t.throwsAsync(store.size(), { instanceOf: StoreError, message: /closed/ });
});

test('an existing table of another dimension or metric is refused, a foreign table is not taken over', async (t) => {
  const store = await open({ dimension: 16 });
  await store.close();
  const err = await t.throwsAsync(PostgresStore.open({ connection: cluster.connectionString, table: store.table, dimension: 32 }), {
    instanceOf: DimensionMismatchError,
  });
  t.regex(err.message, /dimension 16, not 32/);
  await t.throwsAsync(PostgresStore.open({ connection: cluster.connectionString, table: store.table, dimension: 16, metric: 'dot' }), {
    instanceOf: DimensionMismatchError,
    message: /metric/,
  });
  cluster.sql('CREATE TABLE foreign_table (id int)');
  await t.throwsAsync(PostgresStore.open({ connection: cluster.connectionString, table: 'foreign_table', dimension: 16 }), {
    instanceOf: StoreError,
    message: /not created by sentvec/,
  });
  // A store's table dropped behind its back: a typed error, and the next open makes it again, empty.
  const again = await PostgresStore.open({ connection: cluster.connectionString, table: store.table, dimension: 16 });
  await again.add(randomVectors(3, 16, 1));
  cluster.sql(`DROP TABLE ${store.table}`);
  await t.throwsAsync(again.size(), { instanceOf: StoreError, message: /does not exist any more .*open the store again/ });
  await again.close();
  const remade = await PostgresStore.open({ connection: cluster.connectionString, table: store.table, dimension: 16 });
  t.is(await remade.size(), 0);
  await remade.add(randomVectors(1, 16, 2));
  t.is(await remade.size(), 1);
  await remade.close();
});

test('a server without pgvector (for this role) gives PgvectorMissingError', async (t) => {
  cluster.sql('CREATE ROLE plain LOGIN NOSUPERUSER');
  cluster.sql('CREATE DATABASE noext OWNER plain');
  const connection = `postgresql://plain@${encodeURIComponent(cluster.socketDir)}:${cluster.port}/noext`;
  const err = await t.throwsAsync(PostgresStore.open({ connection, dimension: 4 }), { instanceOf: PgvectorMissingError });
  t.regex(err.message, /CREATE EXTENSION vector/);
  t.is(err.code, 'ERR_PGVECTOR_MISSING');
});

test("the application's own pg.Pool: used as it is, left open by close()", async (t) => {
  const pool = new pg.Pool({ connectionString: cluster.connectionString, max: 2 });
  t.teardown(() => pool.end());
  const store = await PostgresStore.open({ connection: pool, table: `t${++tables}`, dimension: 4 });
  await store.add(randomVectors(5, 4, 3));
  t.is(await store.size(), 5);
  await store.close();
  await t.throwsAsync(store.search(Float32Array.of(1, 0, 0, 0)), { instanceOf: StoreError, message: /closed/ });
  t.is((await pool.query(`SELECT count(*)::int AS n FROM ${store.table}`)).rows[0].n, 5, 'the pool still works');
});

test('many processes opening one new table at once: one creates it, all use it', async (t) => {
  const table = `race${Date.now() % 1e6}`;
  const stores = await Promise.all(
    [...Array(8)].map(() => PostgresStore.open({ connection: cluster.connectionString, table, dimension: 8, index: 'hnsw' })),
  );
  await Promise.all(stores.map((s, i) => s.add(randomVectors(3, 8, i))));
  t.is(await stores[0].size(), 24);
  await Promise.all(stores.map((s) => s.close()));
});

// The table's HNSW indexes on embedding (valid, whole-table), as the planner can use them.
const hnswIndexes = (table) =>
  cluster
    .sql(
      `SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am a ON a.oid = ic.relam ` +
        `WHERE i.indrelid = '${table}'::regclass AND a.amname = 'hnsw' AND i.indisvalid AND i.indpred IS NULL`,
    )
    .split('\n')
    .filter(Boolean);

test('hnsw: the index is built whatever the table is called and whatever else holds <table>_hnsw', async (t) => {
  // 63 characters: "<table>_hnsw" would be cut back to the table's own name.
  const long = `long${'x'.repeat(55)}${Date.now() % 1e4}`.padEnd(63, 'y').slice(0, 63);
  // "<table>_hnsw" already taken by a user's table.
  const taken = `taken${Date.now() % 1e6}`;
  cluster.sql(`CREATE TABLE ${taken}_hnsw (id int)`);
  // A schema-qualified table.
  cluster.sql('CREATE SCHEMA IF NOT EXISTS docs');
  const qualified = `docs.q${Date.now() % 1e6}`;
  for (const table of [long, taken, qualified]) {
    const store = await PostgresStore.open({ connection: cluster.connectionString, table, dimension: 8, index: 'hnsw' });
    await store.add(randomVectors(20, 8, 5));
    await store.close();
    t.is(hnswIndexes(table).length, 1, `${table}: one HNSW index`);
    for (const name of hnswIndexes(table)) t.true(Buffer.byteLength(name) <= 63, name);
    // Opened again (by this or an older version): no second index.
    const again = await PostgresStore.open({ connection: cluster.connectionString, table, dimension: 8, index: 'hnsw' });
    await again.close();
    t.is(hnswIndexes(table).length, 1, `${table}: still one after opening again`);
  }
  // A table whose HNSW index an older version made as "<table>_hnsw" keeps that one.
  const old = `old${Date.now() % 1e6}`;
  (await PostgresStore.open({ connection: cluster.connectionString, table: old, dimension: 8 })).close();
  cluster.sql(`CREATE INDEX ${old}_hnsw ON ${old} USING hnsw (embedding vector_ip_ops)`);
  await (await PostgresStore.open({ connection: cluster.connectionString, table: old, dimension: 8, index: 'hnsw' })).close();
  t.deepEqual(hnswIndexes(old), [`${old}_hnsw`]);
});

test("upsert's staging table never meets the application's tables", async (t) => {
  // A store whose own table is called like the staging table once was.
  const named = await PostgresStore.open({ connection: cluster.connectionString, table: 'sentvec_stage', dimension: 4, metric: 'dot' });
  try {
    await named.upsert([Float32Array.of(1, 0, 0, 0), Float32Array.of(2, 0, 0, 0)], [1, 2]);
    await named.upsert([Float32Array.of(3, 0, 0, 0)], [2]);
    t.is(await named.size(), 2);
    t.deepEqual(Array.from((await named.search(Float32Array.of(1, 0, 0, 0), { topK: 2 })).scores), [3, 1]);
  } finally {
    await named.close();
  }
  // An application's own sentvec_stage, on connections that look in pg_temp last.
  cluster.sql('CREATE SCHEMA IF NOT EXISTS app');
  cluster.sql('CREATE TABLE app.sentvec_stage (id bigint, embedding vector(4), text text, metadata jsonb)');
  const store = await PostgresStore.open({
    connection: { connectionString: cluster.connectionString, options: '-c search_path=app,public,pg_temp' },
    table: `t${++tables}`,
    dimension: 4,
  });
  try {
    await store.upsert(randomVectors(3, 4, 8), [1, 2, 3]);
    await store.upsert(randomVectors(2, 4, 9), [3, 4]);
    t.is(await store.size(), 4);
    t.is(cluster.sql('SELECT count(*) FROM app.sentvec_stage'), '0', "the application's table is untouched");
  } finally {
    await store.close();
  }
});

test('calls on one store take effect in the order they were made, awaited or not (10 rounds)', async (t) => {
  const dimension = 16;
  const store = await open({ dimension });
  try {
    let vectors;
    for (let round = 0; round < 10; round++) {
      vectors = randomVectors(2000, dimension, 21 + round);
      const base = BigInt(round * 10_000);
      const ids = BigUint64Array.from(vectors, (_, i) => base + BigInt(i));
      const added = store.add(vectors, ids);
      const found = store.search(vectors[5], { topK: 1 });
      const counted = store.size();
      const removed = store.remove([base + 5n]);
      const after = store.search(vectors[5], { topK: 1, filter: [base + 5n] });
      // Taken: rejected, and nothing after it waits on it (the assertion is attached now, before it settles).
      const refused = t.throwsAsync(store.add([vectors[0]], [base]), { instanceOf: DuplicateIdError });
      const replaced = store.upsert([vectors[5]], [base + 5n], { texts: ['back'] });
      const last = store.search(vectors[5], { topK: 1, include: ['text'] });
      await added;
      t.is((await found).ids[0], base + 5n, `round ${round}: the search made after add sees the vector`);
      t.is(await counted, 2000 * (round + 1), `round ${round}: size() made after add counts it`);
      t.is(await removed, 1, `round ${round}: remove made after add removes the vector`);
      t.is((await after).ids.length, 0, `round ${round}: the search made after remove no longer sees it`);
      await refused;
      await replaced;
      t.deepEqual((await last).texts, ['back'], `round ${round}: the search made after upsert sees it`);
    }
    // close() made after a write lets it finish; calls made after close() are refused.
    const lastWrite = store.add([vectors[1]], [999_999]);
    const closing = store.close();
    await t.throwsAsync(store.size(), { instanceOf: StoreError, message: /closed/ });
    await lastWrite;
    await closing;
  } finally {
    await store.close();
  }
  const reopened = await PostgresStore.open({ connection: cluster.connectionString, table: store.table, dimension });
  t.is(await reopened.size(), 20_001);
  await reopened.close();
});

test('hnsw: recall@10 against exact, filters still fill topK, efSearch above topK', async (t) => {
  const dimension = 32;
  const store = await open({ dimension, index: 'hnsw', hnsw: { m: 16, efConstruction: 64, efSearch: 64 } });
  try {
    const vectors = randomVectors(3000, dimension, 11);
    await store.add(vectors);
    const queries = randomVectors(30, dimension, 12);
    const [approx, exact] = [await store.search(queries, { topK: 10 }), await store.search(queries, { topK: 10, exact: true })];
    let found = 0;
    approx.forEach((a, q) => {
      const want = new Set(exact[q].ids);
      found += Array.from(a.ids).filter((id) => want.has(id)).length;
    });
    const recall = found / (10 * queries.length);
    t.true(recall >= 0.9, `recall@10 ${recall}`);
    // A filter keeping 2% of the rows: the graph walk goes on until topK rows pass it.
    const filter = Array.from({ length: 60 }, (_, i) => i * 50);
    const filtered = await store.search(queries[0], { topK: 10, filter });
    t.is(filtered.ids.length, 10);
    t.true(Array.from(filtered.ids).every((id) => id % 50n === 0n));
    const many = await store.search(queries[1], { topK: 1500 });
    t.is(many.ids.length, 1500);
    for (let i = 1; i < many.scores.length; i++) t.true(many.scores[i] <= many.scores[i - 1] + 1e-6);
  } finally {
    await store.close();
  }
});

test.serial('lost connections: reads retry, writes roll back and say so, the process stays up', async (t) => {
  const store = await open({ dimension: 4, retries: 3 });
  try {
    const v = randomVectors(100, 4, 5);
    await store.add(v);
    const before = await store.search(v[0], { topK: 3 });
    // Every pooled connection is killed by the server while idle.
    cluster.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    sameResults(t, await store.search(v[0], { topK: 3 }), before, 'after the connections were killed');
    // The server restarts between calls.
    cluster.restart('fast');
    sameResults(t, await store.search(v[0], { topK: 3 }), before, 'after a restart');
    // A write that finds its pooled connection dead before BEGIN runs again on a new one.
    cluster.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    await store.add(randomVectors(1, 4, 9), [1000]);
    t.is(await store.size(), 101);
    t.is(await store.remove([1000]), 1);
    // A write whose connection dies before COMMIT stores nothing and says so.
    const blocker = new pg.Client({ connectionString: cluster.connectionString });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${store.table} IN ACCESS EXCLUSIVE MODE`);
    const writing = store.add(randomVectors(10, 4, 6));
    await new Promise((r) => setTimeout(r, 300));
    cluster.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
    const err = await t.throwsAsync(writing, { instanceOf: StoreConnectionError });
    t.is(err.written, false);
    t.regex(err.message, /rolled back/);
    await blocker.query('ROLLBACK');
    await blocker.end();
    t.is(await store.size(), 100);
    // The server is down: reads give up after the retries with a typed error.
    cluster.stopServer('fast');
    const down = await t.throwsAsync(store.search(v[0]), { instanceOf: StoreConnectionError });
    t.is(down.code, 'ERR_STORE_CONNECTION');
    await t.throwsAsync(store.add(v.slice(0, 1)), { instanceOf: StoreConnectionError });
    cluster.startServer();
    t.is(await store.size(), 100);
  } finally {
    await store.close();
  }
});

test('without the optional drivers: MissingDependencyError naming the npm command', (t) => {
  const script = `
    const Module = require('module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'pg' || request === 'pg-copy-streams') { const e = new Error('not found'); e.code = 'MODULE_NOT_FOUND'; throw e; }
      return resolve.call(this, request, ...rest);
    };
    const { PostgresStore, MissingDependencyError } = require('./');
    PostgresStore.open({ connection: 'postgres://nowhere/db', dimension: 4 }).then(
      () => console.log('opened'),
      (e) => console.log(e instanceof MissingDependencyError, e.message));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^true .*npm install pg pg-copy-streams/);
});
