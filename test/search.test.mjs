import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';
import { randomVectors } from './helpers/random.mjs';

const { Index, semanticSearch, InvalidArgumentError, DuplicateIdError, IndexFileError, Model } = sentvec;

const unit = (v) => {
  const n = Math.hypot(...v);
  return n === 0 ? v.map(() => 0) : v.map((x) => x / n);
};
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

// Brute force in JS (double precision): the oracle.
function oracle(vectors, ids, query, k, metric, allowed) {
  const q = metric === 'cosine' ? unit(query) : query;
  const scored = vectors
    .map((v, i) => ({ id: ids[i], score: dot(q, metric === 'cosine' ? unit(v) : v) }))
    .filter((h) => !allowed || allowed.has(h.id));
  scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  return scored.slice(0, k);
}

function assertExact(t, got, want, vectors, idOf, query, metric, label) {
  t.is(got.ids.length, want.length, `${label}: result count`);
  const byId = new Map(idOf.map((id, i) => [id, i]));
  const q = metric === 'cosine' ? unit(query) : query;
  for (let i = 0; i < want.length; i++) {
    t.true(Math.abs(got.scores[i] - want[i].score) < 1e-4, `${label}: score at rank ${i}`);
    const v = vectors[byId.get(got.ids[i])];
    t.true(Math.abs(dot(q, metric === 'cosine' ? unit(v) : v) - got.scores[i]) < 1e-4, `${label}: id ${got.ids[i]} has the score reported`);
    if (i > 0) t.true(got.scores[i] <= got.scores[i - 1], `${label}: sorted`);
  }
  t.is(new Set(got.ids).size, got.ids.length, `${label}: distinct ids`);
}

test('f32 search is exact against a brute-force oracle over many seeds, dimensions, k and filters', async (t) => {
  let cases = 0;
  for (const dim of [1, 3, 7, 17, 100, 385]) {
    for (const n of [0, 1, 5, 200]) {
      for (const metric of ['cosine', 'dot']) {
        const seed = dim * 1000 + n * 10 + (metric === 'dot' ? 1 : 0);
        const vectors = randomVectors(n, dim, seed);
        const index = new Index({ dimension: dim, metric });
        const ids = vectors.map((_, i) => BigInt(i * 3 + 7));
        await index.add(vectors, ids);
        const queries = randomVectors(3, dim, seed + 1);
        for (const k of [1, 5, n + 3]) {
          const results = await index.search(queries, { topK: k });
          for (const [qi, query] of queries.entries()) {
            assertExact(t, results[qi], oracle(vectors, ids, query, k, metric), vectors, ids, query, metric, `dim ${dim} n ${n} ${metric} k ${k}`);
            cases++;
          }
          const allowed = new Set(ids.filter((_, i) => i % 3 === 0));
          const filtered = await index.search(queries[0], { topK: k, filter: [...allowed, 999999n] });
          assertExact(t, filtered, oracle(vectors, ids, queries[0], k, metric, allowed), vectors, ids, queries[0], metric, `filtered dim ${dim} n ${n}`);
          const bitmap = new Uint8Array(Number(ids.at(-1) ?? 0n) / 8 + 1);
          for (const id of allowed) bitmap[Number(id) >> 3] |= 1 << (Number(id) & 7);
          const viaBitmap = await index.search(queries[0], { topK: k, filter: { bitmap } });
          t.deepEqual(Array.from(viaBitmap.ids), Array.from(filtered.ids), 'bitmap filter = id filter');
        }
      }
    }
  }
  t.log(`${cases} query cases checked`);
});

test('large searches split over threads give the same results as one thread', async (t) => {
  const dim = 96;
  const vectors = randomVectors(40000, dim, 5);
  const flat = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => flat.set(v, i * dim));
  const many = new Index({ dimension: dim, threads: 4 });
  const one = new Index({ dimension: dim, threads: 1 });
  await many.add(flat);
  await one.add(flat);
  const queries = randomVectors(8, dim, 6);
  const a = await many.search(queries, { topK: 20 });
  const b = await one.search(queries, { topK: 20 });
  for (let q = 0; q < queries.length; q++) {
    t.deepEqual(Array.from(a[q].ids), Array.from(b[q].ids));
    const want = oracle(vectors, vectors.map((_, i) => BigInt(i)), queries[q], 20, 'cosine');
    t.deepEqual(Array.from(a[q].ids), want.map((h) => h.id));
  }
});

test('ties are broken by the lower id', async (t) => {
  const index = new Index({ dimension: 3 });
  const v = new Float32Array([1, 0, 0]);
  await index.add([v, v, v, new Float32Array([0, 1, 0])], [50, 7, 30, 1]);
  const r = await index.search(v, { topK: 4 });
  t.deepEqual(Array.from(r.ids), [7n, 30n, 50n, 1n]);
  t.deepEqual(Array.from(r.scores), [1, 1, 1, 0]);
});

test('ids: automatic ids follow insertion order; explicit 64-bit ids round-trip', async (t) => {
  const index = new Index({ dimension: 2, metric: 'dot' });
  await index.add([new Float32Array([1, 0]), new Float32Array([2, 0])]);
  await index.add(new Float32Array([3, 0, 4, 0]));
  t.is(index.size, 4);
  const r = await index.search(new Float32Array([1, 0]), { topK: 4 });
  t.deepEqual(Array.from(r.ids), [3n, 2n, 1n, 0n]);
  const big = (1n << 64n) - 1n;
  await index.add([new Float32Array([10, 0])], [big]);
  t.is((await index.search(new Float32Array([1, 0]), { topK: 1 })).ids[0], big);
});

test('remove deletes by id, reports how many were present, and frees the id', async (t) => {
  const index = new Index({ dimension: 2 });
  await index.add([new Float32Array([1, 0]), new Float32Array([0, 1]), new Float32Array([1, 1])], [1, 2, 3]);
  t.is(await index.remove([2, 99]), 1);
  t.is(index.size, 2);
  const r = await index.search(new Float32Array([0, 1]), { topK: 5 });
  t.deepEqual(Array.from(r.ids), [3n, 1n]);
  await index.add([new Float32Array([0, 1])], [2]);
  t.deepEqual(Array.from((await index.search(new Float32Array([0, 1]), { topK: 1 })).ids), [2n]);
  t.is(await index.remove(new BigUint64Array([1n, 2n, 3n])), 3);
  t.is(index.size, 0);
});

test('int8 and binary precisions: recall@10 against exact f32', async (t) => {
  const dim = 256;
  const vectors = randomVectors(20000, dim, 11);
  const flat = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => flat.set(v, i * dim));
  const queries = randomVectors(50, dim, 12);
  const exact = new Index({ dimension: dim });
  await exact.add(flat);
  const truth = await exact.search(queries, { topK: 10 });
  const recall = async (options) => {
    const index = new Index({ dimension: dim, ...options });
    await index.add(flat);
    const got = await index.search(queries, { topK: 10 });
    let hits = 0;
    got.forEach((r, q) => { const want = new Set(truth[q].ids); for (const id of r.ids) hits += want.has(id); });
    return { recall: hits / (10 * queries.length), memory: index.memoryBytes };
  };
  const int8 = await recall({ precision: 'int8', rescore: false });
  const int8r = await recall({ precision: 'int8' });
  const binary = await recall({ precision: 'binary', rescore: false });
  const binaryR = await recall({ precision: 'binary' });
  t.log(`recall@10 (20k × 256 random): int8 ${int8.recall}, int8+rescore ${int8r.recall}, binary ${binary.recall}, binary+rescore ${binaryR.recall}`);
  t.true(int8.recall >= 0.9);
  t.true(int8r.recall >= 0.99);
  t.true(binaryR.recall > binary.recall);
  t.is(int8.memory, 20000 * 256 + 20000 * 4, 'int8 without rescore keeps only codes and scales');
  t.is(binary.memory, 20000 * 256 / 8, 'binary without rescore keeps only bits');
});

test('save / load round-trips every precision and metric, atomically', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-index-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const vectors = randomVectors(300, 33, 21);
  const queries = randomVectors(4, 33, 22);
  for (const [precision, metric, rescore] of [['float32', 'cosine', true], ['float32', 'dot', true], ['int8', 'cosine', true], ['int8', 'dot', false], ['binary', 'cosine', true], ['binary', 'cosine', false]]) {
    const index = new Index({ dimension: 33, metric, precision, rescore });
    await index.add(vectors, vectors.map((_, i) => i * 2));
    await index.remove([4, 6]);
    const path = join(dir, `${precision}-${metric}-${rescore}.svi`);
    await index.save(path);
    const loaded = await Index.load(path);
    t.is(loaded.size, 298);
    t.is(loaded.precision, precision);
    t.is(loaded.metric, metric);
    t.deepEqual(await loaded.search(queries, { topK: 7 }), await index.search(queries, { topK: 7 }));
    await loaded.add([vectors[0]]);
    t.deepEqual(Array.from((await loaded.search(vectors[0], { topK: 300, filter: [598] })).ids), [598n], 'automatic ids continue after the largest');
  }
  t.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary files left');
});

test('loading a truncated, bit-flipped, wrong-magic, newer-version, empty or missing file gives IndexFileError', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-corrupt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const index = new Index({ dimension: 16, precision: 'int8' });
  await index.add(randomVectors(50, 16, 31));
  const good = join(dir, 'good.svi');
  await index.save(good);
  const bytes = readFileSync(good);
  const cases = [];
  for (const cut of [0, 4, 8, 63, 64, 100, bytes.length - 9, bytes.length - 1]) cases.push([`truncated to ${cut}`, bytes.subarray(0, cut), /truncated|magic/]);
  for (const pos of [9, 16, 20, 33, 64, 200, bytes.length - 100, bytes.length - 3]) {
    const flipped = Buffer.from(bytes);
    flipped[pos] ^= 0x10;
    cases.push([`bit flipped at ${pos}`, flipped, /checksum|corrupt|truncated|header|newer/]);
  }
  const magic = Buffer.from(bytes);
  magic.write('NOTANIDX', 0);
  cases.push(['wrong magic', magic, /not a sentvec index/]);
  const newer = Buffer.from(bytes);
  newer.writeUInt32LE(3, 8);
  cases.push(['newer version', newer, /format version 3 is newer .* upgrade sentvec/]);
  cases.push(['trailing bytes', Buffer.concat([bytes, Buffer.from([1, 2, 3])]), /unexpected bytes/]);
  for (const [label, data, pattern] of cases) {
    const path = join(dir, 'bad.svi');
    writeFileSync(path, data);
    const err = await t.throwsAsync(Index.load(path), { instanceOf: IndexFileError }, label);
    t.regex(err.message, pattern, label);
    t.is(err.code, 'ERR_INDEX_FILE');
  }
  await t.throwsAsync(Index.load(join(dir, 'missing.svi')), { instanceOf: IndexFileError, message: /missing or unreadable/ });
  t.is((await Index.load(good)).size, 50, 'the good file still loads');
});

test('bad input: dimension mismatch, NaN/Inf, bad k, empty index, duplicate ids, ids out of range', async (t) => {
  const index = new Index({ dimension: 4 });
  t.deepEqual(await index.search(new Float32Array(4).fill(1), { topK: 3 }), { ids: new BigUint64Array(0), scores: new Float32Array(0) }, 'empty index: no results');
  await t.throwsAsync(index.add([new Float32Array(3)]), { instanceOf: InvalidArgumentError, message: /vectors\[0\] has 3 values; this index has dimension 4/ });
  await t.throwsAsync(index.add(new Float32Array(6)), { instanceOf: InvalidArgumentError, message: /not a multiple/ });
  await t.throwsAsync(index.search(new Float32Array(5)), { instanceOf: InvalidArgumentError, message: /dimension 4/ });
  await t.throwsAsync(index.add([new Float32Array([1, NaN, 0, 0])]), { instanceOf: InvalidArgumentError, message: /vector 0 has a NaN value at position 1/ });
  await t.throwsAsync(index.add([new Float32Array(4), new Float32Array([0, 0, Infinity, 0])]), { instanceOf: InvalidArgumentError, message: /vector 1 has a infinite value/ });
  t.is(index.size, 0, 'a rejected add adds nothing');
  await index.add([new Float32Array([1, 2, 3, 4])], [5]);
  await t.throwsAsync(index.search(new Float32Array([NaN, 0, 0, 0])), { instanceOf: InvalidArgumentError, message: /query 0 has a NaN/ });
  for (const topK of [0, -1, 1.5, NaN, '3']) {
    await t.throwsAsync(index.search(new Float32Array(4), { topK }), { instanceOf: InvalidArgumentError, message: /Expected an integer from 1 to 4,294,967,295 for topK/ });
  }
  await t.throwsAsync(index.add([new Float32Array(4)], [5]), { instanceOf: DuplicateIdError, message: /id 5 \(ids\[0\]\) is already in the index/ });
  await t.throwsAsync(index.add([new Float32Array(4), new Float32Array(4)], [8, 8]), { instanceOf: DuplicateIdError, message: /appears twice/ });
  t.is(index.size, 1, 'duplicates add nothing');
  for (const bad of [[-1], [1.5], [NaN], [2 ** 53], [1n << 64n], [-1n], ['3']]) {
    await t.throwsAsync(index.add([new Float32Array(4)], bad), { instanceOf: InvalidArgumentError, message: /not a valid id|out of range/ });
  }
  await t.throwsAsync(index.add([new Float32Array(4)], [1, 2]), { instanceOf: InvalidArgumentError, message: /Expected 1 ids/ });
  t.throws(() => new Index({ dimension: 0 }), { instanceOf: InvalidArgumentError });
  t.throws(() => new Index({ dimension: 4, metric: 'l2' }), { instanceOf: InvalidArgumentError });
  t.throws(() => new Index({ dimension: 4, precision: 'f16' }), { instanceOf: InvalidArgumentError });
  // 'float32' is the word models use too; 'f32', the earlier name, is still taken as it.
  t.is(new Index({ dimension: 4 }).precision, 'float32');
  t.is(new Index({ dimension: 4, precision: 'f32' }).precision, 'float32');
  t.throws(() => new Index({ dimension: 4, dimensions: 4 }), { instanceOf: InvalidArgumentError, message: /Unknown option "dimensions"/ });
  await t.throwsAsync(index.search(new Float32Array(4), { k: 3 }), { instanceOf: InvalidArgumentError, message: /Unknown option "k"/ });
  const zero = new Index({ dimension: 2 });
  await zero.add([new Float32Array([0, 0]), new Float32Array([1, 0])]);
  t.deepEqual(Array.from((await zero.search(new Float32Array([1, 0]), { topK: 2 })).scores), [1, 0], 'a zero vector scores 0 under cosine');
});

test('searches running during add see the index before or after it, never in between', async (t) => {
  const dim = 64;
  const index = new Index({ dimension: dim });
  const base = randomVectors(2000, dim, 41);
  await index.add(base);
  const batch = randomVectors(20000, dim, 42);
  const flat = new Float32Array(batch.length * dim);
  batch.forEach((v, i) => flat.set(v, i * dim));
  const query = batch[123];
  const adding = index.add(flat);
  const during = await Promise.all(Array.from({ length: 8 }, () => index.search(query, { topK: 1 })));
  await adding;
  for (const r of during) t.true(r.ids[0] === 2123n || r.ids[0] < 2000n, 'either the new vector (all added) or an old one');
  t.is((await index.search(query, { topK: 1 })).ids[0], 2123n);
});

test('calls take effect in the order they were made, awaited or not (10 rounds)', async (t) => {
  const dim = 64;
  // A large add keeps the worker busy long enough that a call racing it would overtake it.
  const batch = randomVectors(20000, dim, 51);
  const flat = new Float32Array(batch.length * dim);
  batch.forEach((v, i) => flat.set(v, i * dim));
  const query = batch[777];
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-order-'));
  try {
    for (let round = 0; round < 10; round++) {
      const index = new Index({ dimension: dim, threads: 1 });
      const added = index.add(flat);
      const found = index.search(query, { topK: 1 });
      const saved = index.save(join(dir, `r${round}.idx`));
      const removed = index.remove([777]);
      const after = index.search(query, { topK: 1 });
      // Id 5 is taken: rejected, and nothing after it waits on it (the assertion is attached now, before it settles).
      const refused = t.throwsAsync(index.add([query], [5]), { instanceOf: DuplicateIdError });
      const readded = index.add([query], [777]);
      const last = index.search(query, { topK: 1 });
      await added;
      t.is((await found).ids[0], 777n, `round ${round}: the search made after add sees the vector`);
      await saved;
      t.is((await removed), 1, `round ${round}: remove made after add removes the vector`);
      t.not((await after).ids[0], 777n, `round ${round}: the search made after remove no longer sees it`);
      await refused;
      await readded;
      t.is((await last).ids[0], 777n, `round ${round}: the search made after the re-add sees it again`);
      t.is(index.size, 20000);
      const loaded = await Index.load(join(dir, `r${round}.idx`));
      t.is(loaded.size, 20000, `round ${round}: save made after add writes the vectors`);
      loaded.dispose();
      index.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('searches made together run at once; a write waits for the searches made before it', async (t) => {
  const dim = 64;
  const index = new Index({ dimension: dim, threads: 1 });
  await index.add(randomVectors(20000, dim, 61));
  const settled = [];
  const slow = index.search(randomVectors(1500, dim, 62), { topK: 5 }).then((r) => (settled.push('slow'), r));
  const quick = index.search(randomVectors(1, dim, 63)[0], { topK: 5 }).then((r) => (settled.push('quick'), r));
  const removed = index.remove([0, 1, 2]).then((n) => (settled.push('remove'), n));
  await Promise.all([slow, quick, removed]);
  t.deepEqual(settled, ['quick', 'slow', 'remove'], 'the small search does not wait for the large one; remove waits for both');
  t.is(await removed, 3);
});

test('a call that waits takes its inputs as they were when it was made', async (t) => {
  const dim = 64;
  const index = new Index({ dimension: dim });
  const v = new Float32Array(dim).fill(1);
  const ids = new BigUint64Array([50000n]);
  const busy = index.add(randomVectors(20000, dim, 71));
  const added = index.add(v, ids);
  v.fill(-1);
  ids[0] = 50001n;
  await Promise.all([busy, added]);
  const hit = await index.search(new Float32Array(dim).fill(1), { topK: 1 });
  t.is(hit.ids[0], 50000n);
  t.true(Math.abs(hit.scores[0] - 1) < 1e-5, `score ${hit.scores[0]}`);
  index.dispose();
});

test('encode() output goes straight in, and semanticSearch is shaped like util.semantic_search', async (t) => {
  const model = await Model.load(tinyModel());
  const corpus = ['The train leaves at seven.', 'Il pleut à Lyon.', '電車は七時に出発します。', 'Der Zug fährt um sieben.'];
  const embeddings = await model.encode(corpus);
  const index = new Index({ dimension: model.dimension });
  await index.add(embeddings);
  const query = await model.encode(['The train leaves at seven.', 'Il pleut à Lyon.']);
  const hits = await semanticSearch(query, embeddings, { topK: 2 });
  t.is(hits.length, 2);
  t.is(hits[0][0].corpusId, 0);
  t.is(hits[1][0].corpusId, 1);
  t.true(Math.abs(hits[0][0].score - 1) < 1e-5);
  const viaIndex = await index.search(query, { topK: 2 });
  t.deepEqual(viaIndex.map((r) => Array.from(r.ids, Number)), hits.map((h) => h.map((x) => x.corpusId)));
  t.is(corpus[viaIndex[1].ids[0]], corpus[1], 'bigint ids index arrays');
  t.deepEqual(await semanticSearch(query.get(0), [], { topK: 2 }), [[]]);
  model.dispose();
});

test('dispose frees the index; later calls throw DisposedError', async (t) => {
  const index = new Index({ dimension: 2 });
  await index.add([new Float32Array([1, 0])]);
  const pending = index.search(new Float32Array([1, 0]));
  const adding = index.add([new Float32Array([0, 1])]);
  const after = index.search(new Float32Array([0, 1]));
  index.dispose();
  t.is((await pending).ids.length, 1, 'a search in flight finishes');
  await adding;
  t.is((await after).ids.length, 2, 'a search made before dispose, behind an add, still runs');
  await t.throwsAsync(index.search(new Float32Array([1, 0])), { instanceOf: sentvec.DisposedError, message: /index was disposed/ });
  await t.throwsAsync(index.add([new Float32Array([1, 0])]), { instanceOf: sentvec.DisposedError });
  t.throws(() => index.size, { instanceOf: sentvec.DisposedError });
});

test('a huge topK returns every candidate, sized by the index, not by topK', async (t) => {
  const index = new Index({ dimension: 4 });
  await index.add(randomVectors(5, 4, 11));
  const result = await index.search(randomVectors(1, 4, 12)[0], { topK: 1e9 });
  t.is(result.ids.length, 5);
  // The results are views into the native result buffers: those hold 5 slots, not 1e9.
  t.is(result.ids.buffer.byteLength, 5 * 8, 'no result buffer sized by topK');
  t.is(result.scores.buffer.byteLength, 5 * 4);
  const many = await index.search(randomVectors(3, 4, 13), { topK: 2 ** 32 - 1, filter: [0, 1] });
  t.deepEqual(many.map((r) => r.ids.length), [2, 2, 2]);
  t.is(many[0].ids.buffer.byteLength, 3 * 2 * 8);
  await t.throwsAsync(index.search(new Float32Array(4), { topK: 2 ** 32 }), { instanceOf: InvalidArgumentError, message: /from 1 to 4,294,967,295 for topK/ });
  await t.throwsAsync(index.search(new Float32Array(4), { oversample: 1001 }), { instanceOf: InvalidArgumentError, message: /from 1 to 1,000 for oversample/ });
  t.throws(() => new Index({ dimension: 4, threads: 1e6 }), { instanceOf: InvalidArgumentError, message: /from 1 to 256 for threads but received 1000000/ });
  t.throws(() => new Index({ dimension: 2 ** 21 }), { instanceOf: InvalidArgumentError, message: /from 1 to 1,048,576 for dimension/ });
});

test('automatic ids never collide: after id 2^64 − 1 they are used up, with a typed error, saved and loaded as such', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-ids-'));
  const index = new Index({ dimension: 2 });
  await index.add([new Float32Array([1, 0]), new Float32Array([0, 1])]);
  await index.add([new Float32Array([1, 1])], [2n ** 64n - 1n]);
  await t.throwsAsync(index.add([new Float32Array([1, 2])]), { instanceOf: InvalidArgumentError, message: /automatic ids are used up.*pass explicit ids/ });
  await index.add([new Float32Array([2, 1])], [7]); // explicit ids still work
  t.is(await index.remove([2n ** 64n - 1n]), 1);
  await t.throwsAsync(index.add([new Float32Array([1, 2])]), { instanceOf: InvalidArgumentError, message: /used up/ }, 'removing the id does not give the range back');
  await index.save(join(dir, 'a.svi'));
  const loaded = await Index.load(join(dir, 'a.svi'));
  t.is(loaded.size, 3);
  await t.throwsAsync(loaded.add([new Float32Array([1, 2])]), { instanceOf: InvalidArgumentError, message: /used up/ });
  // Near the end of the range: a call that would pass 2^64 − 1 adds nothing.
  const near = new Index({ dimension: 2 });
  await near.add([new Float32Array([1, 0])], [2n ** 64n - 3n]);
  await t.throwsAsync(near.add([new Float32Array([1, 0]), new Float32Array([0, 1]), new Float32Array([1, 1])]), { instanceOf: InvalidArgumentError });
  t.is(near.size, 1);
  await near.add([new Float32Array([1, 0]), new Float32Array([0, 1])]);
  t.deepEqual(Array.from((await near.search(new Float32Array([1, 1]), { topK: 3 })).ids).sort(), [2n ** 64n - 3n, 2n ** 64n - 2n, 2n ** 64n - 1n]);
  rmSync(dir, { recursive: true, force: true });
});

test('near-zero and subnormal vectors score finitely; dot-metric norms that would overflow are refused', async (t) => {
  for (const precision of ['float32', 'int8', 'binary']) {
    const index = new Index({ dimension: 8, precision });
    await index.add([new Float32Array(8).fill(1e-40), new Float32Array(8).fill(1e-30), new Float32Array(8).fill(0), new Float32Array(8).fill(1)]);
    const { scores } = await index.search(new Float32Array(8).fill(1e-40), { topK: 4 });
    t.true(scores.every(Number.isFinite), `${precision}: ${Array.from(scores)}`);
    t.true(scores.every((s) => s <= 1.0001 && s >= -1.0001), `${precision}: cosine scores within [-1, 1]: ${Array.from(scores)}`);
  }
  const dot = new Index({ dimension: 2, metric: 'dot' });
  await t.throwsAsync(dot.add([new Float32Array([1e19, 1e19])]), { instanceOf: InvalidArgumentError, message: /vector 0 has an L2 norm of 1\.41e\+19; with metric 'dot' norms must stay below 9\.2e\+18/ });
  await dot.add([new Float32Array([3e18, 3e18])]);
  await t.throwsAsync(dot.search(new Float32Array([1e20, 0])), { instanceOf: InvalidArgumentError, message: /query 0 has an L2 norm/ });
  const { scores } = await dot.search(new Float32Array([3e18, 3e18]));
  t.true(Number.isFinite(scores[0]));
});

test('a save killed midway leaves at most a temporary file, which the next save of that path removes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-kill-'));
  const path = join(dir, 'big.svi');
  writeFileSync(`${path}.tmp-12345`, 'left by a save that was killed'); // as a crash leaves it; the first save removes it
  writeFileSync(join(dir, 'other.svi.tmp-1'), 'belongs to another index');
  // A child process saves a ~100 MB index again and again; it is killed at random moments.
  const lib = JSON.stringify(new URL('..', import.meta.url).pathname);
  const script = `const { Index } = require(${lib});
    (async () => {
      const index = new Index({ dimension: 1024 });
      await index.add(new Float32Array(1024 * 24000).fill(0.5));
      process.stdout.write('ready\\n');
      for (;;) await index.save(${JSON.stringify(path)});
    })();`;
  const { spawn } = await import('node:child_process');
  let leftovers = 0;
  for (let kill = 0; kill < 4; kill++) {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    // Kill while a save is writing: once its temporary file exists, after a varying delay.
    while (!readdirSync(dir).some((f) => f.startsWith('big.svi.tmp-') && f !== 'big.svi.tmp-12345')) await new Promise((r) => setTimeout(r, 2));
    await new Promise((resolve) => setTimeout(resolve, kill * 15));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    leftovers += readdirSync(dir).filter((f) => f.startsWith('big.svi.tmp-')).length;
  }
  t.log(`temporary files seen after kills: ${leftovers}`);
  t.true(leftovers > 0, 'the kills left temporary files (or the test did not test anything)');
  const index = new Index({ dimension: 4 });
  await index.add(randomVectors(3, 4, 5));
  await index.save(path);
  t.deepEqual(readdirSync(dir).sort(), ['big.svi', 'other.svi.tmp-1']);
  t.is((await Index.load(path)).size, 3);
  rmSync(dir, { recursive: true, force: true });
});
