// examples/ ships with the package; each program runs here on the generated test model.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root } from './helpers/doc-blocks.mjs';
import { tinyModel } from './helpers/models.mjs';
import { startCluster } from '../scripts/postgres-cluster.mjs';

const run = (file, args = [], { input, env = {}, cwd = root } = {}) =>
  new Promise((resolve) => {
    const child = execFile(process.execPath, [join(root, 'examples', file), ...args], { cwd, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin.end(input ?? '');
  });

test('demo: embeds examples/input.txt and answers each question with two sentences until q', async (t) => {
  const r = await run('demo.mjs', [tinyModel()], { input: 'Where does the night train leave from?\n山へ行く電車は？\nq\nnever asked\n' });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^10 sentences embedded\./);
  t.is(r.stdout.match(/^(User \(press q to exit\): )?Text: .+ \(Similarity:-?\d\.\d{3}\)$/gm)?.length, 4, r.stdout);
  const eof = await run('demo.mjs', [tinyModel()], { input: 'night train\n' });
  t.is(eof.code, 0, eof.stderr);
  t.is(eof.stdout.match(/Text: /g)?.length, 2, 'end of input quits after answering');
});

test('retrieve: embeds and saves the index on the first run, answers from the file on the next', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-example-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await run('retrieve.mjs', [tinyModel(), 'passages.svi'], { cwd: dir });
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /embedded 5 passages into passages\.svi/);
  const second = await run('retrieve.mjs', [tinyModel(), 'passages.svi'], { cwd: dir });
  t.is(second.code, 0, second.stderr);
  t.regex(second.stdout, /loaded 5 passages from passages\.svi/);
  t.is(second.stdout.split('\n').slice(1).join('\n'), first.stdout.split('\n').slice(1).join('\n'), 'the same answers from the saved file');
});

test('openai-server: the official openai client embeds through createServer', async (t) => {
  const r = await run('openai-server.mjs', [tinyModel()]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^3 vectors of 32 values, \d+ tokens$/m);
  t.regex(r.stdout, /^with dimensions: 16 → 16 values$/m);
});

test('postgres: stores texts and metadata, searches with a metadata filter', async (t) => {
  const missing = await run('postgres.mjs', [tinyModel()], { env: { DATABASE_URL: '' } });
  t.is(missing.code, 2);
  t.regex(missing.stderr, /Set DATABASE_URL/);
  const cluster = startCluster();
  t.teardown(() => cluster.stop());
  for (let round = 0; round < 2; round++) {
    const r = await run('postgres.mjs', [tinyModel()], { env: { DATABASE_URL: cluster.connectionString } });
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^4 rows in sentvec_example$/m, 'a second run replaces the rows instead of adding');
    const travel = r.stdout.split('travel only:')[1];
    t.is(travel.match(/\[(en|ja)\] /g)?.length, 2, r.stdout);
  }
});

test('examples/ is in the package', (t) => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const files = packed.files.map((f) => f.path);
  for (const name of ['demo.mjs', 'retrieve.mjs', 'openai-server.mjs', 'postgres.mjs', 'input.txt']) t.true(files.includes(`examples/${name}`), name);
});
