// GET /v1/models and GET /v1/models/{id}: OpenAI's list and retrieve, as the official client and
// gateways that list models first (LiteLLM, Open WebUI) read them; behind the API key like the
// other /v1 routes.
import test from 'ava';
import OpenAI from 'openai';
import { tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const { Model } = sentvec;
const { createServer } = server;

async function start(t, serverOptions = {}) {
  const model = await Model.load(tinyModel());
  const app = await createServer(model, { apiKey: 'sk-test', ...serverOptions });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
  });
  const get = (path, key = 'sk-test') => fetch(`${url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { url, get, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 }) };
}

test('the openai client lists the served model and retrieves it by id', async (t) => {
  const before = Math.floor(Date.now() / 1000);
  const { client } = await start(t, { modelName: 'multilingual-e5-small' });
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  t.is(models.length, 1);
  t.like(models[0], { id: 'multilingual-e5-small', object: 'model', owned_by: 'sentvec' });
  t.true(Number.isInteger(models[0].created) && models[0].created >= before && models[0].created <= Date.now() / 1000);
  t.deepEqual(await client.models.retrieve('multilingual-e5-small'), models[0]);
  const missing = await t.throwsAsync(client.models.retrieve('gpt-4o'));
  t.is(missing.status, 404);
  t.like(missing.error, { type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
  t.regex(missing.error.message, /'gpt-4o' does not exist; this server serves 'multilingual-e5-small'/);
});

test('a model id with a slash is retrieved as sent or encoded', async (t) => {
  const { get } = await start(t, { modelName: 'intfloat/multilingual-e5-small' });
  const list = await (await get('/v1/models')).json();
  t.deepEqual(list.object, 'list');
  t.is(list.data[0].id, 'intfloat/multilingual-e5-small');
  for (const path of ['/v1/models/intfloat/multilingual-e5-small', '/v1/models/intfloat%2Fmultilingual-e5-small']) {
    const r = await get(path);
    t.is(r.status, 200, path);
    t.deepEqual(await r.json(), list.data[0]);
  }
  t.is((await get('/v1/models/intfloat')).status, 404);
});

test('the default name is sentvec, and both routes need the API key', async (t) => {
  const { get } = await start(t);
  t.is((await (await get('/v1/models')).json()).data[0].id, 'sentvec');
  for (const path of ['/v1/models', '/v1/models/sentvec']) {
    t.is((await get(path, '')).status, 401, path);
    t.is((await get(path, 'sk-wrong')).status, 401, path);
    t.is((await get(path)).status, 200, path);
  }
});
