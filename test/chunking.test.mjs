// longInputs: 'chunk' against a straightforward re-implementation over the public API: the full
// token sequence (from a model loaded with a longer maxSeqLength), cut into windows of the model's
// length, each embedded alone with encodeTokens, pooled by a token-weighted mean, normalized.
import test from 'ava';
import { ensureModel } from '../scripts/model/generate.mjs';
import { corpusLines } from '../scripts/model/corpus.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, InvalidArgumentError } = sentvec;
const maxDelta = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const normalized = (v) => {
  const n = Math.max(Math.hypot(...v), 1e-12);
  return v.map((x) => x / n);
};
const long = corpusLines().slice(0, 15).join(' '); // 388 pieces: three windows of 126, and a tail
const short = 'The library closes early.';

async function reference(dir, text, { overlap = 0, prompt = '' } = {}) {
  const model = await Model.load(dir, { maxSeqLength: 128 });
  const whole = await Model.load(dir, { maxSeqLength: 512 });
  const tokenized = await whole.tokenize(text);
  if (tokenized.truncated) throw new Error('the reference needs the whole text within 512 tokens');
  const all = Array.from(tokenized.ids).slice(1, -1);
  const promptPieces = prompt ? Array.from((await whole.tokenize(prompt.trimEnd())).ids).slice(1, -1) : [];
  whole.dispose();
  const span = 128 - 2 - promptPieces.length;
  const windows = [];
  for (let start = 0; ; start += span - overlap) {
    const end = Math.min(start + span, all.length);
    windows.push({ start, end, ids: [0, ...promptPieces, ...all.slice(start, end), 2] });
    if (end === all.length) break;
  }
  const vectors = [];
  for (const w of windows) vectors.push(Array.from((await model.encodeTokens([w.ids], { normalize: false })).get(0)));
  const sum = new Array(model.dimension).fill(0);
  let weight = 0;
  windows.forEach((w, j) => {
    vectors[j].forEach((x, d) => (sum[d] += (w.end - w.start) * x));
    weight += w.end - w.start;
  });
  model.dispose();
  return { vector: normalized(sum.map((x) => x / weight)), windows, vectors: vectors.map(normalized), tokens: all.length };
}

test('a long input is split into windows of the model length and pooled by a token-weighted mean', async (t) => {
  const model = await Model.load(tinyModel(), { maxSeqLength: 128 });
  for (const overlap of [0, 16]) {
    const want = await reference(tinyModel(), long, { overlap });
    t.true(want.tokens > 300, `the text has ${want.tokens} tokens`);
    const got = await model.encode([short, long], { longInputs: 'chunk', overlap, normalize: true, windows: true });
    t.deepEqual(got.truncated, [false, false]);
    t.true(maxDelta(got.get(1), want.vector) < 1e-5, `overlap ${overlap}: ${maxDelta(got.get(1), want.vector)}`);
    // The short input is embedded as encode() embeds it.
    t.true(maxDelta(got.get(0), (await model.encode(short, { normalize: true })).get(0)) < 1e-6);
    // Windows: the short input's one, then the long one's, with their token ranges and vectors.
    const { vectors, text, tokenStart, tokenEnd } = got.windows;
    t.is(vectors.length, 1 + want.windows.length);
    t.deepEqual(Array.from(text), [0, ...want.windows.map(() => 1)]);
    t.deepEqual(Array.from(tokenStart).slice(1), want.windows.map((w) => w.start));
    t.deepEqual(Array.from(tokenEnd).slice(1), want.windows.map((w) => w.end));
    want.vectors.forEach((v, j) => t.true(maxDelta(vectors.get(j + 1), v) < 1e-5));
    if (overlap > 0) t.is(want.windows[1].start, want.windows[0].end - overlap);
    // Character offsets: the short input whole; the long one's windows cover it in order, and
    // each window's text, tokenized again, spells the window's pieces (with a "▁" in front where
    // the window starts inside a word).
    const { start, end } = got.windows;
    t.deepEqual([start[0], end[0]], [0, short.length]);
    t.is(start[1], 0);
    t.is(end[end.length - 1], long.length);
    const whole = await Model.load(tinyModel(), { maxSeqLength: 512 });
    for (let j = 1; j < start.length; j++) {
      t.true(start[j] < end[j]);
      if (j > 1) t.true(overlap > 0 ? start[j] < end[j - 1] : start[j] >= end[j - 1] - 1, `window ${j}`);
      const again = (await whole.tokenize(long.slice(start[j], end[j]))).tokens.slice(1, -1).join('');
      const pieces = (await whole.tokenize(long)).tokens.slice(1, -1).slice(tokenStart[j], tokenEnd[j]).join('');
      t.true(again === pieces || again === `▁${pieces}`, `window ${j}: ${again.slice(0, 40)} vs ${pieces.slice(0, 40)}`);
    }
    whole.dispose();
  }
  // Without chunking the same input is truncated, or refused.
  t.deepEqual((await model.encode(long)).truncated, [true]);
  await t.throwsAsync(model.encode(long, { longInputs: 'error' }), { instanceOf: sentvec.InputTooLongError });
  model.dispose();
});

test('chunked windows carry the prompt; dimensions cut the pooled vector', async (t) => {
  const dir = ensureModel('tiny-prompts', { prompts: { query: 'query: ', passage: 'passage: ' }, normalize: true });
  const model = await Model.load(dir, { maxSeqLength: 128 });
  const want = await reference(dir, long, { prompt: 'passage: ' });
  const got = await model.encode(long, { longInputs: 'chunk', promptName: 'passage' });
  t.true(maxDelta(got.get(0), want.vector) < 1e-5);
  const cut = await model.encode(long, { longInputs: 'chunk', promptName: 'passage', dimensions: 8, normalize: false });
  t.is(cut.dimension, 8);
  const full = await model.encode(long, { longInputs: 'chunk', promptName: 'passage', normalize: false });
  t.true(maxDelta(cut.get(0), full.get(0).slice(0, 8)) < 1e-7);
  model.dispose();
});

test('chunking options are checked', async (t) => {
  const model = await Model.load(tinyModel(), { maxSeqLength: 128 });
  await t.throwsAsync(model.encode(long, { longInputs: 'chunk', overlap: 64 }), { instanceOf: InvalidArgumentError, message: /overlap/ });
  await t.throwsAsync(model.encode(long, { longInputs: 'split' }), { instanceOf: InvalidArgumentError, message: /'truncate', 'error' or 'chunk' for longInputs/ });
  await t.throwsAsync(model.encode(long, { overlap: 4 }), { instanceOf: InvalidArgumentError, message: /longInputs: 'chunk' only/ });
  await t.throwsAsync(model.encode(long, { longInputs: 'chunk', truncate: false }), { instanceOf: InvalidArgumentError, message: /contradicts/ });
  t.deepEqual((await model.encode(long, { longInputs: 'truncate', truncate: true })).truncated, [true]);
  model.dispose();
});
