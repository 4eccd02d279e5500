// The CLI's reranking (issue 26, item 5): `sentvec -i … --rerank <dir> [--candidates N]`,
// `sentvec rerank -q … -i …` and `sentvec serve --reranker <dir>`, run as a user runs them, with
// CrossEncoder.load answering a stand-in that scores by word overlap (preloaded; lib/ has no hook).
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { overlap } from './helpers/fake-reranker.cjs';
import { startHub } from './helpers/hub-server.mjs';
import { tinyModel } from './helpers/models.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/sentvec.js');
const preload = join(root, 'test/helpers/fake-reranker-preload.cjs');
const model = tinyModel();
const sentences = [
  'The night train to the mountains leaves at ten.',
  'The bakery by the station opens at six.',
  'La conférence aura lieu à Lyon en mars.',
  'Night buses run every hour.',
];

function workdir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-cli-rerank-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'input.txt'), sentences.join('\n'));
  return dir;
}

function run(args, { fake = true, env: extra = {} } = {}) {
  const env = { ...process.env, SENTVEC_CACHE: join(tmpdir(), 'sentvec-cli-cache'), ...extra };
  if (fake) env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

// The stand-in's order of `texts` for `query`, best first (ties: the earlier text).
const byOverlap = (query, texts) =>
  texts.map((text, i) => ({ text, i, score: overlap(query, text) })).sort((a, b) => b.score - a.score || a.i - b.i);

test('--rerank reorders the retrieved sentences by the cross-encoder and prints its scores in the seed\'s format', async (t) => {
  const dir = workdir(t);
  // Scores 1, 1/3, 0, 0: no tie among the two printed (a tie's order would be the retrieval's).
  const query = 'night train mountains';
  const args = ['-i', join(dir, 'input.txt'), '--model', model, '--rerank', dir, '-p', query, '-q'];
  const out = await run([...args, '-k', '2', '--candidates', '4']);
  t.is(out.code, 0, out.stderr);
  t.is(out.stderr, '');
  // Every sentence is a candidate (4), so the order is the reranker's over all of them.
  const want = byOverlap(query, sentences).slice(0, 2);
  t.deepEqual(
    out.stdout.trim().split('\n'),
    want.map((w) => `Text: ${w.text} (Similarity:${w.score.toFixed(3)})`),
  );
  const json = JSON.parse((await run([...args, '-k', '2', '--json'])).stdout);
  t.deepEqual(
    json.results.map((r) => [r.text, r.similarity]),
    byOverlap(query, sentences).slice(0, 2).map((w) => [w.text, Number(Math.fround(w.score).toFixed(6))]),
  );
  t.true(json.results.every((r) => typeof r.retrievalSimilarity === 'number' && r.retrievalSimilarity <= 1));
});

test('--rerank and --candidates: usage errors exit 2 with one line', async (t) => {
  const dir = workdir(t);
  const base = ['-i', join(dir, 'input.txt'), '--model', model, '-p', 'x', '-q'];
  const cases = [
    [[...base, '--candidates', '5'], /--candidates is how many sentences --rerank reorders: pass --rerank <dir\|hub-id> too/],
    [[...base, '--rerank', dir, '-k', '3', '--candidates', '2'], /--candidates 2 is less than --top-k 3/],
    [[...base, '--rerank', dir, '--candidates', '0'], /--candidates <n>' argument '0' is invalid\. expected an integer from 1 to 100,000/],
    [[...base, '--rerank', join(dir, 'missing')], /^sentvec: error: --rerank .*missing: model folder .*missing does not exist/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('sentvec rerank scores each line of a file against the query, best first', async (t) => {
  const dir = workdir(t);
  writeFileSync(join(dir, 'lines.txt'), `${sentences[0]}\n\n  ${sentences[3]}  \r\n${sentences[1]}\n`);
  const kept = [sentences[0], sentences[3], sentences[1]];
  const query = 'night buses';
  const out = await run(['rerank', '-q', query, '-i', join(dir, 'lines.txt'), '--model', dir]);
  t.is(out.code, 0, out.stderr);
  t.deepEqual(out.stdout.trim().split('\n'), byOverlap(query, kept).map((w) => `Text: ${w.text} (Score:${w.score.toFixed(3)})`));
  const json = JSON.parse((await run(['rerank', '-q', query, '-i', join(dir, 'lines.txt'), '--model', dir, '-k', '1', '--json'])).stdout);
  t.deepEqual(json, { query, results: [{ text: sentences[3], score: 1, line: 3 }] });
});

test('sentvec rerank refuses a reranker whose rank() answers no ranking (NaN, a stray index): exit 1 naming it, no line printed', async (t) => {
  const dir = workdir(t);
  for (const [answer, message] of [
    ['[{ index: 0, score: NaN }]', /the reranker's rank\(\) answered score NaN in result 0/],
    ['[{ index: 9, score: 1 }]', /the reranker's rank\(\) answered index 9 in result 0/],
  ]) {
    const bad = join(dir, 'bad-reranker.cjs');
    writeFileSync(
      bad,
      `const { CrossEncoder } = require(${JSON.stringify(join(root, 'dist/lib/model/cross-encoder.js'))});
CrossEncoder.load = async () => ({ info: { numLabels: 1 }, predict: async () => new Float32Array(), rank: async () => ${answer}, dispose: async () => {} });`,
    );
    const r = await run(['rerank', '-q', 'night', '-i', join(dir, 'input.txt'), '--model', dir, '-k', '1'], {
      fake: false,
      env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${bad}` },
    });
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, message);
    t.is(r.stdout, '');
  }
});

test('sentvec rerank: usage errors exit 2 with one line', async (t) => {
  const dir = workdir(t);
  writeFileSync(join(dir, 'blank.txt'), '\n  \n');
  const file = join(dir, 'input.txt');
  const cases = [
    [['rerank', '-i', file, '--model', dir], /required option '-q, --query <text>' not specified/],
    [['rerank', '-q', 'x', '--model', dir], /required option '-i, --input <file>' not specified/],
    [['rerank', '-q', 'x', '-i', file], /required option '--model <dir\|hub-id>' not specified/],
    [['rerank', '-q', ' ', '-i', file, '--model', dir], /-q\/--query is empty/],
    [['rerank', '-q', 'x', '-i', join(dir, 'blank.txt'), '--model', dir], /blank\.txt has no line with text/],
    [['rerank', '-q', 'x', '-i', join(dir, 'nope.txt'), '--model', dir], /cannot read .*nope\.txt: no such file/],
    [['rerank', '-q', 'x', '-i', file, '--model', dir, '-k', '0'], /--top-k <n>' argument '0' is invalid/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
  }
});

test('serve --reranker alone answers POST /v1/rerank and stops on SIGTERM; with --store it needs --model', async (t) => {
  const dir = workdir(t);
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}` };
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--reranker', dir], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 30_000;
  while (!/sentvec serving/.test(stderr) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.regex(stderr, /sentvec serving the reranker .* on http:\/\/127\.0\.0\.1:\d+/);
  const url = stderr.match(/on (http:\/\/127\.0\.0\.1:\d+)/)[1];
  const res = await fetch(`${url}/v1/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'night train', documents: sentences, top_n: 1 }),
  });
  t.is(res.status, 200);
  t.deepEqual((await res.json()).results, [{ index: 0, relevance_score: 1 }]);
  t.is((await fetch(`${url}/v1/embeddings`, { method: 'POST' })).status, 404);
  child.kill('SIGTERM');
  t.is(await exited, 0, stderr);
  const withStore = await run(['serve', '--reranker', dir, '--store', 'postgres://localhost/x']);
  t.is(withStore.code, 2);
  t.regex(withStore.stderr, /--store is searched with the embedding model it was filled with: pass it with --model beside --reranker/);
  const badCap = await run(['serve', '--reranker', dir, '--max-rerank-pairs', '0']);
  t.is(badCap.code, 2);
  t.regex(badCap.stderr, /--max-rerank-pairs <n>' argument '0' is invalid\. expected an integer from 1 to 10,000,000/);
});

test('--revision is the hub model\'s: a --rerank folder beside a hub --model with --revision is loaded as a folder', async (t) => {
  const dir = workdir(t);
  const hub = await startHub(model, { repo: 'acme/cli-rerank-revision' });
  const cache = mkdtempSync(join(tmpdir(), 'sentvec-cli-rerank-cache-'));
  t.teardown(async () => {
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  });
  const env = { HF_ENDPOINT: hub.endpoint, SENTVEC_CACHE: cache };
  const out = await run(['-i', join(dir, 'input.txt'), '--model', hub.repo, '--revision', 'main', '--rerank', dir, '-p', 'night train', '-q', '-k', '1'], { env });
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /^Text: The night train to the mountains leaves at ten\. \(Similarity:/);
});
