#!/usr/bin/env node
// Generates a random-weight sentence-transformers model of the XLM-RoBERTa architecture in the
// layout of a Hugging Face repository, so that sentvec and transformers.js load the same folder:
//   config.json, sentencepiece.bpe.model, tokenizer.json, tokenizer_config.json,
//   special_tokens_map.json, sentence_bert_config.json, modules.json, 1_Pooling/config.json,
//   onnx/model.onnx
// Deterministic for a given spec. Usage: node scripts/model/generate.mjs <dir> [--layers N ...]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs';
import { corpusLines } from './corpus.mjs';

const { onnx } = onnxProto;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Bump when the generator's output changes, so cached models are rebuilt.
const GENERATOR_VERSION = 2;

/**
 * Random-weight "shape twins" of the real models, for benchmarks: the same layers, widths and
 * vocabulary size (250,002 tokens: the trained vocabulary padded with synthetic pieces).
 */
export const TWINS = {
  'mpnet-base-twin': { layers: 12, hidden: 768, heads: 12, intermediate: 3072, maxPositions: 514, vocabPieces: 250000, seed: 7 },
  'minilm-l12-twin': { layers: 12, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 514, vocabPieces: 250000, seed: 8 },
};

/** The tiny model the tests use. */
export const TINY = {
  layers: 2, hidden: 32, heads: 4, intermediate: 64, maxPositions: 514, vocabSize: 1200,
  maxSeqLength: 128, doLowerCase: false, tokenTypeIds: true, pooledOutput: false, seed: 42,
  pooling: 'mean',
};

// ---------- SentencePiece ----------

function spmTrainBinary() {
  const local = join(root, 'deps/sentencepiece/bin/spm_train');
  if (existsSync(local)) return local;
  return 'spm_train';
}

function trainSentencePiece(dir, vocabSize, extraLines = []) {
  const input = join(dir, 'spm-corpus.txt');
  writeFileSync(input, [...corpusLines(), ...extraLines].join('\n') + '\n');
  execFileSync(spmTrainBinary(), [
    `--input=${input}`, `--model_prefix=${join(dir, 'sentencepiece.bpe')}`,
    `--vocab_size=${vocabSize}`, '--hard_vocab_limit=false', '--model_type=unigram',
    '--character_coverage=0.9995', '--num_threads=1', '--normalization_rule_name=nmt_nfkc',
    '--minloglevel=2',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(input);
  rmSync(join(dir, 'sentencepiece.bpe.vocab'));
}

// Appends synthetic pieces to a serialized SentencePiece ModelProto until it has `total` pieces.
// Repeated fields may be continued anywhere in a protobuf message, so appending entries of field
// 1 (pieces) to the end is a valid encoding. The pieces are made of private-use characters that
// real text does not contain, and score below every trained piece.
function padVocabulary(dir, total) {
  const path = join(dir, 'sentencepiece.bpe.model');
  const bytes = readFileSync(path);
  const proto = spmRoot.lookupType('ModelProto').decode(bytes);
  const have = proto.pieces.length;
  if (have >= total) return;
  const minScore = Math.min(...proto.pieces.map((p) => p.score));
  const writer = protobuf.Writer.create();
  for (let i = 0; i < total - have; i++) {
    const piece = `\uF8FF\uF8FE${i.toString(36)}`;
    writer.uint32(10).fork().uint32(10).string(piece).uint32(21).float(minScore - 1 - i / (total - have)).ldelim();
  }
  writeFileSync(path, Buffer.concat([bytes, writer.finish()]));
}

const spmRoot = protobuf.Root.fromJSON({
  nested: {
    ModelProto: {
      fields: {
        pieces: { rule: 'repeated', type: 'Piece', id: 1 },
        normalizerSpec: { type: 'NormalizerSpec', id: 3 },
      },
      nested: {
        Piece: { fields: { piece: { type: 'string', id: 1 }, score: { type: 'float', id: 2 }, type: { type: 'int32', id: 3 } } },
      },
    },
    NormalizerSpec: { fields: { name: { type: 'string', id: 1 }, precompiledCharsmap: { type: 'bytes', id: 2 } } },
  },
});

/** The tokenizer.json that transformers' XLMRobertaConverter writes for this spm model. */
function tokenizerJson(spmBytes) {
  const proto = spmRoot.lookupType('ModelProto').decode(spmBytes);
  const pieces = proto.pieces;
  const vocab = [['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0]];
  for (const p of pieces.slice(3)) vocab.push([p.piece, p.score]);
  vocab.push(['<mask>', 0]);
  const maskId = vocab.length - 1;
  const special = (id, content, lstrip = false) => ({
    id, content, single_word: false, lstrip, rstrip: false, normalized: false, special: true,
  });
  const metaspace = { replacement: '▁', prepend_scheme: 'always', split: true };
  return {
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '<s>'), special(1, '<pad>'), special(2, '</s>'), special(3, '<unk>'),
        special(maskId, '<mask>', true)],
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Precompiled', precompiled_charsmap: Buffer.from(proto.normalizerSpec.precompiledCharsmap).toString('base64') },
          { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
        ],
      },
      pre_tokenizer: { type: 'Metaspace', ...metaspace },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
        special_tokens: {
          '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
          '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
        },
      },
      decoder: { type: 'Metaspace', ...metaspace },
      model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
    },
    vocabSize: vocab.length,
  };
}

// ---------- ONNX ----------

function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (std) => {
    const u = Math.max(next(), 1e-12);
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** IEEE half-precision bits of `value`, rounded to nearest even (Node 20 has no Float16Array). */
export function toHalfBits(value) {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  let shift = 13;
  let half;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    shift = 14 - e;
    half = mantissa >>> shift;
  } else {
    half = (e << 10) | (mantissa >>> 13);
  }
  const rest = mantissa & ((1 << shift) - 1);
  const mid = 1 << (shift - 1);
  // A carry out of the mantissa correctly moves into the exponent (up to infinity).
  if (rest > mid || (rest === mid && (half & 1))) half++;
  return sign | half;
}

class GraphBuilder {
  /** fp16: float tensors, casts and outputs in half precision, as in a model_fp16.onnx export. */
  constructor(seed, fp16 = false) {
    this.nodes = [];
    this.initializers = [];
    this.normal = rng(seed);
    this.counter = 0;
    this.float = fp16 ? FLOAT16 : FLOAT;
  }
  name(prefix) { return `${prefix}_${this.counter++}`; }
  tensor(name, dims, values, type = FLOAT) {
    let data;
    if (type === INT64) data = BigInt64Array.from(values.map(BigInt));
    else if (this.float === FLOAT16) {
      // A loop: Uint16Array.from(values, fn) builds a JS array as large as the embedding table.
      data = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) data[i] = toHalfBits(values[i]);
    }
    else data = Float32Array.from(values);
    this.initializers.push({ name, dims, dataType: type === INT64 ? INT64 : this.float, rawData: new Uint8Array(data.buffer) });
    return name;
  }
  random(name, dims, std) {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = this.normal(std);
    return this.tensor(name, dims, values);
  }
  filled(name, dims, value) {
    return this.tensor(name, dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(value));
  }
  node(op, inputs, attrs = {}, output = this.name(op.toLowerCase())) {
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
      if (Number.isInteger(v) && name !== 'epsilon') return { name, type: A.INT, i: v };
      return { name, type: A.FLOAT, f: v };
    });
    this.nodes.push({ opType: op, input: inputs, output: [output], name: output, attribute });
    return output;
  }
  linear(x, inDim, outDim, prefix, std) {
    const w = this.random(`${prefix}.weight`, [inDim, outDim], std);
    const b = this.random(`${prefix}.bias`, [outDim], std);
    return this.node('Add', [this.node('MatMul', [x, w]), b]);
  }
  layerNorm(x, dim, prefix) {
    const g = this.tensor(`${prefix}.gamma`, [dim], Array.from({ length: dim }, () => 1 + this.normal(0.05)));
    const b = this.random(`${prefix}.beta`, [dim], 0.05);
    return this.node('LayerNormalization', [x, g, b], { axis: -1, epsilon: 1e-5 });
  }
}

function buildOnnx(spec, vocabRows, fp16 = false) {
  const { layers, hidden, heads, intermediate, maxPositions, tokenTypeIds, pooledOutput } = spec;
  if (hidden % heads !== 0) throw new Error('hidden must be a multiple of heads');
  const headDim = hidden / heads;
  const g = new GraphBuilder(spec.seed, fp16);
  const FLOAT = g.float;
  const std = 0.1;
  const i64 = (name, values, dims = [values.length]) => g.tensor(name, dims, values, INT64);

  // XLM-R position ids: padding_idx + cumulative count of non-pad tokens (pad positions get 1).
  const pad = i64('pad_id', [1], []);
  const notPad = g.node('Cast', [g.node('Not', [g.node('Equal', ['input_ids', pad])])], { to: INT64 });
  const positions = g.node('Add', [g.node('Mul', [g.node('CumSum', [notPad, i64('axis1', [1], [])]), notPad]), pad]);
  const words = g.node('Gather', [g.random('word_embeddings', [vocabRows, hidden], std), 'input_ids']);
  const pos = g.node('Gather', [g.random('position_embeddings', [maxPositions, hidden], std), positions]);
  let sum = g.node('Add', [words, pos]);
  const typeTable = g.random('token_type_embeddings', [1, hidden], std);
  sum = tokenTypeIds
    ? g.node('Add', [sum, g.node('Gather', [typeTable, 'token_type_ids'])])
    : g.node('Add', [sum, g.node('Squeeze', [typeTable, i64('axis0', [0])])]);
  let x = g.layerNorm(sum, hidden, 'embeddings.LayerNorm');

  // Additive attention mask: 0 for tokens, -1e9 for padding, shaped batch × 1 × 1 × sequence.
  const maskF = g.node('Cast', ['attention_mask'], { to: FLOAT });
  // -1e4 in half precision (its largest finite value is 65504); either way exp() is 0.
  const bias = g.node('Mul', [g.node('Sub', [g.filled('one', [], 1), maskF]), g.filled('neg', [], fp16 ? -1e4 : -1e9)]);
  const bias4 = g.node('Unsqueeze', [bias, i64('axes12', [1, 2])]);
  const splitHeads = i64('split_heads', [0, 0, heads, headDim]);
  const mergeHeads = i64('merge_heads', [0, 0, hidden]);
  const scale = g.filled('scale', [], 1 / Math.sqrt(headDim));
  const half = g.filled('half', [], 0.5);
  const sqrt2 = g.filled('sqrt2', [], Math.SQRT2);

  for (let l = 0; l < layers; l++) {
    const p = `layer.${l}`;
    const heads4 = (t, perm) => g.node('Transpose', [g.node('Reshape', [t, splitHeads])], { perm });
    const q = heads4(g.linear(x, hidden, hidden, `${p}.query`, std), [0, 2, 1, 3]);
    const k = heads4(g.linear(x, hidden, hidden, `${p}.key`, std), [0, 2, 3, 1]);
    const v = heads4(g.linear(x, hidden, hidden, `${p}.value`, std), [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [q, k]), scale]), bias4]);
    const probs = g.node('Softmax', [scores], { axis: -1 });
    const context = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergeHeads]);
    const attn = g.linear(context, hidden, hidden, `${p}.output`, std);
    const x1 = g.layerNorm(g.node('Add', [attn, x]), hidden, `${p}.attention.LayerNorm`);
    const f = g.linear(x1, hidden, intermediate, `${p}.intermediate`, std);
    const gelu = g.node('Mul', [g.node('Mul', [f, half]), g.node('Add', [g.filled(`${p}.one`, [], 1), g.node('Erf', [g.node('Div', [f, sqrt2])])])]);
    const f2 = g.linear(gelu, intermediate, hidden, `${p}.ffn_output`, std);
    x = g.layerNorm(g.node('Add', [f2, x1]), hidden, `${p}.output.LayerNorm`);
  }
  // Tests use a large outputScale to make a float16 export overflow, as real ones sometimes do.
  if (spec.outputScale) x = g.node('Mul', [x, g.filled('output_scale', [], spec.outputScale)]);
  g.node('Identity', [x], {}, 'last_hidden_state');
  const dims2 = [{ dimParam: 'batch' }, { dimParam: 'sequence' }];
  const outputs = [{ name: 'last_hidden_state', type: { tensorType: { elemType: FLOAT, shape: { dim: [...dims2, { dimValue: hidden }] } } } }];
  if (pooledOutput) {
    // Masked mean inside the graph, as some sentence-transformers exports have it.
    const m3 = g.node('Unsqueeze', [maskF, i64('axis2', [2])]);
    const summed = g.node('ReduceSum', [g.node('Mul', ['last_hidden_state', m3]), i64('axes1', [1])], { keepdims: 0 });
    const counts = g.node('Max', [g.node('ReduceSum', [m3, i64('axes1b', [1])], { keepdims: 0 }), g.filled('tiny', [], fp16 ? 1e-4 : 1e-9)]);
    g.node('Div', [summed, counts], {}, 'sentence_embedding');
    outputs.push({ name: 'sentence_embedding', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: hidden }] } } } });
  }
  const input = (name) => ({ name, type: { tensorType: { elemType: INT64, shape: { dim: dims2 } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sentvec-model-generator',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'xlm_roberta_random',
      node: g.nodes,
      initializer: g.initializers,
      input: [input('input_ids'), input('attention_mask'), ...(tokenTypeIds ? [input('token_type_ids')] : [])],
      output: outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---------- the repository layout ----------

function writeJson(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** Writes a model into `dir` (replacing it atomically). Returns `dir`. */
export function generateModel(dir, options = {}) {
  const spec = { ...TINY, ...options };
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  trainSentencePiece(tmp, spec.vocabSize);
  if (spec.vocabPieces) padVocabulary(tmp, spec.vocabPieces);
  const spm = readFileSync(join(tmp, 'sentencepiece.bpe.model'));
  const { json, vocabSize } = tokenizerJson(spm);
  const rows = Math.max(vocabSize, spec.embeddingRows ?? 0);
  writeFileSync(join(tmp, 'onnx/model.onnx'), buildOnnx(spec, rows));
  // The same weights in half precision, where Hugging Face repositories keep such an export.
  if (spec.fp16File) writeFileSync(join(tmp, 'onnx/model_fp16.onnx'), buildOnnx(spec, rows, true));
  writeJson(join(tmp, 'tokenizer.json'), json);
  writeJson(join(tmp, 'config.json'), {
    architectures: ['XLMRobertaModel'], model_type: 'xlm-roberta', hidden_size: spec.hidden,
    num_hidden_layers: spec.layers, num_attention_heads: spec.heads, intermediate_size: spec.intermediate,
    max_position_embeddings: spec.maxPositions, vocab_size: rows, type_vocab_size: 1, hidden_act: 'gelu',
    layer_norm_eps: 1e-5, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2,
    _sentvec_generated: { note: 'random weights: a test model, not a trained one', spec },
  });
  const mask = { content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: true, __type: 'AddedToken' };
  writeJson(join(tmp, 'tokenizer_config.json'), {
    bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>',
    pad_token: '<pad>', mask_token: mask, model_max_length: 512, tokenizer_class: 'XLMRobertaTokenizer',
  });
  writeJson(join(tmp, 'special_tokens_map.json'), {
    bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', sep_token: '</s>', pad_token: '<pad>',
    cls_token: '<s>', mask_token: { content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: true },
  });
  writeJson(join(tmp, 'sentence_bert_config.json'), { max_seq_length: spec.maxSeqLength, do_lower_case: spec.doLowerCase });
  writeJson(join(tmp, 'modules.json'), [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ]);
  writeJson(join(tmp, '1_Pooling/config.json'), {
    word_embedding_dimension: spec.hidden,
    pooling_mode_cls_token: spec.pooling === 'cls',
    pooling_mode_mean_tokens: spec.pooling === 'mean',
    pooling_mode_max_tokens: spec.pooling === 'max',
    pooling_mode_mean_sqrt_len_tokens: spec.pooling === 'mean_sqrt_len',
  });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** A cached model for `options` under .cache/models, generated on first use. */
export function ensureModel(name, options = {}) {
  const spec = { ...TINY, ...options };
  const key = createHash('sha256').update(JSON.stringify({ GENERATOR_VERSION, spec })).digest('hex').slice(0, 12);
  const dir = join(root, '.cache/models', `${name}-${key}`);
  if (existsSync(join(dir, 'onnx/model.onnx'))) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.build-${process.pid}-${Date.now()}`;
  generateModel(tmp, spec);
  try {
    renameSync(tmp, dir);
  } catch (err) {
    // Another process (a parallel test file) finished first: its copy is identical.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'onnx/model.onnx'))) throw err;
  }
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(Object.entries(TINY).map(([k, v]) => [k, { type: typeof v === 'boolean' ? 'boolean' : 'string' }])),
  });
  if (positionals.length !== 1) {
    console.error('usage: node scripts/model/generate.mjs <dir> [--layers N --hidden N --heads N --intermediate N --maxPositions N --vocabSize N ...]');
    process.exit(2);
  }
  const spec = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof TINY[k] === 'number' ? Number(v) : v]));
  console.log(generateModel(resolve(positionals[0]), spec));
}
