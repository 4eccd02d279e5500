// The package's faces: `sentvec` is the library and loads no HTTP code; `sentvec/server` is the
// server. (The installed package's `exports` map is exercised by test/package.test.mjs.)
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

test('require(\'sentvec\') loads no HTTP, CLI or metrics code', (t) => {
  const main = new URL(`../${pkg.exports['.'].default}`, import.meta.url).pathname;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', `
    const lib = require(${JSON.stringify(main)});
    if (typeof lib.Model !== 'function' || 'createServer' in lib) process.exit(3);
    console.log(JSON.stringify(Object.keys(require.cache)));`], { encoding: 'utf8' }));
  t.true(loaded.length > 1);
  const http = loaded.filter((f) => /node_modules\/(fastify|@fastify|avvio|find-my-way|pino|light-my-request|commander|cli-progress)\//.test(f) || /dist\/lib\/(server|metrics)\.js$|dist\/lib\/(cli|server|frameworks)\//.test(f));
  t.deepEqual(http, []);
});

test('the exports map publishes the library, the server, the framework adapters and package.json, nothing else', (t) => {
  t.deepEqual(Object.keys(pkg.exports), ['.', './server', './ai', './langchain', './llamaindex', './package.json']);
  const server = new URL(`../${pkg.exports['./server'].default}`, import.meta.url).pathname;
  const out = execFileSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(server)}).createServer)`], { encoding: 'utf8' });
  t.is(out.trim(), 'function');
  t.is(`./${pkg.main}`, pkg.exports['.'].default);
  t.is(`./${pkg.types}`, pkg.exports['.'].types);
});

test('each framework adapter is published with its types, for node16 and node10 resolution alike', (t) => {
  for (const name of ['ai', 'langchain', 'llamaindex']) {
    const entry = pkg.exports[`./${name}`];
    t.is(entry.default, `./dist/lib/frameworks/${name}.js`);
    t.is(entry.types, `./dist/lib/frameworks/${name}.d.ts`);
    t.deepEqual(pkg.typesVersions['*'][name], [entry.types]);
    t.true(pkg.peerDependenciesMeta[{ ai: 'ai', langchain: '@langchain/core', llamaindex: 'llamaindex' }[name]].optional);
  }
});
