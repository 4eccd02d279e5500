// Prompts (config_sentence_transformers.json prompts / default_prompt_name, Pooling's
// include_prompt) and Matryoshka dimensions (truncate_dim, encode's dimensions), against a
// re-implementation of sentence-transformers' rules over transformers.js on the same files.
import test from 'ava';
import { basename, dirname } from 'node:path';
import { AutoModel, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { ensureModel } from '../scripts/model/generate.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, InvalidArgumentError } = sentvec;
const prompts = { query: 'query: ', passage: 'passage: ' };
// Like multilingual-e5 (prompts, Normalize), plus include_prompt: false and truncate_dim.
const excludingDir = ensureModel('tiny-prompts-excluded', { prompts, defaultPromptName: 'query', includePrompt: false, truncateDim: 16, normalize: true });
const includingDir = ensureModel('tiny-prompts', { prompts, normalize: true });
const texts = ['The library closes early.', '図書館は早く閉まります。', 'a', '', 'x '.repeat(300)];

const maxDelta = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
function normalized(v) {
  const n = Math.max(Math.hypot(...v), 1e-12);
  return v.map((x) => x / n);
}

// sentence-transformers: prompt + text; prompt_length = len(tokenize(prompt)) − 1 tokens left out
// of mean pooling when include_prompt is false; Normalize; then the first truncate_dim values.
async function reference(dir, prompt, maxSeqLength, includePrompt, dimensions) {
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const model = await AutoModel.from_pretrained(basename(dir), { dtype: 'fp32' });
  const promptLength = tokenizer(prompt).input_ids.dims[1] - 1;
  const rows = [];
  for (const text of texts) {
    let ids = tokenizer(prompt + text).input_ids.tolist()[0].map(Number);
    if (ids.length > maxSeqLength) ids = [...ids.slice(0, maxSeqLength - 1), 2];
    const seq = ids.length;
    const inputs = {
      input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, seq]),
      attention_mask: new Tensor('int64', new BigInt64Array(seq).fill(1n), [1, seq]),
      token_type_ids: new Tensor('int64', new BigInt64Array(seq), [1, seq]),
    };
    const hidden = (await model(inputs)).last_hidden_state;
    const width = hidden.dims[2];
    const from = includePrompt ? 0 : Math.min(promptLength, seq);
    const sum = new Array(width).fill(0);
    for (let t = from; t < seq; t++) for (let h = 0; h < width; h++) sum[h] += hidden.data[t * width + h];
    const mean = sum.map((x) => x / Math.max(seq - from, 1e-9));
    rows.push(normalized(normalized(mean).slice(0, dimensions)));
  }
  await model.dispose();
  return rows;
}

test('the model reads prompts, default_prompt_name, include_prompt and truncate_dim', async (t) => {
  const model = await Model.load(excludingDir);
  t.deepEqual({ ...model.prompts }, prompts);
  t.is(model.defaultPromptName, 'query');
  t.false(model.includePrompt);
  t.is(model.dimension, 16);
  t.is(model.info.dimension, 32);
  model.dispose();
  const plain = await Model.load(includingDir);
  t.is(plain.defaultPromptName, undefined);
  t.true(plain.includePrompt);
  t.is(plain.dimension, 32);
  plain.dispose();
});

for (const scheduler of [true, false]) {
  test(`include_prompt: false leaves the prompt out of pooling, as sentence-transformers does (scheduler ${scheduler})`, async (t) => {
    const model = await Model.load(excludingDir, { scheduler });
    const want = await reference(excludingDir, 'passage: ', model.maxSeqLength, false, 16);
    // One call per text goes through the scheduler when it is on; all at once goes straight to native code.
    const rows = [];
    for (const text of texts) rows.push(...(await model.encode([text], { promptName: 'passage' })).toArray());
    const together = (await model.encode(texts, { prompt: 'passage: ', batchSize: 2 })).toArray();
    for (let i = 0; i < texts.length; i++) {
      t.true(maxDelta(rows[i], want[i]) < 1e-5, `text ${i}: ${maxDelta(rows[i], want[i])}`);
      t.true(maxDelta(together[i], want[i]) < 1e-5, `text ${i} (one call): ${maxDelta(together[i], want[i])}`);
    }
    // No prompt given: the default one (query).
    const byDefault = (await model.encode(texts)).toArray();
    const query = await reference(excludingDir, 'query: ', model.maxSeqLength, false, 16);
    for (let i = 0; i < texts.length; i++) t.true(maxDelta(byDefault[i], query[i]) < 1e-5);
    model.dispose();
  });
}

test('with include_prompt (the default) a prompt is just text in front', async (t) => {
  const model = await Model.load(includingDir);
  const want = await reference(includingDir, 'query: ', model.maxSeqLength, true, 32);
  const got = (await model.encode(texts, { promptName: 'query' })).toArray();
  const same = (await model.encode(texts.map((x) => `query: ${x}`))).toArray();
  for (let i = 0; i < texts.length; i++) {
    t.true(maxDelta(got[i], want[i]) < 1e-5);
    t.deepEqual(got[i], same[i]);
  }
  model.dispose();
});

test('prompt errors name what is wrong', async (t) => {
  const model = await Model.load(excludingDir);
  await t.throwsAsync(model.encode('x', { promptName: 'document' }), {
    instanceOf: InvalidArgumentError,
    message: /Expected one of this model's prompt names \(query, passage\) for promptName but received the string "document"/,
  });
  await t.throwsAsync(model.encode('x', { prompt: 'q: ', promptName: 'query' }), { instanceOf: InvalidArgumentError, message: /prompt or promptName, not both/ });
  await t.throwsAsync(model.encode('x', { prompt: 42 }), { instanceOf: InvalidArgumentError, message: /Expected a string for prompt/ });
  await t.throwsAsync(Model.load(includingDir, { defaultPromptName: 'nope' }), { instanceOf: InvalidArgumentError, message: /not one of the prompts \(query, passage\)/ });
  model.dispose();
});

test('dimensions keeps the first values and renormalizes, in every path; truncateDim is the default', async (t) => {
  const model = await Model.load(includingDir);
  const full = (await model.encode(texts, { normalize: false })).toArray();
  for (const dimensions of [1, 8, 31, 32]) {
    const want = full.map((row) => normalized(row.slice(0, dimensions)));
    const direct = await model.encode(texts, { dimensions });
    t.is(direct.dimension, dimensions);
    const scheduled = await model.encode(texts.slice(0, 1), { dimensions });
    t.true(maxDelta(scheduled.get(0), want[0]) < 1e-6);
    direct.toArray().forEach((row, i) => t.true(maxDelta(row, want[i]) < 1e-6, `dimensions ${dimensions}, text ${i}`));
    const raw = await model.encode(texts, { dimensions, normalize: false });
    raw.toArray().forEach((row, i) => t.true(maxDelta(row, full[i].slice(0, dimensions)) < 1e-6));
  }
  await t.throwsAsync(model.encode('x', { dimensions: 33 }), { instanceOf: InvalidArgumentError, message: /dimensions/ });
  await t.throwsAsync(model.encode('x', { dimensions: 0 }), { instanceOf: InvalidArgumentError, message: /dimensions/ });
  model.dispose();
  const truncated = await Model.load(includingDir, { truncateDim: 8 });
  t.is(truncated.dimension, 8);
  t.is((await truncated.encode(texts)).dimension, 8);
  t.is((await truncated.encodeTokens([[0, 2]])).dimension, 8);
  t.is((await truncated.encode('x', { dimensions: 32 })).dimension, 32);
  truncated.dispose();
  await t.throwsAsync(Model.load(includingDir, { truncateDim: 33 }), { instanceOf: InvalidArgumentError, message: /truncateDim 33 exceeds the model's dimension 32/ });
});
