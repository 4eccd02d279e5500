#!/usr/bin/env node
// npm install hook of the published package. It downloads nothing: the addon and ONNX Runtime
// come from this platform's package (@sentvec/<platform>, an optional dependency that npm
// fetches from the registry like any other), so the hook only checks that it is there.
// Without it — a platform with no package, optional dependencies omitted, or
// `npm install sentvec --build-from-source` — it builds from source: the build tools come from
// the npm registry (cmake-js, node-addon-api, onnxruntime-node with its download skipped,
// simsimd), the C++ sources of SentencePiece, utf8proc and xxHash through install/deps.sh
// (Debian's archive, else upstream), and it needs cmake and a C++17 compiler.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const musl = process.platform === 'linux' && !process.report?.getReport()?.header?.glibcVersionRuntime;
const tag = `${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
const fromSource = /^(true|1)$/.test(process.env.npm_config_build_from_source ?? '');

function platformAddon() {
  try {
    return require.resolve(`@sentvec/${tag}/sentvec.node`, { paths: [root] });
  } catch {
    return undefined;
  }
}

if (!fromSource && (platformAddon() || existsSync(join(root, 'build', 'Release', 'sentvec.node')))) process.exit(0);

console.error(fromSource
  ? 'sentvec: building the native addon from source (--build-from-source)'
  : `sentvec: no package @sentvec/${tag} is installed (there is none for this platform, or optional dependencies were omitted): building the native addon from source`);
const run = (cmd, args, env = {}, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
try {
  // The tools go into a scratch project of their own (installing them here would bring all of
  // sentvec's devDependencies), then move into node_modules, where CMakeLists.txt looks.
  const dev = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
  const scratch = join(root, '.build-tools');
  mkdirSync(scratch, { recursive: true });
  const tools = Object.fromEntries(['cmake-js', 'node-addon-api', 'onnxruntime-node', 'simsimd'].map((name) => [name, dev[name]]));
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ private: true, dependencies: tools }));
  const npm = process.env.npm_execpath;
  run(npm ? process.execPath : 'npm', [...(npm ? [npm] : []), 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'],
    { ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_build_from_source: '', npm_config_global: '', npm_config_prefix: scratch }, scratch);
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
