// `npm install sentvec` as users get it: the main package and this platform's package
// (@sentvec/<platform>) are published to a throw-away registry on 127.0.0.1 (verdaccio; every
// other package comes through it from the npm registry this machine uses), then installed into
// a clean project with no compiler on the PATH, and a text is embedded. Asserts the footprint and
// that no install script fetched or built anything.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from './helpers/models.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { platformTag } = require('../dist/lib/binding.js');
const TAGS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64'];

const which = (name) => execFileSync('sh', ['-c', `command -v ${name} || true`], { encoding: 'utf8' }).trim();

// Bytes of every file below dir (symlinks not followed), and the packages npm installed.
function footprint(dir) {
  let bytes = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else bytes += st.size;
    }
  };
  walk(dir);
  const lock = JSON.parse(readFileSync(join(dir, '.package-lock.json'), 'utf8'));
  const packages = Object.keys(lock.packages).filter((k) => k !== '');
  return { bytes, packages, scripts: packages.filter((k) => lock.packages[k].hasInstallScript) };
}

test('npm install sentvec from a registry: only this platform\'s package, no download or build at install, ≤ 60 MB', async (t) => {
  t.timeout(10 * 60 * 1000);
  const tag = platformTag();
  if (!TAGS.includes(tag)) return t.pass(`no platform package is made for ${tag}`);
  const npmCli = execFileSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).trim();
  const work = mkdtempSync(join(tmpdir(), 'sentvec-registry-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const npmSync = (args, opts = {}) => execFileSync(process.execPath, [npmCli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  // Asynchronous once the registry runs in this process: a synchronous child would block it.
  const npm = async (args, opts = {}) => (await promisify(execFile)(process.execPath, [npmCli, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })).stdout;

  // The packages, as the release workflow makes them.
  const script = join(root, 'scripts/platform-package.mjs');
  execFileSync(process.execPath, [script, '--no-build', '--out', join(work, 'pkg', tag)]);
  for (const other of TAGS.filter((x) => x !== tag)) execFileSync(process.execPath, [script, '--manifest', other, '--out', join(work, 'pkg', other)]);
  const packed = JSON.parse(npmSync(['pack', '--json', '--pack-destination', work], { cwd: root }))[0];
  const files = packed.files.map((f) => f.path);
  t.true(files.includes('dist/lib/sentvec.js'));
  t.true(files.includes('install/build-from-source.mjs'));
  t.true(files.includes('examples/input.txt') && files.includes('examples/demo.mjs'), 'examples/ ships: `sentvec -i node_modules/sentvec/examples/input.txt` works');
  t.false(files.some((f) => f.startsWith('scripts/')), 'dev-only scripts stay out of the package');
  t.false(files.some((f) => /^(test|bench|fuzz|deps|node_modules|build|npm)\//.test(f) || f.endsWith('.node')), 'no tests, builds or binaries in the main package');
  mkdirSync(join(work, 'main'));
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', join(work, 'main')]);
  execFileSync(process.execPath, [script, '--release-manifest', join(work, 'main/package/package.json')]);

  // The registry: our packages local only, everything else through the npm registry in use.
  const upstream = npmSync(['config', 'get', 'registry']).trim();
  const { runServer } = require('verdaccio');
  const app = await runServer({
    self_path: work, storage: join(work, 'storage'), max_body_size: '200mb',
    auth: { htpasswd: { file: join(work, 'htpasswd'), max_users: -1 } },
    uplinks: { upstream: { url: upstream } },
    packages: {
      sentvec: { access: '$all', publish: '$anonymous' },
      '@sentvec/*': { access: '$all', publish: '$anonymous' },
      '**': { access: '$all', proxy: 'upstream' },
    },
    log: { type: 'stdout', format: 'pretty', level: 'error' },
  });
  const server = await new Promise((done) => { const s = app.listen(0, '127.0.0.1', () => done(s)); });
  t.teardown(() => new Promise((done) => server.close(done)));
  const registry = `http://127.0.0.1:${server.address().port}/`;
  writeFileSync(join(work, 'npmrc'), `registry=${registry}\n//127.0.0.1:${server.address().port}/:_authToken=anonymous\n`);
  const npmEnv = { HOME: work, npm_config_userconfig: join(work, 'npmrc'), npm_config_cache: join(work, 'cache'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };
  for (const dir of [...TAGS.map((x) => join(work, 'pkg', x)), join(work, 'main/package')]) {
    await npm(['publish', dir, '--access', 'public'], { env: { ...process.env, ...npmEnv } });
  }

  // A clean project; a PATH with node and a shell only: no cc, c++, cmake, make.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'sh', 'bash']) symlinkSync(which(tool), join(bin, tool));
  const env = { ...npmEnv, PATH: bin };
  for (const tool of ['cc', 'c++', 'g++', 'cmake', 'make', 'curl']) {
    t.is(execFileSync('sh', ['-c', `command -v ${tool} || true`], { env, encoding: 'utf8' }).trim(), '', `${tool} is out of reach`);
  }
  const project = join(work, 'app');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const started = performance.now();
  await npm(['install', 'sentvec', '--foreground-scripts'], { cwd: project, env });
  const seconds = (performance.now() - started) / 1000;

  const modules = join(project, 'node_modules');
  const { bytes, packages, scripts } = footprint(modules);
  t.log(`installed in ${seconds.toFixed(1)} s: ${(bytes / 1e6).toFixed(1)} MB in ${packages.length} packages; install scripts: ${scripts.join(', ')}`);
  t.deepEqual(readdirSync(join(modules, '@sentvec')), [tag], 'only this platform\'s package');
  for (const absent of ['onnxruntime-node', 'onnxruntime-common', 'simsimd', 'cmake-js', 'node-addon-api', 'usearch', 'mathjs']) {
    t.false(existsSync(join(modules, absent)), `${absent} is not installed`);
  }
  t.deepEqual(scripts, ['node_modules/sentvec'], 'no other package runs an install script');
  t.false(existsSync(join(modules, 'sentvec/build')), 'nothing was compiled');
  t.false(existsSync(join(modules, 'sentvec/deps')), 'no native dependency was fetched');
  t.true(bytes <= 60e6, `${(bytes / 1e6).toFixed(1)} MB installed`);

  const { stdout: out } = await promisify(execFile)(process.execPath, ['-e', `
    const { Model } = require('sentvec');
    Model.load(process.argv[1]).then(async (m) => {
      const e = await m.encode(['installed from a registry'], { normalize: true });
      console.log(JSON.stringify({ n: e.length, dim: e.dimension, finite: e.data.every(Number.isFinite) }));
      m.dispose();
    });`, tinyModel()], { cwd: project, env, encoding: 'utf8' });
  t.deepEqual(JSON.parse(out), { n: 1, dim: 32, finite: true });
  const served = (await promisify(execFile)(process.execPath, ['-e', "console.log(typeof require('sentvec/server').createServer, 'createServer' in require('sentvec'))"], { cwd: project, env, encoding: 'utf8' })).stdout;
  t.is(served.trim(), 'function false', 'the server is sentvec/server');

  // The GPU step is opt-in: without it cuda is a ProviderError naming it; with it the provider
  // libraries sit beside the bundled ONNX Runtime (here stand-ins, which ONNX Runtime refuses).
  const cudaCheck = `
    const { Model } = require('sentvec');
    Model.load(process.argv[1], { providers: ['cuda'] }).then(() => console.log('loaded'), (e) => console.log(e.code + ' ' + e.message));`;
  const before = (await promisify(execFile)(process.execPath, ['-e', cudaCheck, tinyModel()], { cwd: project, env, encoding: 'utf8' })).stdout;
  if (tag === 'linux-x64') {
    t.regex(before, /^ERR_PROVIDER .*sentvec install-cuda --from <folder>/);
    const libs = join(work, 'cuda-libs');
    mkdirSync(libs);
    for (const f of ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so']) writeFileSync(join(libs, f), 'not a library');
    const cli = join(modules, 'sentvec/bin/sentvec.js');
    const placed = (await promisify(execFile)(process.execPath, [cli, 'install-cuda', '--from', libs], { cwd: project, env, encoding: 'utf8' })).stdout;
    t.regex(placed, /copied the provider libraries/);
    t.true(existsSync(join(modules, '@sentvec', tag, 'libonnxruntime_providers_cuda.so')));
    const after = (await promisify(execFile)(process.execPath, ['-e', cudaCheck, tinyModel()], { cwd: project, env, encoding: 'utf8' })).stdout;
    t.regex(after, /^ERR_PROVIDER /, 'a broken provider library is a ProviderError, not a crash');
  }
});
