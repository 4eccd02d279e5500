// `npm install sentvec` as users get it: the main package and this platform's package
// (@sentvec/<platform>) are published to a throw-away registry on 127.0.0.1 (verdaccio; every
// other package comes through it from the npm registry this machine uses), then installed into
// clean projects with no compiler on the PATH, and a text is embedded. Asserts the footprint
// (≤ 15 packages), that installing runs no script and prints no warning (npm 11, pnpm 10), that
// `--engine-strict` passes, and that the HTTP server's packages are optional: without them
// sentvec/server and `sentvec serve` name the command that installs them; with them it serves.
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
// pnpm's last major with its "Ignored build scripts" default, as users run it.
const PNPM = '10.34.9';

const which = (name) => execFileSync('sh', ['-c', `command -v ${name} || true`], { encoding: 'utf8' }).trim();

// Bytes of every file below dir (symlinks not followed).
function footprintBytes(dir) {
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
  return bytes;
}

// The version of a package this checkout tests against (its devDependencies), for a clean project.
const devVersion = (name) => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).devDependencies[name].replace(/^\^/, '');

// Bytes below dir, and the packages npm installed.
function footprint(dir) {
  const bytes = footprintBytes(dir);
  const lock = JSON.parse(readFileSync(join(dir, '.package-lock.json'), 'utf8'));
  const packages = Object.keys(lock.packages).filter((k) => k !== '');
  return { bytes, packages, scripts: packages.filter((k) => lock.packages[k].hasInstallScript) };
}

test('npm install sentvec from a registry: only this platform\'s package, ≤ 15 packages, ≤ 60 MB, no install script or warning (npm, pnpm), --engine-strict passes, the server optional', async (t) => {
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
  // At the package's root a binding.gyp alone makes npm and pnpm run `node-gyp rebuild` on install.
  t.false(files.includes('binding.gyp'), 'no binding.gyp: it would be an install script');
  t.false(files.some((f) => f.startsWith('scripts/')), 'dev-only scripts stay out of the package');
  t.false(files.some((f) => /^(test|bench|fuzz|deps|node_modules|build|npm)\//.test(f) || f.endsWith('.node')), 'no tests, builds or binaries in the main package');
  mkdirSync(join(work, 'main'));
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', join(work, 'main')]);
  execFileSync(process.execPath, [script, '--release-manifest', join(work, 'main/package/package.json')]);
  const published = JSON.parse(readFileSync(join(work, 'main/package/package.json'), 'utf8'));
  t.deepEqual(Object.keys(published.scripts).filter((k) => /install$/.test(k)), [], 'no preinstall, install or postinstall script');

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
  const installed = await promisify(execFile)(process.execPath, [npmCli, 'install', 'sentvec'], { cwd: project, env, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;

  const modules = join(project, 'node_modules');
  const { bytes, packages, scripts } = footprint(modules);
  t.log(`npm ${npmSync(['--version']).trim()}: installed in ${seconds.toFixed(1)} s: ${(bytes / 1e6).toFixed(1)} MB in ${packages.length} packages (${packages.map((k) => k.replace(/^node_modules\//, '')).join(', ')}); install scripts: ${scripts.join(', ') || 'none'}`);
  t.true(packages.length <= 15, `${packages.length} packages installed`);
  t.false(existsSync(join(modules, 'fastify')), 'the HTTP server\'s packages are not installed by default');
  // npm 11 lists the packages whose install scripts no allowScripts entry covers; Node 20 warns of
  // packages whose engines exclude it.
  t.notRegex(installed.stderr, /allowScripts|install script|EBADENGINE|npm warn/i, 'npm install prints no warning');
  t.deepEqual(readdirSync(join(modules, '@sentvec')), [tag], 'only this platform\'s package');
  for (const absent of ['onnxruntime-node', 'onnxruntime-common', 'simsimd', 'cmake-js', 'node-addon-api', 'usearch', 'mathjs']) {
    t.false(existsSync(join(modules, absent)), `${absent} is not installed`);
  }
  t.deepEqual(scripts, [], 'no package runs an install script');
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
  const node = async (script, args = [], dir = project) => (await promisify(execFile)(process.execPath, ['-e', script, ...args], { cwd: dir, env, encoding: 'utf8' })).stdout.trim();
  const serverCheck = `
    let server;
    try { server = require('sentvec/server'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); process.exit(0); }
    console.log(JSON.stringify({ createServer: typeof server.createServer, inMain: 'createServer' in require('sentvec') }));`;
  // Without fastify: the server is a typed error with the command to run, both as a library and as `sentvec serve`.
  const INSTALL_SERVER = 'npm install fastify@5 @fastify/cors@11';
  const missing = JSON.parse(await node(serverCheck));
  t.like(missing, { name: 'MissingDependencyError', code: 'ERR_MISSING_DEPENDENCY' });
  t.true(missing.message.includes(`\`${INSTALL_SERVER}\``), missing.message);
  const cli = join(modules, 'sentvec/bin/sentvec.js');
  const serve = await promisify(execFile)(process.execPath, [cli, 'serve', '--model', tinyModel(), '--port', '0'], { cwd: project, env, encoding: 'utf8' }).then(() => ({ code: 0 }), (e) => e);
  t.not(serve.code, 0);
  t.true(serve.stderr.includes(INSTALL_SERVER), serve.stderr);

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
    const placed = (await promisify(execFile)(process.execPath, [cli, 'install-cuda', '--from', libs], { cwd: project, env, encoding: 'utf8' })).stdout;
    t.regex(placed, /copied the provider libraries/);
    t.true(existsSync(join(modules, '@sentvec', tag, 'libonnxruntime_providers_cuda.so')));
    const after = (await promisify(execFile)(process.execPath, ['-e', cudaCheck, tinyModel()], { cwd: project, env, encoding: 'utf8' })).stdout;
    t.regex(after, /^ERR_PROVIDER /, 'a broken provider library is a ProviderError, not a crash');
  }

  // The server installed as the error says: it serves, from the published package.
  const withServer = await npm(['install', 'fastify@5', '@fastify/cors@11'], { cwd: project, env });
  const served = footprint(modules);
  t.log(`${INSTALL_SERVER}: ${withServer.trim().split('\n').pop()}; ${(served.bytes / 1e6).toFixed(1)} MB in ${served.packages.length} packages in all`);
  t.deepEqual(JSON.parse(await node(serverCheck)), { createServer: 'function', inMain: false });
  const embedded = await node(`
    const { Model } = require('sentvec');
    const { createServer } = require('sentvec/server');
    (async () => {
      const model = await Model.load(process.argv[1]);
      const app = await createServer(model);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(url + '/v1/embeddings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: ['served'] }) });
      const body = await res.json();
      console.log(JSON.stringify({ status: res.status, dim: body.data[0].embedding.length }));
      await app.close();
      model.dispose();
    })();`, [tinyModel()]);
  t.deepEqual(JSON.parse(embedded), { status: 200, dim: 32 });

  // The frameworks beside the published package, as a user's project has them: the adapters give
  // the vectors Model.encode gives (the AI SDK and LangChain; llamaindex is tested in the checkout).
  await npm(['install', `ai@${devVersion('ai')}`, `@langchain/core@${devVersion('@langchain/core')}`], { cwd: project, env });
  const adapters = JSON.parse(await node(`
    const { Model } = require('sentvec');
    const { createSentvec } = require('sentvec/ai');
    const { SentvecEmbeddings } = require('sentvec/langchain');
    const { embedMany } = require('ai');
    (async () => {
      const texts = ['beside a framework', 'à côté du framework'];
      const model = await Model.load(process.argv[1]);
      const direct = [...(await model.encode(texts))].map((row) => Array.from(row));
      const { embeddings } = await embedMany({ model: createSentvec().embedding(model), values: texts });
      const lc = await new SentvecEmbeddings({ model }).embedDocuments(texts);
      console.log(JSON.stringify({ ai: JSON.stringify(embeddings) === JSON.stringify(direct), langchain: JSON.stringify(lc) === JSON.stringify(direct) }));
      model.dispose();
    })();`, [tinyModel()]));
  t.deepEqual(adapters, { ai: true, langchain: true }, 'sentvec/ai and sentvec/langchain in a clean project give Model.encode\'s vectors');

  // --engine-strict on this Node (20: sentvec's lowest): sentvec passes; fastify 5 passes with the
  // override docs/installing.md gives (light-my-request ≥ 6.8 brings cookie 2, engines node ≥ 22).
  const strict = join(work, 'strict');
  mkdirSync(strict);
  writeFileSync(join(strict, 'package.json'), JSON.stringify({ name: 'strict', version: '1.0.0', private: true }));
  await npm(['install', 'sentvec', '--engine-strict'], { cwd: strict, env });
  t.true(existsSync(join(strict, 'node_modules/sentvec/package.json')));
  if (Number(process.versions.node.split('.')[0]) < 22) {
    const refused = await npm(['install', 'fastify@5', '@fastify/cors@11', '--engine-strict'], { cwd: strict, env }).then(() => 'installed', (e) => e.stderr);
    t.regex(refused, /EBADENGINE|engine/i, 'without the override, fastify 5 does not pass --engine-strict on Node < 22');
    writeFileSync(join(strict, 'package.json'), JSON.stringify({ name: 'strict', version: '1.0.0', private: true, dependencies: { sentvec: '*' }, overrides: { 'light-my-request': '6.6.0' } }));
    await npm(['install', 'fastify@5', '@fastify/cors@11', '--engine-strict'], { cwd: strict, env });
    t.deepEqual(JSON.parse(await node(serverCheck, [], strict)), { createServer: 'function', inMain: false });
  }

  // pnpm 10 with its defaults: "Ignored build scripts" is what a package with an install script gets.
  const tools = join(work, 'tools');
  mkdirSync(tools);
  writeFileSync(join(tools, 'package.json'), JSON.stringify({ name: 'tools', version: '1.0.0', private: true }));
  await npm(['install', `pnpm@${PNPM}`], { cwd: tools, env });
  const pnpmApp = join(work, 'pnpm-app');
  mkdirSync(pnpmApp);
  writeFileSync(join(pnpmApp, 'package.json'), JSON.stringify({ name: 'pnpm-consumer', version: '1.0.0', private: true }));
  writeFileSync(join(pnpmApp, '.npmrc'), `registry=${registry}\n`);
  const pnpm = await promisify(execFile)(process.execPath, [join(tools, 'node_modules/pnpm/bin/pnpm.cjs'), 'add', 'sentvec', '--store-dir', join(work, 'pnpm-store')], { cwd: pnpmApp, env, encoding: 'utf8' });
  const pnpmOut = pnpm.stdout + pnpm.stderr;
  const pnpmPackages = readdirSync(join(pnpmApp, 'node_modules/.pnpm')).filter((d) => d !== 'node_modules' && !d.endsWith('.yaml') && !d.endsWith('.json'));
  t.log(`pnpm ${PNPM}: ${(footprintBytes(join(pnpmApp, 'node_modules')) / 1e6).toFixed(1)} MB in ${pnpmPackages.length} packages (${pnpmPackages.join(', ')})`);
  t.notRegex(pnpmOut, /Ignored build scripts|WARN/i, pnpmOut);
  t.true(pnpmPackages.length <= 15);
  const viaPnpm = await node(`
    const { Model } = require('sentvec');
    Model.load(process.argv[1]).then(async (m) => { console.log((await m.encode(['pnpm'])).dimension); m.dispose(); });`, [tinyModel()], pnpmApp);
  t.is(viaPnpm, '32');
});
