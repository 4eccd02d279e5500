// Every ```js, ```ts and ```sh block of README.md and docs/ runs as written (test/helpers/doc-blocks.mjs):
// in a scratch project where `sentvec` is this build, model folders named as in the docs hold the
// generated test model, and a loopback hub (HF_ENDPOINT) serves that model under the real names of
// the tested models (and tiny cross-encoders under the rerankers' names), so that `sentvec -i …` with no --model downloads it as it would from the hub.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { docFiles, extractBlocks, makeScratch, removeScratch, root, runBlocks } from './helpers/doc-blocks.mjs';
import { startHub } from './helpers/hub-server.mjs';
import { tinyModel } from './helpers/models.mjs';
import { ensureModel } from '../scripts/model/generate.mjs';
import { startCluster } from '../scripts/postgres-cluster.mjs';
import { REAL_MODELS, RERANKERS, TINY_BERT_RERANKER, TINY_RERANKER } from '../scripts/model/generate.mjs';

function scratchEnv(dir, hubUrl) {
  const env = { ...process.env, HF_ENDPOINT: hubUrl, SENTVEC_CACHE: join(dir, '.cache', 'sentvec'), HF_HOME: join(dir, '.cache', 'huggingface') };
  // npm's own variables (set when the suite runs under npm) are not what a reader's shell has.
  for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name];
  for (const name of ['HF_TOKEN', 'HF_HUB_CACHE', 'SENTVEC_OFFLINE', 'HF_HUB_OFFLINE', 'DATABASE_URL', 'NODE_OPTIONS']) delete env[name];
  return env;
}

let hub;
test.before(async () => {
  // Every tested model's real name serves the tiny model: the docs' names resolve, as written.
  // Those with prompts (multilingual-e5) serve the tiny model with the same prompts.
  const prompted = ensureModel('tiny-prompts', { prompts: { query: 'query: ', passage: 'passage: ' }, normalize: true });
  const dirs = Object.fromEntries(Object.keys(REAL_MODELS).filter((id) => REAL_MODELS[id].prompts).map((id) => [id, prompted]));
  // Each reranker's name (BAAI/bge-reranker-base, cross-encoder/ms-marco-MiniLM-L-6-v2, …) serves a
  // tiny cross-encoder of its tokenizer's family: XLM-R SentencePiece, or BERT WordPiece.
  const xlmr = ensureModel('tiny-reranker', TINY_RERANKER);
  const wordpiece = ensureModel('tiny-bert-reranker', TINY_BERT_RERANKER);
  for (const id of Object.keys(RERANKERS)) dirs[id] = RERANKERS[id].tokenizer === 'wordpiece' ? wordpiece : xlmr;
  hub = await startHub(tinyModel(), { repo: [...Object.keys(REAL_MODELS), ...Object.keys(RERANKERS)], dirs });
});
test.after.always(async () => {
  await hub?.close();
});

const pages = docFiles().map((file) => ({ file, blocks: extractBlocks(file) }));

test('the docs hold runnable blocks, every marker with its reason', (t) => {
  const all = pages.flatMap((p) => p.blocks);
  t.true(all.filter((b) => !b.marker).length >= 10, `only ${all.length} blocks found`);
  for (const block of all.filter((b) => b.marker)) t.truthy(block.marker.reason, `${relative(root, block.file)}:${block.line}`);
});

for (const { file, blocks } of pages.filter((p) => p.blocks.length > 0)) {
  test.serial(`${relative(root, file)}: every block runs as written`, async (t) => {
    t.timeout(600_000);
    const dir = makeScratch(tinyModel());
    let cluster;
    try {
      const env = scratchEnv(dir, hub.endpoint);
      if (blocks.some((b) => !b.marker?.kind?.startsWith('skip') && b.code.includes('DATABASE_URL'))) {
        cluster = startCluster();
        env.DATABASE_URL = cluster.connectionString;
      }
      const { skipped, ran } = await runBlocks(blocks, dir, env);
      for (const line of ran) t.log(`ran ${line}`);
      for (const line of skipped) t.log(`skipped ${line}`);
      t.pass();
    } finally {
      cluster?.stop();
      removeScratch(dir);
    }
  });
}

// The harness itself: what it must catch.
function page(text) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-doc-page-'));
  const file = join(dir, 'page.md');
  writeFileSync(file, text);
  return { file, dir };
}

test('a marker without a reason, or with no block after it, is refused naming the line', (t) => {
  const a = page('# T\n\n<!-- doctest: skip -->\n```sh\necho hi\n```\n');
  t.throws(() => extractBlocks(a.file), { message: /page\.md:3: .*reason is required/ });
  const b = page('# T\n\n<!-- doctest: skip (needs a GPU) -->\nprose\n');
  t.throws(() => extractBlocks(b.file), { message: /page\.md:3: doctest marker is not followed by a code block/ });
  const c = page('<!-- doctest: server http://127.0.0.1:1/ -->\n```sh\nsleep 1\n```\n');
  t.throws(() => extractBlocks(c.file), { message: /page\.md:1: .*reason is required/ });
  for (const p of [a, b, c]) rmSync(p.dir, { recursive: true });
});

test('a block that fails is reported with its file and line: the old README usage block (require with top-level await)', async (t) => {
  t.timeout(120_000);
  const p = page(
    '# T\n\n```js\nconsole.log("fine");\n```\n\n```js\n' +
      "const { Model } = require('sentvec');\n\nconst model = await Model.load('./paraphrase-multilingual-mpnet-base-v2');\n" +
      '```\n\n```ts\nconst n: number = "not a number";\n```\n',
  );
  const blocks = extractBlocks(p.file);
  t.deepEqual(
    blocks.map((b) => [b.line, b.lang]),
    [[3, 'js'], [7, 'js'], [13, 'ts']],
  );
  const dir = makeScratch(tinyModel());
  try {
    const env = scratchEnv(dir, hub.endpoint);
    const err = await t.throwsAsync(runBlocks(blocks, dir, env));
    t.regex(err.message, /page\.md:7: js block failed \(exit code 1\)/);
    t.regex(err.message, /require is not defined/);
    const typeErr = await t.throwsAsync(runBlocks([blocks[2]], dir, env));
    t.regex(typeErr.message, /page\.md:13: ts block does not type-check under tsc --strict:[\s\S]*TS2322/);
  } finally {
    removeScratch(dir);
    rmSync(p.dir, { recursive: true });
  }
});
