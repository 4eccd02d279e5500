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
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildOnnx } from './onnx.mjs';
import { padVocabulary, tokenizerJson, trainSentencePiece } from './sentencepiece.mjs';

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
