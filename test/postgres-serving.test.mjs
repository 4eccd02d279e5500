// The CLI and the server on a PostgresStore: a corpus embedded once into PostgreSQL, answered from
// later and by several stateless `sentvec serve` processes (a throw-away cluster, as in
// postgres-store.test.mjs).
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../scripts/postgres-cluster.mjs';
import { tinyFp16Model, tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/sentvec.js');
const { Model, PostgresStore, Index } = sentvec;
const model = tinyModel();
const corpus = [
  "The night train to the mountains leaves at ten o'clock.",
  '駅前の新しいパン屋は朝六時から営業しています。',
  'La conférence aura lieu à Lyon en mars. Elle durera deux jours!',
  'Der Zug nach Berlin hat heute zwanzig Minuten Verspätung.',
  'Hi.',
].join('\n');

let cluster;
let dir;
test.before(() => {
  cluster = startCluster();
  dir = mkdtempSync(join(tmpdir(), 'sentvec-pgcli-'));
  writeFileSync(join(dir, 'input.txt'), corpus);
  writeFileSync(join(dir, 'other.txt'), corpus.replace('Lyon', 'Marseille'));
});
test.after.always(() => {
  cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(args) {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, SENTVEC_CACHE: join(tmpdir(), 'sentvec-cli-cache') } }, (error, stdout, stderr) =>
      done({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

test.serial('the CLI fills the store once, reuses it, refills it when the text changes, and answers without -i', async (t) => {
  const store = ['--store', cluster.connectionString, '--table', 'cli_corpus'];
  const question = ['-p', 'When does the train leave?', '-k', '3', '--json', '--model', model];
  const local = await run(['-i', join(dir, 'input.txt'), ...question, '-q']);
  t.is(local.code, 0, local.stderr);
  const first = await run(['-i', join(dir, 'input.txt'), ...question, ...store]);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stderr, /Stored 5 sentences in the table cli_corpus/);
  const [want, got] = [JSON.parse(local.stdout), JSON.parse(first.stdout)];
  t.deepEqual(got.results.map((r) => r.text), want.results.map((r) => r.text));
  got.results.forEach((r, i) => t.true(Math.abs(r.similarity - want.results[i].similarity) <= 1e-5));
  const again = await run(['-i', join(dir, 'input.txt'), ...question, ...store]);
  t.regex(again.stderr, /Using the table cli_corpus of --store \(5 sentences\)/);
  t.deepEqual(JSON.parse(again.stdout), got);
  const later = await run([...question, ...store]);
  t.is(later.code, 0, later.stderr);
  t.regex(later.stderr, /Answering from the table cli_corpus/);
  t.deepEqual(JSON.parse(later.stdout), got);
  const changed = await run(['-i', join(dir, 'other.txt'), '-p', 'Marseille', '--json', '--model', model, ...store]);
  t.regex(changed.stderr, /filled from another model, text or options: filling it again/);
  t.regex(JSON.parse(changed.stdout).results[0].text, /Marseille/);
  // Another model would answer with vectors of another space: refused.
  const wrong = await run(['-p', 'train', '--model', tinyFp16Model(), ...store]);
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /filled with another model/);
  const empty = await run(['-p', 'train', '--model', model, '--store', cluster.connectionString, '--table', 'never_filled']);
  t.is(empty.code, 2);
  t.regex(empty.stderr, /is empty: fill it first with -i/);
  const both = await run(['-i', join(dir, 'input.txt'), '-p', 'x', '--index', join(dir, 'i'), ...store]);
  t.is(both.code, 2);
  t.regex(both.stderr, /pass one/);
  const down = await run(['-p', 'x', '--model', model, '--store', `postgresql://nobody@${encodeURIComponent(dir)}:1/db`]);
  t.is(down.code, 1);
  t.regex(down.stderr, /^sentvec: error: lost or could not open the connection to PostgreSQL/);
});

async function serve(args) {
  const child = spawn(process.execPath, [bin, 'serve', '--model', model, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  while (!/ on (http:\/\/\S+?),/.test(stderr)) {
    if (child.exitCode !== null) throw new Error(stderr);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, url: stderr.match(/ on (http:\/\/\S+?),/)[1], exited, stderr: () => stderr };
}

test.serial('two stateless servers answer /v1/search from one table, the same as an in-memory Index', async (t) => {
  const loaded = await Model.load(model);
  const texts = Array.from({ length: 40 }, (_, i) => `Document ${i}: ${['trains', 'bread', 'Lyon', 'weather'][i % 4]} and number ${i * 7}.`);
  const vectors = await loaded.encode(texts, { normalize: true });
  const store = await PostgresStore.open({ connection: cluster.connectionString, table: 'shared', dimension: loaded.dimension });
  await store.add(vectors, undefined, { texts, metadata: texts.map((_, i) => ({ topic: ['trains', 'bread', 'Lyon', 'weather'][i % 4] })) });
  await store.close();
  const index = new Index({ dimension: loaded.dimension });
  await index.add(vectors);
  const servers = await Promise.all([serve(['--store', cluster.connectionString, '--table', 'shared']), serve(['--store', cluster.connectionString, '--table', 'shared'])]);
  try {
    const search = (url, body) => fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const queries = ['a train to Lyon', 'fresh bread'];
    const want = await index.search(await loaded.encode(queries, { normalize: true }), { topK: 5 });
    for (const { url } of servers) {
      const res = await search(url, { query: queries, top_k: 5 });
      t.is(res.status, 200);
      const body = await res.json();
      t.is(body.data.length, 2);
      body.data.forEach((d, q) => {
        t.deepEqual(d.results.map((r) => r.id), Array.from(want[q].ids, Number));
        d.results.forEach((r, k) => {
          t.true(Math.abs(r.score - want[q].scores[k]) <= 1e-5);
          t.is(r.text, texts[r.id]);
        });
      });
      t.true(body.usage.total_tokens > 0);
    }
    const filtered = await (await search(servers[1].url, { query: 'anything', top_k: 50, filter: { metadata: { topic: 'bread' } }, include: ['metadata'] })).json();
    t.is(filtered.data[0].results.length, 10);
    t.true(filtered.data[0].results.every((r) => r.metadata.topic === 'bread' && r.text === undefined));
    const bad = await search(servers[0].url, { query: 'x', top_k: 0 });
    t.is(bad.status, 400);
    t.is((await bad.json()).error.param, 'top_k');
    t.is((await search(servers[0].url, { query: 'x', filter: { where: 'id > 3' } })).status, 400);
    // The database goes away: 503 with Retry-After, the server stays up, and answers again when it is back.
    cluster.stopServer('fast');
    const away = await search(servers[0].url, { query: 'x' });
    const awayBody = await away.text();
    cluster.startServer();
    t.is(away.status, 503);
    t.is(away.headers.get('retry-after'), '1');
    t.is(JSON.parse(awayBody).error.code, 'store_unavailable');
    t.false(awayBody.includes(cluster.socketDir), `the socket path stays in the server's log: ${awayBody}`);
    t.false(awayBody.includes('PGSQL'), awayBody);
    t.true(servers[0].stderr().includes(cluster.socketDir), 'the server logs the detail on stderr');
    t.is((await search(servers[0].url, { query: 'x' })).status, 200);
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    t.deepEqual(await Promise.all(servers.map((s) => s.exited)), [0, 0]);
    index.dispose();
    loaded.dispose();
  }
});

test('createServer refuses a store of another dimension; /v1/search exists only with a store', async (t) => {
  const loaded = await Model.load(model);
  t.teardown(() => loaded.dispose());
  const store = await PostgresStore.open({ connection: cluster.connectionString, table: 'narrow', dimension: loaded.dimension + 1 });
  t.teardown(() => store.close());
  await t.throwsAsync(server.createServer(loaded, { store }), { instanceOf: sentvec.InvalidArgumentError, message: /dimension/ });
  const app = await server.createServer(loaded);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  t.is((await fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"x"}' })).status, 404);
});
