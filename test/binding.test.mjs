// The addon loader (lib/binding.ts) and its types. The loader in a scratch copy of the package layout: the order it tries
// (SENTVEC_BINARY, the platform package @sentvec/<platform>, build/Release), the one error that
// lists everything when all fail, and the warning when the platform package shadows a newer
// local build.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from './helpers/models.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { platformPackage } = createRequire(import.meta.url)('../dist/lib/binding.js');
const built = join(root, 'build/Release/sentvec.node');

function layout(t, { prebuild, release }) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-loader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, 'dist/lib'), join(dir, 'dist/lib'), { recursive: true });
  // The local build finds libonnxruntime through node_modules beside it (its rpath); the
  // platform package has it beside itself.
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(root, 'node_modules/onnxruntime-node'), join(dir, 'node_modules/onnxruntime-node'));
  const platformDir = join(dir, 'node_modules', platformPackage());
  const place = (path, mtime) => {
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(built, path);
    utimesSync(path, mtime, mtime);
    return path;
  };
  const now = Date.now() / 1000;
  if (prebuild) {
    mkdirSync(platformDir, { recursive: true });
    writeFileSync(join(platformDir, 'package.json'), JSON.stringify({ name: platformPackage(), version: '0.0.0', exports: { './sentvec.node': './sentvec.node' } }));
    symlinkSync(join(root, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch, 'libonnxruntime.so.1'), join(platformDir, 'libonnxruntime.so.1'));
  }
  return {
    dir,
    prebuild: prebuild ? place(join(platformDir, 'sentvec.node'), now - prebuild) : join(platformDir, 'sentvec.node'),
    release: release ? place(join(dir, 'build/Release/sentvec.node'), now - release) : join(dir, 'build/Release/sentvec.node'),
  };
}

// Loads the binding in a child (after useNativeBinding(explicit), if given); prints which file
// was loaded, the error, and any warnings.
function load(dir, env = {}, explicit) {
  const script = `
    const warnings = [];
    process.on('warning', (w) => warnings.push({ code: w.code, message: w.message }));
    let loaded, error;
    try {
      const b = require(${JSON.stringify(join(dir, 'dist/lib/binding.js'))});
      ${explicit === undefined ? '' : `b.useNativeBinding(${JSON.stringify(explicit)});`}
      b.binding();
      loaded = Object.keys(require.cache).find((k) => k.endsWith('.node'));
    } catch (err) { error = { name: err.name, code: err.code, message: err.message }; }
    setImmediate(() => console.log(JSON.stringify({ loaded, error, warnings })));`;
  return new Promise((done, fail) => {
    execFile(process.execPath, ['-e', script], { env: { ...process.env, SENTVEC_BINARY: '', ...env } }, (err, stdout, stderr) => {
      if (err) return fail(new Error(`${err.message}\n${stderr}`));
      done(JSON.parse(stdout));
    });
  });
}

test('the order: SENTVEC_BINARY, then the platform package, then build/Release', async (t) => {
  const both = layout(t, { prebuild: 10, release: 100 });
  t.is((await load(both.dir)).loaded, both.prebuild);
  // Two folders down, as in the package, so that the addon's rpath finds node_modules.
  const explicit = join(both.dir, 'custom', 'bin', 'sentvec.node');
  mkdirSync(dirname(explicit), { recursive: true });
  copyFileSync(built, explicit);
  t.is((await load(both.dir, { SENTVEC_BINARY: explicit })).loaded, explicit);
  const local = layout(t, { release: 10 });
  const result = await load(local.dir);
  t.is(result.loaded, local.release);
  t.deepEqual(result.warnings, []);
});

test('when nothing loads: one NativeLoadError with platform, arch, libc, Node-API, each path and its error, and the fix', async (t) => {
  const empty = layout(t, {});
  const { loaded, error } = await load(empty.dir);
  t.is(loaded, undefined);
  t.is(error.name, 'NativeLoadError');
  t.is(error.code, 'ERR_NATIVE_LOAD');
  t.regex(error.message, new RegExp(`platform ${process.platform}, arch ${process.arch}, libc (glibc [\\d.]+|musl|n/a), Node-API ${process.versions.napi}`));
  t.true(error.message.includes(`${empty.prebuild}: not found`));
  t.true(error.message.includes(`${empty.release}: not found`));
  t.true(error.message.includes(`npm installs the addon as the optional dependency ${platformPackage()}`), 'names the package it expected');
  t.regex(error.message, /--omit=optional.*SENTVEC_BINARY/s);
  // No install hook builds it: the message gives the one command that does, with this copy's path.
  t.true(error.message.includes(`node ${join(empty.dir, 'install', 'build-from-source.mjs')}`), 'names the build command');
  t.false(error.message.includes('--build-from-source'), 'no install flag that nothing reads any more');
});

test('a SENTVEC_BINARY that fails is the error, with no fallback to a prebuild', async (t) => {
  const both = layout(t, { prebuild: 10, release: 10 });
  const broken = join(both.dir, 'broken.node');
  writeFileSync(broken, 'not a shared object');
  const { loaded, error } = await load(both.dir, { SENTVEC_BINARY: broken });
  t.is(loaded, undefined);
  t.is(error.code, 'ERR_NATIVE_LOAD');
  t.true(error.message.includes(`${broken}: `));
  t.regex(error.message, /invalid ELF header|file too short|not a valid/);
  t.false(error.message.includes(both.prebuild), 'only the explicit path is tried');
});

test('a platform package older than the local build is still loaded first, with a SENTVEC_STALE_PREBUILD warning', async (t) => {
  const stale = layout(t, { prebuild: 100, release: 10 });
  const result = await load(stale.dir);
  t.is(result.loaded, stale.prebuild);
  t.is(result.warnings.length, 1);
  t.is(result.warnings[0].code, 'SENTVEC_STALE_PREBUILD');
  t.true(result.warnings[0].message.includes(`loaded ${stale.prebuild}, which is older than ${stale.release}`));
  const fresh = layout(t, { prebuild: 10, release: 100 });
  t.deepEqual((await load(fresh.dir)).warnings, []);
});

test('useNativeBinding(path) loads that file at once, fails with its error, and cannot switch later', async (t) => {
  const both = layout(t, { prebuild: 10, release: 10 });
  t.is((await load(both.dir, {}, both.release)).loaded, both.release);
  const broken = join(both.dir, 'broken.node');
  writeFileSync(broken, 'not a shared object');
  const failed = await load(both.dir, {}, broken);
  t.is(failed.error.code, 'ERR_NATIVE_LOAD');
  t.true(failed.error.message.includes(`${broken}: `));
  t.false(failed.error.message.includes(both.prebuild));
  const empty = await load(both.dir, {}, '');
  t.is(empty.error.code, 'ERR_INVALID_ARG');
  t.regex(empty.error.message, /path to a sentvec\.node for useNativeBinding but received an empty string/);
  const script = `
    const b = require(${JSON.stringify(join(both.dir, 'dist/lib/binding.js'))});
    b.binding();
    b.useNativeBinding(${JSON.stringify(both.prebuild)});
    try { b.useNativeBinding(${JSON.stringify(both.release)}); } catch (err) { console.log(err.code + ' ' + err.message); }`;
  const out = await new Promise((done) => execFile(process.execPath, ['-e', script], { env: { ...process.env, SENTVEC_BINARY: '' } }, (err, stdout, stderr) => done(stdout + stderr)));
  t.regex(out, /^ERR_INVALID_ARG the sentvec addon is already loaded from .*@sentvec.*; call useNativeBinding\(".*build\/Release\/sentvec\.node"\) before the first use/);
});

// The members TypeScript declares for an interface of lib/binding.ts, with those of the interfaces
// of that file it extends, read with the compiler API.
function declared(name) {
  const ts = createRequire(import.meta.url)('typescript');
  const file = join(root, 'lib/binding.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === name);
  const inherited = (decl.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.text));
  return [...decl.members.map((m) => m.name.text), ...inherited.flatMap(declared)].sort();
}

test('the NativeBinding, NativeModel and NativeIndex types declare exactly what the addon exports', async (t) => {
  const { binding } = createRequire(import.meta.url)('../dist/lib/binding.js');
  const addon = binding();
  t.deepEqual(Object.keys(addon).sort(), declared('NativeBinding'));
  t.deepEqual(Object.keys(addon.bench).sort(), ['measurePooling', 'measureReadBandwidth']);
  const methods = (object) => Object.getOwnPropertyNames(Object.getPrototypeOf(object)).filter((n) => n !== 'constructor').sort();
  const model = await addon.loadModel({
    onnxPath: join(tinyModel(), 'onnx/model.onnx'),
    tokenizerPath: join(tinyModel(), 'sentencepiece.bpe.model'),
    maxSeqLength: 16,
  });
  t.deepEqual(methods(model), declared('NativeModel'));
  t.deepEqual(Object.keys(model.info()).sort(), declared('NativeModelInfo'));
  model.dispose();
  const index = addon.createIndex({ dimension: 4, metric: 'cosine', precision: 'float32', rescore: true, threads: 1 });
  t.deepEqual(methods(index), declared('NativeIndex'));
  t.deepEqual(Object.keys(index.info()).sort(), declared('NativeIndexInfo'));
  index.dispose();
});
