// The HTTP server's packages (fastify, @fastify/cors) are optional peer dependencies: here they
// are hidden from require() in a child process, as in a project that did not install them.
// (test/package.test.mjs does the same from a registry install, with the real packages absent.)
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const server = join(root, 'dist/lib/server/index.js');
const INSTALL = 'npm install fastify@5 @fastify/cors@11';

// A preload that makes the packages in HIDE unresolvable (MODULE_NOT_FOUND, as Node words it), or
// in BREAK fail as a broken install does.
const hook = join(mkdtempSync(join(tmpdir(), 'sentvec-optional-')), 'hide.cjs');
writeFileSync(hook, `
  const Module = require('node:module');
  const hide = (process.env.HIDE || '').split(',').filter(Boolean);
  const broken = (process.env.BREAK || '').split(',').filter(Boolean);
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (hide.includes(request)) {
      const err = new Error("Cannot find module '" + request + "'");
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    }
    if (broken.includes(request)) throw new SyntaxError('Unexpected token in ' + request);
    return resolve.call(this, request, ...rest);
  };`);
test.after.always(() => rmSync(dirname(hook), { recursive: true, force: true }));

function child(args, env) {
  return new Promise((done) => {
    execFile(process.execPath, ['-r', hook, ...args], { env: { ...process.env, HIDE: '', BREAK: '', ...env } }, (err, stdout, stderr) =>
      done({ code: err ? err.code : 0, stdout, stderr }),
    );
  });
}

const loadServer = `
  try { console.log(JSON.stringify({ loaded: typeof require(${JSON.stringify(server)}).createServer })); }
  catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, isSentvec: e instanceof require(${JSON.stringify(join(root, 'dist/lib/errors.js'))}).SentvecError })); }`;

test('the peer dependencies are optional and not installed with sentvec', (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const name of ['fastify', '@fastify/cors']) {
    t.false(name in (pkg.dependencies ?? {}), `${name} is not a dependency`);
    t.truthy(pkg.peerDependencies[name]);
    t.deepEqual(pkg.peerDependenciesMeta[name], { optional: true });
  }
  // The command the error gives installs versions the peer ranges accept.
  t.regex(pkg.peerDependencies.fastify, /^\^5\./);
  t.regex(pkg.peerDependencies['@fastify/cors'], /^\^11\./);
});

test('sentvec/server without fastify: a MissingDependencyError with the command that installs it', async (t) => {
  const out = JSON.parse((await child(['-e', loadServer], { HIDE: 'fastify,@fastify/cors' })).stdout);
  t.like(out, { name: 'MissingDependencyError', code: 'ERR_MISSING_DEPENDENCY', isSentvec: true });
  t.true(out.message.includes(`\`${INSTALL}\``), out.message);
  t.true(out.message.includes('fastify and @fastify/cors'), out.message);
});

test('only @fastify/cors missing: the error names it', async (t) => {
  const out = JSON.parse((await child(['-e', loadServer], { HIDE: '@fastify/cors' })).stdout);
  t.is(out.code, 'ERR_MISSING_DEPENDENCY');
  t.regex(out.message, /needs @fastify\/cors, /);
  t.true(out.message.includes(INSTALL));
});

test('a fastify that is there but fails to load keeps its own error', async (t) => {
  const out = JSON.parse((await child(['-e', loadServer], { BREAK: 'fastify' })).stdout);
  t.is(out.name, 'SyntaxError');
  t.regex(out.message, /Unexpected token in fastify/);
});

test('with both installed the server loads', async (t) => {
  t.deepEqual(JSON.parse((await child(['-e', loadServer], {})).stdout), { loaded: 'function' });
});

test('sentvec serve without fastify: exit 1 with the command, before any model is looked for', async (t) => {
  // The model does not exist: an error about it would mean the model was looked for first.
  const missingModel = join(dirname(hook), 'no-such-model');
  const r = await child([join(root, 'bin/sentvec.js'), 'serve', '--model', missingModel, '--port', '0'], { HIDE: 'fastify' });
  t.is(r.code, 1, r.stderr);
  t.true(r.stderr.includes(INSTALL), r.stderr);
  t.false(r.stderr.includes('no-such-model'), r.stderr);
});
