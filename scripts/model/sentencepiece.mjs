// The tokenizer half of a generated model: a SentencePiece BPE model trained with spm_train on
// scripts/model/corpus.mjs (optionally padded to a real model's vocabulary size), and the
// tokenizer.json that transformers' XLMRobertaConverter writes for it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { corpusLines } from './corpus.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function spmTrainBinary() {
  const local = join(root, 'deps/sentencepiece/bin/spm_train');
  if (existsSync(local)) return local;
  return 'spm_train';
}

export function trainSentencePiece(dir, vocabSize, extraLines = []) {
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
export function padVocabulary(dir, total) {
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
export function tokenizerJson(spmBytes) {
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
