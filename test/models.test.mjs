// The tested models: for each real model of the XLM-R tokenizer family, a generated twin with its
// repository's config files, vocabulary, layers and heads (scripts/model/generate.mjs REAL_MODELS,
// testTwin). sentvec must read each as sentence-transformers does (architecture, position limit,
// pooling, Normalize, max_seq_length, prompts) and match the references on the same files: token
// ids identical to Hugging Face's Rust tokenizer (what Python runs), vectors within 1e-5 of
// transformers.js running the model on those ids.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AutoModel, Tensor, env, mean_pooling } from '@huggingface/transformers';
import { parityCorpus } from './fixtures/parity-corpus.mjs';
import { REAL_MODELS, ensureModel, testTwin } from '../scripts/model/generate.mjs';
import { rustIds } from './helpers/rust-tokenizer.mjs';
import { sentvec } from './helpers/sentvec.mjs';

env.allowRemoteModels = false;

// What sentence-transformers makes of each repository's files.
const expected = {
  'sentence-transformers/paraphrase-multilingual-mpnet-base-v2': { maxSeqLength: 128, limit: 512, normalize: false },
  'sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2': { maxSeqLength: 128, limit: 512, normalize: false },
  'intfloat/multilingual-e5-small': { maxSeqLength: 512, limit: 512, normalize: true },
  'intfloat/multilingual-e5-base': { maxSeqLength: 512, limit: 512, normalize: true },
  'intfloat/multilingual-e5-large': { maxSeqLength: 512, limit: 512, normalize: true },
  'BAAI/bge-m3': { maxSeqLength: 8192, limit: 8192, normalize: true },
  'sentence-transformers/all-MiniLM-L6-v2': { maxSeqLength: 256, limit: 512, normalize: true },
  'BAAI/bge-small-en-v1.5': { maxSeqLength: 512, limit: 512, normalize: true },
  'sentence-transformers/LaBSE': { maxSeqLength: 256, limit: 512, normalize: true },
  'sentence-transformers/distiluse-base-multilingual-cased-v2': { maxSeqLength: 128, limit: 512, normalize: false },
};

// A Dense module's weights, read straight from its safetensors file (F32 only, as the generator writes it).
function denseLayer(dir) {
  const bytes = readFileSync(join(dir, '2_Dense/model.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
  const tensor = (name) => {
    const [a, b] = header[name].data_offsets;
    return { shape: header[name].shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + n + a, bytes.byteOffset + 8 + n + b)) };
  };
  return { weight: tensor('linear.weight'), bias: tensor('linear.bias') };
}

// SENTVEC_FULL_TWINS=1 runs the same checks on twins of the real widths (several GB; not in CI).
const fullShape = process.env.SENTVEC_FULL_TWINS === '1';
const twinDir = (id) => ensureModel(`twin-${id.replace('/', '_')}${fullShape ? '-full' : ''}`, testTwin(id, { fullShape }));

// Lines of every script and edge case, a few long ones (truncated at 128 tokens), and one of
// ~1,500 tokens (whole under a 512 or 8192 limit).
const texts = [...parityCorpus.filter((_, i) => i % 4 === 0), parityCorpus.slice(0, 60).join(' ')];

async function reference(dir, id, maxSeqLength) {
  env.localModelPath = `${dirname(dir)}/`;
  const real = REAL_MODELS[id];
  const model = await AutoModel.from_pretrained(basename(dir), { dtype: 'fp32', use_external_data_format: real.externalData === true });
  // Rust truncates as sentence-transformers does; do_lower_case lower-cases in Python first.
  const ids = (await rustIds(dir, texts, { maxLength: maxSeqLength, lowerCase: real.doLowerCase === true })).map((r) => r.ids);
  const vectors = [];
  for (const [i, row] of ids.entries()) {
    const seq = row.length;
    const inputs = {
      input_ids: new Tensor('int64', BigInt64Array.from(row, BigInt), [1, seq]),
      attention_mask: new Tensor('int64', new BigInt64Array(seq).fill(1n), [1, seq]),
      // (DistilBERT takes no token types.)
      ...(real.architecture === 'distilbert' ? {} : { token_type_ids: new Tensor('int64', new BigInt64Array(seq), [1, seq]) }),
    };
    const { last_hidden_state } = await model(inputs);
    let pooled = real.pooling === 'cls' ? last_hidden_state.slice(null, 0, null) : mean_pooling(last_hidden_state, inputs.attention_mask);
    let vector = Array.from(pooled.data);
    if (real.denseOut) {
      // Dense: tanh(W x + b).
      const { weight, bias } = denseLayer(dir);
      const [out, inFeatures] = weight.shape;
      vector = Array.from({ length: out }, (_, o) => {
        let sum = bias.data[o];
        for (let k = 0; k < inFeatures; k++) sum += weight.data[o * inFeatures + k] * vector[k];
        return Math.tanh(sum);
      });
    }
    if (real.normalize) {
      const norm = Math.max(Math.hypot(...vector), 1e-12);
      vector = vector.map((x) => x / norm);
    }
    vectors[i] = vector;
  }
  await model.dispose();
  return { ids, vectors };
}

for (const id of Object.keys(REAL_MODELS)) {
  test.serial(`${id}: read as sentence-transformers does, token ids equal Rust's, vectors transformers.js's`, async (t) => {
    const dir = twinDir(id);
    const real = REAL_MODELS[id];
    const want = expected[id];
    const model = await sentvec.Model.load(dir, { threads: 1 });
    t.is(model.maxSeqLength, want.maxSeqLength);
    // Exports over 2 GB keep their weights beside the model file, as these twins do.
    t.is(existsSync(join(dir, 'onnx/model.onnx_data')), real.externalData === true);
    t.is(model.dimension, testTwin(id, { fullShape }).denseOut ?? (fullShape ? real.hidden : real.heads * 4));
    // The position limit: XLM-R reserves two rows of its table, BERT none.
    await sentvec.Model.load(dir, { maxSeqLength: want.limit, threads: 1, scheduler: false }).then((m) => m.dispose());
    await t.throwsAsync(sentvec.Model.load(dir, { maxSeqLength: want.limit + 1, threads: 1 }), {
      instanceOf: sentvec.InvalidArgumentError,
      message: new RegExp(`exceeds the ${want.limit} tokens this model's position embeddings allow`),
    });

    const ref = await reference(dir, id, model.maxSeqLength);
    const ours = await model.tokenize(texts);
    const mismatched = texts.map((_, i) => i).filter((i) => JSON.stringify(Array.from(ours[i].ids)) !== JSON.stringify(ref.ids[i]));
    t.deepEqual(mismatched, [], `token ids differ on lines ${mismatched.slice(0, 5)}`);
    const embeddings = await model.encode(texts);
    t.is(model.normalize, want.normalize);
    t.deepEqual(model.pooling, [real.pooling]);
    let worst = 0;
    for (let i = 0; i < texts.length; i++) {
      const row = embeddings.get(i);
      for (let d = 0; d < model.dimension; d++) worst = Math.max(worst, Math.abs(row[d] - ref.vectors[i][d]));
    }
    t.log(`max |Δ| = ${worst.toExponential(2)} over ${texts.length} texts (longest ${Math.max(...ref.ids.map((r) => r.length))} tokens)`);
    t.true(worst <= 1e-5, `max |Δ| ${worst}`);
    model.dispose();
  });
}

test('tokenizers sentvec cannot run, and WordPiece files that do not fit, get one error naming what is wrong', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-wordpiece-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(twinDir('sentence-transformers/all-MiniLM-L6-v2'), dir, { recursive: true });
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const cases = [
    [{ ...tokenizer, model: { ...tokenizer.model, type: 'BPE' } }, /the tokenizer model is "BPE"; sentvec runs WordPiece \(BERT\) and SentencePiece \(XLM-R\) tokenizers/],
    [{ ...tokenizer, normalizer: { type: 'NFC' } }, /the normalizer is "NFC"; sentvec runs WordPiece tokenizers with a BertNormalizer/],
    [{ ...tokenizer, pre_tokenizer: { type: 'Whitespace' } }, /the pre-tokenizer is "Whitespace"/],
    [{ ...tokenizer, model: { ...tokenizer.model, unk_token: '[NOPE]' } }, /the unknown token "\[NOPE\]" is not in the WordPiece vocabulary/],
    [{ ...tokenizer, model: { ...tokenizer.model, vocab: { '[PAD]': 0, '[UNK]': 5 } } }, /token id 1 is missing from the vocabulary/],
  ];
  for (const [json, message] of cases) {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    await t.throwsAsync(sentvec.Model.load(dir), { instanceOf: sentvec.ModelFileError, message });
  }
  // vocab.txt alone (an older repository) is read as BertTokenizer reads it: the same ids.
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const fromJson = await sentvec.Model.load(dir);
  rmSync(join(dir, 'tokenizer.json'));
  const fromVocab = await sentvec.Model.load(dir);
  const sample = texts.slice(0, 60);
  t.deepEqual((await fromVocab.tokenize(sample)).map((x) => Array.from(x.ids)), (await fromJson.tokenize(sample)).map((x) => Array.from(x.ids)));
  fromJson.dispose();
  fromVocab.dispose();
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'roberta' }));
  await t.throwsAsync(sentvec.Model.load(dir), {
    instanceOf: sentvec.ModelFileError,
    message: /model_type is "roberta"; sentvec runs encoders of model_type "xlm-roberta" or "bert"/,
  });
});

test('long inputs run in bounded memory: batches shrink with length (bge-m3 layout, 2 layers)', async (t) => {
  // 32 inputs of 1,024 tokens: one batch of them would hold 32 × 16 heads × 1024² × 4 bytes = 2 GiB
  // per attention tensor; bounded batches (4 inputs here) hold 256 MiB.
  const dir = ensureModel('twin-bge-m3-2-layers', { ...testTwin('BAAI/bge-m3'), layers: 2 });
  const child = `
    const { Model } = require(${JSON.stringify(join(dirname(new URL(import.meta.url).pathname), '..'))});
    (async () => {
      const model = await Model.load(${JSON.stringify(dir)}, { maxSeqLength: 1024, threads: 1, scheduler: false });
      const text = 'alpha beta gamma delta '.repeat(1024);
      const before = process.resourceUsage().maxRSS;
      const e = await model.encode(Array(32).fill(text), { batchSize: 32 });
      console.log(JSON.stringify({ n: e.length, truncated: e.truncated.every(Boolean), grewMiB: (process.resourceUsage().maxRSS - before) / 1024 }));
    })();`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', child], { encoding: 'utf8' }));
  t.log(`peak RSS grew by ${Math.round(out.grewMiB)} MiB for 32 inputs of 1,024 tokens`);
  t.is(out.n, 32);
  t.true(out.truncated);
  t.true(out.grewMiB < 1536, `peak RSS grew by ${out.grewMiB} MiB`);
});

test('Dense modules: a missing, pickled, corrupt or mismatched weights file, or an unknown activation, is a ModelFileError naming it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-dense-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(twinDir('sentence-transformers/distiluse-base-multilingual-cased-v2'), dir, { recursive: true });
  const weights = join(dir, '2_Dense/model.safetensors');
  const good = readFileSync(weights);
  const config = readFileSync(join(dir, '2_Dense/config.json'), 'utf8');
  const header = Number(good.readBigUInt64LE(0));
  const withHeader = (edit) => {
    const json = JSON.parse(good.subarray(8, 8 + header).toString());
    edit(json);
    const text = Buffer.from(JSON.stringify(json));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(text.length));
    return Buffer.concat([length, text, good.subarray(8 + header)]);
  };
  const nan = Buffer.from(good);
  nan.writeFloatLE(NaN, 8 + header + 4 * 5);
  const cases = [
    [good.subarray(0, good.length - 10), /linear\.(weight|bias) .* does not fit its byte range/],
    [Buffer.from('xx'), /shorter than a safetensors header/],
    [Buffer.concat([Buffer.from([255, 255, 255, 255, 0, 0, 0, 0]), good.subarray(8)]), /the header length is larger than the file/],
    [withHeader((j) => (j['linear.weight'].dtype = 'I8')), /dtype "I8"; sentvec reads F32, F16, BF16 and F64/],
    [withHeader((j) => (j['linear.weight'].shape = [j['linear.weight'].shape[1], j['linear.weight'].shape[0]])), /expected linear\.weight of 32 × 48 \(config\.json\), found 48 × 32/],
    [withHeader((j) => delete j['linear.bias']), /expected linear\.bias of 32 values, found none/],
    [nan, /linear\.weight holds a NaN or infinity at 5/],
  ];
  for (const [bytes, message] of cases) {
    writeFileSync(weights, bytes);
    await t.throwsAsync(sentvec.Model.load(dir), { instanceOf: sentvec.ModelFileError, message }, String(message));
  }
  rmSync(weights);
  writeFileSync(join(dir, '2_Dense/pytorch_model.bin'), 'pickle');
  await t.throwsAsync(sentvec.Model.load(dir), { instanceOf: sentvec.ModelFileError, message: /pytorch_model\.bin only.*convert it once with python -c/ });
  writeFileSync(weights, good);
  writeFileSync(join(dir, '2_Dense/config.json'), JSON.stringify({ ...JSON.parse(config), activation_function: 'torch.nn.modules.activation.Softplus' }));
  await t.throwsAsync(sentvec.Model.load(dir), { instanceOf: sentvec.ModelFileError, message: /activation_function torch\.nn\.modules\.activation\.Softplus is not supported/ });
  writeFileSync(join(dir, '2_Dense/config.json'), JSON.stringify({ ...JSON.parse(config), in_features: 40 }));
  await t.throwsAsync(sentvec.Model.load(dir), { instanceOf: sentvec.ModelFileError, message: /expected linear\.weight of 32 × 40/ });
  writeFileSync(join(dir, '2_Dense/config.json'), config);
  const model = await sentvec.Model.load(dir);
  t.is(model.dimension, 32);
  model.dispose();
});
