// Many /v1/search answers just under maxResponseBytes at once, in a server with a small heap: the
// answers being built or sent are bounded all together (2 × maxResponseBytes), so the ones past that
// get 429 and the server stays up (24 answers of 62 MB in a 1 GB heap ended in SIGABRT).
import test from 'ava';
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

async function startServer(t, options, execArgv) {
  const child = fork(join(here, 'helpers/options-server.mjs'), [JSON.stringify(options)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  child.stderr.resume();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const { url } = await Promise.race([
    new Promise((resolve) => child.once('message', resolve)),
    exited.then((e) => Promise.reject(new Error(`the server exited: ${JSON.stringify(e)}`))),
  ]);
  t.teardown(() => child.connected && child.kill());
  return { url, exited, child };
}

test('concurrent near-limit /v1/search answers: 429 past the server-wide budget, the server stays up', async (t) => {
  // Two queries × top_k 1,000 × 4 KB passages ≈ 8.2 MB, just under maxResponseBytes of 9 MiB.
  const { url, exited, child } = await startServer(t, { maxResponseBytes: 9 * 2 ** 20 }, ['--max-old-space-size=128']);
  const search = () =>
    fetch(`${url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: ['first query', 'second query'], top_k: 1000 }),
      signal: AbortSignal.timeout(60_000),
    }).then(
      async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() }),
      (e) => ({ status: String(e.cause?.code ?? e.name) }),
    );
  const answers = await Promise.all(Array.from({ length: 32 }, search));
  const statuses = answers.map((a) => a.status);
  const counts = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  t.log('statuses', JSON.stringify(counts));
  t.true(child.exitCode === null && child.signalCode === null, `the server exited: ${JSON.stringify(await Promise.race([exited, null]))}`);
  t.true(
    statuses.every((s) => s === 200 || s === 429),
    `every answer 200 or 429: ${statuses.join(',')}`,
  );
  t.true(statuses.includes(200));
  const busy = answers.find((a) => a.status === 429);
  if (busy) {
    t.is(busy.retryAfter, '1');
    t.regex(JSON.parse(busy.body).error.message, /maxResponseBytes/);
  }
  const started = performance.now();
  const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
  t.is(health.status, 200);
  t.true(performance.now() - started < 1000);
  child.send('stop');
  await exited;
});
