// Exact top-10 search: sentvec's Index against usearch@2.25.3 exactSearch at equal threads and a
// plain JS loop, on random normalized corpora; recall@10 of int8 and binary against exact f32.
//   npm run bench -- search [--sizes 100000,1000000 --dims 384,768 --queries 100 --rounds 3 --threads 1,2]
// "GB/s scanned" = corpus bytes × queries ÷ time; "of bandwidth" divides it by the machine's read
// bandwidth, measured by a native loop (same threads) in the same run. A batch of queries visits
// each block of the corpus while it is in cache, so batched searches exceed the memory bandwidth;
// "1-query" columns time single-query searches, which stream the corpus from memory.
import { parseArgs } from 'node:util';
import { measure, recall, require, sentvec, time } from './common.mjs';

const usearch = require('usearch');

function randomUnitRows(n, dim, seed) {
  const data = new Float32Array(n * dim);
  let a = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    data[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  }
  for (let r = 0; r < n; r++) {
    const row = data.subarray(r * dim, (r + 1) * dim);
    let s = 0;
    for (let d = 0; d < dim; d++) s += row[d] * row[d];
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) row[d] *= inv;
  }
  return data;
}

function jsTopK(corpus, n, dim, query, k) {
  const scores = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    const o = r * dim;
    for (let d = 0; d < dim; d++) s += corpus[o + d] * query[d];
    scores[r] = s;
  }
  const idx = Array.from({ length: n }, (_, i) => i);
  return idx.sort((a, b) => scores[b] - scores[a]).slice(0, k);
}


export async function run(args) {
  const { values } = parseArgs({ args, options: {
    sizes: { type: 'string', default: '100000,1000000' }, dims: { type: 'string', default: '384,768' },
    queries: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' }, threads: { type: 'string', default: '1,2' },
  } });
  const rounds = Number(values.rounds);
  const queryCount = Number(values.queries);
  const threadList = values.threads.split(',').map(Number);
  const bandwidth = {};
  for (const t of threadList) bandwidth[t] = await measure.measureReadBandwidth(2 ** 30, t);
  console.log(`read bandwidth (native loop, 1 GiB): ${threadList.map((t) => `${t} thread(s) ${bandwidth[t].toFixed(1)} GB/s`).join(', ')}`);
  const rows = [];
  const recalls = [];
  for (const n of values.sizes.split(',').map(Number)) {
    for (const dim of values.dims.split(',').map(Number)) {
      const corpus = randomUnitRows(n, dim, n + dim);
      const queries = randomUnitRows(queryCount, dim, 7);
      const queryRows = Array.from({ length: queryCount }, (_, q) => queries.subarray(q * dim, (q + 1) * dim));
      const bytes = n * dim * 4 * queryCount;
      let truth;
      for (const threads of threadList) {
        const index = new sentvec.Index({ dimension: dim, metric: 'dot', threads });
        await index.add(corpus);
        const ours = await time(rounds, () => index.search(queryRows, { topK: 10 }));
        truth ??= await index.search(queryRows, { topK: 10 });
        const theirs = await time(rounds, () => usearch.exactSearch(corpus, queries, dim, 10, usearch.MetricKind.IP, threads));
        // One query per call: a pure streaming scan, bounded by memory bandwidth.
        const single = await time(rounds, async () => { for (let q = 0; q < 10; q++) await index.search(queryRows[q], { topK: 10 }); }) / 10;
        const u = usearch.exactSearch(corpus, queries, dim, 10, usearch.MetricKind.IP, threads);
        const agree = recall(Array.from({ length: queryCount }, (_, q) => ({ ids: u.get(q).keys })), truth);
        index.dispose();
        const row = {
          corpus: `${n / 1000}k × ${dim}`, threads,
          'sentvec QPS': +(queryCount / ours * 1000).toFixed(1),
          'usearch QPS': +(queryCount / theirs * 1000).toFixed(1),
          'sentvec ÷ usearch': +(theirs / ours).toFixed(2),
          'sentvec GB/s': +(bytes / ours / 1e6).toFixed(1),
          'of bandwidth': `${(bytes / ours / 1e6 / bandwidth[threads] * 100).toFixed(0)}%`,
          '1-query GB/s': +(n * dim * 4 / single / 1e6).toFixed(1),
          '1-query of bandwidth': `${(n * dim * 4 / single / 1e6 / bandwidth[threads] * 100).toFixed(0)}%`,
          'usearch agrees': agree,
        };
        if (threads === 1 && n <= 100000) {
          const jsQueries = Math.min(queryCount, 5);
          const t0 = performance.now();
          for (let q = 0; q < jsQueries; q++) jsTopK(corpus, n, dim, queryRows[q], 10);
          const jsMs = (performance.now() - t0) / jsQueries * queryCount;
          row['JS loop QPS'] = +(queryCount / jsMs * 1000).toFixed(1);
          row['sentvec ÷ JS'] = +(jsMs / ours).toFixed(1);
        }
        rows.push(row);
        console.log(row);
      }
      for (const [precision, rescore, oversample] of [['int8', false, 1], ['int8', true, 10], ['binary', false, 1], ['binary', true, 10], ['binary', true, 100], ['binary', true, 500]]) {
        const index = new sentvec.Index({ dimension: dim, metric: 'dot', precision, rescore });
        await index.add(corpus);
        const ms = await time(1, () => index.search(queryRows, { topK: 10, oversample }));
        const r = recall(await index.search(queryRows, { topK: 10, oversample }), truth);
        recalls.push({ corpus: `${n / 1000}k × ${dim}`, precision: rescore ? `${precision} + rescore (oversample ${oversample})` : precision,
          'recall@10': r, QPS: +(queryCount / ms * 1000).toFixed(1), 'memory MB': +(index.memoryBytes / 1e6).toFixed(0) });
        index.dispose();
      }
    }
  }
  console.log(`\nexact top-10, ${queryCount} queries per search, median of ${rounds} rounds`);
  console.table(rows);
  console.log('recall@10 against exact f32 (threads: physical cores)');
  console.table(recalls);
  const targets = [];
  for (const row of rows) targets.push({ name: `search f32 ≥ 1.0× usearch (${row.corpus}, ${row.threads} thread${row.threads > 1 ? 's' : ''})`, value: row['sentvec ÷ usearch'], goal: 1 });
  const big = rows.filter((r) => r.corpus === '1000k × 768');
  for (const r of big) targets.push({ name: `1-query scan ≥ 60% of read bandwidth (1M × 768, ${r.threads} thread(s))`, value: parseFloat(r['1-query of bandwidth']) / 100, goal: 0.6 });
  return { rows, recalls, bandwidth, targets };
}
