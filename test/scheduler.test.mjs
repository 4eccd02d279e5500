import test from 'ava';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, QueueFullError } = sentvec;
const maxDelta = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const texts = Array.from({ length: 48 }, (_, i) => `request number ${i} ${'with more words '.repeat(i % 7)}`);

test('concurrent small encode() calls are coalesced, and each caller gets exactly its own vectors', async (t) => {
  const model = await Model.load(tinyModel());
  const alone = await Model.load(tinyModel(), { scheduler: false });
  const batches = [];
  model.scheduler.onBatch = (e) => batches.push(e);
  const results = await Promise.all(texts.map((text) => model.encode(text, { normalize: true })));
  t.true(batches.length < texts.length / 4, `${texts.length} calls ran as ${batches.length} batches`);
  t.is(batches.reduce((n, b) => n + b.size, 0), texts.length);
  t.true(batches.every((b) => b.size <= model.scheduler.options.maxBatchSize && b.paddedTokens <= model.scheduler.options.maxBatchTokens));
  for (const [i, text] of texts.entries()) {
    const want = await alone.encode([text, 'padding partner'], { normalize: true, batchSize: 1 });
    t.true(maxDelta(results[i].get(0), want.get(0)) < 1e-5, `caller ${i}`);
  }
  model.dispose();
  alone.dispose();
});

test('batches respect maxBatchSize and maxBatchTokens; FIFO keeps every caller served', async (t) => {
  const model = await Model.load(tinyModel(), { scheduler: { maxBatchSize: 4, maxBatchTokens: 64, maxWaitMicros: 500 } });
  const batches = [];
  model.scheduler.onBatch = (e) => batches.push(e);
  const results = await Promise.all(texts.map((text) => model.encode(text)));
  t.is(results.length, texts.length);
  t.true(batches.every((b) => b.size <= 4));
  t.true(batches.every((b) => b.size === 1 || b.paddedTokens <= 64));
  model.dispose();
});

test('encodeTokens embeds tokenize() output like encode()', async (t) => {
  const model = await Model.load(tinyModel());
  const tokens = await model.tokenize(texts.slice(0, 5));
  const viaTokens = await model.encodeTokens(tokens.map((x) => x.ids), { normalize: true });
  const viaText = await model.encode(texts.slice(0, 5), { normalize: true });
  t.true(maxDelta(viaTokens.data, viaText.data) < 1e-5);
  const plain = await model.encodeTokens([Array.from(tokens[0].ids)]);
  t.is(plain.length, 1);
  await t.throwsAsync(model.encodeTokens([[0, 99999, 2]]), { instanceOf: sentvec.InvalidArgumentError, message: /not a token id of this model/ });
  await t.throwsAsync(model.encodeTokens([new Int32Array(200)]), { instanceOf: sentvec.InputTooLongError });
  await t.throwsAsync(model.encodeTokens([[]]), { instanceOf: sentvec.InvalidArgumentError, message: /empty/ });
  model.dispose();
});

test('a full queue refuses new work with QueueFullError instead of growing without bound', async (t) => {
  const model = await Model.load(tinyModel(), { scheduler: { maxQueuedTokens: 40, maxInFlight: 1, maxWaitMicros: 100000 } });
  const first = model.encode(texts[10]);
  const second = model.encode(texts[20]);
  const results = await Promise.allSettled([first, second, model.encode(texts[30]), model.encode(texts[40])]);
  t.true(results.some((r) => r.status === 'fulfilled'));
  const refused = results.filter((r) => r.status === 'rejected');
  t.true(refused.length > 0);
  for (const r of refused) {
    t.true(r.reason instanceof QueueFullError);
    t.is(r.reason.code, 'ERR_QUEUE_FULL');
  }
  model.dispose();
});

test('dispose() lets every accepted call finish, queued ones included; later calls get DisposedError', async (t) => {
  const model = await Model.load(tinyModel(), { scheduler: { maxWaitMicros: 50000, maxBatchSize: 16 } });
  const accepted = Array.from({ length: 200 }, (_, i) => model.encode(`waiting in the queue ${i}`));
  const tokenized = model.tokenize('also accepted');
  await new Promise((r) => setTimeout(r, 5));
  model.dispose();
  t.true(model.disposed);
  await t.throwsAsync(model.encode('too late'), { instanceOf: sentvec.DisposedError });
  const results = await Promise.allSettled(accepted);
  t.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => r.reason.message), []);
  t.true(results.every((r) => r.value.length === 1 && r.value.dimension === model.dimension));
  t.is((await tokenized).ids[0], 0);
  await t.throwsAsync(model.tokenize('too late'), { instanceOf: sentvec.DisposedError });
});

test('scheduler options are checked: unknown keys and values outside their range are InvalidArgumentErrors', async (t) => {
  const cases = [
    [{ maxInFlight: 0 }, /Expected an integer from 1 to 64 for scheduler\.maxInFlight but received 0/],
    [{ maxBatchSize: -1 }, /scheduler\.maxBatchSize but received -1/],
    [{ maxWaitMicros: 1.5 }, /scheduler\.maxWaitMicros/],
    [{ maxBatchTokens: Infinity }, /scheduler\.maxBatchTokens but received Infinity/],
    [{ maxQueuedTokens: '10' }, /scheduler\.maxQueuedTokens but received the string "10"/],
    [{ maxInflight: 2 }, /Unknown option "maxInflight" for scheduler \(did you mean "maxInFlight"\?\)/],
  ];
  for (const [scheduler, message] of cases) {
    await t.throwsAsync(Model.load(tinyModel(), { scheduler }), { instanceOf: sentvec.InvalidArgumentError, message }, JSON.stringify(scheduler));
  }
});

test('onBatch is one batch listener among the others, replaced by the next assignment; one that throws stops neither the rest nor the scheduler', async (t) => {
  const model = await Model.load(tinyModel());
  t.teardown(() => model.dispose());
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const seen = [];
  model.scheduler.onBatch = () => {
    throw new Error('metrics broke');
  };
  model.scheduler.addBatchListener((e) => seen.push(e.size));
  t.is((await model.encode(['one', 'two'])).length, 2);
  t.deepEqual(seen, [2], 'the listener after the throwing one still ran');
  await new Promise((r) => setImmediate(r));
  t.true(warnings.some((w) => w.code === 'SENTVEC_BATCH_LISTENER' && /metrics broke/.test(w.message)));
  model.scheduler.onBatch = (e) => seen.push(-e.size);
  await model.encode(['three']);
  t.deepEqual(seen, [2, 1, -1], 'the throwing onBatch was replaced');
  model.scheduler.onBatch = undefined;
  t.is(model.scheduler.onBatch, undefined);
  await model.encode(['four']);
  t.deepEqual(seen, [2, 1, -1, 1]);
});
