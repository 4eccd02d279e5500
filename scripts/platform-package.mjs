#!/usr/bin/env node
// `npm run prebuilds`: builds the addon and assembles this platform's package, npm/<tag>/
// (@sentvec/<tag>, e.g. @sentvec/linux-x64): sentvec.node, stripped, with the ONNX Runtime
// library it was built against beside it — the addon finds it there through its rpath ($ORIGIN,
// @loader_path) or, on Windows, the DLL search of the loading module's folder — ONNX Runtime's
// license, and a package.json whose os, cpu and libc fields let npm install it only where it runs.
//   node scripts/platform-package.mjs [--no-build] [--out DIR]
//   node scripts/platform-package.mjs --manifest TAG --out DIR   (package.json only, any platform)
//   node scripts/platform-package.mjs --release-manifest FILE    (a packed sentvec's package.json:
//                                                                 lists every platform package)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const main = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// The platforms sentvec ships: onnxruntime-node's own (no musl build of it exists).
export const PLATFORMS = {
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc', ort: ['linux/x64/libonnxruntime.so.1'] },
  'linux-arm64': { os: 'linux', cpu: 'arm64', libc: 'glibc', ort: ['linux/arm64/libonnxruntime.so.1'] },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64', ort: ['darwin/arm64/libonnxruntime.1.30.0.dylib'] },
  'win32-x64': { os: 'win32', cpu: 'x64', ort: ['win32/x64/onnxruntime.dll'] },
};

const ORT_LICENSE = `ONNX Runtime ${require('onnxruntime-node/package.json').version}, from the onnxruntime-node package.

MIT License

Copyright (c) Microsoft Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

/** The package.json of @sentvec/<tag>. */
export function manifest(tag) {
  const p = PLATFORMS[tag];
  if (!p) throw new Error(`unknown platform ${tag}; known: ${Object.keys(PLATFORMS).join(', ')}`);
  const files = ['sentvec.node', ...p.ort.map((f) => f.split('/').pop()), 'LICENSE-onnxruntime'];
  return {
    name: `@sentvec/${tag}`,
    version: main.version,
    description: `sentvec's native addon and ONNX Runtime for ${tag}`,
    license: `${main.license} AND MIT`,
    repository: main.repository,
    os: [p.os],
    cpu: [p.cpu],
    ...(p.libc ? { libc: [p.libc] } : {}),
    files,
    exports: { './sentvec.node': './sentvec.node', './package.json': './package.json' },
    publishConfig: { access: 'public' },
  };
}

function write(dir, tag) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest(tag), null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { 'no-build': { type: 'boolean' }, out: { type: 'string' }, manifest: { type: 'string' }, 'release-manifest': { type: 'string' } } });
  if (values['release-manifest']) {
    // The published sentvec: npm picks the one platform package whose os, cpu and libc fit.
    const file = values['release-manifest'];
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    pkg.optionalDependencies = Object.fromEntries(Object.keys(PLATFORMS).map((tag) => [`@sentvec/${tag}`, pkg.version]));
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  } else if (values.manifest) {
    write(values.out ?? join(root, 'npm', values.manifest), values.manifest);
  } else {
    const { platformTag } = require('../dist/lib/binding.js');
    const tag = platformTag();
    if (!PLATFORMS[tag]) throw new Error(`sentvec ships no platform package for ${tag}`);
    if (!values['no-build']) {
      execFileSync('bash', [join(root, 'install/deps.sh')], { stdio: 'inherit' });
      execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--CDCMAKE_BUILD_TYPE=Release'], { cwd: root, stdio: 'inherit' });
    }
    const dir = values.out ?? join(root, 'npm', tag);
    rmSync(dir, { recursive: true, force: true });
    write(dir, tag);
    const addon = join(dir, 'sentvec.node');
    copyFileSync(join(root, 'build/Release/sentvec.node'), addon);
    if (process.platform === 'linux') execFileSync('strip', ['--strip-unneeded', addon]);
    const ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
    for (const f of PLATFORMS[tag].ort) copyFileSync(join(ortDir, 'bin/napi-v6', f), join(dir, f.split('/').pop()));
    writeFileSync(join(dir, 'LICENSE-onnxruntime'), ORT_LICENSE);
    const size = manifest(tag).files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    console.log(`${dir}: @sentvec/${tag}@${main.version}, ${(size / 1e6).toFixed(1)} MB (addon ${(statSync(addon).size / 1e6).toFixed(1)} MB)`);
  }
}
