// The CLI as a user meets it: exit codes, one-line errors, output formats, and the interactive
// loop driven through a pseudo-terminal (util-linux `script`).
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyFp16Model, tinyModel } from './helpers/models.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/sentvec.js');
const model = tinyModel();
const corpus = [
  'The night train to the mountains leaves at ten o\'clock.',
  '駅前の新しいパン屋は朝六時から営業しています。',
  'La conférence aura lieu à Lyon en mars. Elle durera deux jours!',
  'Hi.',
].join('\n');

function workdir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'input.txt'), corpus);
  return dir;
}

function run(args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { ...process.env, SENTVEC_CACHE: join(tmpdir(), 'sentvec-cli-cache'), ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const LINE = /^Text: .+ \(Similarity:-?\d\.\d{3}\)$/;

test('-p answers once in the seed\'s format; -k prints the k best, best first', async (t) => {
  const dir = workdir(t);
  const one = await run(['-i', join(dir, 'input.txt'), '--model', model, '-p', 'When does the train leave?', '-q']);
  t.is(one.code, 0, one.stderr);
  t.is(one.stderr, '');
  const lines = one.stdout.trim().split('\n');
  t.is(lines.length, 1);
  t.regex(lines[0], LINE);
  const three = await run(['-i', join(dir, 'input.txt'), '--model', model, '-p', 'train', '-k', '3', '-q']);
  const rows = three.stdout.trim().split('\n');
  t.is(rows.length, 3);
  const scores = rows.map((l) => Number(l.match(/Similarity:(-?[\d.]+)/)[1]));
  t.deepEqual(scores, [...scores].sort((a, b) => b - a));
  t.false(three.stdout.includes('Text: Hi.'), 'fragments under --min-length 5 are dropped');
});

test('--json prints machine-readable results', async (t) => {
  const dir = workdir(t);
  const out = await run(['-i', join(dir, 'input.txt'), '--model', model, '-p', 'Lyon', '-k', '2', '--json', '-q']);
  const result = JSON.parse(out.stdout);
  t.is(result.query, 'Lyon');
  t.is(result.results.length, 2);
  t.deepEqual(Object.keys(result.results[0]).sort(), ['index', 'similarity', 'text']);
  t.true(result.results[0].similarity >= result.results[1].similarity);
  t.true(result.results.every((r) => corpus.includes(r.text)));
});

test('errors are one line with a non-zero exit code and no stack trace (unless --verbose)', async (t) => {
  const dir = workdir(t);
  writeFileSync(join(dir, 'empty.txt'), '');
  writeFileSync(join(dir, 'short.txt'), 'Hi.\nOK.\n');
  writeFileSync(join(dir, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
  writeFileSync(join(dir, 'latin1.txt'), Buffer.from('Caf\xe9 cr\xe8me br\xfbl\xe9e.\n', 'latin1'));
  const cases = [
    [['-i', join(dir, 'missing.txt'), '--model', model, '-p', 'x'], /cannot read .*missing\.txt: no such file/, 2],
    [['-i', join(dir, 'empty.txt'), '--model', model, '-p', 'x'], /empty\.txt is empty/, 2],
    [['-i', join(dir, 'short.txt'), '--model', model, '-p', 'x'], /has no sentence of at least 5 characters \(lower --min-length\)/, 2],
    [['-i', join(dir, 'binary.txt'), '--model', model, '-p', 'x'], /looks binary/, 2],
    [['-i', join(dir, 'latin1.txt'), '--model', model, '-p', 'x'], /latin1\.txt/, 2],
    [['-i', dir, '--model', model, '-p', 'x'], /cannot read .*EISDIR/, 2],
    [['-i', join(dir, 'input.txt'), '--bogus'], /unknown option '--bogus'/, 2],
    [['-i', join(dir, 'input.txt'), '-k', 'zero'], /--top-k <n>' argument 'zero' is invalid\. expected an integer from 1 to 4,294,967,295/, 2],
    [['-i', join(dir, 'input.txt'), '--batch-size', '0'], /expected an integer from 1 to 1,024, not "0"/, 2],
    // A device never ends: the input limit stops the read (and the limit flag itself is ranged).
    [['-i', '/dev/zero', '--model', model, '-p', 'x', '--max-input-mib', '2'], /\/dev\/zero is larger than 2 MiB, the input limit; raise it with --max-input-mib/, 2],
    [['-i', join(dir, 'input.txt'), '--max-input-mib', '0'], /--max-input-mib <n>' argument '0' is invalid/, 2],
    [['serve', '--model', model, '--threads', '1000000'], /--threads <n>' argument '1000000' is invalid\. expected an integer from 1 to 256/, 2],
    [['serve', '--model', model, '--max-in-flight', '0'], /expected an integer from 1 to 64, not "0"/, 2],
    [['serve', '--model', model, '--drain-timeout', '-1'], /--drain-timeout <ms>' argument '-1' is invalid/, 2],
    [['serve', '--model', model, '--max-response-mib', '300'], /--max-response-mib <n>' argument '300' is invalid\. expected an integer from 1 to 256/, 2],
    [['-i', join(dir, 'input.txt'), '--model', join(dir, 'no-such-model'), '-p', 'x'], /--model .*no-such-model: model folder .*no-such-model does not exist \(.* was taken as a folder: it is an absolute or \.\/ path\)/, 2],
    [['-i', join(dir, 'input.txt'), '--model', 'acme/x', '--revision', 'a..b', '-p', 'x'], /--model acme\/x: revision "a\.\.b" is not a branch, tag or commit/, 2],
    [['-i', join(dir, 'input.txt'), '--model', dir, '-p', 'x'], /config\.json/, 1],
    [['-i', join(dir, 'input.txt'), '--model', model, '--provider', 'gpu', '-p', 'x'], /expected cpu, cuda, tensorrt, coreml or nnapi/, 2],
    [['-i', join(dir, 'input.txt'), '--model', model, '--provider', 'coreml', '-p', 'x'], /execution provider 'coreml' cannot be used: .*macOS/, 1],
    [['-i', join(dir, 'input.txt'), '--model', model, '--onnx-file', 'onnx/model_fp16.onnx', '-p', 'x'], /model_fp16\.onnx/, 1],
    [['serve', '--model', model, '--provider', 'gpu'], /--provider gpu: expected cpu, cuda, tensorrt, coreml or nnapi/, 2],
    // nnapi: never usable off Android, so the server cannot start (and outlive the test) anywhere.
    [['serve', '--model', model, '--provider', 'nnapi', '--port', '0'], /execution provider 'nnapi' cannot be used: .*Android/, 1],
  ];
  for (const [args, pattern, code] of cases) {
    const r = await run(args);
    t.is(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, pattern);
    t.regex(r.stderr, /^sentvec: error: [^\n]+\n$/, `one line: ${r.stderr}`);
    t.notRegex(r.stderr, /\n\s+at /);
  }
  const verbose = await run(['-i', join(dir, 'input.txt'), '--model', dir, '-p', 'x', '--verbose']);
  t.regex(verbose.stderr, /\n\s+at /, '--verbose adds the stack');
});

test('an unreachable hub is an error for any model; npm run demo falls back to the test model with a notice', async (t) => {
  const dir = workdir(t);
  const cache = mkdtempSync(join(tmpdir(), 'sentvec-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const offline = { SENTVEC_OFFLINE: '1', SENTVEC_CACHE: cache };
  const explicit = await run(['-i', join(dir, 'input.txt'), '--model', 'acme/model', '-p', 'x'], { env: offline });
  t.is(explicit.code, 1);
  // One line of what went wrong, one of what to do, each said once.
  const [what, todo, ...rest] = explicit.stderr.split('\n');
  t.regex(what, /^sentvec: error: acme\/model is not in sentvec's cache \(.*acme--model.main\) nor in the Hugging Face cache \(.*\), and downloads are off \(SENTVEC_OFFLINE=1\)$/);
  t.regex(todo, /^sentvec: hint: Allow downloads \(unset SENTVEC_OFFLINE\), or fetch it where there is network \(`sentvec download acme\/model` or downloadModel\(\)\) and copy that folder to .*acme--model.main\.$/);
  t.deepEqual(rest, ['']);
  t.true(what.length < 300 && todo.length < 300, explicit.stderr);
  const fallback = await run(['-i', join(dir, 'input.txt'), '-p', 'train'], { env: offline });
  t.is(fallback.code, 1, 'the shipped CLI has no test-model fallback');
  t.regex(fallback.stderr, /^sentvec: error: sentence-transformers\/paraphrase-multilingual-mpnet-base-v2 is not in sentvec's cache .* \(the default model: no --model was given\)\nsentvec: hint: Give a model with --model <folder or hub id>; or allow downloads \(unset SENTVEC_OFFLINE\), or fetch it/);
  t.is(fallback.stderr.trim().split('\n').length, 2);
  const demo = await new Promise((done) => execFile(process.execPath, [join(root, 'scripts/demo.mjs'), '-p', 'train'], { env: { ...process.env, ...offline } },
    (error, stdout, stderr) => done({ code: error ? error.code : 0, stdout, stderr })));
  t.is(demo.code, 0, demo.stderr);
  t.regex(demo.stderr, /could not get sentence-transformers\/paraphrase-multilingual-mpnet-base-v2/);
  t.regex(demo.stderr, /TEST model .*NOT meaningful/);
  t.regex(demo.stdout.trim(), LINE);
});

test('--version prints the version; an unknown command is named as one, with the commands there are', async (t) => {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-v']) {
    const r = await run([flag]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `${version}\n`);
    t.is(r.stderr, '');
  }
  const unknown = await run(['serv', '--model', model]);
  t.is(unknown.code, 2);
  t.is(unknown.stderr, "sentvec: error: unknown command 'serv'\nsentvec: hint: The commands are download, install-cuda, quantize, rerank, serve; to search a file, run sentvec -i <file> (see sentvec --help).\n");
  t.notRegex(unknown.stderr, /too many arguments/);
});

test('--index saves the corpus, reuses it, and rebuilds it when the text or options change', async (t) => {
  const dir = workdir(t);
  const index = join(dir, 'corpus.svi');
  const args = ['-i', join(dir, 'input.txt'), '--model', model, '-p', 'train', '--index', index];
  const first = await run(args);
  t.regex(first.stderr, /Saved the index/);
  t.true(existsSync(index) && existsSync(`${index}.json`));
  const second = await run(args);
  t.regex(second.stderr, /Using the saved index/);
  t.is(second.stdout, first.stdout);
  writeFileSync(join(dir, 'input.txt'), `${corpus}\nA brand new sentence about trains.`);
  const stale = await run(args);
  t.regex(stale.stderr, /was built from another model, text or options: rebuilding/);
  const options = await run([...args, '--min-length', '2']);
  t.regex(options.stderr, /rebuilding/);
  t.regex(options.stdout, /Text: /);
  writeFileSync(index, 'garbage');
  const corrupt = await run([...args, '--min-length', '2']);
  t.regex(corrupt.stderr, /cannot be used .*rebuilding/);
  t.is(corrupt.code, 0);
});

function pty(t, args) {
  const command = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, SENTVEC_CACHE: join(tmpdir(), 'sentvec-cli-cache') } });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => child.kill());
  const waitFor = async (pattern, from = 0) => {
    const started = Date.now();
    while (!pattern.test(output.slice(from))) {
      if (Date.now() - started > 30000) throw new Error(`timed out waiting for ${pattern}; output so far:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { write: (s) => child.stdin.write(s), waitFor, exited, get output() { return output; } };
}

test('interactive: the prompt, answers, and exit on q, full-width ｑ and end of input', async (t) => {
  const dir = workdir(t);
  for (const [label, quit] of [['q', 'q\r'], ['full-width ｑ', 'ｑ\r'], ['end of input', '\x04']]) {
    const session = pty(t, ['-i', join(dir, 'input.txt'), '--model', model, '-k', '2']);
    await session.waitFor(/User \(press q to exit\): $/);
    const mark = session.output.length;
    session.write('When does the train leave?\r');
    await session.waitFor(/User \(press q to exit\): $/, mark);
    const answer = session.output.slice(mark).split(/\r?\n/).map((l) => l.replace(/\r/g, '')).filter((l) => l.startsWith('Text: '));
    t.is(answer.length, 2, label);
    for (const line of answer) t.regex(line, LINE);
    session.write(quit);
    t.is(await session.exited, 0, label);
  }
});

test('interactive: a progress bar on a terminal, none with --quiet', async (t) => {
  const dir = workdir(t);
  const loud = pty(t, ['-i', join(dir, 'input.txt'), '--model', model]);
  await loud.waitFor(/User \(press q to exit\): $/);
  t.regex(loud.output, /embedding .* \d+\/\d+ sentences \| [\d.]+\/s \| ETA/);
  loud.write('q\r');
  await loud.exited;
  const quiet = pty(t, ['-i', join(dir, 'input.txt'), '--model', model, '--quiet']);
  await quiet.waitFor(/User \(press q to exit\): $/);
  t.notRegex(quiet.output, /embedding/);
  quiet.write('q\r');
  await quiet.exited;
});

test('queries from a pipe are answered until end of input', async (t) => {
  const dir = workdir(t);
  const r = await run(['-i', join(dir, 'input.txt'), '--model', model, '-q'], { input: 'train\n\nLyon\nq\nnot asked\n' });
  t.is(r.code, 0);
  t.is(r.stdout.split('\n').filter((l) => l.includes('Text: ')).length, 2);
});

test('sentvec download fills the cache from $HF_ENDPOINT and prints the folder', async (t) => {
  const { startHub } = await import('./helpers/hub-server.mjs');
  const hub = await startHub(model);
  t.teardown(hub.close);
  const cache = mkdtempSync(join(tmpdir(), 'sentvec-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const r = await run(['download', hub.repo, '-q'], { env: { HF_ENDPOINT: hub.endpoint, SENTVEC_CACHE: cache } });
  t.is(r.code, 0, r.stderr);
  const dir = r.stdout.trim();
  t.true(existsSync(join(dir, 'onnx/model.onnx')));
  const dirArgs = ['-i', join(workdir(t), 'input.txt'), '--model', hub.repo, '-p', 'train', '-q'];
  const answer = await run(dirArgs, { env: { SENTVEC_CACHE: cache, SENTVEC_OFFLINE: '1' } });
  t.regex(answer.stdout.trim(), LINE, 'the cached hub model answers offline');
});

test('--onnx-file picks another export of the model, such as its float16 file', async (t) => {
  const dir = workdir(t);
  const fp16 = tinyFp16Model();
  const args = ['-i', join(dir, 'input.txt'), '--model', fp16, '-p', 'Lyon', '-k', '4', '--json', '-q'];
  const [full, half] = await Promise.all([run(args), run([...args, '--onnx-file', 'onnx/model_fp16.onnx'])]);
  t.is(full.code, 0, full.stderr);
  t.is(half.code, 0, half.stderr);
  const a = JSON.parse(full.stdout).results;
  const b = JSON.parse(half.stdout).results;
  t.deepEqual(b.map((r) => r.text).sort(), a.map((r) => r.text).sort());
  const byText = new Map(a.map((r) => [r.text, r.similarity]));
  t.true(b.every((r) => Math.abs(r.similarity - byText.get(r.text)) < 1e-2), JSON.stringify({ a, b }));
  t.true(b.some((r) => r.similarity !== byText.get(r.text)), 'the float16 file was used');
});

test("the text is embedded with the model's document prompt and questions with its query prompt; flags override", async (t) => {
  const { ensureModel } = await import('../scripts/model/generate.mjs');
  const { sentvec } = await import('./helpers/sentvec.mjs');
  const prompted = ensureModel('tiny-prompts', { prompts: { query: 'query: ', passage: 'passage: ' }, normalize: true });
  const dir = workdir(t);
  const question = 'When does the train leave?';
  const out = await run(['-i', join(dir, 'input.txt'), '--model', prompted, '-p', question, '--json']);
  t.is(out.code, 0, out.stderr);
  t.true(out.stderr.includes('Prompts: questions "query: ", text "passage: ".'));
  const best = JSON.parse(out.stdout).results[0];
  // The same similarity from the library, with the same prompts.
  const model = await sentvec.Model.load(prompted);
  const q = (await model.encode(question, { promptName: 'query' })).get(0);
  const d = (await model.encode(best.text, { promptName: 'passage' })).get(0);
  const plain = (await model.encode(best.text)).get(0);
  model.dispose();
  const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  t.true(Math.abs(best.similarity - dot(q, d)) < 1e-5, `${best.similarity} vs ${dot(q, d)}`);
  t.true(Math.abs(best.similarity - dot(q, plain)) > 1e-4, 'the prompts change the score');
  const none = await run(['-i', join(dir, 'input.txt'), '--model', prompted, '-p', question, '--json', '-q', '--query-prompt-name', 'none', '--document-prompt-name', 'none']);
  t.is(none.code, 0, none.stderr);
  const unprompted = await run(['-i', join(dir, 'input.txt'), '--model', prompted, '-p', question, '--json', '-q', '--query-prompt-name', 'passage']);
  t.is(unprompted.code, 0, unprompted.stderr);
  const bad = await run(['-i', join(dir, 'input.txt'), '--model', prompted, '-p', question, '--query-prompt-name', 'question']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--query-prompt-name question: this model's prompts are query, passage \(or pass none\)/);
});

test('--long-inputs chunk embeds long sentences whole, in windows', async (t) => {
  const { corpusLines } = await import('../scripts/model/corpus.mjs');
  const { sentvec } = await import('./helpers/sentvec.mjs');
  const dir = workdir(t);
  // One "sentence" far longer than 128 tokens (no sentence break in it).
  const long = corpusLines().slice(0, 12).map((l) => l.replace(/[.!?。！？]/g, '')).join(', ');
  writeFileSync(join(dir, 'long.txt'), `${long}.\nThe train leaves at ten.\n`);
  const args = ['-i', join(dir, 'long.txt'), '--model', model, '-p', 'train', '-k', '2', '--json'];
  const truncated = await run(args);
  t.regex(truncated.stderr, /1 sentence\(s\) longer than 128 tokens were embedded from their beginning only/);
  const chunked = await run([...args, '--long-inputs', 'chunk']);
  t.is(chunked.code, 0, chunked.stderr);
  t.false(chunked.stderr.includes('embedded from their beginning only'));
  const m = await sentvec.Model.load(model);
  const q = (await m.encode('train', { normalize: true })).get(0);
  const d = (await m.encode(`${long}.`, { normalize: true, longInputs: 'chunk' })).get(0);
  m.dispose();
  const hit = JSON.parse(chunked.stdout).results.find((r) => r.text.length > 500);
  t.truthy(hit, 'the long sentence is among the results');
  t.true(Math.abs(hit.similarity - q.reduce((s, x, i) => s + x * d[i], 0)) < 1e-5);
  const bad = await run([...args, '--long-inputs', 'split']);
  t.is(bad.code, 2);
});

// The cache's one entry, as it stands on disk.
function optimizedEntry(cache) {
  const files = readdirSync(join(cache, 'optimized')).filter((f) => f.endsWith('.ort'));
  if (files.length !== 1) return { files };
  const { ino, mtimeMs, size } = statSync(join(cache, 'optimized', files[0]));
  return { files, ino, mtimeMs, size };
}

// `sentvec serve` until it listens, then SIGTERM: its stderr.
async function serveOnce(args, env) {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 30_000;
  while (!/sentvec serving/.test(stderr) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGTERM');
  return { code: await exited, stderr };
}

test('--optimized-cache keeps the optimized model in the cache folder, and the next run (or serve restart) starts from it', async (t) => {
  const dir = workdir(t);
  const cache = join(dir, 'cache');
  const args = ['-i', join(dir, 'input.txt'), '--model', model, '-p', 'When does the train leave?', '--optimized-cache'];
  const first = await run(args, { env: { SENTVEC_CACHE: cache } });
  t.is(first.code, 0, first.stderr);
  t.notRegex(first.stderr, /optimized model from the cache/);
  const written = optimizedEntry(cache);
  t.is(written.files.length, 1, 'one cache entry after the first run');
  const second = await run(args, { env: { SENTVEC_CACHE: cache } });
  t.is(second.code, 0, second.stderr);
  t.regex(second.stderr, /Using the optimized model from the cache\./);
  t.is(second.stdout, first.stdout);
  t.deepEqual(optimizedEntry(cache), written, 'read, not written again');
  // serve finds the same entry (same model, same providers).
  const served = await serveOnce(['--model', model, '--optimized-cache'], { SENTVEC_CACHE: cache });
  t.is(served.code, 0, served.stderr);
  t.regex(served.stderr, /Using the optimized model from the cache\.\n.*sentvec serving/s);
  t.deepEqual(optimizedEntry(cache), written);
});
