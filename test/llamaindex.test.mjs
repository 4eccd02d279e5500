// sentvec/llamaindex against the real llamaindex 0.12: text embeddings with the document prompt,
// query embeddings with the query prompt, Model.encode's vectors, embedBatchSize honoured, and a
// VectorStoreIndex retrieval round trip.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseEmbedding, Document, Settings, VectorStoreIndex } from 'llamaindex';
import { SentvecEmbedding } from 'sentvec/llamaindex';
import { ensureModel } from '../scripts/model/generate.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, DisposedError, InvalidArgumentError } = sentvec;
const dir = ensureModel('tiny-prompts', { prompts: { query: 'query: ', passage: 'passage: ' }, normalize: true });
const texts = ['The library closes early.', '図書館は早く閉まります。', 'a', 'x '.repeat(600), 'cats sleep', 'dogs bark', 'rain falls'];
const rows = (embeddings) => embeddings.toArray();

test('text embeddings use the passage prompt, query embeddings the query prompt: Model.encode\'s vectors', async (t) => {
  const model = await Model.load(dir);
  t.teardown(() => model.dispose());
  const embedding = new SentvecEmbedding({ model: dir });
  t.teardown(() => embedding.dispose());
  // Imported, sentvec/llamaindex extends the ES module build of llamaindex, the one imported here.
  t.true(embedding instanceof BaseEmbedding);
  t.deepEqual(await embedding.getTextEmbeddingsBatch(texts), rows(await model.encode(texts, { promptName: 'passage' })));
  t.deepEqual(await embedding.getTextEmbedding(texts[1]), rows(await model.encode(texts[1], { promptName: 'passage' }))[0]);
  const query = rows(await model.encode(texts[0], { promptName: 'query' }))[0];
  t.deepEqual(await embedding.getQueryEmbedding({ type: 'text', text: texts[0] }), query);
  t.deepEqual(await embedding.getQueryEmbedding(texts[0]), query);
  t.is(await embedding.getQueryEmbedding({ type: 'image_url', image_url: { url: 'https://example.invalid/a.png' } }), null);
});

test('embedBatchSize is honoured: each call into the model holds at most that many texts', async (t) => {
  const model = await Model.load(dir);
  t.teardown(() => model.dispose());
  const sizes = [];
  const encode = model.encode.bind(model);
  model.encode = (batch, options) => {
    sizes.push(batch.length);
    return encode(batch, options);
  };
  const embedding = new SentvecEmbedding({ model, embedBatchSize: 3, documentPromptName: null, dimensions: 8 });
  const vectors = await embedding.getTextEmbeddingsBatch(texts);
  t.deepEqual(sizes, [3, 3, 1]);
  t.deepEqual(vectors, rows(await encode(texts, { prompt: '', dimensions: 8 })));
  await embedding.dispose();
  t.false(model.disposed, 'a Model given stays its owner\'s');
  await t.throwsAsync(embedding.getTextEmbedding('a'), { instanceOf: DisposedError });
});

test('VectorStoreIndex round trip: documents in, the nearest out for a query', async (t) => {
  const embedding = new SentvecEmbedding({ model: dir });
  t.teardown(() => embedding.dispose());
  const index = await Settings.withEmbedModel(embedding, () =>
    VectorStoreIndex.fromDocuments(texts.map((text, i) => new Document({ text, id_: `d${i}` }))),
  );
  const hits = await Settings.withEmbedModel(embedding, () => index.asRetriever({ similarityTopK: 1 }).retrieve({ query: texts[4] }));
  t.is(hits.length, 1);
  t.is(hits[0].node.getContent(), texts[4]);
});

const root = new URL('..', import.meta.url).pathname;

test('imported beside llamaindex, sentvec/llamaindex loads no second copy of it: no "already imported" warning, and retrieval works', (t) => {
  const run = (script) => {
    const { status, stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    t.is(status, 0, stderr);
    return { stdout, warnings: stderr.match(/llamaindex was already imported/g)?.length ?? 0 };
  };
  // This checkout nests two copies of @llamaindex/env (its optional peer @huggingface/transformers
  // ^3 clashes with sentvec's dev dependency on 4), and llamaindex alone warns about them: what
  // counts is that the adapter adds no warning of its own (it added two, loading the CommonJS build).
  const alone = run(`import 'llamaindex';`).warnings;
  const { stdout, warnings } = run(`
    import { Document, Settings, VectorStoreIndex } from 'llamaindex';
    import { SentvecEmbedding } from 'sentvec/llamaindex';
    const embedding = new SentvecEmbedding({ model: ${JSON.stringify(dir)} });
    const texts = ['cats sleep', 'dogs bark', 'rain falls'];
    const index = await Settings.withEmbedModel(embedding, () => VectorStoreIndex.fromDocuments(texts.map((text) => new Document({ text }))));
    const hits = await Settings.withEmbedModel(embedding, () => index.asRetriever({ similarityTopK: 1 }).retrieve({ query: 'dogs bark' }));
    console.log(hits[0].node.getContent());
    await embedding.dispose();
  `);
  t.is(stdout.trim(), 'dogs bark');
  t.is(warnings, alone);
});

test('required, sentvec/llamaindex extends the CommonJS build of llamaindex, the one require() gives', (t) => {
  const out = execFileSync(
    process.execPath,
    ['-e', `const { SentvecEmbedding } = require('sentvec/llamaindex'); console.log(new SentvecEmbedding({ model: ${JSON.stringify(dir)} }) instanceof require('llamaindex').BaseEmbedding)`],
    { cwd: root, encoding: 'utf8' },
  );
  t.is(out.trim(), 'true');
});

test('bad options are refused when the embedding is made, naming the option', (t) => {
  t.throws(() => new SentvecEmbedding({ model: dir, embedBatchSize: 0 }), { instanceOf: InvalidArgumentError, message: /embedBatchSize/ });
  t.throws(() => new SentvecEmbedding({ model: dir, batchSize: 3 }), { instanceOf: InvalidArgumentError, message: /batchSize/ });
  t.throws(() => new SentvecEmbedding({ model: dir, documentPromptName: 7 }), { instanceOf: InvalidArgumentError, message: /documentPromptName/ });
  t.throws(() => new SentvecEmbedding(), { instanceOf: InvalidArgumentError, message: /model folder/ });
});

test('require(\'sentvec/llamaindex\') loads no server, CLI, other adapter or AI SDK code', (t) => {
  const loaded = JSON.parse(
    execFileSync(process.execPath, ['-e', `require('sentvec/llamaindex'); console.log(JSON.stringify(Object.keys(require.cache)))`], {
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    }),
  );
  t.true(loaded.some((f) => f.includes('node_modules/@llamaindex/core/')));
  t.deepEqual(
    loaded.filter((f) => /node_modules\/(ai|@ai-sdk|fastify|@langchain)\/|dist\/lib\/(server|cli)\/|frameworks\/(ai|langchain)/.test(f)),
    [],
  );
});

test('without llamaindex, requiring sentvec/llamaindex says what to install', (t) => {
  // The package alone, where no node_modules holds llamaindex.
  const root = new URL('..', import.meta.url).pathname;
  const copy = mkdtempSync(join(tmpdir(), 'sentvec-no-llamaindex-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(copy, 'package.json'));
  const out = execFileSync(
    process.execPath,
    ['-e', `try { require('./dist/lib/frameworks/llamaindex.js') } catch (e) { console.log(e.code + ' ' + e.message) }`],
    { cwd: copy, encoding: 'utf8' },
  );
  t.regex(out, /^ERR_MISSING_DEPENDENCY sentvec\/llamaindex needs llamaindex .*npm install llamaindex/);
});
