// The adapters' types, as a TypeScript project sees them: test/fixtures/types/consumer.ts
// type-checks against ai 6 and 7, @langchain/core and llamaindex, resolving `sentvec/ai` & co.
// through the exports map (moduleResolution node16, as ESM) and through typesVersions (node10).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = join(root, 'node_modules/typescript/bin/tsc');

// A project inside the repository (so that its imports of the frameworks resolve to the
// repository's node_modules) with sentvec installed as a link to the repository.
function project(name, file, compilerOptions) {
  const dir = join(root, '.cache', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules/sentvec'), 'dir');
  copyFileSync(join(root, 'test/fixtures/types/consumer.ts'), join(dir, file));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', types: ['node'], typeRoots: [join(root, 'node_modules/@types')], skipLibCheck: true, ...compilerOptions }, files: [file] }),
  );
  return dir;
}

for (const [name, file, options] of [
  ['types-node16', 'consumer.mts', { module: 'node16', moduleResolution: 'node16' }],
  ['types-node10', 'consumer.ts', { module: 'commonjs', moduleResolution: 'node10' }],
]) {
  test(`the documented uses type-check (moduleResolution ${options.moduleResolution})`, (t) => {
    const dir = project(name, file, options);
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      t.pass();
    } catch (err) {
      t.fail(err.stdout + err.stderr);
    }
  });
}
