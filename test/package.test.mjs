// The published package: `npm pack`, then install the tarball into a clean project with no
// compiler, cmake or SentencePiece on the PATH, and encode. The prebuild must be used as it is.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from './helpers/models.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { platformTag } = createRequire(import.meta.url)('../dist/lib/binding.js');

function which(name) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

test('npm pack → install in a clean project without build tools → encode with the prebuild', async (t) => {
  t.timeout(10 * 60 * 1000);
  // npm's own script, so that npm runs with our node and nothing else on the PATH.
  const npmCli = execFileSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).trim();
  if (!existsSync(npmCli)) return t.pass(`npm's CLI script was not found beside ${which('npm')}`);
  const prebuild = join(root, 'prebuilds', platformTag(), 'sentvec.node');
  if (!existsSync(prebuild)) {
    mkdirSync(dirname(prebuild), { recursive: true });
    copyFileSync(join(root, 'build/Release/sentvec.node'), prebuild);
    // As `npm run prebuilds` ships it.
    if (process.platform === 'linux') execFileSync('strip', ['--strip-unneeded', prebuild]);
    // Left in the checkout, it would shadow every later local build (the loader tries it first).
    t.teardown(() => {
      rmSync(prebuild, { force: true });
      for (const dir of [dirname(prebuild), dirname(dirname(prebuild))]) {
        if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
      }
    });
  }
  const work = mkdtempSync(join(tmpdir(), 'sentvec-pack-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const packed = JSON.parse(execFileSync(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  t.true(files.includes(`prebuilds/${platformTag()}/sentvec.node`));
  t.true(files.includes('dist/lib/index.js'));
  t.false(files.some((f) => f.startsWith('test/') || f.startsWith('deps/') || f.startsWith('node_modules/')));
  t.log(`tarball ${(packed[0].size / 1e6).toFixed(1)} MB, ${files.length} files; prebuild ${(packed[0].files.find((f) => f.path.endsWith('sentvec.node')).size / 1e6).toFixed(1)} MB`);

  // A PATH with node and a shell only: no cc, c++, cmake, make or spm_train.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'sh', 'bash']) symlinkSync(which(tool), join(bin, tool));
  const env = { HOME: process.env.HOME, PATH: bin, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' };
  for (const tool of ['cc', 'c++', 'g++', 'cmake', 'make', 'spm_train']) {
    t.is(execFileSync('sh', ['-c', `command -v ${tool} || true`], { env, encoding: 'utf8' }).trim(), '', `${tool} is out of reach`);
  }
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  execFileSync(process.execPath, [npmCli, 'install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const installed = join(app, 'node_modules/sentvec');
  t.true(existsSync(join(installed, 'prebuilds', platformTag(), 'sentvec.node')));
  t.false(existsSync(join(installed, 'build')), 'no build step ran');
  t.false(existsSync(join(installed, 'deps')), 'no dependency was fetched or compiled');
  const out = execFileSync(process.execPath, ['-e', `
    const { Model } = require('sentvec');
    Model.load(process.argv[1]).then(async (m) => {
      const e = await m.encode(['packed and installed'], { normalize: true });
      console.log(JSON.stringify({ n: e.length, dim: e.dimension }));
      m.dispose();
    });`, tinyModel()], { cwd: app, env, encoding: 'utf8' });
  t.deepEqual(JSON.parse(out), { n: 1, dim: 32 });
  t.deepEqual(readdirSync(join(installed, 'prebuilds')), [platformTag()]);
});
