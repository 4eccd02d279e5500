// An adapter given a hub id downloads the model once into sentvec's cache (as `sentvec download`
// does) and loads it from there; here from a loopback stand-in for the hub.
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embed } from 'ai';
import { createSentvec } from 'sentvec/ai';
import { SentvecEmbeddings } from 'sentvec/langchain';
import { startHub } from './helpers/hub-server.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model } = sentvec;

test('a hub id is downloaded once, then loaded: the vectors of the model\'s folder', async (t) => {
  const dir = tinyModel();
  const hub = await startHub(dir);
  const cache = mkdtempSync(join(tmpdir(), 'sentvec-hub-cache-'));
  t.teardown(async () => {
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  });
  process.env.HF_ENDPOINT = hub.endpoint;
  process.env.SENTVEC_CACHE = cache;
  const model = await Model.load(dir);
  t.teardown(() => model.dispose());
  const provider = createSentvec();
  const { embedding } = await embed({ model: provider.embedding(hub.repo), value: 'Il pleut.' });
  t.deepEqual(embedding, (await model.encode('Il pleut.')).toArray()[0]);
  await provider.dispose();
  const fetched = hub.requests.length;
  t.true(readdirSync(cache).length > 0, 'into sentvec\'s cache');
  t.true(fetched > 0);
  const embeddings = new SentvecEmbeddings({ model: hub.repo });
  t.deepEqual(await embeddings.embedQuery('Il pleut.'), embedding);
  await embeddings.dispose();
  t.is(hub.requests.filter((r) => r.path.includes('onnx')).length, hub.requests.slice(0, fetched).filter((r) => r.path.includes('onnx')).length, 'the model file came once');
});

test('a name that is neither a folder nor a hub id fails the call, saying so', async (t) => {
  const provider = createSentvec();
  await t.throwsAsync(embed({ model: provider.embedding('no folder here'), value: 'a', maxRetries: 0 }), { instanceOf: sentvec.ModelFileError, message: /does not exist \("no folder here" was taken as a folder: it is not of the form owner\/name\)/ });
  await provider.dispose();
});

test('an adapter downloads a hub id with the hub options of its loadOptions (endpoint, cacheDir, revision)', async (t) => {
  const dir = tinyModel();
  // A repository only this hub serves: the endpoint from the environment (another test's) cannot.
  const hub = await startHub(dir, { repo: 'acme/adapter-options' });
  const cacheDir = mkdtempSync(join(tmpdir(), 'sentvec-hub-cache-'));
  t.teardown(async () => {
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  const model = await Model.load(dir);
  t.teardown(() => model.dispose());
  const embeddings = new SentvecEmbeddings({
    model: hub.repo,
    loadOptions: { endpoint: hub.endpoint, cacheDir, revision: 'main', attempts: 1 },
  });
  t.deepEqual(await embeddings.embedQuery('Il pleut.'), (await model.encode('Il pleut.')).toArray()[0]);
  await embeddings.dispose();
  t.deepEqual(readdirSync(join(cacheDir, 'models')), ['acme--adapter-options'], 'into the cacheDir given');
});
