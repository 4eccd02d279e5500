// sentvec against the references, on the same generated model directories:
// - token ids: Hugging Face's own Rust tokenizer (npm `tokenizers`, what Python's
//   sentence-transformers runs) reading the folder's tokenizer.json, truncation included, on every
//   line of the parity corpus, for every tokenizer the generated models have (XLM-R SentencePiece
//   as is and with do_lower_case, WordPiece cased and uncased); single texts, and pairs through
//   the tokenizer's pair template (the oracle for cross-encoders);
// - embeddings (mean pooling + L2 normalization): transformers.js (@huggingface/transformers
//   4.3.1, offline) running the model on Rust's ids, within 1e-5 on every line.
import test from 'ava';
import { basename, dirname } from 'node:path';
import { AutoModel, Tensor, env, mean_pooling } from '@huggingface/transformers';
import { ensureModel } from '../scripts/model/generate.mjs';
import { parityCorpus } from './fixtures/parity-corpus.mjs';
import { tinyModel, tinyLowerCaseModel } from './helpers/models.mjs';
import { rustIds } from './helpers/rust-tokenizer.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const dir = tinyModel();
env.allowRemoteModels = false;
env.localModelPath = `${dirname(dir)}/`;

const wordPieceModel = (cased) =>
  ensureModel(`tiny-wordpiece-${cased ? 'cased' : 'uncased'}`, {
    architecture: 'bert', tokenizer: 'wordpiece', cased, vocabSize: 6000, maxPositions: 512, maxSeqLength: 128,
  });

// Every generated test model with a tokenizer of its own (the other tiny models share tiny's).
const tokenizerModels = [
  ['XLM-R', () => tinyModel(), false],
  ['XLM-R do_lower_case', () => tinyLowerCaseModel(), true],
  ['WordPiece cased', () => wordPieceModel(true), false],
  ['WordPiece uncased', () => wordPieceModel(false), false],
];
// The corpus plus lines at WordPiece's limits (100 characters a word) and its specials.
const lines = [...parityCorpus, 'x'.repeat(100), 'y'.repeat(101), `${'é'.repeat(101)} tail`, '[CLS] in [SEP] text [MASK]', 'Ünïcödé ÀÉÎ'];

const show = (s) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

test('the parity corpus has more than 300 lines', (t) => {
  t.true(parityCorpus.length >= 300);
});

test('the family emoji (a ZWJ sequence) is one <unk>, as in Hugging Face\'s Rust tokenizer', async (t) => {
  const model = await sentvec.Model.load(dir);
  const [family] = await model.tokenize(['👩‍👩‍👧‍👦 family emoji']);
  const [want] = await rustIds(dir, ['👩‍👩‍👧‍👦 family emoji']);
  t.deepEqual(Array.from(family.ids), want.ids);
  // <s> ▁ <unk> ▁f a m il y ▁ em o j i </s>: the whole cluster is one unknown piece.
  t.is(Array.from(family.ids).filter((id) => id === model.info.specialIds.unknown).length, 1, `ids ${family.ids}`);
  model.dispose();
});

for (const [name, modelDir, lowerCase] of tokenizerModels) {
  for (const maxSeqLength of [128, 512]) {
    test(`${name}: token ids equal Hugging Face's Rust tokenizer on every line (max ${maxSeqLength})`, async (t) => {
      const path = modelDir();
      const model = await sentvec.Model.load(path, { maxSeqLength });
      const ours = await model.tokenize(lines);
      const want = await rustIds(path, lines, { maxLength: maxSeqLength, lowerCase });
      const mismatches = [];
      for (const [i, text] of lines.entries()) {
        const got = Array.from(ours[i].ids);
        if (JSON.stringify(want[i].ids) !== JSON.stringify(got)) mismatches.push(`${i} ${show(text)}\n  want ${want[i].ids.slice(0, 24)}\n  got  ${got.slice(0, 24)}`);
        else if (ours[i].truncated !== want[i].overflowing) mismatches.push(`${i} ${show(text)}: truncated ${ours[i].truncated}, Rust ${want[i].overflowing}`);
      }
      t.log(`${lines.length} lines`);
      t.deepEqual(mismatches, [], `${mismatches.length} of ${lines.length} lines differ:\n${mismatches.slice(0, 5).join('\n')}`);
      model.dispose();
    });
  }

  // sentvec encodes single texts only today; a pair is what a cross-encoder will take. Each pair
  // of neighbouring lines, untruncated, must be Rust's pair template around sentvec's pieces of
  // each text, so that only the pair truncation rule remains for cross-encoders to follow.
  test(`${name}: Rust's pair encoding is its template around sentvec's pieces of each text`, async (t) => {
    const path = modelDir();
    const model = await sentvec.Model.load(path, { maxSeqLength: 512 });
    const { start, end } = model.info.specialIds;
    const ours = await model.tokenize(lines);
    const pairs = [];
    for (let i = 0; i + 1 < lines.length; i++) {
      if (!ours[i].truncated && !ours[i + 1].truncated) pairs.push(i);
    }
    const want = await rustIds(path, pairs.map((i) => [lines[i], lines[i + 1]]), { lowerCase });
    const bert = name.startsWith('WordPiece');
    const mismatches = [];
    for (const [k, i] of pairs.entries()) {
      const a = Array.from(ours[i].ids).slice(1, -1);
      const b = Array.from(ours[i + 1].ids).slice(1, -1);
      // XLM-R: <s> A </s></s> B </s>, all type 0; BERT: [CLS] A [SEP] B [SEP], type 1 from B on.
      const ids = bert ? [start, ...a, end, ...b, end] : [start, ...a, end, end, ...b, end];
      const firstB = bert ? a.length + 2 : ids.length;
      const typeIds = ids.map((_, j) => (j >= firstB ? 1 : 0));
      if (JSON.stringify(want[k].ids) !== JSON.stringify(ids) || JSON.stringify(want[k].typeIds) !== JSON.stringify(typeIds)) {
        mismatches.push(`${i} ${show(lines[i])} + ${show(lines[i + 1])}`);
      }
    }
    t.log(`${pairs.length} pairs`);
    t.true(pairs.length > 500);
    t.deepEqual(mismatches, [], `${mismatches.length} of ${pairs.length} pairs differ:\n${mismatches.slice(0, 5).join('\n')}`);
    model.dispose();
  });
}

test('embeddings (mean + normalize) equal transformers.js within 1e-5 on every line', async (t) => {
  const reference = await AutoModel.from_pretrained(basename(dir), { dtype: 'fp32' });
  const model = await sentvec.Model.load(dir);
  const ours = await model.encode(parityCorpus, { normalize: true });
  const referenceIds = (await rustIds(dir, parityCorpus, { maxLength: model.maxSeqLength })).map((r) => r.ids);
  let worst = 0;
  let worstLine = -1;
  for (let start = 0; start < parityCorpus.length; start += 32) {
    const batch = parityCorpus.slice(start, start + 32);
    const rows = referenceIds.slice(start, start + 32);
    const seq = Math.max(...rows.map((r) => r.length));
    const ids = new BigInt64Array(batch.length * seq).fill(1n);
    const mask = new BigInt64Array(batch.length * seq);
    rows.forEach((r, b) => r.forEach((id, k) => { ids[b * seq + k] = BigInt(id); mask[b * seq + k] = 1n; }));
    const inputs = {
      input_ids: new Tensor('int64', ids, [batch.length, seq]),
      attention_mask: new Tensor('int64', mask, [batch.length, seq]),
      token_type_ids: new Tensor('int64', new BigInt64Array(batch.length * seq), [batch.length, seq]),
    };
    const { last_hidden_state } = await reference(inputs);
    const pooled = mean_pooling(last_hidden_state, inputs.attention_mask).normalize(2, -1);
    const want = pooled.data;
    for (let b = 0; b < batch.length; b++) {
      const row = ours.get(start + b);
      for (let d = 0; d < model.dimension; d++) {
        const delta = Math.abs(row[d] - want[b * model.dimension + d]);
        if (!(delta <= worst)) {
          worst = delta;
          worstLine = start + b;
        }
      }
    }
  }
  t.log(`max |Δ| = ${worst.toExponential(2)} over ${parityCorpus.length} lines`);
  t.true(worst <= 1e-5, `max |Δ| ${worst} on line ${worstLine} ${show(parityCorpus[worstLine] ?? '')}`);
  await reference.dispose();
  model.dispose();
});

test('piece spans: each piece points at the characters it came from, in order, on every line', async (t) => {
  const { createRequire } = await import('node:module');
  const { binding } = createRequire(import.meta.url)('../dist/lib/binding.js');
  for (const [name, modelDir, lower] of [['plain', dir, false], ['lower-case', tinyLowerCaseModel(), true]]) {
    const native = await binding().loadModel({
      onnxPath: `${modelDir}/onnx/model.onnx`, tokenizerPath: `${modelDir}/sentencepiece.bpe.model`, maxSeqLength: 512, doLowerCase: lower,
    });
    const vocabulary = native.vocabulary();
    const plain = await native.tokenize(parityCorpus);
    const r = await native.tokenize(parityCorpus, { spans: true });
    t.deepEqual(r.ids, plain.ids, 'asking for spans changes no id');
    const problems = [];
    for (const [i, text] of parityCorpus.entries()) {
      let previous = [0, 0];
      for (let k = r.offsets[i]; k < r.offsets[i + 1]; k++) {
        const [begin, end] = [r.spans[2 * k], r.spans[2 * k + 1]];
        if (!(begin <= end && end <= text.length && begin >= previous[0] && end >= previous[1])) problems.push(`${i}: [${begin}, ${end}) after [${previous}]`);
        previous = [begin, end];
        const piece = vocabulary[r.ids[k]].replace(/^▁/, '');
        if (r.ids[k] <= 3 || piece === '' || text.slice(begin, end).startsWith('<')) continue;
        // The piece is what normalization made of its characters (one character may give several pieces: ﬁ → f, i).
        let source = text.slice(begin, end).normalize('NFKC').replace(/\s+/g, '');
        // (Lower-cased alone, a final Σ loses the context that makes it ς.)
        if (lower) source = source.toLowerCase();
        // (Rust replaces a cluster under 6 bytes by the rule for its shortest matching prefix, so
        // "a\u0308\u0304" gives "ä": the piece may come from a prefix of its characters.)
        const prefixes = [...text.slice(begin, end)].map((_, k, all) => all.slice(0, k + 1).join('').normalize('NFKC'));
        const fromPrefix = prefixes.some((p) => (lower ? p.toLowerCase() : p).includes(piece));
        if (!fromPrefix && !source.includes(piece) && !source.replace(/σ/g, 'ς').includes(piece)) problems.push(`${i} ${JSON.stringify(text.slice(0, 40))}: piece ${JSON.stringify(piece)} ← ${JSON.stringify(text.slice(begin, end))}`);
      }
    }
    t.deepEqual(problems.slice(0, 10), [], `${name}: ${problems.length} problems`);
    native.dispose();
  }
  // Exact on plain text: the piece is its characters, with "▁" for the space before it.
  const native = await binding().loadModel({ onnxPath: `${dir}/onnx/model.onnx`, tokenizerPath: `${dir}/sentencepiece.bpe.model`, maxSeqLength: 512 });
  const text = 'The night train leaves at ten, from the platform.';
  const r = await native.tokenize([text], { spans: true });
  const vocabulary = native.vocabulary();
  for (let k = 1; k < r.ids.length - 1; k++) {
    const slice = text.slice(r.spans[2 * k], r.spans[2 * k + 1]).replace(/ /g, '▁');
    t.is(k === 1 ? `▁${slice}` : slice, vocabulary[r.ids[k]]);
  }
  native.dispose();
});

// The binding copies a text as JavaScript holds it (UTF-16) and the core makes it UTF-8 where it
// tokenizes it; past 2^24 code units in a call it copies texts in UTF-8 at once (V8's own
// conversion), to bound the call's memory. Both ways must give the core the same bytes, a lone
// surrogate as U+FFFD.
test('texts reach the core intact: the same ids copied as UTF-16 or as UTF-8 (past 2^24 code units), a lone surrogate as U+FFFD', async (t) => {
  const { createRequire } = await import('node:module');
  const { binding } = createRequire(import.meta.url)('../dist/lib/binding.js');
  const native = await binding().loadModel({ onnxPath: `${dir}/onnx/model.onnx`, tokenizerPath: `${dir}/sentencepiece.bpe.model`, maxSeqLength: 512 });
  const text = `${parityCorpus.join('\n')} \ud800 lone \udc00 surrogates \ud83d`;
  const maxLength = 1 << 16;
  const whole = await native.tokenize([text], { maxLength });
  t.is(whole.truncated[0], 0);
  const long = await native.tokenize([`${text} ${'x '.repeat(1 << 23)}`], { maxLength });
  t.is(long.truncated[0], 1);
  const ids = Array.from(whole.ids).slice(0, -1);
  t.deepEqual(Array.from(long.ids.subarray(0, ids.length)), ids);
  t.true(ids.length > 5000, `${ids.length} ids`);
  const replaced = await native.tokenize([text.toWellFormed()], { maxLength });
  t.deepEqual(replaced.ids, whole.ids);
  native.dispose();
});

// BertNormalizer drops "other" characters (Rust's is_other: Cc, Cf, Cs, Co). Its tables come from
// UnicodeData.txt, where no character is Cn, so unassigned code points and noncharacters stay and
// make their word [UNK]; sentvec dropped them (1,448 of 3,000 random texts differed).
for (const cased of [true, false]) {
  test(`WordPiece ${cased ? 'cased' : 'uncased'}: unassigned code points and noncharacters make [UNK], as in the Rust tokenizer; controls, format and private-use characters are dropped`, async (t) => {
    const path = wordPieceModel(cased);
    const model = await sentvec.Model.load(path);
    const texts = ['a\u0378b', 'a\uFFFFb', '\uFFFE.', 'x\u{10FFFF}', '\u{1FFFF}', '\uFDD0', 'a\u{50000}b c', 'x\u{E0080} y', 'a\u200Bb', 'a\u00ADb', 'a\uE001b', 'a\u{F0001}b', 'a\u0085b'];
    const ours = await model.tokenize(texts);
    const want = await rustIds(path, texts, { maxLength: 128 });
    texts.forEach((text, i) => t.deepEqual(Array.from(ours[i].ids), want[i].ids, JSON.stringify(text)));
    t.true(ours.slice(0, 8).every((o) => o.ids.includes(model.info.specialIds.unknown)));
    model.dispose();
  });
}
