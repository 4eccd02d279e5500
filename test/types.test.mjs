import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('the published type declarations accept documented usage and reject misuse', (t) => {
  t.timeout(120_000);
  const args = [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node',
    '--lib', 'ES2022,ESNext.Disposable,DOM', '--types', 'node', '--skipLibCheck', join(root, 'test/types/usage.ts')];
  let output = '';
  try {
    execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  } catch (err) {
    output = `${err.stdout}${err.stderr}`;
  }
  t.is(output, '', output);
});
