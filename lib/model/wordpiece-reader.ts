// Reads BERT's WordPiece tokenizer from a model directory: tokenizer.json when there is one, else
// vocab.txt with tokenizer_config.json, as Hugging Face's tokenizers and BertTokenizer read them.
import { join } from 'node:path';
import type { NativeWordPiece } from '../binding';
import { ModelFileError } from '../errors';
import type { ModelFolder } from './model-file';

type JsonObject = Record<string, unknown>;
export type WordPiece = { options: NativeWordPiece; file: string };

const obj = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

// model.max_input_chars_per_word: words longer than this are one unknown token (Hugging Face's
// default 100 when absent).
function maxInputCharsPerWord(value: unknown, file: string): number {
  if (value === undefined || value === null) return 100;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 1_000_000)
    throw new ModelFileError(
      file,
      `${file}: model.max_input_chars_per_word is ${JSON.stringify(value)}; expected an integer from 1 to 1000000 (Hugging Face writes 100)`,
    );
  return value as number;
}

// The name of a special token in tokenizer_config.json: a string, or an AddedToken object.
function tokenName(value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return fallback;
}

/**
 * A WordPiece tokenizer: from tokenizer.json (a WordPiece model, BertNormalizer, BertPreTokenizer),
 * which the caller has read, else from vocab.txt and tokenizer_config.json as BertTokenizer reads
 * them. Undefined when the folder has neither; an unsupported tokenizer.json is a ModelFileError
 * that names what it has.
 */
export async function readWordPiece(
  files: ModelFolder,
  tc: JsonObject,
  tokenizerJson: JsonObject | undefined,
): Promise<WordPiece | undefined> {
  return tokenizerJson ? fromTokenizerJson(files.root, join(files.root, 'tokenizer.json'), tokenizerJson, tc) : fromVocabTxt(files, tc);
}

/** tokenizer.json: a WordPiece model, BertNormalizer, BertPreTokenizer, [CLS] $A [SEP]. */
function fromTokenizerJson(root: string, jsonPath: string, tj: JsonObject, tc: JsonObject): WordPiece {
  const model = obj(tj.model);
  if (model?.type !== 'WordPiece') {
    if (model?.type === 'Unigram')
      throw new ModelFileError(
        join(root, 'sentencepiece.bpe.model'),
        `${root} has a Unigram tokenizer.json but no sentencepiece.bpe.model, which sentvec reads for it; download that file too`,
      );
    throw new ModelFileError(
      jsonPath,
      `${jsonPath}: the tokenizer model is ${JSON.stringify(model?.type)}; sentvec runs WordPiece (BERT) and SentencePiece (XLM-R) tokenizers`,
    );
  }
  const normalizer = obj(tj.normalizer);
  if (normalizer && normalizer.type !== 'BertNormalizer')
    throw new ModelFileError(
      jsonPath,
      `${jsonPath}: the normalizer is ${JSON.stringify(normalizer.type)}; sentvec runs WordPiece tokenizers with a BertNormalizer`,
    );
  const pre = obj(tj.pre_tokenizer);
  if (!pre || pre.type !== 'BertPreTokenizer')
    throw new ModelFileError(
      jsonPath,
      `${jsonPath}: the pre-tokenizer is ${JSON.stringify(pre?.type ?? null)}; sentvec runs WordPiece tokenizers with a BertPreTokenizer`,
    );
  const { vocab, specialTokens } = vocabularyOf(jsonPath, tj, model);
  const { startToken, endToken } = boundaryTokens(tj, tc);
  const lowercase = normalizer?.lowercase !== false && normalizer !== undefined ? true : false;
  return {
    file: jsonPath,
    options: {
      vocab: vocab.join('\n'),
      cleanText: normalizer ? normalizer.clean_text !== false : false,
      handleChineseChars: normalizer ? normalizer.handle_chinese_chars !== false : false,
      stripAccents: typeof normalizer?.strip_accents === 'boolean' ? normalizer.strip_accents : lowercase,
      lowercase,
      unkToken: typeof model.unk_token === 'string' ? model.unk_token : '[UNK]',
      startToken,
      endToken,
      padToken: tokenName(tc.pad_token, '[PAD]'),
      continuingPrefix: typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##',
      maxInputCharsPerWord: maxInputCharsPerWord(model.max_input_chars_per_word, jsonPath),
      specialTokens,
    },
  };
}

/** The tokens by id (model.vocab, then added_tokens), and the added tokens that are never split. */
function vocabularyOf(jsonPath: string, tj: JsonObject, model: JsonObject): { vocab: string[]; specialTokens: string[] } {
  const vocabMap = obj(model.vocab);
  if (!vocabMap) throw new ModelFileError(jsonPath, `${jsonPath}: model.vocab must map tokens to ids`);
  const vocab: string[] = [];
  for (const [token, id] of Object.entries(vocabMap)) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= 1 << 26)
      throw new ModelFileError(jsonPath, `${jsonPath}: the id of ${JSON.stringify(token)} is ${JSON.stringify(id)}, not a token id`);
    vocab[id as number] = token;
  }
  const added = Array.isArray(tj.added_tokens) ? (tj.added_tokens as Array<JsonObject>) : [];
  const specialTokens: string[] = [];
  for (const t of added) {
    if (typeof t?.content !== 'string' || !Number.isInteger(t.id)) continue;
    vocab[t.id as number] ??= t.content;
    if (t.special === true && t.normalized !== true) specialTokens.push(t.content);
  }
  const hole = vocab.findIndex((v) => v === undefined);
  if (hole >= 0 || vocab.length !== Object.keys(vocab).length)
    throw new ModelFileError(jsonPath, `${jsonPath}: token id ${hole >= 0 ? hole : vocab.length} is missing from the vocabulary`);
  if (vocab.some((v) => v.includes('\n'))) throw new ModelFileError(jsonPath, `${jsonPath}: a token contains a line break`);
  return { vocab, specialTokens };
}

/** The tokens around an input, [CLS] $A [SEP]: from the post-processor, else tokenizer_config.json. */
function boundaryTokens(tj: JsonObject, tc: JsonObject): { startToken: string; endToken: string } {
  // TemplateProcessing or BertProcessing.
  const post = obj(tj.post_processor);
  let startToken = tokenName(tc.cls_token, '[CLS]');
  let endToken = tokenName(tc.sep_token, '[SEP]');
  if (post?.type === 'TemplateProcessing' && Array.isArray(post.single)) {
    const single = post.single as Array<Record<string, { id?: unknown }>>;
    if (typeof single[0]?.SpecialToken?.id === 'string') startToken = single[0].SpecialToken.id as string;
    const last = single[single.length - 1];
    if (typeof last?.SpecialToken?.id === 'string') endToken = last.SpecialToken.id as string;
  } else if (post?.type === 'BertProcessing') {
    if (Array.isArray(post.cls) && typeof post.cls[0] === 'string') startToken = post.cls[0];
    if (Array.isArray(post.sep) && typeof post.sep[0] === 'string') endToken = post.sep[0];
  }
  return { startToken, endToken };
}

/** vocab.txt, one token per line, with tokenizer_config.json as BertTokenizer reads them; undefined without it. */
async function fromVocabTxt(files: ModelFolder, tc: JsonObject): Promise<WordPiece | undefined> {
  const root = files.root;
  const vocabPath = join(root, 'vocab.txt');
  const bytes = await files.read(vocabPath, 'tokenizer');
  if (bytes === undefined) return undefined;
  const text = bytes.toString('utf8');
  // BertTokenizer: one token per line, ids in order.
  const vocab = text.split('\n');
  if (vocab[vocab.length - 1] === '') vocab.pop();
  const lowercase = tc.do_lower_case !== false;
  const names = {
    unkToken: tokenName(tc.unk_token, '[UNK]'),
    startToken: tokenName(tc.cls_token, '[CLS]'),
    endToken: tokenName(tc.sep_token, '[SEP]'),
    padToken: tokenName(tc.pad_token, '[PAD]'),
  };
  const mask = tokenName(tc.mask_token, '[MASK]');
  return {
    file: vocabPath,
    options: {
      vocab: vocab.map((v) => v.replace(/\r$/, '')).join('\n'),
      cleanText: true,
      handleChineseChars: tc.tokenize_chinese_chars !== false,
      stripAccents: typeof tc.strip_accents === 'boolean' ? tc.strip_accents : lowercase,
      lowercase,
      ...names,
      continuingPrefix: '##',
      maxInputCharsPerWord: 100,
      specialTokens: [...new Set([...Object.values(names), mask])].filter((t) => vocab.includes(t)),
    },
  };
}
