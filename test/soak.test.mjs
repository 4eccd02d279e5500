// A bounded soak (the full one is `npm run soak`): RSS must level off over load/encode/dispose
// cycles and over server requests. One malloc arena, so that the slope shows leaks rather than
// the fragmentation of glibc's per-thread arenas (see scripts/soak.mjs).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('RSS levels off over 2000 load/dispose cycles and 20,000 server requests', (t) => {
  if (/libasan/.test(process.env.LD_PRELOAD ?? '')) return t.pass('under AddressSanitizer freed memory sits in quarantine, so RSS says nothing about leaks');
  const script = fileURLToPath(new URL('../scripts/soak.mjs', import.meta.url));
  const run = spawnSync(process.execPath, ['--expose-gc', script, '--cycles', '2000', '--requests', '20000', '--cycle-limit', '2048', '--request-limit', '256', '--json'], {
    encoding: 'utf8', env: { ...process.env, MALLOC_ARENA_MAX: '1' }, timeout: 240_000,
  });
  t.is(run.signal, null, run.stderr);
  const report = JSON.parse(run.stdout);
  t.log(`cycles: ${report.cycles.slopeBytesPerCycle.toFixed(0)} B/cycle; requests: ${report.requests.slopeBytesPerRequest.toFixed(1)} B/request at ${report.requests.perSecond.toFixed(0)}/s`);
  t.deepEqual(report.requests.statuses, { 200: 20000 });
  t.true(report.cycles.slopeBytesPerCycle < 2048, `${report.cycles.slopeBytesPerCycle} B/cycle`);
  t.true(report.requests.slopeBytesPerRequest < 256, `${report.requests.slopeBytesPerRequest} B/request`);
  t.is(run.status, 0, run.stderr);
});
