#!/usr/bin/env node
// Generates a random-weight sentence-transformers model of the XLM-RoBERTa architecture in the
// layout of a Hugging Face repository, so that sentvec and transformers.js load the same folder:
//   config.json, sentencepiece.bpe.model, tokenizer.json, tokenizer_config.json,
//   special_tokens_map.json, sentence_bert_config.json, modules.json, 1_Pooling/config.json,
//   onnx/model.onnx
// Deterministic for a given spec. The tokenizer comes from sentencepiece.mjs, the network from
// onnx.mjs; this module writes the repository layout and caches models under .cache/models.
// Usage: node scripts/model/generate.mjs <dir> [--layers N ...]
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildOnnx, uniform } from './onnx.mjs';
import { padVocabulary, tokenizerJson, trainSentencePiece } from './sentencepiece.mjs';
import { buildWordPieceVocab, wordPieceFiles } from './wordpiece.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Bump when the generator's output changes, so cached models are rebuilt.
const GENERATOR_VERSION = 2;

/**
 * What sentvec reads of the real multilingual models of the XLM-R tokenizer family, as their
 * repositories' config files state it: architecture, layers, width, heads, position table,
 * embedding rows, token types, pooling, Normalize, max_seq_length, tokenizer limit, prompts, and
 * whether the ONNX export keeps its weights in onnx/model.onnx_data (those over 2 GB do).
 * Their tokenizer vocabulary is XLM-R's 250,002 pieces (the trained one padded with synthetic
 * pieces); BERT-architecture ones have 250,037 embedding rows.
 */
export const REAL_MODELS = {
  'sentence-transformers/paraphrase-multilingual-mpnet-base-v2': {
    architecture: 'xlm-roberta', layers: 12, hidden: 768, heads: 12, intermediate: 3072, maxPositions: 514,
    pooling: 'mean', maxSeqLength: 128,
  },
  'sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2': {
    architecture: 'bert', layers: 12, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 512, embeddingRows: 250037,
    typeVocabSize: 2, pooling: 'mean', maxSeqLength: 128,
  },
  'intfloat/multilingual-e5-small': {
    architecture: 'bert', layers: 12, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 512, embeddingRows: 250037,
    typeVocabSize: 2, pooling: 'mean', normalize: true, maxSeqLength: 512, prompts: { query: 'query: ', passage: 'passage: ' },
  },
  'intfloat/multilingual-e5-base': {
    architecture: 'xlm-roberta', layers: 12, hidden: 768, heads: 12, intermediate: 3072, maxPositions: 514,
    pooling: 'mean', normalize: true, maxSeqLength: 512, prompts: { query: 'query: ', passage: 'passage: ' },
  },
  'intfloat/multilingual-e5-large': {
    architecture: 'xlm-roberta', layers: 24, hidden: 1024, heads: 16, intermediate: 4096, maxPositions: 514,
    pooling: 'mean', normalize: true, maxSeqLength: 512, prompts: { query: 'query: ', passage: 'passage: ' }, externalData: true,
  },
  'sentence-transformers/all-MiniLM-L6-v2': {
    architecture: 'bert', layers: 6, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 512, typeVocabSize: 2,
    tokenizer: 'wordpiece', cased: false, vocabTotal: 30522, pooling: 'mean', normalize: true, maxSeqLength: 256,
  },
  'BAAI/bge-small-en-v1.5': {
    architecture: 'bert', layers: 12, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 512, typeVocabSize: 2,
    tokenizer: 'wordpiece', cased: false, vocabTotal: 30522, pooling: 'cls', normalize: true, maxSeqLength: 512, doLowerCase: true,
  },
  'sentence-transformers/LaBSE': {
    architecture: 'bert', layers: 12, hidden: 768, heads: 12, intermediate: 3072, maxPositions: 512, typeVocabSize: 2,
    tokenizer: 'wordpiece', cased: true, vocabTotal: 501153, pooling: 'cls', denseOut: 768, normalize: true, maxSeqLength: 256,
  },
  'sentence-transformers/distiluse-base-multilingual-cased-v2': {
    architecture: 'distilbert', layers: 6, hidden: 768, heads: 12, intermediate: 3072, maxPositions: 512,
    tokenizer: 'wordpiece', cased: true, vocabTotal: 119547, pooling: 'mean', denseOut: 512, maxSeqLength: 128,
  },
  'BAAI/bge-m3': {
    architecture: 'xlm-roberta', layers: 24, hidden: 1024, heads: 16, intermediate: 4096, maxPositions: 8194,
    pooling: 'cls', normalize: true, maxSeqLength: 8192, modelMaxLength: 8192, externalData: true,
  },
};

/**
 * The cross-encoders (rerankers) people use, as their repositories' config files state them:
 * *ForSequenceClassification with one label, the activation sentence-transformers applies
 * (absent: Sigmoid for one label), the tokenizer's model_max_length. (mmarco-mMiniLMv2 is an
 * XLM-R model of 384 dimensions, type_vocab_size 1.)
 */
export const RERANKERS = {
  'BAAI/bge-reranker-base': {
    architecture: 'xlm-roberta', layers: 12, hidden: 768, heads: 12, intermediate: 3072, maxPositions: 514, numLabels: 1,
    modelMaxLength: 512,
  },
  'BAAI/bge-reranker-large': {
    architecture: 'xlm-roberta', layers: 24, hidden: 1024, heads: 16, intermediate: 4096, maxPositions: 514, numLabels: 1,
    modelMaxLength: 512,
  },
  'BAAI/bge-reranker-v2-m3': {
    architecture: 'xlm-roberta', layers: 24, hidden: 1024, heads: 16, intermediate: 4096, maxPositions: 8194, numLabels: 1,
    modelMaxLength: 8192,
  },
  'cross-encoder/mmarco-mMiniLMv2-L12-H384-v1': {
    architecture: 'xlm-roberta', layers: 12, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 514, numLabels: 1,
    modelMaxLength: 512, legacyActivation: 'torch.nn.modules.linear.Identity',
  },
  'cross-encoder/ms-marco-MiniLM-L-6-v2': {
    architecture: 'bert', layers: 6, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 512, typeVocabSize: 2, numLabels: 1,
    tokenizer: 'wordpiece', cased: false, vocabTotal: 30522, modelMaxLength: 512,
    activationFn: 'torch.nn.modules.linear.Identity', legacyActivation: 'torch.nn.modules.linear.Identity',
  },
  'cross-encoder/ms-marco-TinyBERT-L-2-v2': {
    architecture: 'bert', layers: 2, hidden: 128, heads: 2, intermediate: 512, maxPositions: 512, typeVocabSize: 2, numLabels: 1,
    tokenizer: 'wordpiece', cased: false, vocabTotal: 30522, modelMaxLength: 512, legacyActivation: 'torch.nn.modules.linear.Identity',
  },
};

/**
 * A twin of a real reranker for tests: its config files and vocabulary, layers, heads and head,
 * 4 dimensions per attention head (or, with `fullShape`, its real widths: benchmarks).
 */
export function rerankerTwin(id, { seed = 13, fullShape = false } = {}) {
  const real = RERANKERS[id];
  const vocab = real.tokenizer === 'wordpiece' ? { vocabSize: 8000 } : { vocabPieces: 250000 };
  const shape = fullShape ? {} : { hidden: real.heads * 4, intermediate: real.heads * 16 };
  return { ...real, ...vocab, ...shape, tokenTypeIds: real.architecture === 'bert', seed };
}

/** The tiny cross-encoders the tests use: XLM-R (SentencePiece) and BERT (WordPiece, with token types). */
export const TINY_RERANKER = { numLabels: 1, modelMaxLength: 512, tokenTypeIds: false };
export const TINY_BERT_RERANKER = {
  architecture: 'bert', tokenizer: 'wordpiece', cased: false, vocabSize: 6000, maxPositions: 512, numLabels: 1, tokenTypeIds: true,
  modelMaxLength: 512,
};

/**
 * A twin of a real model for tests: its config files and vocabulary exactly, its layers and
 * heads, but 4 dimensions per head (so that a 24-layer model stays a few MB of weights beyond its
 * embedding table) — or, with `fullShape`, its real widths too (gigabytes for the large ones).
 */
export function testTwin(id, { seed = 11, fullShape = false } = {}) {
  const real = REAL_MODELS[id];
  // XLM-R's vocabulary: 250,000 trained and synthetic pieces and its specials; a WordPiece one
  // of 8,000 tokens from the corpus, padded to the real size.
  const vocab = real.tokenizer === 'wordpiece' ? { vocabSize: 8000 } : { vocabPieces: 250000 };
  if (fullShape) return { ...real, ...vocab, seed };
  const hidden = real.heads * 4;
  // A Dense module keeps its ratio of widths (LaBSE 768 → 768, distiluse 768 → 512).
  const dense = real.denseOut ? { denseOut: Math.round((real.denseOut * hidden) / real.hidden) } : {};
  return { ...real, ...vocab, ...dense, hidden, intermediate: hidden * 4, seed };
}

/**
 * Random-weight "shape twins" of the real models, for benchmarks: the same layers, widths and
 * vocabulary size (250,002 tokens: the trained vocabulary padded with synthetic pieces).
 */
export const TWINS = {
  'mpnet-base-twin': { ...REAL_MODELS['sentence-transformers/paraphrase-multilingual-mpnet-base-v2'], vocabPieces: 250000, seed: 7 },
  'minilm-l12-twin': { ...REAL_MODELS['sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2'], vocabPieces: 250000, seed: 8 },
};

/** The tiny model the tests use. */
export const TINY = {
  layers: 2, hidden: 32, heads: 4, intermediate: 64, maxPositions: 514, vocabSize: 1200,
  maxSeqLength: 128, doLowerCase: false, tokenTypeIds: true, pooledOutput: false, seed: 42,
  pooling: 'mean',
};

/** A Dense module's model.safetensors: linear.weight (out × in) and linear.bias, seeded, float32. */
export function denseSafetensors(inFeatures, outFeatures, seed) {
  const u = uniform(seed);
  const next = () => u() - 0.5;
  const weight = Float32Array.from({ length: inFeatures * outFeatures }, () => next() / Math.sqrt(inFeatures));
  const bias = Float32Array.from({ length: outFeatures }, () => next() * 0.1);
  const header = {
    'linear.weight': { dtype: 'F32', shape: [outFeatures, inFeatures], data_offsets: [0, weight.byteLength] },
    'linear.bias': { dtype: 'F32', shape: [outFeatures], data_offsets: [weight.byteLength, weight.byteLength + bias.byteLength] },
    __metadata__: { format: 'pt' },
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json), Buffer.from(weight.buffer), Buffer.from(bias.buffer)]);
}

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
  const wordPiece = spec.tokenizer === 'wordpiece';
  let json;
  let vocabSize;
  let wp;
  if (wordPiece) {
    // BERT's tokenizer: vocab.txt and a WordPiece tokenizer.json.
    const vocab = buildWordPieceVocab({ cased: spec.cased, size: spec.vocabSize, total: spec.vocabTotal });
    wp = wordPieceFiles(vocab, { cased: spec.cased, modelMaxLength: spec.modelMaxLength ?? 512 });
    json = wp.tokenizerJson;
    vocabSize = vocab.length;
    writeFileSync(join(tmp, 'vocab.txt'), wp.vocabTxt);
  } else {
    trainSentencePiece(tmp, spec.vocabSize);
    if (spec.vocabPieces) padVocabulary(tmp, spec.vocabPieces);
    ({ json, vocabSize } = tokenizerJson(readFileSync(join(tmp, 'sentencepiece.bpe.model'))));
  }
  // embeddingTableRows: a table of exactly that many rows, even fewer than the tokenizer has ids
  // (a broken model, for the tests that it is refused or contained).
  const rows = spec.embeddingTableRows ?? Math.max(vocabSize, spec.embeddingRows ?? 0);
  // With externalData, the weights go to model.onnx_data, as in exports over 2 GB (e5-large, bge-m3).
  const writeOnnx = (file, fp16) => {
    const { model, data } = buildOnnx(spec, rows, fp16, spec.externalData ? `${file}_data` : undefined);
    writeFileSync(join(tmp, 'onnx', file), model);
    if (data) {
      const fd = openSync(join(tmp, 'onnx', `${file}_data`), 'w');
      for (const chunk of data) writeSync(fd, chunk);
      closeSync(fd);
    }
  };
  writeOnnx('model.onnx', false);
  // The same weights in half precision, where Hugging Face repositories keep such an export.
  if (spec.fp16File) writeOnnx('model_fp16.onnx', true);
  writeJson(join(tmp, 'tokenizer.json'), json);
  const bert = spec.architecture === 'bert';
  if (spec.architecture === 'distilbert') {
    writeJson(join(tmp, 'config.json'), {
      architectures: ['DistilBertModel'], model_type: 'distilbert', dim: spec.hidden, n_layers: spec.layers, n_heads: spec.heads,
      hidden_dim: spec.intermediate, max_position_embeddings: spec.maxPositions, vocab_size: rows, activation: 'gelu',
      pad_token_id: 0, sinusoidal_pos_embds: false,
      _sentvec_generated: { note: 'random weights: a test model, not a trained one', spec },
    });
  } else writeJson(join(tmp, 'config.json'), {
    architectures: [
      (bert ? 'Bert' : 'XLMRoberta') + (spec.numLabels ? 'ForSequenceClassification' : 'Model'),
    ],
    model_type: bert ? 'bert' : 'xlm-roberta', hidden_size: spec.hidden,
    num_hidden_layers: spec.layers, num_attention_heads: spec.heads, intermediate_size: spec.intermediate,
    max_position_embeddings: spec.maxPositions, vocab_size: rows, type_vocab_size: spec.typeVocabSize ?? (bert ? 2 : 1),
    hidden_act: 'gelu', layer_norm_eps: bert ? 1e-12 : 1e-5,
    ...(bert ? { pad_token_id: 0 } : { pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 }),
    ...(spec.numLabels ? {
      id2label: Object.fromEntries(Array.from({ length: spec.numLabels }, (_, i) => [String(i), `LABEL_${i}`])),
      label2id: Object.fromEntries(Array.from({ length: spec.numLabels }, (_, i) => [`LABEL_${i}`, i])),
      ...(spec.legacyActivation ? { sbert_ce_default_activation_function: spec.legacyActivation } : {}),
      ...(spec.activationFn ? { sentence_transformers: { activation_fn: spec.activationFn, version: '4.1.0' } } : {}),
    } : {}),
    _sentvec_generated: { note: 'random weights: a test model, not a trained one', spec },
  });
  if (wordPiece) {
    writeJson(join(tmp, 'tokenizer_config.json'), wp.tokenizerConfig);
    writeJson(join(tmp, 'special_tokens_map.json'), wp.specialTokensMap);
  } else {
    const mask = { content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: true, __type: 'AddedToken' };
    writeJson(join(tmp, 'tokenizer_config.json'), {
      bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>',
      pad_token: '<pad>', mask_token: mask, model_max_length: spec.modelMaxLength ?? 512, tokenizer_class: 'XLMRobertaTokenizer',
    });
    writeJson(join(tmp, 'special_tokens_map.json'), {
      bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', sep_token: '</s>', pad_token: '<pad>',
      cls_token: '<s>', mask_token: { content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: true },
    });
  }
  // A cross-encoder's repository has no sentence-transformers modules: its length is the tokenizer's.
  if (spec.numLabels) {
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  }
  writeJson(join(tmp, 'sentence_bert_config.json'), { max_seq_length: spec.maxSeqLength, do_lower_case: spec.doLowerCase });
  if (spec.prompts || spec.truncateDim) {
    writeJson(join(tmp, 'config_sentence_transformers.json'), {
      __version__: { sentence_transformers: '3.0.1', transformers: '4.41.2', pytorch: '2.3.0' },
      prompts: spec.prompts ?? {}, default_prompt_name: spec.defaultPromptName ?? null, similarity_fn_name: 'cosine',
      ...(spec.truncateDim ? { truncate_dim: spec.truncateDim } : {}),
    });
  }
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  // A Dense module after pooling (LaBSE, distiluse): its config and seeded weights in safetensors.
  if (spec.denseOut) {
    const at = modules.length;
    modules.push({ idx: at, name: String(at), path: `${at}_Dense`, type: 'sentence_transformers.models.Dense' });
    writeJson(join(tmp, `${at}_Dense`, 'config.json'), {
      in_features: spec.hidden, out_features: spec.denseOut, bias: true, activation_function: 'torch.nn.modules.activation.Tanh',
    });
    writeFileSync(join(tmp, `${at}_Dense`, 'model.safetensors'), denseSafetensors(spec.hidden, spec.denseOut, spec.seed + 1));
  }
  if (spec.normalize) {
    const at = modules.length;
    modules.push({ idx: at, name: String(at), path: `${at}_Normalize`, type: 'sentence_transformers.models.Normalize' });
  }
  writeJson(join(tmp, 'modules.json'), modules);
  writeJson(join(tmp, '1_Pooling/config.json'), {
    word_embedding_dimension: spec.hidden,
    pooling_mode_cls_token: spec.pooling === 'cls',
    pooling_mode_mean_tokens: spec.pooling === 'mean',
    pooling_mode_max_tokens: spec.pooling === 'max',
    pooling_mode_mean_sqrt_len_tokens: spec.pooling === 'mean_sqrt_len',
    ...(spec.includePrompt === false ? { include_prompt: false } : {}),
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
    options: {
      ...Object.fromEntries(Object.entries(TINY).map(([k, v]) => [k, { type: typeof v === 'boolean' ? 'boolean' : 'string' }])),
      // A twin of one of the RERANKERS, e.g. --reranker BAAI/bge-reranker-base.
      reranker: { type: 'string' },
    },
  });
  if (positionals.length !== 1 || (values.reranker !== undefined && !(values.reranker in RERANKERS))) {
    console.error('usage: node scripts/model/generate.mjs <dir> [--layers N --hidden N --heads N --intermediate N --maxPositions N --vocabSize N ...]');
    console.error(`       node scripts/model/generate.mjs <dir> --reranker <${Object.keys(RERANKERS).join(' | ')}>`);
    process.exit(2);
  }
  const { reranker, ...rest } = values;
  const spec = reranker
    ? rerankerTwin(reranker)
    : Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof TINY[k] === 'number' ? Number(v) : v]));
  console.log(generateModel(resolve(positionals[0]), spec));
}
