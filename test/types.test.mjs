import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

// The package as installed: package.json and dist/lib under node_modules/sentvec, in a project
// under .cache/ (whose parent's node_modules provides fastify and @types/node, as a real install's
// dependencies would).
function consumerProject(t) {
  mkdirSync(join(root, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, '.cache', 'types-consumer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = join(dir, 'node_modules', 'sentvec');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(root, 'dist', 'lib'), join(pkg, 'dist', 'lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true }\n');
  cpSync(join(root, 'test/types/consumer.ts'), join(dir, 'consumer.ts'));
  return dir;
}

for (const [module, resolution] of [['commonjs', undefined], ['node16', 'node16'], ['esnext', 'bundler']]) {
  test(`a user's file importing sentvec and sentvec/server passes tsc --strict with declarations under module ${module}${resolution ? `, moduleResolution ${resolution}` : ' (node10 resolution)'}`, (t) => {
    t.timeout(120_000);
    const dir = consumerProject(t);
    const args = [tsc, '--strict', '--declaration', '--outDir', join(dir, 'out'), '--target', 'ES2022', '--module', module,
      ...(resolution ? ['--moduleResolution', resolution] : []), '--lib', 'ES2022,ESNext.Disposable', '--types', 'node', '--skipLibCheck', 'consumer.ts'];
    let output = '';
    try {
      execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
    } catch (err) {
      output = `${err.stdout}${err.stderr}`;
    }
    t.is(output, '', output);
  });
}
