// Reads a model directory (the sentence-transformers repository layout) into the native model
// configuration. Every problem names the file and what was expected.
import { readFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { DenseActivation, NativeDense, NativeModelConfig, NativeWordPiece, PoolingMode } from './binding';
import { parseSafetensors } from './safetensors';
import { binding } from './binding';
import { cacheRoot } from './cache-dir';
import { ModelFolder, optionFile, type ModelFileKind } from './model-file';

// The largest model that ONNX Runtime's format (a flatbuffer) can hold.
const ORT_FORMAT_LIMIT = 2 ** 31;
// This sentvec's version (optimized-model cache keys change with it).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits outside the TypeScript root
const SENTVEC_VERSION: string = (require('../../package.json') as { version: string }).version;
import { InvalidArgumentError, ModelFileError } from './errors';
import type { SchedulerOptions } from './scheduler';
import { resolveProviders, type Provider } from './providers';
import { booleanOption, describe, integerIn, integerOption, rejectUnknownOptions } from './validate';

/** Options of {@link Model.load}; each overrides what the model directory says. */
export interface LoadOptions {
  /**
   * Longest input in tokens, counting `<s>` and `</s>`, 2 to the position embeddings' limit;
   * longer inputs are truncated (see `truncate` of `encode`). Default: `max_seq_length` of sentence_bert_config.json, else
   * tokenizer_config.json's `model_max_length`, capped by the model's position embeddings.
   */
  maxSeqLength?: number;
  /** Lower-case texts before tokenizing. Default: `do_lower_case` of sentence_bert_config.json, else false. */
  doLowerCase?: boolean;
  /**
   * Pooling of token embeddings into one vector; several modes are concatenated in the order
   * cls, max, mean, mean_sqrt_len (as sentence-transformers does). Default: 1_Pooling/config.json,
   * else 'mean'.
   */
  pooling?: PoolingMode | PoolingMode[];
  /** Whether `encode` L2-normalizes by default. Default: true when modules.json has a Normalize module, else false. */
  normalize?: boolean;
  /**
   * Named prompts, prepended to texts by `encode(texts, { promptName })`, e.g.
   * `{ query: 'query: ', passage: 'passage: ' }`. Default: `prompts` of config_sentence_transformers.json.
   */
  prompts?: Record<string, string>;
  /** The prompt `encode` uses when given none. Default: `default_prompt_name` of config_sentence_transformers.json, else none. */
  defaultPromptName?: string | null;
  /**
   * Keep the first `truncateDim` values of every vector (Matryoshka models), 1 to the model's
   * dimension. Default: `truncate_dim` of config_sentence_transformers.json, else all.
   */
  truncateDim?: number | null;
  /**
   * 'int8' loads an int8 export of the model: sentvec's own (`sentvec quantize`, quantizeModel():
   * onnx/model_qint8.onnx), else one that sentence-transformers publishes for this CPU
   * (onnx/model_qint8_avx512_vnni.onnx, model_quint8_avx2.onnx, model_qint8_arm64.onnx); `model.onnxPath`
   * says which. Faster and smaller, with vectors that differ slightly from float32 (README: Int8).
   * Default 'float32'.
   */
  precision?: 'float32' | 'int8';
  /**
   * Cache the optimized model in ONNX Runtime's own format, so that later loads read it into memory
   * of their own and run it in place: no parsing, no graph optimization, no second copy of the
   * weights (on the mpnet-size twin: 0.55–0.7× the time of a plain load, as much memory). The first load
   * takes longer and writes a file about the model's size. `true`: in sentvec's cache folder
   * ($SENTVEC_CACHE, else $XDG_CACHE_HOME/sentvec, else ~/.cache/sentvec) under optimized/; a
   * string: in that folder. Keyed by the model file, ONNX Runtime, sentvec, the providers and the
   * CPU. Default false. A model of 2 GiB or more, with its external weights (the limit of ONNX
   * Runtime's format), is not cached: it loads as usual, without a save attempt. Only files that
   * sentvec wrote and sealed are used (others are rebuilt); a folder that belongs to another user
   * or that others may write is refused with an InvalidArgumentError (README: Cold start).
   * (On Windows the cache is not used.)
   */
  optimizedCache?: boolean | string;
  /** ONNX file, relative to the model directory. Default: onnx/model.onnx, else model.onnx. */
  onnxFile?: string;
  /** ONNX Runtime intra-op threads, 1 to 256. Default: the machine's physical cores. */
  threads?: number;
  /**
   * Let idle ONNX Runtime threads spin between parallel sections, as ONNX Runtime does by
   * default: faster batches, but cores stay busy for a moment after each one. Default true.
   */
  spinning?: boolean;
  /**
   * Keep ONNX Runtime's CPU memory arena: freed blocks are kept for the next batch (about 3%
   * faster on 128-token batches), but the arena grows with each new largest batch and never gives
   * memory back. Without it, peak memory is that of the largest single batch. Default: true when
   * maxSeqLength is 512 or less, false above (long inputs).
   */
  memoryArena?: boolean;
  /**
   * Execution providers in order of preference, by name or with options, e.g.
   * `['cuda', 'cpu']` or `[{ name: 'tensorrt', fp16: true }, 'cuda', 'cpu']`. Default `['cpu']`.
   * A provider that cannot be used is a ProviderError, unless `fallback` is true.
   */
  providers?: Provider | Provider[];
  /** Skip providers that cannot be used (emitting a process warning) instead of failing. Default false. */
  fallback?: boolean;
  /**
   * Coalesce concurrent small `encode()` calls (fewer texts than their batchSize) into shared
   * batches; `false` runs every call on its own. Default: enabled with the SchedulerOptions
   * defaults.
   */
  scheduler?: boolean | SchedulerOptions;
}

export interface ResolvedConfig {
  native: NativeModelConfig;
  normalize: boolean;
  modelType: string;
  prompts: Record<string, string>;
  defaultPromptName: string | undefined;
  /** Pooling's include_prompt: false leaves prompt tokens out of mean and max pooling. */
  includePrompt: boolean;
  truncateDim: number | undefined;
  /** Rows of the token embedding table (config.json vocab_size), when the file says. */
  embeddingRows: number | undefined;
  /** config.json, where embeddingRows comes from. */
  configPath: string;
}

const POOLING_ORDER: PoolingMode[] = ['cls', 'max', 'mean', 'mean_sqrt_len'];
// The longest input sentvec takes, in tokens.
const MAX_SEQ_LENGTH = 1 << 20;
// A length read from a model's files this large says "no limit" (Hugging Face's VERY_LARGE_INTEGER is 1e30).
const UNSET_LENGTH = 1e18;

/**
 * The encoder architectures sentvec runs, and the rows of their position table that no token
 * uses: XLM-R numbers positions from padding_idx + 1 = 2, BERT from 0. (The position ids are
 * computed inside the ONNX graph; only the longest input follows from this.)
 */
const RESERVED_POSITIONS = { 'xlm-roberta': 2, bert: 0, distilbert: 0 };
type ModelType = keyof typeof RESERVED_POSITIONS;
const LOAD_OPTIONS = new Set([
  'maxSeqLength',
  'doLowerCase',
  'pooling',
  'normalize',
  'onnxFile',
  'threads',
  'scheduler',
  'spinning',
  'providers',
  'fallback',
  'prompts',
  'defaultPromptName',
  'truncateDim',
  'memoryArena',
  'precision',
  'optimizedCache',
]);

async function readJson(
  folder: ModelFolder,
  path: string,
  expected: string,
  required: boolean,
  kind: ModelFileKind = 'json',
): Promise<Record<string, unknown> | unknown[] | undefined> {
  const bytes = await folder.read(path, kind);
  if (bytes === undefined) {
    if (!required) return undefined;
    throw new ModelFileError(path, `cannot read ${path} (ENOENT); expected ${expected}`);
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new ModelFileError(path, `${path} is empty; expected ${expected}. Download it again.`);
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object') throw new Error('not a JSON object or array');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new ModelFileError(
      path,
      `${path} is not valid JSON (${(err as Error).message}); expected ${expected}. The file may be truncated: download it again.`,
    );
  }
}

function integerField(obj: Record<string, unknown>, key: string, file: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelFileError(file, `${file}: "${key}" must be a positive integer, found ${JSON.stringify(v)}`);
  }
  return v;
}

function poolingFromConfig(cfg: Record<string, unknown>, file: string): PoolingMode[] {
  for (const unsupported of ['pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken']) {
    if (cfg[unsupported] === true) {
      throw new ModelFileError(
        file,
        `${file} enables ${unsupported}, which sentvec does not support (supported: cls, max, mean, mean_sqrt_len)`,
      );
    }
  }
  const flags: Record<PoolingMode, string> = {
    cls: 'pooling_mode_cls_token',
    max: 'pooling_mode_max_tokens',
    mean: 'pooling_mode_mean_tokens',
    mean_sqrt_len: 'pooling_mode_mean_sqrt_len_tokens',
  };
  const modes = POOLING_ORDER.filter((m) => cfg[flags[m]] === true);
  if (modes.length === 0)
    throw new ModelFileError(file, `${file} enables no pooling mode; expected one of ${Object.values(flags).join(', ')} set to true`);
  return modes;
}

function checkPooling(value: unknown): PoolingMode[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new InvalidArgumentError('Expected at least one pooling mode for pooling');
  for (const m of list) {
    if (!POOLING_ORDER.includes(m as PoolingMode)) {
      throw new InvalidArgumentError(
        `Expected one of ${POOLING_ORDER.map((p) => `'${p}'`).join(', ')} for pooling but received ${describe(m)}`,
      );
    }
  }
  return POOLING_ORDER.filter((m) => list.includes(m));
}

const ACTIVATIONS: Record<string, DenseActivation> = {
  'torch.nn.modules.linear.Identity': 'identity',
  'torch.nn.modules.activation.Tanh': 'tanh',
  'torch.nn.modules.activation.ReLU': 'relu',
  'torch.nn.modules.activation.Sigmoid': 'sigmoid',
  'torch.nn.modules.activation.GELU': 'gelu',
};

/** A Dense module (sentence_transformers.models.Dense): its config.json and the weights in its model.safetensors. */
async function readDense(files: ModelFolder, folder: string, modulesPath: string): Promise<NativeDense> {
  const dir = files.path(folder, modulesPath);
  const configPath = join(dir, 'config.json');
  const config = (await readJson(
    files,
    configPath,
    'the Dense module (in_features, out_features, bias, activation_function)',
    true,
  )) as Record<string, unknown>;
  const inFeatures = integerField(config, 'in_features', configPath);
  const outFeatures = integerField(config, 'out_features', configPath);
  if (!inFeatures || !outFeatures) throw new ModelFileError(configPath, `${configPath}: in_features and out_features are required`);
  const activationName = typeof config.activation_function === 'string' ? config.activation_function : 'torch.nn.modules.activation.Tanh';
  const activation = ACTIVATIONS[activationName];
  if (!activation)
    throw new ModelFileError(
      configPath,
      `${configPath}: activation_function ${activationName} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`,
    );
  const weightsPath = join(dir, 'model.safetensors');
  const weightBytes = await files.read(weightsPath, 'dense');
  if (weightBytes === undefined) {
    const bin = join(dir, 'pytorch_model.bin');
    if (
      await stat(bin).then(
        () => true,
        () => false,
      )
    ) {
      throw new ModelFileError(
        bin,
        `${dir} has its weights in pytorch_model.bin only, which sentvec does not read (it runs no Python pickle); convert it once with ` +
          `python -c "import torch; from safetensors.torch import save_file; save_file(torch.load('${bin}'), '${weightsPath}')"`,
      );
    }
    throw new ModelFileError(
      weightsPath,
      `cannot read ${weightsPath}: the Dense module's weights are missing; download ${folder}/model.safetensors`,
    );
  }
  const tensors = parseSafetensors(weightsPath, weightBytes);
  const weight = tensors.get('linear.weight');
  const bias = tensors.get('linear.bias');
  if (!weight || weight.shape.length !== 2 || weight.shape[0] !== outFeatures || weight.shape[1] !== inFeatures)
    throw new ModelFileError(
      weightsPath,
      `${weightsPath}: expected linear.weight of ${outFeatures} × ${inFeatures} (config.json), found ${weight ? weight.shape.join(' × ') : 'none'}`,
    );
  if (config.bias !== false && (!bias || bias.shape.length !== 1 || bias.shape[0] !== outFeatures))
    throw new ModelFileError(
      weightsPath,
      `${weightsPath}: expected linear.bias of ${outFeatures} values, found ${bias ? bias.shape.join(' × ') : 'none'}`,
    );
  for (const [name, t] of [
    ['linear.weight', weight],
    ['linear.bias', bias],
  ] as const) {
    const at = t ? t.data.findIndex((v) => !Number.isFinite(v)) : -1;
    if (at >= 0) throw new ModelFileError(weightsPath, `${weightsPath}: ${name} holds a NaN or infinity at ${at}`);
  }
  return {
    in: inFeatures,
    out: outFeatures,
    weight: weight.data,
    ...(config.bias !== false && bias ? { bias: bias.data } : {}),
    activation,
  };
}

/**
 * The int8 exports sentvec can load, best first: its own, then sentence-transformers' for this
 * CPU (their names say the instruction set they were made for).
 */
export function int8Files(): string[] {
  const ours = 'onnx/model_qint8.onnx';
  if (process.arch === 'arm64') return [ours, 'onnx/model_qint8_arm64.onnx'];
  let flags = '';
  try {
    if (process.platform === 'linux') flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    // No /proc: assume AVX2 only.
  }
  const vnni = / avx512_vnni\b/.test(flags);
  const avx512 = / avx512f\b/.test(flags) && / avx512bw\b/.test(flags);
  return [
    ours,
    ...(vnni ? ['onnx/model_qint8_avx512_vnni.onnx'] : []),
    ...(avx512 ? ['onnx/model_qint8_avx512.onnx'] : []),
    'onnx/model_quint8_avx2.onnx',
  ];
}

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
 * else from vocab.txt and tokenizer_config.json as BertTokenizer reads them. Undefined when the
 * folder has neither; an unsupported tokenizer.json is a ModelFileError that names what it has.
 */
async function readWordPiece(
  files: ModelFolder,
  tc: Record<string, unknown>,
): Promise<{ options: NativeWordPiece; file: string } | undefined> {
  const root = files.root;
  const jsonPath = join(root, 'tokenizer.json');
  const tj = (await readJson(files, jsonPath, 'the Hugging Face tokenizer', false, 'tokenizer')) as Record<string, unknown> | undefined;
  const obj = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  if (tj) {
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
    const vocabMap = obj(model.vocab);
    if (!vocabMap) throw new ModelFileError(jsonPath, `${jsonPath}: model.vocab must map tokens to ids`);
    const vocab: string[] = [];
    for (const [token, id] of Object.entries(vocabMap)) {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= 1 << 26)
        throw new ModelFileError(jsonPath, `${jsonPath}: the id of ${JSON.stringify(token)} is ${JSON.stringify(id)}, not a token id`);
      vocab[id as number] = token;
    }
    const added = Array.isArray(tj.added_tokens) ? (tj.added_tokens as Array<Record<string, unknown>>) : [];
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
    // [CLS] $A [SEP] (TemplateProcessing or BertProcessing).
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

export async function resolveModelDirectory(dir: string, options: LoadOptions): Promise<ResolvedConfig> {
  if (typeof dir !== 'string' || dir === '')
    throw new InvalidArgumentError(`Expected a model directory path for dir but received ${describe(dir)}`);
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
  rejectUnknownOptions(options, LOAD_OPTIONS, 'Model.load()');
  const root = resolve(dir);
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new ModelFileError(
      root,
      `model directory ${root} does not exist; expected a sentence-transformers model folder (config.json, sentencepiece.bpe.model, onnx/model.onnx, …)`,
    );
  }
  if (!info.isDirectory()) throw new ModelFileError(root, `${root} is not a directory; expected a sentence-transformers model folder`);
  const files = await ModelFolder.open(root);

  const configPath = join(root, 'config.json');
  const config = (await readJson(files, configPath, 'the transformer configuration (model_type, hidden_size, …)', true)) as Record<
    string,
    unknown
  >;
  const modelType = config.model_type;
  if (typeof modelType !== 'string' || !(modelType in RESERVED_POSITIONS)) {
    throw new ModelFileError(
      configPath,
      `${configPath}: model_type is ${JSON.stringify(modelType)}; sentvec runs encoders of model_type ${Object.keys(RESERVED_POSITIONS)
        .map((t) => `"${t}"`)
        .join(' or ')} with the XLM-R SentencePiece tokenizer, such as paraphrase-multilingual-mpnet-base-v2, ` +
        'paraphrase-multilingual-MiniLM-L12-v2, multilingual-e5-* and bge-m3',
    );
  }
  // (DistilBERT calls it dim.)
  const hiddenSize = integerField(config, modelType === 'distilbert' ? 'dim' : 'hidden_size', configPath) ?? 0;
  const maxPositionEmbeddings = integerField(config, 'max_position_embeddings', configPath);
  const maxPositions = maxPositionEmbeddings ? maxPositionEmbeddings - RESERVED_POSITIONS[modelType as ModelType] : 0;
  if (maxPositionEmbeddings !== undefined && maxPositions < 2)
    throw new ModelFileError(
      configPath,
      `${configPath}: "max_position_embeddings" is ${maxPositionEmbeddings}, which leaves ${maxPositions} positions for tokens ` +
        `(a ${modelType} model numbers them from ${RESERVED_POSITIONS[modelType as ModelType]}); an input needs at least 2 (<s> and </s>)`,
    );
  const embeddingRows = integerField(config, 'vocab_size', configPath);
  const stPath = join(root, 'sentence_bert_config.json');
  const st = ((await readJson(files, stPath, 'max_seq_length and do_lower_case', false)) ?? {}) as Record<string, unknown>;
  const tcPath = join(root, 'tokenizer_config.json');
  const tc = ((await readJson(files, tcPath, 'the tokenizer configuration', false)) ?? {}) as Record<string, unknown>;
  await readJson(files, join(root, 'special_tokens_map.json'), 'the special tokens map', false);

  const spmPath = join(root, 'sentencepiece.bpe.model');
  // The tokenizer: XLM-R's SentencePiece model when there is one (native code reads it), else BERT's WordPiece.
  const wordPiece = (await files.check(spmPath, 'tokenizer')) ? undefined : await readWordPiece(files, tc);

  let maxSeqLength: number;
  if (options.maxSeqLength !== undefined) maxSeqLength = integerIn(options.maxSeqLength, 2, MAX_SEQ_LENGTH, 'maxSeqLength');
  else {
    // Hugging Face writes model_max_length 1e30 (int(1e30)) when a tokenizer has no limit: unset.
    const modelMaxLength = integerField(tc, 'model_max_length', tcPath);
    const [value, file, field] =
      st.max_seq_length !== undefined && st.max_seq_length !== null
        ? [integerField(st, 'max_seq_length', stPath), stPath, 'max_seq_length']
        : modelMaxLength !== undefined && modelMaxLength < UNSET_LENGTH
          ? [modelMaxLength, tcPath, 'model_max_length']
          : [undefined, '', ''];
    maxSeqLength = value ?? 512;
    if (maxPositions > 0) maxSeqLength = Math.min(maxSeqLength, maxPositions);
    if (value !== undefined && (maxSeqLength < 2 || maxSeqLength > MAX_SEQ_LENGTH))
      throw new ModelFileError(
        file,
        `${file}: "${field}" is ${value}; sentvec takes 2 (<s> and </s>) to ${MAX_SEQ_LENGTH} tokens. ` +
          'Correct the file, or pass maxSeqLength to Model.load()',
      );
  }
  if (maxPositions > 0 && maxSeqLength > maxPositions) {
    throw new InvalidArgumentError(
      `maxSeqLength ${maxSeqLength} exceeds the ${maxPositions} tokens this model's position embeddings allow (config.json max_position_embeddings ${maxPositionEmbeddings})`,
    );
  }
  let doLowerCase = Boolean(st.do_lower_case ?? false);
  if (options.doLowerCase !== undefined) {
    if (typeof options.doLowerCase !== 'boolean')
      throw new InvalidArgumentError(`Expected a boolean for doLowerCase but received ${describe(options.doLowerCase)}`);
    doLowerCase = options.doLowerCase;
  }

  // modules.json: Transformer → Pooling → Dense modules → optional Normalize.
  const modulesPath = join(root, 'modules.json');
  const modules = await readJson(files, modulesPath, 'the list of sentence-transformers modules', false);
  let poolingDir = '1_Pooling';
  let normalize = false;
  const dense: NativeDense[] = [];
  if (modules !== undefined) {
    if (!Array.isArray(modules)) throw new ModelFileError(modulesPath, `${modulesPath} must hold a JSON array of modules`);
    for (const m of modules as Array<Record<string, unknown>>) {
      const type = String(m?.type ?? '');
      const kind = type.split('.').pop();
      if (kind === 'Transformer') continue;
      if (kind === 'Pooling') {
        if (typeof m.path === 'string' && m.path !== '') poolingDir = relative(root, files.path(m.path, modulesPath));
      } else if (kind === 'Dense' && typeof m.path === 'string' && m.path !== '') {
        if (normalize)
          throw new ModelFileError(modulesPath, `${modulesPath} lists a Dense module after Normalize, which sentvec does not support`);
        dense.push(await readDense(files, m.path, modulesPath));
      } else if (kind === 'Normalize') {
        normalize = true;
      } else {
        throw new ModelFileError(
          modulesPath,
          `${modulesPath} lists a ${type} module, which sentvec does not support (supported: Transformer, Pooling, Dense, Normalize)`,
        );
      }
    }
  }
  if (options.normalize !== undefined) {
    if (typeof options.normalize !== 'boolean')
      throw new InvalidArgumentError(`Expected a boolean for normalize but received ${describe(options.normalize)}`);
    normalize = options.normalize;
  }
  const poolingPath = join(root, poolingDir, 'config.json');
  const pc = (await readJson(files, poolingPath, 'the pooling configuration (pooling_mode_mean_tokens, …)', false)) as
    Record<string, unknown> | undefined;
  const pooling: PoolingMode[] =
    options.pooling !== undefined ? checkPooling(options.pooling) : pc ? poolingFromConfig(pc, poolingPath) : ['mean'];
  const includePrompt = pc?.include_prompt !== false;

  // config_sentence_transformers.json: prompts, default_prompt_name, truncate_dim.
  const stcPath = join(root, 'config_sentence_transformers.json');
  const stc = ((await readJson(files, stcPath, 'prompts, default_prompt_name and truncate_dim', false)) ?? {}) as Record<string, unknown>;
  const isPromptMap = (v: unknown): v is Record<string, string> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((p) => typeof p === 'string');
  let prompts: Record<string, string> = {};
  if (stc.prompts !== undefined && stc.prompts !== null) {
    if (!isPromptMap(stc.prompts))
      throw new ModelFileError(stcPath, `${stcPath}: "prompts" must map prompt names to strings, found ${JSON.stringify(stc.prompts)}`);
    prompts = { ...stc.prompts };
  }
  if (options.prompts !== undefined) {
    if (!isPromptMap(options.prompts))
      throw new InvalidArgumentError(`Expected an object of prompt names to strings for prompts but received ${describe(options.prompts)}`);
    prompts = { ...options.prompts };
  }
  let defaultPromptName: string | undefined;
  const defaultName = options.defaultPromptName !== undefined ? options.defaultPromptName : stc.default_prompt_name;
  if (defaultName !== undefined && defaultName !== null) {
    const where = options.defaultPromptName !== undefined ? 'defaultPromptName' : `${stcPath}: "default_prompt_name"`;
    if (typeof defaultName !== 'string' || !(defaultName in prompts)) {
      const message = `${where} is ${JSON.stringify(defaultName)}, which is not one of the prompts (${Object.keys(prompts).join(', ') || 'none'})`;
      throw options.defaultPromptName !== undefined ? new InvalidArgumentError(message) : new ModelFileError(stcPath, message);
    }
    defaultPromptName = defaultName;
  }
  let truncateDim: number | undefined;
  if (options.truncateDim !== undefined && options.truncateDim !== null)
    truncateDim = integerIn(options.truncateDim, 1, 1 << 20, 'truncateDim');
  else if (options.truncateDim === undefined) truncateDim = integerField(stc, 'truncate_dim', stcPath);

  let onnxPath: string;
  const precision = options.precision ?? 'float32';
  if (precision !== 'float32' && precision !== 'int8')
    throw new InvalidArgumentError(`Expected 'float32' or 'int8' for precision but received ${describe(precision)}`);
  if (options.onnxFile !== undefined) {
    if (typeof options.onnxFile !== 'string' || options.onnxFile === '')
      throw new InvalidArgumentError(`Expected a file name for onnxFile but received ${describe(options.onnxFile)}`);
    if (options.precision !== undefined)
      throw new InvalidArgumentError('Expected onnxFile or precision, not both: onnxFile names the file itself');
    onnxPath = optionFile(root, options.onnxFile, 'onnxFile');
    // (A missing one is reported by the load itself.)
    await files.check(onnxPath, 'onnx');
  } else {
    const candidates = (precision === 'int8' ? int8Files() : ['onnx/model.onnx', 'model.onnx']).map((f) => join(root, f));
    const found = [];
    for (const c of candidates) if (await files.check(c, 'onnx')) found.push(c);
    if (found.length === 0) {
      throw new ModelFileError(
        candidates[0],
        precision === 'int8'
          ? `no int8 export in ${root} (looked for ${int8Files().join(', ')}): make one with \`sentvec quantize ${root}\` or quantizeModel()`
          : `no ONNX model in ${root}: expected ${candidates.join(' or ')}. Export one with optimum (\`optimum-cli export onnx --model <id> <dir>\`) or download the repository's onnx/ folder.`,
      );
    }
    onnxPath = found[0];
  }
  // ONNX Runtime reads the external weights of exports over 2 GB from beside the model.
  await files.check(`${onnxPath}_data`, 'onnxData');
  let threads = 0;
  if (options.threads !== undefined) threads = integerOption(options.threads, 'threads');
  const providers =
    options.providers === undefined ? [{ name: 'cpu', options: [] as Array<[string, string]> }] : resolveProviders(options.providers);
  let optimizedCache: string | undefined;
  if (options.optimizedCache !== undefined && options.optimizedCache !== false) {
    if (options.optimizedCache !== true && (typeof options.optimizedCache !== 'string' || options.optimizedCache === ''))
      throw new InvalidArgumentError(`Expected a boolean or a folder for optimizedCache but received ${describe(options.optimizedCache)}`);
    const folder = options.optimizedCache === true ? join(cacheRoot(), 'optimized') : resolve(options.optimizedCache);
    const file = await stat(onnxPath).catch(() => undefined);
    const key = createHash('sha256')
      .update(
        JSON.stringify({
          onnxPath,
          size: file?.size,
          mtime: file?.mtimeMs,
          ort: binding().onnxRuntimeVersion,
          sentvec: SENTVEC_VERSION,
          providers,
          cpu: [process.arch, cpus()[0]?.model],
        }),
      )
      .digest('hex')
      .slice(0, 24);
    // ONNX Runtime's format holds at most 2 GB (flatbuffers' offsets): a larger model would fail
    // its save on every load, after the time it takes, so it is not tried.
    const data = await stat(`${onnxPath}_data`).catch(() => undefined);
    if ((file?.size ?? 0) + (data?.size ?? 0) < ORT_FORMAT_LIMIT) {
      // A folder that cannot be made or written only costs the cache: the load goes on without it.
      // Private, as the load requires of it (a group-writable one is refused): umask may allow more.
      await mkdir(folder, { recursive: true, mode: 0o700 }).catch(() => undefined);
      optimizedCache = join(folder, `${key}.ort`);
    }
  }
  if (options.spinning !== undefined && typeof options.spinning !== 'boolean')
    throw new InvalidArgumentError(`Expected a boolean for spinning but received ${describe(options.spinning)}`);

  return {
    native: {
      onnxPath,
      tokenizerPath: wordPiece?.file ?? spmPath,
      ...(wordPiece ? { wordPiece: wordPiece.options } : {}),
      maxSeqLength,
      maxPositions,
      hiddenSize,
      doLowerCase,
      pooling,
      ...(dense.length > 0 ? { dense } : {}),
      threads,
      spinning: options.spinning ?? true,
      memoryArena: options.memoryArena === undefined ? maxSeqLength <= 512 : booleanOption(options.memoryArena, 'memoryArena'),
      providers,
      ...(optimizedCache ? { optimizedCache } : {}),
      fallback:
        options.fallback === undefined
          ? false
          : (() => {
              if (typeof options.fallback !== 'boolean')
                throw new InvalidArgumentError(`Expected a boolean for fallback but received ${describe(options.fallback)}`);
              return options.fallback;
            })(),
    },
    normalize,
    modelType,
    prompts,
    defaultPromptName,
    includePrompt,
    truncateDim,
    embeddingRows,
    configPath,
  };
}
