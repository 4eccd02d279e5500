#!/usr/bin/env node
// `npm run demo`: `sentvec -i examples/input.txt` on the default model. Where that model cannot
// be had (no hub, nothing in the cache), it runs on the model the project generates — random
// weights, said loudly — which needs this source checkout's devDependencies; that is why this
// fallback lives here and not in the shipped CLI. Extra arguments go to sentvec (e.g. -p "…").
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModel } from './model/generate.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { DEFAULT_MODEL } = require('../dist/lib/cli/main.js');
const { downloadModel, DownloadError } = require('../dist/lib/hub/download.js');

let dir;
try {
  dir = await downloadModel(DEFAULT_MODEL);
} catch (err) {
  if (!(err instanceof DownloadError)) throw err;
  process.stderr.write(
    `Notice: could not get ${DEFAULT_MODEL}: ${err.message.split('\n')[0]}\n` +
    'Notice: using the generated TEST model instead (random weights): its answers are NOT meaningful.\n' +
    '        Give a real model with --model <dir>, or allow downloads (see README).\n');
  dir = ensureModel('tiny');
}
const run = spawnSync(process.execPath, [join(root, 'bin/sentvec.js'), '-i', join(root, 'examples/input.txt'), '--model', dir, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
