// Every call runs one plan through one executor, whose finish step alone cuts and normalizes
// (lib/model/rows.ts): so every way to one vector gives the same bits, and they are the bits of the
// native Index's normalization rule, x · float32(1 / max(‖x‖, 1e-12)).
import test from 'ava';
import { tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const { Model } = sentvec;
const texts = ['The train leaves at seven.', 'Il pleut sur la ville.', 'short'];
const same = (t, a, b, what) => t.deepEqual(Array.from(a, (x) => x), Array.from(b, (x) => x), what);

test('scheduled, direct, token-id, unscheduled, chunked and HTTP calls give the same bits, with and without dimensions', async (t) => {
  const model = await Model.load(tinyModel());
  const alone = await Model.load(tinyModel(), { scheduler: false });
  const app = await server.createServer(model);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
    alone.dispose();
  });
  const ids = (await model.tokenize(texts)).map((x) => x.ids);
  for (const dimensions of [undefined, 16]) {
    const scheduled = await model.encode(texts, { normalize: true, dimensions });
    const direct = await model.encode(texts, { normalize: true, dimensions, batchSize: 1 });
    const unscheduled = await alone.encode(texts, { normalize: true, dimensions });
    const chunked = await model.encode(texts, { normalize: true, dimensions, longInputs: 'chunk' });
    same(t, direct.data, scheduled.data, `direct vs scheduled, dimensions ${dimensions}`);
    same(t, unscheduled.data, scheduled.data, `no scheduler vs scheduled, dimensions ${dimensions}`);
    same(t, chunked.data, scheduled.data, `chunk (inputs that fit) vs scheduled, dimensions ${dimensions}`);
    const response = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: texts, encoding_format: 'base64', ...(dimensions ? { dimensions } : {}) }),
    });
    const { data } = await response.json();
    data.forEach(({ embedding }, i) => {
      const bytes = Buffer.from(embedding, 'base64');
      same(t, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), scheduled.get(i), `HTTP vs encode, input ${i}, dimensions ${dimensions}`);
    });
  }
  same(t, (await model.encodeTokens(ids, { normalize: true })).data, (await model.encode(texts, { normalize: true })).data, 'encodeTokens vs encode');
  same(t, (await alone.encodeTokens(ids, { normalize: true })).data, (await model.encode(texts, { normalize: true })).data, 'encodeTokens without scheduler');
  // The rule itself, on the unnormalized rows.
  const raw = await model.encode(texts, { normalize: false });
  const unit = await model.encode(texts, { normalize: true });
  for (let i = 0; i < texts.length; i++) {
    const row = raw.get(i);
    const scale = Math.fround(1 / Math.max(Math.sqrt(row.reduce((s, x) => s + x * x, 0)), 1e-12));
    same(t, Float32Array.from(row, (x) => x * scale), unit.get(i), `input ${i} follows x · float32(1 / ‖x‖)`);
  }
});
