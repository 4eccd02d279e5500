// The API reference is generated from the TSDoc (typedoc.json: every subpath export, warnings are
// errors). Generating it here keeps it from drifting: an undocumented export, a broken {@link}
// or a referenced type that is not exported fails the suite.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const typedoc = join(dirname(createRequire(import.meta.url).resolve('typedoc/package.json')), 'bin/typedoc');

test('TypeDoc builds the API reference of every subpath export without a warning', (t) => {
  t.timeout(240_000);
  const out = mkdtempSync(join(tmpdir(), 'sentvec-api-'));
  try {
    const run = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const output = `${run.stdout}${run.stderr}`;
    t.is(run.status, 0, output);
    t.notRegex(output, /warning|error/i, output);
    t.true(existsSync(join(out, 'index.html')));
    t.true(existsSync(join(out, 'classes', 'sentvec.Model.html')), 'the sentvec entry point is documented');
    t.true(readdirSync(join(out, 'functions')).includes('sentvec_server.createServer.html'), 'the sentvec/server entry point is documented');
    // One module page per subpath export of package.json, each named as users import it.
    const modules = readdirSync(join(out, 'modules')).sort();
    t.deepEqual(modules, ['sentvec.html', 'sentvec_ai.html', 'sentvec_langchain.html', 'sentvec_llamaindex.html', 'sentvec_server.html']);
    t.true(existsSync(join(out, 'classes', 'sentvec.CrossEncoder.html')), 'the cross-encoder contract that RerankOptions names is documented');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
