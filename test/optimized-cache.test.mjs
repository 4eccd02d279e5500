// The optimized-model cache (Model.load's optimizedCache) against a hostile or careless disk: a
// file truncated or replaced under a running model, flipped bytes, an entry sentvec did not write,
// a FIFO or link at the entry's name, a folder that others may write or that another user owns.
// Loads that could crash (SIGBUS) or hang run in a child process, so that either shows as a failed
// test, not as a dead or stuck runner.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModel, tinyPooledModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, InvalidArgumentError } = sentvec;
const packageRoot = createRequire(import.meta.url).resolve('..');
const texts = ['The library closes early.', '図書館は早く閉まります。', 'Ein Satz auf Deutsch, mit Komma.'];
const posix = process.platform !== 'win32';

function folder(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-optimized-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function vectors(options = {}) {
  const model = await Model.load(tinyModel(), { scheduler: false, ...options });
  const got = { fromCache: model.info.fromCache, vectors: (await model.encode(texts)).toArray() };
  model.dispose();
  return got;
}

// Writes the tiny model's entry into `cache`; returns its path.
async function entry(cache) {
  const first = await vectors({ optimizedCache: cache });
  if (first.fromCache) throw new Error('expected the first load to write the cache');
  const names = readdirSync(cache).filter((f) => f.endsWith('.ort'));
  if (names.length !== 1) throw new Error(`expected one entry, found ${names.join(', ')}`);
  return join(cache, names[0]);
}

function close(t, got, want) {
  got.forEach((row, i) => row.forEach((x, d) => t.true(Math.abs(x - want[i][d]) < 1e-6, `row ${i}, dimension ${d}: ${x} vs ${want[i][d]}`)));
}

// Runs `body` (a module's text, with Model, fs and the tiny model's folder in scope) in a fresh
// Node process; resolves to its exit code, signal and the JSON it printed last.
function child(body, { timeout = 60_000 } = {}) {
  const script = `
    import { createRequire } from 'node:module';
    import * as fs from 'node:fs';
    const { Model } = createRequire(import.meta.url)(${JSON.stringify(packageRoot)});
    const dir = ${JSON.stringify(tinyModel())};
    const texts = ${JSON.stringify(texts)};
    ${body}`;
  return new Promise((done) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop();
      let result;
      try {
        result = JSON.parse(last);
      } catch {
        result = undefined;
      }
      done({ code: error ? error.code : 0, signal: error?.signal ?? null, killed: error?.killed ?? false, result, stderr });
    });
  });
}

test('a model that loaded from the cache keeps encoding while its file is truncated or replaced', async (t) => {
  const cache = folder(t);
  const path = await entry(cache);
  const want = (await vectors()).vectors;
  const run = await child(`
    const model = await Model.load(dir, { scheduler: false, optimizedCache: ${JSON.stringify(cache)} });
    const path = ${JSON.stringify(path)};
    const rounds = [];
    fs.truncateSync(path, 0);
    rounds.push((await model.encode(texts)).toArray());
    fs.writeFileSync(path, 'replaced in place');
    rounds.push((await model.encode(texts)).toArray());
    fs.writeFileSync(path + '.new', 'x'.repeat(4096));
    fs.renameSync(path + '.new', path);
    rounds.push((await model.encode(texts)).toArray());
    console.log(JSON.stringify({ fromCache: model.info.fromCache, rounds }));`);
  t.is(run.signal, null, `the child died of ${run.signal}: ${run.stderr}`);
  t.is(run.code, 0, run.stderr);
  t.true(run.result.fromCache);
  for (const got of run.result.rounds) close(t, got, want);
});

test('an entry with flipped bytes is not used: the model is optimized again, vectors as without the cache', async (t) => {
  const cache = folder(t);
  const path = await entry(cache);
  const want = (await vectors()).vectors;
  const bytes = readFileSync(path);
  // The middle of the file lies in the embedding table, the bulk of the tiny model.
  for (let i = 0; i < 256; i++) bytes[(bytes.length >> 1) + i] ^= 0x5a;
  writeFileSync(path, bytes, { mode: 0o600 });
  const got = await vectors({ optimizedCache: cache });
  t.false(got.fromCache);
  close(t, got.vectors, want);
  // The rebuilt entry is used again.
  t.true((await vectors({ optimizedCache: cache })).fromCache);
});

test('an entry sentvec did not write at that name is not used', async (t) => {
  const cache = folder(t);
  const path = await entry(cache);
  const want = (await vectors()).vectors;
  // Another model's entry, planted under this model's name: a valid ONNX Runtime model, wrong one.
  const other = folder(t);
  (await Model.load(tinyPooledModel(), { optimizedCache: other })).dispose();
  const planted = join(other, readdirSync(other).find((f) => f.endsWith('.ort')));
  copyFileSync(planted, path);
  chmodSync(path, 0o600);
  const got = await vectors({ optimizedCache: cache });
  t.false(got.fromCache);
  close(t, got.vectors, want);
  // Its own entry, made writable by others: not trusted either.
  t.true((await vectors({ optimizedCache: cache })).fromCache);
  if (posix) {
    chmodSync(path, 0o666);
    t.false((await vectors({ optimizedCache: cache })).fromCache);
  }
});

test('a FIFO or a link at the entry name does not hang the load: the entry is rebuilt as a file', async (t) => {
  if (!posix) return t.pass('no FIFOs on Windows (and the cache is not read there)');
  const cache = folder(t);
  const path = await entry(cache);
  rmSync(path);
  execFileSync('mkfifo', [path]);
  const run = await child(
    `const model = await Model.load(dir, { scheduler: false, optimizedCache: ${JSON.stringify(cache)} });
     console.log(JSON.stringify({ fromCache: model.info.fromCache, rows: (await model.encode(texts)).length }));`,
    { timeout: 30_000 },
  );
  t.false(run.killed, 'the load hung on the FIFO');
  t.is(run.code, 0, run.stderr);
  t.deepEqual(run.result, { fromCache: false, rows: texts.length });
  t.true(statSync(path).isFile(), 'the FIFO was replaced by the rebuilt entry');
  t.true((await vectors({ optimizedCache: cache })).fromCache);
  // A link to a valid entry elsewhere is not followed.
  const elsewhere = join(folder(t), 'entry.ort');
  copyFileSync(path, elsewhere);
  rmSync(path);
  symlinkSync(elsewhere, path);
  t.false((await vectors({ optimizedCache: cache })).fromCache);
  t.true(statSync(path).isFile() && !lstatSync(path).isSymbolicLink());
});

test('a cache folder that others may write, or that another user owns, is refused with a message', async (t) => {
  if (!posix) return t.pass('the cache is not used on Windows, where sentvec cannot check the folder');
  const cache = folder(t);
  await entry(cache);
  for (const [mode, who] of [
    [0o770, 'its group'],
    [0o777, 'every user'],
    [0o1777, 'every user'],
  ]) {
    chmodSync(cache, mode);
    const error = await t.throwsAsync(Model.load(tinyModel(), { optimizedCache: cache }), { instanceOf: InvalidArgumentError });
    t.true(error.message.includes(`the optimizedCache folder ${cache} is writable by ${who}`), error.message);
    t.regex(error.message, /chmod go-w/);
  }
  chmodSync(cache, 0o755);
  t.true((await vectors({ optimizedCache: cache })).fromCache, 'readable by others is fine');
  // Another user's folder: only root can make one to test with.
  if (process.getuid() !== 0) return t.log('not root: the check of the folder owner is not exercised here');
  chownSync(cache, 65534, 65534);
  const error = await t.throwsAsync(Model.load(tinyModel(), { optimizedCache: cache }), { instanceOf: InvalidArgumentError });
  t.regex(error.message, /optimizedCache folder .* belongs to user 65534/);
});

test('the folders sentvec makes for the cache are private to the user', async (t) => {
  if (!posix) return t.pass('Windows has no permission bits to check');
  const root = folder(t);
  const cache = join(root, 'a', 'b');
  const umask = process.umask(0o002);
  try {
    (await Model.load(tinyModel(), { optimizedCache: cache })).dispose();
  } finally {
    process.umask(umask);
  }
  t.is(statSync(cache).mode & 0o777, 0o700);
  t.is(statSync(join(root, 'a')).mode & 0o777, 0o700);
  t.true((await vectors({ optimizedCache: cache })).fromCache);
});

test('an entry whose save was cut short is not used', async (t) => {
  const cache = folder(t);
  const path = await entry(cache);
  const want = (await vectors()).vectors;
  truncateSync(path, statSync(path).size - 1);
  const got = await vectors({ optimizedCache: cache });
  t.false(got.fromCache);
  close(t, got.vectors, want);
});
