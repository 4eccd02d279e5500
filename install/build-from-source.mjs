#!/usr/bin/env node
// Builds sentvec's native addon from source, for a platform with no package @sentvec/<platform>
// (or an install that omitted optional dependencies). Run by hand, once, after `npm install
// sentvec`:   node node_modules/sentvec/install/build-from-source.mjs
// It is not an install hook: on a supported platform the addon and ONNX Runtime come from the
// platform package, so installing runs no script (npm's allowScripts and pnpm's onlyBuiltDependencies
// have nothing to approve). The build tools come from the npm registry (cmake-js,
// node-addon-api, onnxruntime-node with its download skipped, simsimd), the C++ sources of
// SentencePiece, utf8proc and xxHash through install/deps.sh (Debian's archive, else upstream),
// and it needs cmake and a C++17 compiler. The addon lands in build/Release, where sentvec looks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tag = `${process.platform}-${process.arch}`;

console.error(`sentvec: building the native addon from source for ${tag} in ${root}`);
const run = (cmd, args, env = {}, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
try {
  // The tools go into a scratch project of their own (installing them here would bring all of
  // sentvec's devDependencies), then move into node_modules, where CMakeLists.txt looks.
  const dev = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
  const scratch = join(root, '.build-tools');
  mkdirSync(scratch, { recursive: true });
  const tools = Object.fromEntries(['cmake-js', 'node-addon-api', 'onnxruntime-node', 'simsimd'].map((name) => [name, dev[name]]));
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ private: true, dependencies: tools }));
  // The npm that runs this script, if one does (pnpm's or yarn's take other flags), else the one on the PATH.
  const npm = /npm-cli\.js$/.test(process.env.npm_execpath ?? '') ? process.env.npm_execpath : undefined;
  run(npm ? process.execPath : 'npm', [...(npm ? [npm] : []), 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'],
    { ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_global: '', npm_config_prefix: scratch }, scratch);
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  for (const name of readdirSync(join(scratch, 'node_modules'))) {
    if (!existsSync(join(root, 'node_modules', name))) renameSync(join(scratch, 'node_modules', name), join(root, 'node_modules', name));
  }
  rmSync(scratch, { recursive: true, force: true });
  run('bash', [join(root, 'install/deps.sh')]);
  run(process.execPath, [require.resolve('cmake-js/bin/cmake-js', { paths: [root] }), 'compile', '--CDCMAKE_BUILD_TYPE=Release']);
} catch {
  console.error('sentvec: building the native addon failed (see above). It needs cmake, a C++17 compiler, the npm registry ' +
    'and Debian\'s package archive or the internet for its C++ dependencies (install/deps.sh).');
  process.exit(1);
}
console.error(`sentvec: built ${join(root, 'build', 'Release', 'sentvec.node')}`);
