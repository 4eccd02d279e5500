// The built addon: what it links, how it finds ONNX Runtime, and the node-gyp build of the same
// sources.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from './helpers/models.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build/Release/sentvec.node');
const linux = process.platform === 'linux';
const env = { ...process.env };
delete env.LD_LIBRARY_PATH;

const smoke = `
const { Model } = require(${JSON.stringify(root)});
Model.load(process.argv[1]).then(async (m) => {
  const e = await m.encode(['hello', 'world'], { normalize: true });
  console.log(JSON.stringify({ n: e.length, dim: e.dimension, first: e.get(0)[0] }));
});`;

test('the addon links no SentencePiece or protobuf library and finds ONNX Runtime by its rpath', (t) => {
  if (!linux) return t.pass('ldd and readelf checks apply to the Linux build only');
  const ldd = execFileSync('ldd', [addon], { env, encoding: 'utf8' });
  t.notRegex(ldd, /libsentencepiece/);
  t.notRegex(ldd, /libprotobuf/);
  t.notRegex(ldd, /not found/);
  t.regex(ldd, /libonnxruntime\.so\.1 => \S*node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/\w+\/libonnxruntime\.so\.1/);
  const dynamic = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
  t.regex(dynamic, /RUNPATH.*\[\$ORIGIN:/, 'first beside itself, as in the platform package');
  t.regex(dynamic, /RUNPATH.*\$ORIGIN\/\.\.\/\.\.\/node_modules\/onnxruntime-node/);
  const needed = [...dynamic.matchAll(/NEEDED.*\[(.+)\]/g)].map((m) => m[1]);
  t.deepEqual(needed.filter((n) => !/^(libonnxruntime\.so\.1|libstdc\+\+|libm\.|libgcc_s|libc\.|ld-linux|libpthread|libdl)/.test(n)), []);
});

test('the addon needs no newer glibc than ONNX Runtime (2.28)', (t) => {
  if (!linux) return t.pass('glibc applies to Linux only');
  const symbols = execFileSync('objdump', ['-T', addon], { encoding: 'utf8' });
  const floor = Math.max(...symbols.match(/GLIBC_2\.\d+/g).map((v) => Number(v.split('.')[1])));
  const cxx = Math.max(...(symbols.match(/GLIBCXX_3\.4\.\d+/g) ?? ['GLIBCXX_3.4.0']).map((v) => Number(v.split('.')[2])));
  t.log(`the addon needs glibc 2.${floor} and libstdc++ GLIBCXX_3.4.${cxx} (ONNX Runtime's library needs glibc 2.28)`);
  if (process.arch === 'x64') t.true(floor <= 28, `glibc 2.${floor}`);
  else t.true(floor <= Number(process.report.getReport().header.glibcVersionRuntime.split('.')[1]));
});

test('no AVX register is used outside the SimSIMD kernels chosen at run time (x86-64 baseline)', (t) => {
  if (!linux || process.arch !== 'x64') return t.pass('the check reads x86-64 Linux code');
  const code = execFileSync('objdump', ['-d', '--no-show-raw-insn', addon], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const offenders = new Set();
  let fn = '';
  for (const line of code.split('\n')) {
    const head = line.match(/^[0-9a-f]+ <(.+)>:$/);
    if (head) fn = head[1];
    else if (/%[yz]mm/.test(line) && !fn.startsWith('simsimd_')) offenders.add(fn);
  }
  t.deepEqual([...offenders], []);
});

test('the addon loads and encodes with no LD_LIBRARY_PATH', (t) => {
  const out = JSON.parse(execFileSync(process.execPath, ['-e', smoke, tinyModel()], { env, encoding: 'utf8' }));
  t.is(out.n, 2);
  t.is(out.dim, 32);
});

test('node-gyp builds the same sources into a working addon', (t) => {
  t.timeout(10 * 60 * 1000);
  const nodedir = resolve(dirname(process.execPath), '..');
  if (!existsSync(join(nodedir, 'include/node/node_api.h'))) {
    return t.pass(`no Node headers under ${nodedir}/include/node, and node-gyp may not download them here`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-gyp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, 'binding.gyp'), join(dir, 'binding.gyp'));
  cpSync(join(root, 'native'), join(dir, 'native'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(root, 'deps'), join(dir, 'deps'));
  const gyp = join(root, 'node_modules/node-gyp/bin/node-gyp.js');
  execFileSync(process.execPath, [gyp, 'rebuild', '-j', '2'], {
    cwd: dir, env: { ...env, npm_config_nodedir: nodedir }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const built = join(dir, 'build/Release/sentvec.node');
  t.true(existsSync(built));
  const viaGyp = JSON.parse(execFileSync(process.execPath, ['-e', smoke, tinyModel()], { env: { ...env, SENTVEC_BINARY: built }, encoding: 'utf8' }));
  const viaCmake = JSON.parse(execFileSync(process.execPath, ['-e', smoke, tinyModel()], { env, encoding: 'utf8' }));
  t.is(viaGyp.dim, 32);
  t.true(Math.abs(viaGyp.first - viaCmake.first) < 1e-6, 'both builds compute the same vectors');
});
