import test from 'ava';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createServer } from 'node:net';
import { startHub } from './helpers/hub-server.mjs';
import { tinyFp16Model, tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { downloadModel, DownloadError, modelCacheDir, undeclaredLimit } = createRequire(import.meta.url)('../dist/lib/hub/download.js');
const model = tinyModel();
const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

function tmpCache(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const leftovers = (dir) => readdirSync(dir, { recursive: true }).filter((f) => /\.(incomplete|lock)$|\.tmp-/.test(f));

test('downloads the layout into the cache, verifies LFS checksums, and the model loads', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, token: 'secret' });
  t.is(dir, modelCacheDir(hub.repo, { cacheDir }));
  t.true(dir.includes(join('models', 'acme--tiny-model', 'main')));
  for (const f of ['config.json', 'sentencepiece.bpe.model', 'onnx/model.onnx', 'modules.json', '1_Pooling/config.json']) t.is(sha(join(dir, f)), sha(join(model, f)), f);
  t.deepEqual(leftovers(dir), []);
  t.true(hub.requests.filter((r) => r.path.startsWith('/acme')).every((r) => r.auth === 'Bearer secret'), 'the token goes to the hub');
  t.true(hub.requests.filter((r) => r.path.startsWith('/cdn')).every((r) => r.auth === undefined), 'not to the redirect target');
  const m = await sentvec.Model.load(dir);
  t.is(m.dimension, 32);
  m.dispose();
  const before = hub.requests.length;
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }), dir);
  t.is(hub.requests.length, before, 'a complete cache is used without asking the hub');
});

test('a connection dropped mid-file is resumed with a Range request', async (t) => {
  const hub = await startHub(model, { faults: { 'onnx/model.onnx': 'drop' } });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir });
  t.is(sha(join(dir, 'onnx/model.onnx')), sha(join(model, 'onnx/model.onnx')));
  const ranged = hub.requests.filter((r) => r.path === '/cdn/onnx%2Fmodel.onnx' && r.range);
  t.is(ranged.length, 1);
  t.regex(ranged[0].range, /^bytes=\d+-$/);
  t.true(Number(ranged[0].range.match(/\d+/)[0]) > 0, 'resumed after the bytes already there');
});

test('a transfer that stops sending is resumed after stallTimeoutMs, as a dropped connection is', async (t) => {
  const hub = await startHub(model, { faults: { 'onnx/model.onnx': 'stall', 'config.json': 'stall' } });
  t.teardown(hub.close);
  const started = Date.now();
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), stallTimeoutMs: 300 });
  t.true(Date.now() - started < 8000, 'not fetch\'s 300 s per attempt');
  for (const f of ['config.json', 'onnx/model.onnx']) t.is(sha(join(dir, f)), sha(join(model, f)), f);
  for (const path of ['/acme/tiny-model/resolve/main/config.json', '/cdn/onnx%2Fmodel.onnx']) {
    const ranged = hub.requests.filter((r) => r.path === path && r.range);
    t.is(ranged.length, 1, path);
    t.true(Number(ranged[0].range.match(/\d+/)[0]) > 0, 'resumed after the bytes already there');
  }
  t.deepEqual(leftovers(dir), []);
});

test('a hub that never answers fails each attempt after stallTimeoutMs, then says it stopped answering and what to do', async (t) => {
  const hub = await startHub(model, { faults: { 'config.json': 'silent' } });
  t.teardown(hub.close);
  const started = Date.now();
  const err = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), attempts: 2, stallTimeoutMs: 250 }), { instanceOf: DownloadError });
  t.true(Date.now() - started < 5000);
  const [what, todo, ...more] = err.message.split('\n');
  t.regex(what, /^http:\/\/127\.0\.0\.1:\d+ stopped answering: no answer for 0\.25 s while downloading acme\/tiny-model\/config\.json \(attempt 2 of 2\)$/);
  t.regex(todo, /^Try again later, or set HF_ENDPOINT to a mirror; on a slow link, raise stallTimeoutMs \(250\)\.$/);
  t.deepEqual(more, []);
  t.is(hub.requests.filter((r) => r.path.endsWith('/config.json')).length, 2, 'one request per attempt');
  await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), stallTimeoutMs: 0 }), {
    instanceOf: sentvec.InvalidArgumentError,
    message: /Expected an integer from 1 to 600,000 for stallTimeoutMs but received 0/,
  });
});

test('connections dropped on every small file are resumed and never crash the process', async (t) => {
  // A drop lands while the last chunk is still being written to disk: the file stream used to be
  // destroyed under that write and raise an unhandled ERR_STREAM_DESTROYED (about one drop in three).
  const small = ['config.json', 'modules.json', '1_Pooling/config.json', 'tokenizer_config.json', 'special_tokens_map.json', 'sentence_bert_config.json', 'tokenizer.json'];
  for (let round = 0; round < 4; round++) {
    const hub = await startHub(model, { faults: Object.fromEntries(small.map((f) => [f, 'drop'])) });
    const cacheDir = tmpCache(t);
    try {
      const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir });
      for (const f of small) t.is(sha(join(dir, f)), sha(join(model, f)), f);
      t.deepEqual(leftovers(dir), []);
    } finally {
      await hub.close();
    }
  }
});

test('an endless body is cut at the size the hub stated, else at a stated limit, and leaves nothing in the cache', async (t) => {
  const hub = await startHub(model, { faults: { 'config.json': 'endless' } });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  let err = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }), { instanceOf: DownloadError });
  t.regex(err.message, /acme\/tiny-model\/config\.json: .* sent more than 67108864 bytes without stating the file's size.*the partial file was deleted/);
  t.is(undeclaredLimit('config.json'), 64 * 2 ** 20);
  t.is(undeclaredLimit('onnx/model.onnx'), 2 ** 31);
  const dir = modelCacheDir(hub.repo, { cacheDir });
  t.false(existsSync(join(dir, 'config.json')));
  t.deepEqual(leftovers(dir), []);
  t.true(hub.requests.filter((r) => r.path.endsWith('/config.json')).length === 1, 'not retried');
  // An LFS file: the hub's redirect states its size (X-Linked-Size), and the body may not pass it.
  const lfs = await startHub(model, { faults: { 'onnx/model.onnx': 'endless' } });
  t.teardown(lfs.close);
  const size = statSync(join(model, 'onnx/model.onnx')).size;
  err = await t.throwsAsync(downloadModel(lfs.repo, { endpoint: lfs.endpoint, cacheDir: tmpCache(t) }), { instanceOf: DownloadError });
  t.regex(err.message, new RegExp(`onnx/model\\.onnx: .* sent more than the ${size} bytes it stated for the file`));
  t.true(lfs.sent.get('onnx/model.onnx') < 64 * 2 ** 20, `${lfs.sent.get('onnx/model.onnx')} bytes sent before the client hung up`);
});

test('revisions are git refs or commit hashes: each has its own cache folder, and ".." is refused', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  for (const bad of ['..', '.', 'a/../b', 'a..b', '.hidden', 'x/.y', 'v1.lock', 'a b', 'a:b', 'a~1', 'a^', 'a?', 'a*', 'a[b', 'a\\b', '@', 'a@{1}', '/a', 'a/', 'a//b', 'a.', '', 'x\n', 'é'.repeat(200), 5]) {
    await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, revision: bad }), { instanceOf: sentvec.InvalidArgumentError, message: /is not a branch, tag or commit \(.+\); give a git ref such as main, v1\.0 or refs\/pr\/1/ }, JSON.stringify(bad));
  }
  t.deepEqual(readdirSync(cacheDir), [], 'nothing written for a refused revision');
  // Two repositories with one revision never share a folder, nor two revisions of one repository.
  const folders = new Set();
  for (const revision of ['main', 'v1.0', 'refs/pr/1', 'refs_pr_1', 'refs%2Fpr%2F1', 'a'.repeat(40), 'feature/x-y_z', 'ünïcödé']) {
    const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, revision });
    t.true(dir.startsWith(join(cacheDir, 'models', 'acme--tiny-model') + '/'), dir);
    folders.add(dir);
  }
  t.is(folders.size, 8);
  t.true(hub.requests.some((r) => r.path === '/acme/tiny-model/resolve/refs%2Fpr%2F1/config.json'), 'the revision is one path segment');
  await t.throwsAsync(downloadModel('acme--x/tiny', { endpoint: hub.endpoint, cacheDir }), { instanceOf: sentvec.InvalidArgumentError, message: /Expected a hub repository id \(owner\/name\) for repo/ });
  await t.throwsAsync(downloadModel('acme/..', { endpoint: hub.endpoint, cacheDir }), { instanceOf: sentvec.InvalidArgumentError, message: /Expected a hub repository id \(owner\/name\) for repo/ });
});

test('HTTP 500 is retried; persistent 500 fails with the status', async (t) => {
  const hub = await startHub(model, { faults: { 'config.json': 'error500' } });
  t.teardown(hub.close);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t) });
  t.true(existsSync(join(dir, 'config.json')));
  const failing = await startHub(model, { faults: { 'config.json': 'error500' } });
  t.teardown(failing.close);
  const err = await t.throwsAsync(downloadModel(failing.repo, { endpoint: failing.endpoint, cacheDir: tmpCache(t), attempts: 2 }), { instanceOf: DownloadError });
  t.regex(err.message, /HTTP 500 for acme\/tiny-model\/config\.json/);
  t.is(err.status, 500);
});

test('a wrong checksum deletes the download and never places the file', async (t) => {
  const hub = await startHub(model, { faults: { 'onnx/model.onnx': 'badsha' } });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const err = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }), { instanceOf: DownloadError });
  t.regex(err.message, /checksum mismatch for acme\/tiny-model\/onnx\/model\.onnx: the hub states sha256 f{64}, the download has [0-9a-f]{64}/);
  const dir = modelCacheDir(hub.repo, { cacheDir });
  t.false(existsSync(join(dir, 'onnx/model.onnx')));
  t.deepEqual(leftovers(dir), []);
});

test('404 for the repository or a required file, 401, and an unreachable hub give clear errors', async (t) => {
  const hub = await startHub(model, { faults: { 'sentencepiece.bpe.model': 'missing' } });
  t.teardown(hub.close);
  let err = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t) }), { instanceOf: DownloadError });
  t.regex(err.message, /not found \(HTTP 404\): acme\/tiny-model\/sentencepiece\.bpe\.model at revision main/);
  err = await t.throwsAsync(downloadModel('acme/other', { endpoint: hub.endpoint, cacheDir: tmpCache(t) }), { instanceOf: DownloadError });
  t.regex(err.message, /HTTP 404.*acme\/other\/config\.json/);
  const locked = await startHub(model, { faults: { 'config.json': 'unauthorized' } });
  t.teardown(locked.close);
  err = await t.throwsAsync(downloadModel(locked.repo, { endpoint: locked.endpoint, cacheDir: tmpCache(t) }), { instanceOf: DownloadError });
  t.regex(err.message, /^access denied \(HTTP 401\) for acme\/tiny-model\/config\.json .*\nSet HF_TOKEN/);
  const cacheDir = tmpCache(t);
  const closed = createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const { port } = closed.address();
  await new Promise((r) => closed.close(r));
  err = await t.throwsAsync(downloadModel('acme/tiny-model', { endpoint: `http://127.0.0.1:${port}`, cacheDir, attempts: 1 }), { instanceOf: DownloadError });
  const [what, todo, ...more] = err.message.split('\n');
  t.regex(what, /^cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\), and acme\/tiny-model is not in sentvec's cache \(.*acme--tiny-model.*: missing config\.json, onnx\/model\.onnx, a tokenizer \(sentencepiece\.bpe\.model, tokenizer\.json or vocab\.txt\)\) nor in the Hugging Face cache/);
  t.regex(todo, /^Set HF_ENDPOINT to a hub mirror you can reach, or fetch it where there is network \(`sentvec download acme\/tiny-model` or downloadModel\(\)\) and copy that folder to .*acme--tiny-model/);
  t.deepEqual(more, [], 'two lines: what went wrong, what to do');
  t.is(err.message.match(/HF_ENDPOINT/g).length, 1, 'no hint repeated');
});

test('optional files may be absent; offline mode uses the cache or explains what is missing', async (t) => {
  const hub = await startHub(model, { faults: { 'modules.json': 'missing', '1_Pooling/config.json': 'missing' } });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir });
  t.false(existsSync(join(dir, 'modules.json')));
  t.is(await downloadModel(hub.repo, { cacheDir, offline: true }), dir, 'offline: the cached copy');
  const err = await t.throwsAsync(downloadModel('acme/absent', { cacheDir, offline: true }), { instanceOf: DownloadError });
  t.regex(err.message, /^acme\/absent is not in sentvec's cache .* and downloads are off \(the offline option\)\nAllow downloads \(offline: false\)/);
});

test('concurrent downloads of the same repository do not corrupt it', async (t) => {
  const hub = await startHub(model, { faults: { 'onnx/model.onnx': 'drop' } });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const dirs = await Promise.all([1, 2, 3].map(() => downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir })));
  t.is(new Set(dirs).size, 1);
  t.is(sha(join(dirs[0], 'onnx/model.onnx')), sha(join(model, 'onnx/model.onnx')));
  t.is(statSync(join(dirs[0], 'sentencepiece.bpe.model')).size, statSync(join(model, 'sentencepiece.bpe.model')).size);
  t.deepEqual(leftovers(dirs[0]), []);
});

test('onnxFile fetches another export (model_fp16.onnx) instead of onnx/model.onnx; bad paths are refused', async (t) => {
  const fp16 = tinyFp16Model();
  const hub = await startHub(fp16, { lfs: ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'sentencepiece.bpe.model'] });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, onnxFile: 'onnx/model_fp16.onnx' });
  t.is(sha(join(dir, 'onnx/model_fp16.onnx')), sha(join(fp16, 'onnx/model_fp16.onnx')));
  t.false(existsSync(join(dir, 'onnx/model.onnx')), 'the float32 file is not fetched');
  const m = await sentvec.Model.load(dir, { onnxFile: 'onnx/model_fp16.onnx' });
  t.is((await m.encode('hello')).dimension, 32);
  m.dispose();
  const before = hub.requests.length;
  await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, onnxFile: 'onnx/model_fp16.onnx' });
  t.is(hub.requests.length, before, 'complete for that file: no request');
  for (const bad of ['../model.onnx', '/etc/model.onnx', 'onnx/model.bin', 'onnx/./model.onnx', '', 5]) {
    await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, onnxFile: bad }), { instanceOf: sentvec.InvalidArgumentError, message: /Expected a path to an \.onnx file inside the repository/ }, String(bad));
  }
  const missing = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), onnxFile: 'onnx/model_O4.onnx' }), { instanceOf: DownloadError });
  t.regex(missing.message, /not found \(HTTP 404\): acme\/tiny-model\/onnx\/model_O4\.onnx .*\n.*has an ONNX export \(onnx\/model_O4\.onnx\)/);
  const offline = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), onnxFile: 'onnx/model_fp16.onnx', offline: true }), { instanceOf: DownloadError });
  t.regex(offline.message, /acme\/tiny-model is not in sentvec's cache \(.*acme--tiny-model.main\) nor in the Hugging Face cache/);
});

// A Hugging Face cache as huggingface_hub writes it: blobs named by hash, snapshot files linking to them, refs/.
function huggingFaceCache(t, repo, files, { revision = 'main', commit = 'a'.repeat(40) } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'sentvec-hf-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const base = join(root, `models--${repo.replace('/', '--')}`);
  mkdirSync(join(base, 'blobs'), { recursive: true });
  mkdirSync(join(base, 'refs'), { recursive: true });
  writeFileSync(join(base, 'refs', revision), commit);
  for (const f of files) {
    const blob = sha(join(model, f));
    copyFileSync(join(model, f), join(base, 'blobs', blob));
    const link = join(base, 'snapshots', commit, f);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(base, 'blobs', blob)), link);
  }
  return { root, snapshot: join(base, 'snapshots', commit), base };
}

test.serial('a model in the Hugging Face cache is used in place, with no network ($HF_HUB_CACHE, $HF_HOME, refs, commits)', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const files = ['config.json', 'sentencepiece.bpe.model', 'onnx/model.onnx', 'modules.json', '1_Pooling/config.json'];
  const hf = huggingFaceCache(t, hub.repo, files);
  const saved = { HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_HOME: process.env.HF_HOME };
  t.teardown(() => Object.entries(saved).forEach(([k, v]) => (v === undefined ? delete process.env[k] : (process.env[k] = v))));
  delete process.env.HF_HOME;
  process.env.HF_HUB_CACHE = hf.root;
  const cacheDir = tmpCache(t);
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }), hf.snapshot);
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, revision: 'a'.repeat(40) }), hf.snapshot, 'a commit hash');
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, offline: true }), hf.snapshot, 'offline too');
  t.is(hub.requests.length, 0, 'the hub was not asked');
  const m = await sentvec.Model.load(hf.snapshot);
  t.is(m.dimension, 32);
  m.dispose();
  // By id, offline: Model.load finds it there too.
  const byId = await sentvec.Model.load(hub.repo, { cacheDir, offline: true });
  t.is(byId.dimension, 32);
  byId.dispose();
  t.is(hub.requests.length, 0);
  // $HF_HOME/hub when $HF_HUB_CACHE is unset.
  delete process.env.HF_HUB_CACHE;
  process.env.HF_HOME = dirname(hf.root);
  renameSync(hf.root, join(dirname(hf.root), 'hub'));
  t.teardown(() => rmSync(join(dirname(hf.root), 'hub'), { recursive: true, force: true }));
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }), join(dirname(hf.root), 'hub', relative(hf.root, hf.snapshot)));
  t.is(hub.requests.length, 0);
});

test.serial('an incomplete Hugging Face snapshot (a file missing, a dangling link, another revision) is downloaded instead', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const saved = process.env.HF_HUB_CACHE;
  t.teardown(() => (saved === undefined ? delete process.env.HF_HUB_CACHE : (process.env.HF_HUB_CACHE = saved)));
  const partial = huggingFaceCache(t, hub.repo, ['config.json', 'sentencepiece.bpe.model', 'onnx/model.onnx']);
  rmSync(join(partial.base, 'blobs', sha(join(model, 'onnx/model.onnx'))));
  process.env.HF_HUB_CACHE = partial.root;
  const cacheDir = tmpCache(t);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir });
  t.is(dir, modelCacheDir(hub.repo, { cacheDir }));
  t.true(hub.requests.length > 0);
  const other = huggingFaceCache(t, hub.repo, ['config.json', 'sentencepiece.bpe.model', 'onnx/model.onnx'], { revision: 'v2' });
  process.env.HF_HUB_CACHE = other.root;
  await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), offline: true }), {
    instanceOf: DownloadError,
    message: /nor in the Hugging Face cache/,
  });
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), offline: true, revision: 'v2' }), other.snapshot);
});

test.serial('a large export\'s weights file (onnx/model.onnx_data) is downloaded with it; a Hugging Face snapshot without it is not used', async (t) => {
  const { ensureModel, testTwin } = await import('../scripts/model/generate.mjs');
  const large = ensureModel('twin-bge-m3-2-layers', { ...testTwin('BAAI/bge-m3'), layers: 2 });
  const hub = await startHub(large, { lfs: ['onnx/model.onnx', 'onnx/model.onnx_data', 'sentencepiece.bpe.model'] });
  t.teardown(hub.close);
  const saved = process.env.HF_HUB_CACHE;
  t.teardown(() => (saved === undefined ? delete process.env.HF_HUB_CACHE : (process.env.HF_HUB_CACHE = saved)));
  // A snapshot with the model file but not its weights: not complete, so the hub is asked.
  const root = mkdtempSync(join(tmpdir(), 'sentvec-hf-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const snapshot = join(root, `models--${hub.repo.replace('/', '--')}`, 'snapshots', 'b'.repeat(40));
  mkdirSync(join(snapshot, 'onnx'), { recursive: true });
  mkdirSync(join(root, `models--${hub.repo.replace('/', '--')}`, 'refs'));
  writeFileSync(join(root, `models--${hub.repo.replace('/', '--')}`, 'refs', 'main'), 'b'.repeat(40));
  for (const f of ['config.json', 'sentencepiece.bpe.model', 'onnx/model.onnx']) copyFileSync(join(large, f), join(snapshot, f));
  process.env.HF_HUB_CACHE = root;
  const cacheDir = tmpCache(t);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir });
  t.is(dir, modelCacheDir(hub.repo, { cacheDir }));
  t.is(sha(join(dir, 'onnx/model.onnx_data')), sha(join(large, 'onnx/model.onnx_data')));
  const m = await sentvec.Model.load(dir);
  t.is(m.dimension, 64);
  m.dispose();
  // Without the weights file, the model names it.
  rmSync(join(dir, 'onnx/model.onnx_data'));
  await t.throwsAsync(sentvec.Model.load(dir), { instanceOf: sentvec.ModelFileError, message: /keeps its weights in .*model\.onnx_data, which is missing/ });
  // …and the cache is no longer complete: the next call fetches it again.
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }), dir);
  t.true(existsSync(join(dir, 'onnx/model.onnx_data')));
});

test('a BERT model downloads with its WordPiece tokenizer and its Dense module, and gives the same vectors', async (t) => {
  const { ensureModel, testTwin } = await import('../scripts/model/generate.mjs');
  const source = ensureModel('twin-sentence-transformers_distiluse-base-multilingual-cased-v2', testTwin('sentence-transformers/distiluse-base-multilingual-cased-v2'));
  const hub = await startHub(source, { lfs: ['onnx/model.onnx', '2_Dense/model.safetensors'] });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir });
  for (const f of ['tokenizer.json', 'vocab.txt', '2_Dense/config.json', '2_Dense/model.safetensors']) t.is(sha(join(dir, f)), sha(join(source, f)), f);
  t.false(existsSync(join(dir, 'sentencepiece.bpe.model')));
  const [a, b] = await Promise.all([sentvec.Model.load(dir), sentvec.Model.load(source)]);
  t.deepEqual((await a.encode('Guten Morgen')).get(0), (await b.encode('Guten Morgen')).get(0));
  a.dispose();
  b.dispose();
  const before = hub.requests.length;
  t.is(await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }), dir);
  t.is(hub.requests.length, before, 'complete: the hub is not asked again');
});

// Model.load by name: the one rule (lib/hub/resolve.ts) over the same cache and checks as the CLI.
const { modelReference } = createRequire(import.meta.url)('../dist/lib/hub/resolve.js');

test('Model.load by hub id downloads through the cache, reports progress, sends the token, then loads from the cache offline with the mirror gone', async (t) => {
  const hub = await startHub(model);
  const cacheDir = tmpCache(t);
  const events = [];
  const m = await sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir, token: 'hf_secret', onProgress: (e) => events.push(e), threads: 1 });
  t.is(m.dimension, 32);
  const vector = (await m.encode('Guten Morgen')).get(0);
  m.dispose();
  t.true(hub.requests.filter((r) => r.path.startsWith('/acme')).every((r) => r.auth === 'Bearer hf_secret'), 'the token went to the hub as Authorization');
  const onnx = events.filter((e) => e.file === 'onnx/model.onnx');
  t.true(onnx.length > 0);
  t.deepEqual(Object.keys(onnx[0]).sort(), ['file', 'received', 'total']);
  t.is(onnx.at(-1).received, statSync(join(model, 'onnx/model.onnx')).size);
  t.is(onnx.at(-1).total, onnx.at(-1).received);
  await hub.close();
  // The mirror is gone: the cache answers, with no attempt at the network.
  const again = await sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir, offline: true });
  t.deepEqual((await again.encode('Guten Morgen')).get(0), vector);
  again.dispose();
  const gone = await sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir });
  t.is(gone.dimension, 32, 'a complete cache needs no hub, even online');
  gone.dispose();
  // Not in the cache, offline: two lines, what went wrong and what to do.
  const err = await t.throwsAsync(sentvec.Model.load('acme/absent', { cacheDir, offline: true }), { instanceOf: sentvec.DownloadError });
  const lines = err.message.split('\n');
  t.is(lines.length, 2, err.message);
  t.regex(lines[0], /^acme\/absent is not in sentvec's cache \(.*acme--absent.*\) nor in the Hugging Face cache \(.*\), and downloads are off \(the offline option\)$/);
  t.regex(lines[1], /^Allow downloads \(offline: false\), or fetch it where there is network \(`sentvec download acme\/absent` or downloadModel\(\)\)/);
});

test('Model.load takes an hf:// URL with a revision, or the revision option; each revision has its own cache folder', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const a = await sentvec.Model.load(`hf://${hub.repo}@v1.0`, { endpoint: hub.endpoint, cacheDir });
  a.dispose();
  t.true(hub.requests.some((r) => r.path === '/acme/tiny-model/resolve/v1.0/config.json'));
  t.false(hub.requests.some((r) => r.path.includes('/resolve/main/')));
  const b = await sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir, revision: 'refs/pr/1' });
  b.dispose();
  t.true(hub.requests.some((r) => r.path === '/acme/tiny-model/resolve/refs%2Fpr%2F1/config.json'));
  t.deepEqual(readdirSync(join(cacheDir, 'models', 'acme--tiny-model')).sort(), ['refs%2Fpr%2F1', 'v1.0']);
  const c = await sentvec.Model.load(`hf://${hub.repo}@v1.0`, { endpoint: hub.endpoint, cacheDir, revision: 'v1.0', offline: true });
  c.dispose();
  await t.throwsAsync(sentvec.Model.load(`hf://${hub.repo}@v1.0`, { endpoint: hub.endpoint, cacheDir, revision: 'v2.0' }), {
    instanceOf: sentvec.InvalidArgumentError,
    message: /hf:\/\/acme\/tiny-model@v1\.0 names revision v1\.0, and the revision option says v2\.0: give one/,
  });
  for (const bad of ['hf://acme', 'hf://acme/x/y', 'hf:acme/x', 'hf://acme--x/y']) await t.throwsAsync(sentvec.Model.load(bad, { endpoint: hub.endpoint, cacheDir }), { instanceOf: sentvec.InvalidArgumentError }, bad);
});

test('Model.load refuses bad hub options with InvalidArgumentError, before any request or file', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const cases = [
    [{ revision: 5 }, /revision 5 is not a branch, tag or commit \(it is not a string\)/],
    [{ revision: 'a..b' }, /revision "a\.\.b" is not a branch, tag or commit/],
    [{ offline: 'yes' }, /Expected a boolean for offline but received the string "yes"/],
    [{ token: 'hf_a b' }, /Expected a token \(printable ASCII, no spaces\) for token/],
    [{ token: 'hf_a\nX-Injected: 1' }, /for token/],
    [{ token: '' }, /for token/],
    [{ endpoint: 'ftp://mirror' }, /Expected an http: or https: URL for endpoint but received the string "ftp:\/\/mirror"/],
    [{ endpoint: 'not a url' }, /for endpoint/],
    [{ cacheDir: '' }, /Expected a folder path for cacheDir/],
    [{ cacheDir: 7 }, /for cacheDir but received 7/],
    [{ onProgress: 'log' }, /Expected a function for onProgress/],
    [{ attempts: 0 }, /Expected an integer from 1 to 100 for attempts but received 0/],
    [{ attempts: 101 }, /from 1 to 100 for attempts/],
    [{ attempts: 1.5 }, /from 1 to 100 for attempts/],
    [{ revison: 'main' }, /Unknown option "revison" for Model\.load\(\)/],
    [{ onnxFile: '../x.onnx' }, /Expected a path to an \.onnx file inside the repository .* for onnxFile/],
  ];
  for (const [options, message] of cases) {
    await t.throwsAsync(sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir, ...options }), { instanceOf: sentvec.InvalidArgumentError, message }, JSON.stringify(options));
  }
  for (const bad of [undefined, '', 5, null]) await t.throwsAsync(sentvec.Model.load(bad), { instanceOf: sentvec.InvalidArgumentError });
  // The same checks for downloadModel, exported for pre-fetching.
  await t.throwsAsync(sentvec.downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, attempts: -1 }), { instanceOf: sentvec.InvalidArgumentError });
  await t.throwsAsync(sentvec.downloadModel('no-slash', { endpoint: hub.endpoint, cacheDir }), { instanceOf: sentvec.InvalidArgumentError, message: /Expected a hub repository id \(owner\/name\) for repo/ });
  // A revision is for the hub: given with a folder, it is refused rather than ignored.
  await t.throwsAsync(sentvec.Model.load(model, { revision: 'v1.0' }), { instanceOf: sentvec.InvalidArgumentError, message: /revision applies to a hub model, but ".*" was taken as a folder \(it is an absolute or \.\/ path\)/ });
  t.is(hub.requests.length, 0);
  t.deepEqual(readdirSync(cacheDir), []);
});

test('an error thrown by onProgress ends the download as it was thrown (not retried as a dropped connection)', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const boom = new Error('stop here');
  const err = await t.throwsAsync(sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t), onProgress: () => { throw boom; } }));
  t.is(err, boom);
  t.is(hub.requests.filter((r) => r.path.endsWith('/config.json')).length, 1);
});

test.serial('HF_ENDPOINT, HF_TOKEN, SENTVEC_OFFLINE and HF_HUB_OFFLINE reach Model.load as they reach the CLI', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const names = ['HF_ENDPOINT', 'HF_TOKEN', 'SENTVEC_OFFLINE', 'HF_HUB_OFFLINE', 'SENTVEC_CACHE'];
  const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
  t.teardown(() => Object.entries(saved).forEach(([k, v]) => (v === undefined ? delete process.env[k] : (process.env[k] = v))));
  for (const k of names) delete process.env[k];
  process.env.SENTVEC_CACHE = tmpCache(t);
  for (const [k, v] of [['SENTVEC_OFFLINE', '1'], ['HF_HUB_OFFLINE', '1']]) {
    process.env[k] = v;
    const err = await t.throwsAsync(sentvec.Model.load(hub.repo), { instanceOf: sentvec.DownloadError });
    t.regex(err.message, new RegExp(`and downloads are off \\(${k}=1\\)\\nAllow downloads \\(unset ${k}\\)`));
    t.is(err.message.split('\n').length, 2);
    delete process.env[k];
  }
  t.is(hub.requests.length, 0, 'offline: no request');
  process.env.HF_ENDPOINT = hub.endpoint;
  process.env.HF_TOKEN = 'hf_from_env';
  const m = await sentvec.Model.load(hub.repo);
  m.dispose();
  t.true(hub.requests.length > 0);
  t.true(hub.requests.filter((r) => r.path.startsWith('/acme')).every((r) => r.auth === 'Bearer hf_from_env'));
  t.true(existsSync(join(process.env.SENTVEC_CACHE, 'models', 'acme--tiny-model', 'main', 'onnx', 'model.onnx')));
  // A private repository without a token: what went wrong, then what to do.
  delete process.env.HF_TOKEN;
  const locked = await startHub(model, { faults: { 'config.json': 'unauthorized' } });
  t.teardown(locked.close);
  const err = await t.throwsAsync(sentvec.Model.load(locked.repo, { endpoint: locked.endpoint, cacheDir: tmpCache(t) }), { instanceOf: sentvec.DownloadError });
  t.deepEqual(err.message.split('\n').map((l) => l.slice(0, 40)), ['access denied (HTTP 401) for acme/tiny-m', 'Set HF_TOKEN (or the token option) to a ']);
  t.regex(err.message, /no token was given/);
});

test.serial('the path-or-id rule: ./ and absolute are folders, an existing folder wins, else owner/name is a hub id; hf:// forces the hub', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cwd = process.cwd();
  const here = tmpCache(t);
  process.chdir(here);
  t.teardown(() => process.chdir(cwd));
  const cacheDir = tmpCache(t);
  // A copy of the model in ./acme/tiny-model, and a folder ./acme/notes that is no model.
  mkdirSync(join(here, 'acme'));
  cpSync(model, join(here, 'acme', 'tiny-model'), { recursive: true });
  mkdirSync(join(here, 'acme', 'notes'));
  t.like(modelReference('acme/tiny-model'), { kind: 'directory', path: join(here, 'acme', 'tiny-model') });
  t.like(modelReference('acme/other'), { kind: 'hub', repo: 'acme/other', revision: undefined });
  t.like(modelReference('./acme/other'), { kind: 'directory', reason: 'it is an absolute or ./ path' });
  t.like(modelReference('/srv/acme/other'), { kind: 'directory' });
  t.like(modelReference('~/models/x'), { kind: 'directory' });
  t.like(modelReference('models\\x'), { kind: 'directory' });
  t.like(modelReference('hf://acme/tiny-model'), { kind: 'hub', repo: 'acme/tiny-model' });
  t.like(modelReference('hf://acme/tiny-model@refs/pr/1'), { kind: 'hub', revision: 'refs/pr/1' });
  t.like(modelReference('plain-name'), { kind: 'directory', reason: 'it is not of the form owner/name' });
  t.like(modelReference('a/b/c'), { kind: 'directory' });
  // The existing folder wins: no request.
  const local = await sentvec.Model.load('acme/tiny-model', { endpoint: hub.endpoint, cacheDir });
  local.dispose();
  t.is(hub.requests.length, 0);
  // hf:// takes the hub although the folder exists.
  const remote = await sentvec.Model.load('hf://acme/tiny-model', { endpoint: hub.endpoint, cacheDir });
  remote.dispose();
  t.true(hub.requests.length > 0);
  // Each error says what the string was taken for and how to write the other.
  let err = await t.throwsAsync(sentvec.Model.load('acme/notes', { endpoint: hub.endpoint, cacheDir }), { instanceOf: sentvec.ModelFileError });
  t.regex(err.message, /holds no config\.json, so it is no model folder \("acme\/notes" was taken as a folder: .*acme\/notes exists\); for the hub model, write hf:\/\/acme\/notes/);
  err = await t.throwsAsync(sentvec.Model.load('./acme/missing', { endpoint: hub.endpoint, cacheDir }), { instanceOf: sentvec.ModelFileError });
  t.regex(err.message, /model folder .*acme\/missing does not exist \("\.\/acme\/missing" was taken as a folder: it is an absolute or \.\/ path\); for the hub model, write hf:\/\/acme\/missing/);
  err = await t.throwsAsync(sentvec.Model.load('acme/missing', { endpoint: hub.endpoint, cacheDir }), { instanceOf: sentvec.DownloadError });
  t.is(err.status, 404);
  t.regex(err.message, /^not found \(HTTP 404\): acme\/missing\/config\.json at revision main on http:\/\/127\.0\.0\.1:\d+\nCheck the model id .*\("acme\/missing" was taken as a hub id: no folder .*acme\/missing exists; for a folder, write \.\/acme\/missing\)$/);
  err = await t.throwsAsync(sentvec.Model.load('no-such-folder'), { instanceOf: sentvec.ModelFileError });
  t.regex(err.message, /was taken as a folder: it is not of the form owner\/name\)$/);
});

test('precision int8 by id fetches the int8 export the repository publishes for this CPU, not onnx/model.onnx', async (t) => {
  const { int8Files } = createRequire(import.meta.url)('../dist/lib/model/model-reader.js');
  // The least specific export for this CPU (a copy of the float32 file: any ONNX file loads).
  const published = int8Files().at(-1);
  const repoDir = tmpCache(t);
  cpSync(model, repoDir, { recursive: true });
  copyFileSync(join(model, 'onnx/model.onnx'), join(repoDir, published));
  const hub = await startHub(repoDir);
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const m = await sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir, precision: 'int8' });
  t.true(m.onnxPath.endsWith(published), m.onnxPath);
  m.dispose();
  t.false(hub.requests.some((r) => r.path.endsWith('/onnx/model.onnx')), 'the float32 export is not fetched');
  t.false(hub.requests.some((r) => r.path.endsWith('/onnx/model_qint8.onnx')), "sentvec's own int8 file is made locally, never fetched");
  const again = await sentvec.Model.load(hub.repo, { cacheDir, precision: 'int8', offline: true });
  t.true(again.onnxPath.endsWith(published));
  again.dispose();
  // A repository without one says so.
  const plain = await startHub(model);
  t.teardown(plain.close);
  const err = await t.throwsAsync(sentvec.Model.load(plain.repo, { endpoint: plain.endpoint, cacheDir: tmpCache(t), precision: 'int8' }), { instanceOf: sentvec.DownloadError });
  t.regex(err.message, /^acme\/tiny-model has no int8 export for this CPU \(looked for .*\)\nLoad it in float32 and make one with `sentvec quantize`, or give onnxFile\.$/);
});

test('cacheDir is sentvec\'s cache folder for both downloads (models/) and optimizedCache: true (optimized/)', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const m = await sentvec.Model.load(hub.repo, { endpoint: hub.endpoint, cacheDir, optimizedCache: true });
  m.dispose();
  t.deepEqual(readdirSync(cacheDir).sort(), ['models', 'optimized']);
  t.is(readdirSync(join(cacheDir, 'optimized')).filter((f) => f.endsWith('.ort')).length, 1);
});

test.serial('an endpoint or HF_ENDPOINT with a password, a query or no http: scheme is refused, and the password is never printed', async (t) => {
  const cacheDir = tmpCache(t);
  const saved = process.env.HF_ENDPOINT;
  t.teardown(() => (saved === undefined ? delete process.env.HF_ENDPOINT : (process.env.HF_ENDPOINT = saved)));
  const cases = [
    ['http://user:hunter2@127.0.0.1:9/', /holds a user name or password \(http:\/\/\*\*\*@127\.0\.0\.1:9\)/],
    ['http://127.0.0.1:9/mirror?key=1', /holds a query or fragment/],
    ['ftp://127.0.0.1:9', /http: or https: URL/],
  ];
  for (const [endpoint, message] of cases) {
    for (const how of ['option', 'HF_ENDPOINT']) {
      const options = { cacheDir, attempts: 1, ...(how === 'option' ? { endpoint } : {}) };
      if (how === 'HF_ENDPOINT') process.env.HF_ENDPOINT = endpoint;
      else delete process.env.HF_ENDPOINT;
      const err = await t.throwsAsync(downloadModel('acme/tiny-model', options), { instanceOf: sentvec.InvalidArgumentError }, `${how} ${endpoint}`);
      t.regex(err.message, message, `${how} ${endpoint}`);
      t.false(err.message.includes('hunter2'), `${how} ${endpoint}: ${err.message}`);
    }
  }
});

test('a cacheDir that cannot be written is a DownloadError naming the folder and what to do; an id past the hub\'s 96 characters is refused', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const file = join(tmpCache(t), 'a-file');
  writeFileSync(file, 'not a folder');
  const err = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: file }), { instanceOf: DownloadError });
  t.regex(err.message, /^cannot write sentvec's cache: mkdir .*a-file.* failed \(ENOTDIR\)\nGive cacheDir \(or SENTVEC_CACHE\) a folder/);
  await t.throwsAsync(downloadModel(`acme/${'a'.repeat(97)}`, { endpoint: hub.endpoint, cacheDir: tmpCache(t) }), {
    instanceOf: sentvec.InvalidArgumentError,
    message: /hub repository id/,
  });
});

test('a lock file still empty (its writer has created it, not yet written its pid) is waited for, not taken over', async (t) => {
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const dir = modelCacheDir(hub.repo, { cacheDir });
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'config.json.lock');
  writeFileSync(lock, '');
  let done = false;
  const download = downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir }).finally(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.false(done, 'the download waits for the lock');
  t.true(existsSync(lock), 'the lock was not taken over');
  t.false(hub.requests.some((r) => r.path.endsWith('/config.json')), 'config.json was not fetched under another writer\'s lock');
  rmSync(lock);
  t.is(await download, dir);
});

test.serial('HTTP 429 is retried as Retry-After says; persistent 429 or 500 fails with the status and a second line saying what to do', async (t) => {
  const hub = await startHub(model, { faults: { 'config.json': 'ratelimit' } });
  t.teardown(hub.close);
  const dir = await downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir: tmpCache(t) });
  t.true(existsSync(join(dir, 'config.json')));
  for (const [fault, status, todo] of [
    ['ratelimited', 429, /\nThe hub is limiting this client's requests: try again in a while, or set HF_TOKEN/],
    ['error500', 500, /\nThe hub is failing: try again later, or set HF_ENDPOINT to a mirror\./],
  ]) {
    const failing = await startHub(model, { faults: { 'config.json': fault } });
    t.teardown(failing.close);
    const saved = process.env.HF_TOKEN;
    delete process.env.HF_TOKEN;
    const err = await t.throwsAsync(downloadModel(failing.repo, { endpoint: failing.endpoint, cacheDir: tmpCache(t), attempts: 2 }), { instanceOf: DownloadError });
    if (saved !== undefined) process.env.HF_TOKEN = saved;
    t.is(err.status, status);
    t.regex(err.message, new RegExp(`HTTP ${status} for acme/tiny-model/config\\.json`));
    t.regex(err.message, todo);
  }
});

test('a configuration file whose stated size passes the limit for such files is refused before its bytes are read', async (t) => {
  const hub = await startHub(model, { faults: { 'config.json': 'huge' } });
  t.teardown(hub.close);
  const cacheDir = tmpCache(t);
  const err = await t.throwsAsync(downloadModel(hub.repo, { endpoint: hub.endpoint, cacheDir, attempts: 3 }), { instanceOf: DownloadError });
  t.regex(err.message, new RegExp(`acme/tiny-model/config\\.json: .* states ${2 ** 30} bytes for it, more than the ${undeclaredLimit('config.json')} sentvec takes`));
  t.is(hub.requests.filter((r) => r.path.endsWith('/config.json')).length, 1, 'not retried');
  t.deepEqual(leftovers(cacheDir), []);
});

test('downloadModel refuses an unknown option (a misspelt revision would fetch main without a word)', async (t) => {
  const err = await t.throwsAsync(downloadModel('acme/tiny-model', { revison: 'v2', cacheDir: tmpCache(t), offline: true }), { instanceOf: sentvec.InvalidArgumentError });
  t.regex(err.message, /Unknown option "revison" for downloadModel\(\)/);
});
