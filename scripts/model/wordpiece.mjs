// The tokenizer half of a generated BERT model: a WordPiece vocabulary built from
// scripts/model/corpus.mjs (cased or uncased, optionally padded to a real model's size), written
// as vocab.txt and as the tokenizer.json that transformers' BertConverter writes.
import { corpusLines } from './corpus.mjs';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

// What BertNormalizer and BertPreTokenizer roughly make of a line: enough to pick a vocabulary
// (the tokenizers under test do it exactly).
function words(line, cased) {
  let text = line.replace(/[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]/gu, ' $& ');
  if (!cased) text = text.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
  return text.split(/\s+/u).flatMap((w) => w.split(/([\p{P}!-/:-@[-`{-~])/u)).filter((w) => w !== '');
}

/**
 * A WordPiece vocabulary: [PAD], [unused…], [UNK], [CLS], [SEP], [MASK] as BERT orders them, every
 * character of the corpus (and its "##" form), its frequent words, and frequent word endings as
 * "##" pieces; then synthetic pieces up to `total` when given.
 */
export function buildWordPieceVocab({ cased = false, size = 2000, total } = {}) {
  const counts = new Map();
  const chars = new Set();
  for (const line of corpusLines()) {
    for (const word of words(line, cased)) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
      for (const ch of word) chars.add(ch);
    }
  }
  const vocab = ['[PAD]', ...Array.from({ length: 20 }, (_, i) => `[unused${i}]`), '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const seen = new Set(vocab);
  const add = (t) => {
    if (!seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  for (const ch of [...chars].sort()) add(ch);
  for (const ch of [...chars].sort()) add(`##${ch}`);
  const byCount = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  // Word endings of 2–4 characters, so that words outside the vocabulary split into several pieces.
  const endings = new Map();
  for (const [word, n] of byCount) {
    const cps = [...word];
    for (let k = 2; k <= 4 && k < cps.length; k++) {
      const tail = `##${cps.slice(-k).join('')}`;
      endings.set(tail, (endings.get(tail) ?? 0) + n);
    }
  }
  const tails = [...endings.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (let i = 0; vocab.length < size && (i < byCount.length || i < tails.length); i++) {
    if (i < byCount.length && [...byCount[i][0]].length > 1) add(byCount[i][0]);
    if (i < tails.length && vocab.length < size) add(tails[i][0]);
  }
  // Synthetic pieces that no text produces, up to a real vocabulary's size.
  for (let i = 0; total !== undefined && vocab.length < total; i++) add(`##\u2063${i.toString(36)}`);
  return vocab;
}

/** The tokenizer files of a BERT repository for `vocab`. */
export function wordPieceFiles(vocab, { cased = false, modelMaxLength = 512 } = {}) {
  const id = (t) => vocab.indexOf(t);
  const added = SPECIALS.map((content) => ({
    id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const special = (t) => ({ SpecialToken: { id: t, type_id: 0 } });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: !cased },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  const tokenizerConfig = {
    do_lower_case: !cased, tokenize_chinese_chars: true, strip_accents: null, model_max_length: modelMaxLength,
    tokenizer_class: 'BertTokenizer', unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]',
  };
  const specialTokensMap = { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' };
  return { vocabTxt: `${vocab.join('\n')}\n`, tokenizerJson, tokenizerConfig, specialTokensMap };
}
