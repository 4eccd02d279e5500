#!/usr/bin/env node
// npm run prebuilds (not "prebuild": npm would run that before every "npm run build"): builds the addon and copies it to prebuilds/<platform>-<arch>[-musl]/, where
// the loader and the install script look first. ONNX Runtime itself comes from onnxruntime-node.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { platformTag } = require('../dist/lib/binding.js');
execFileSync('bash', [join(root, 'scripts/deps.sh')], { stdio: 'inherit' });
execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--CDCMAKE_BUILD_TYPE=Release'], { cwd: root, stdio: 'inherit' });
const dir = join(root, 'prebuilds', platformTag());
mkdirSync(dir, { recursive: true });
const target = join(dir, 'sentvec.node');
copyFileSync(join(root, 'build/Release/sentvec.node'), target);
if (process.platform === 'linux') execFileSync('strip', ['--strip-unneeded', target]);
console.log(`${target} (${(statSync(target).size / 1024).toFixed(0)} KiB)`);
