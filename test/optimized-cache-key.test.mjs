// The optimized-model cache's key: a model.onnx edited in place at the same size, its modification
// time put back as cp -p, rsync -a, tar x and touch -r do, must not be answered from the entry of
// the file it was (that entry ran: vectors 0.10 away from a fresh load of the edited file).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model } = sentvec;
const texts = ['hello world', 'a second sentence'];
const maxDelta = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

async function vectors(dir, options = {}) {
  const model = await Model.load(dir, { scheduler: false, ...options });
  const got = { fromCache: model.info.fromCache, vectors: Array.from((await model.encode(texts)).data) };
  model.dispose();
  return got;
}

test('model.onnx edited at the same size with its mtime restored: the cache entry is not used', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'sentvec-cache-key-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'model');
  cpSync(tinyModel(), dir, { recursive: true });
  const cache = join(base, 'cache');
  mkdirSync(cache, { mode: 0o700 });
  const original = await vectors(dir, { optimizedCache: cache });
  t.is((await vectors(dir, { optimizedCache: cache })).fromCache, true, 'the entry is used while the file is unchanged');

  const onnx = join(dir, 'onnx/model.onnx');
  const before = statSync(onnx);
  const stamp = join(base, 'stamp');
  execFileSync('touch', ['-r', onnx, stamp]);
  // Bits of the float weights that follow the graph's head in the tiny export (its embedding
  // table): the file keeps its size and still loads, its vectors change.
  const fd = openSync(onnx, 'r+');
  const bytes = Buffer.alloc(40_000);
  readSync(fd, bytes, 0, bytes.length, 5509);
  for (let i = 2; i < bytes.length; i += 4) bytes[i] ^= 0x20;
  writeSync(fd, bytes, 0, bytes.length, 5509);
  closeSync(fd);
  execFileSync('touch', ['-r', stamp, onnx]);
  const after = statSync(onnx);
  t.is(after.size, before.size);
  t.is(after.mtimeMs, before.mtimeMs);

  const fresh = await vectors(dir);
  t.true(maxDelta(fresh.vectors, original.vectors) > 1e-3, 'the edit changes the vectors');
  const cached = await vectors(dir, { optimizedCache: cache });
  t.is(cached.fromCache, false);
  t.true(maxDelta(cached.vectors, fresh.vectors) < 1e-6, `cached vs fresh: ${maxDelta(cached.vectors, fresh.vectors)}`);
});
