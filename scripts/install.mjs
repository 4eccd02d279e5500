#!/usr/bin/env node
// npm install hook for users of the package: keep a binary that is already there (a prebuild or
// an earlier build), else fetch the native dependencies and compile with cmake-js.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const musl = process.platform === 'linux' && !process.report?.getReport()?.header?.glibcVersionRuntime;
const prebuilt = [
  join(root, 'prebuilds', `${process.platform}-${process.arch}${musl ? '-musl' : ''}`, 'sentvec.node'),
  join(root, 'build', 'Release', 'sentvec.node'),
];
if (prebuilt.some((p) => existsSync(p))) process.exit(0);

const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
try {
  run('bash', [join(root, 'scripts/deps.sh')]);
  const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
  run(process.execPath, [cmakeJs, 'compile', '--CDCMAKE_BUILD_TYPE=Release']);
} catch {
  console.error('sentvec: building the native addon failed (see above). It needs cmake, a C++17 compiler and ' +
    'access to Debian\'s package archive or the internet for its dependencies (scripts/deps.sh).');
  process.exit(1);
}
