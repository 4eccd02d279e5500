// Resolves a model directory and Model.load()'s options into the native model configuration:
// model-reader.ts reads what the files say; here each option is checked and overrides it.
import { mkdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { NativeModelConfig, PoolingMode } from '../binding';
import { binding } from '../binding';
import { cacheRoot } from '../cache-dir';
import type { HubOptions } from '../hub/download';
import { HUB_OPTIONS } from '../hub/options';
import { InvalidArgumentError, ModelFileError } from '../errors';
import { optionFile, type ModelFolder } from './model-file';
import {
  int8Files,
  integerField,
  maxSeqLengthFromFiles,
  openModelDirectory,
  poolingFromConfig,
  readModules,
  readPoolingConfig,
  readSentenceTransformersConfig,
  readTokenizerFiles,
  readTransformerConfig,
  type JsonObject,
  type TokenizerFiles,
  type TransformerConfig,
} from './model-reader';
import type { SchedulerOptions } from './scheduler';
import { resolveProviders, type Provider } from './providers';
import { booleanOption, describe, integerIn, integerOption, oneOf, RANGES, rejectUnknownOptions } from '../validate';

// The largest model that ONNX Runtime's format (a flatbuffer) can hold.
const ORT_FORMAT_LIMIT = 2 ** 31;
// This sentvec's version (optimized-model cache keys change with it).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits outside the TypeScript root
const SENTVEC_VERSION: string = (require('../../../package.json') as { version: string }).version;
// The longest input sentvec takes, in tokens.
const MAX_SEQ_LENGTH = RANGES.maxSeqLength[1];

type NativeProviders = NativeModelConfig['providers'];

/**
 * Options of {@link Model.load}: where a model named by hub id comes from (HubOptions: revision,
 * cacheDir, offline, token, onProgress, …; ignored for a folder, but for revision, which is an
 * error there), then how to run it: each of these overrides what the model folder says.
 */
export interface LoadOptions extends HubOptions {
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
   * says which. Faster and smaller, with vectors that differ slightly from float32 (docs/int8-and-cold-start.md).
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
   * or that others may write is refused with an InvalidArgumentError (docs/int8-and-cold-start.md).
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

const LOAD_OPTIONS = new Set([
  ...HUB_OPTIONS,
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

function checkPooling(value: unknown): PoolingMode[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new InvalidArgumentError('Expected at least one pooling mode for pooling');
  const modes = binding().poolingModes;
  for (const m of list) oneOf(m, modes, 'pooling');
  return modes.filter((m) => list.includes(m));
}

function checkPrecision(precision: unknown): 'float32' | 'int8' {
  if (precision !== 'float32' && precision !== 'int8')
    throw new InvalidArgumentError(`Expected 'float32' or 'int8' for precision but received ${describe(precision)}`);
  return precision;
}

/**
 * Model.load()'s options object, its names, and the values that need no file to check — before a
 * download or a read, so that a wrong value costs nothing (the rest are checked where they are used).
 */
export function checkLoadOptions(options: unknown): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
  const o = options as LoadOptions;
  rejectUnknownOptions(o as Record<string, unknown>, LOAD_OPTIONS, 'Model.load()');
  if (o.threads !== undefined) integerOption(o.threads, 'threads');
  if (o.maxSeqLength !== undefined) integerIn(o.maxSeqLength, 2, MAX_SEQ_LENGTH, 'maxSeqLength');
  for (const name of ['doLowerCase', 'normalize', 'spinning', 'memoryArena', 'fallback'] as const)
    if (o[name] !== undefined) booleanOption(o[name], name);
  if (o.precision !== undefined) checkPrecision(o.precision);
}

function checkArguments(dir: unknown, options: unknown): void {
  if (typeof dir !== 'string' || dir === '')
    throw new InvalidArgumentError(`Expected a model directory path for dir but received ${describe(dir)}`);
  checkLoadOptions(options);
}

/** maxSeqLength: the option, else what the files say; within the position embeddings either way. */
function maxSeqLengthOf(options: LoadOptions, tokenizer: TokenizerFiles, transformer: TransformerConfig): number {
  const { maxPositions, maxPositionEmbeddings } = transformer;
  const maxSeqLength =
    options.maxSeqLength !== undefined
      ? integerIn(options.maxSeqLength, 2, MAX_SEQ_LENGTH, 'maxSeqLength')
      : maxSeqLengthFromFiles(tokenizer, maxPositions, MAX_SEQ_LENGTH);
  if (maxPositions > 0 && maxSeqLength > maxPositions) {
    throw new InvalidArgumentError(
      `maxSeqLength ${maxSeqLength} exceeds the ${maxPositions} tokens this model's position embeddings allow (config.json max_position_embeddings ${maxPositionEmbeddings})`,
    );
  }
  return maxSeqLength;
}

const isPromptMap = (v: unknown): v is Record<string, string> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((p) => typeof p === 'string');

/** prompts, defaultPromptName and truncateDim: each option, else config_sentence_transformers.json. */
function promptsOf(
  options: LoadOptions,
  stc: JsonObject,
  stcPath: string,
): Pick<ResolvedConfig, 'prompts' | 'defaultPromptName' | 'truncateDim'> {
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
    truncateDim = integerOption(options.truncateDim, 'dimension', 'truncateDim');
  else if (options.truncateDim === undefined) truncateDim = integerField(stc, 'truncate_dim', stcPath);
  return { prompts, defaultPromptName, truncateDim };
}

/** The ONNX file to load: onnxFile, else the first export of the precision that the folder has. */
async function onnxFileOf(files: ModelFolder, options: LoadOptions): Promise<string> {
  const root = files.root;
  const precision = checkPrecision(options.precision ?? 'float32');
  if (options.onnxFile !== undefined) {
    if (typeof options.onnxFile !== 'string' || options.onnxFile === '')
      throw new InvalidArgumentError(`Expected a file name for onnxFile but received ${describe(options.onnxFile)}`);
    if (options.precision !== undefined)
      throw new InvalidArgumentError('Expected onnxFile or precision, not both: onnxFile names the file itself');
    const onnxPath = optionFile(root, options.onnxFile, 'onnxFile');
    // (A missing one is reported by the load itself.)
    await files.check(onnxPath, 'onnx');
    return onnxPath;
  }
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
  return found[0];
}

// Size and mtime alone let an edit of the same size with its mtime restored (cp -p, rsync -a,
// tar x, touch -r) run the stale entry: ctime (which no user can set), device and inode of the
// export and of its weights make any rewrite or replacement a new key. Cheaper than hashing
// up to 2 GB on every load; a chmod or a new link also changes ctime, costing one re-optimization.
async function fileIdentity(path: string): Promise<string[] | undefined> {
  const st = await stat(path, { bigint: true }).catch(() => undefined);
  return st && [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].map(String);
}

/** What an optimized model depends on: the model file and its weights, ONNX Runtime, sentvec, the providers and the CPU. */
async function optimizedCacheKey(onnxPath: string, providers: NativeProviders): Promise<string> {
  return createHash('sha256')
    .update(
      JSON.stringify({
        onnxPath,
        onnx: await fileIdentity(onnxPath),
        onnxData: await fileIdentity(`${onnxPath}_data`),
        ort: binding().onnxRuntimeVersion,
        sentvec: SENTVEC_VERSION,
        providers,
        cpu: [process.arch, cpus()[0]?.model],
      }),
    )
    .digest('hex')
    .slice(0, 24);
}

/** The file of the optimized model (optimizedCache), or undefined when it is off or the model too large for it. */
async function optimizedCacheFile(value: LoadOptions['optimizedCache'], onnxPath: string, providers: NativeProviders, cacheDir?: string) {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'string' || value === ''))
    throw new InvalidArgumentError(`Expected a boolean or a folder for optimizedCache but received ${describe(value)}`);
  const folder = value === true ? join(cacheRoot({ cacheDir }), 'optimized') : resolve(value);
  const file = await stat(onnxPath).catch(() => undefined);
  const key = await optimizedCacheKey(onnxPath, providers);
  // ONNX Runtime's format holds at most 2 GB (flatbuffers' offsets): a larger model would fail
  // its save on every load, after the time it takes, so it is not tried.
  const data = await stat(`${onnxPath}_data`).catch(() => undefined);
  if ((file?.size ?? 0) + (data?.size ?? 0) >= ORT_FORMAT_LIMIT) return undefined;
  // A folder that cannot be made or written only costs the cache: the load goes on without it.
  // Private, as the load requires of it (a group-writable one is refused): umask may allow more.
  await mkdir(folder, { recursive: true, mode: 0o700 }).catch(() => undefined);
  return join(folder, `${key}.ort`);
}

export async function resolveModelDirectory(dir: string, options: LoadOptions): Promise<ResolvedConfig> {
  checkArguments(dir, options);
  const files = await openModelDirectory(resolve(dir));
  const transformer = await readTransformerConfig(files);
  const tokenizer = await readTokenizerFiles(files);
  const maxSeqLength = maxSeqLengthOf(options, tokenizer, transformer);
  const doLowerCase =
    options.doLowerCase === undefined ? Boolean(tokenizer.st.do_lower_case ?? false) : booleanOption(options.doLowerCase, 'doLowerCase');
  const modules = await readModules(files);
  const normalize = options.normalize === undefined ? modules.normalize : booleanOption(options.normalize, 'normalize');
  const poolingConfig = await readPoolingConfig(files, modules.poolingDir);
  const pc = poolingConfig.config;
  const pooling: PoolingMode[] =
    options.pooling !== undefined ? checkPooling(options.pooling) : pc ? poolingFromConfig(pc, poolingConfig.path) : ['mean'];
  const stc = await readSentenceTransformersConfig(files);
  const prompts = promptsOf(options, stc.config, stc.path);
  const onnxPath = await onnxFileOf(files, options);
  // ONNX Runtime reads the external weights of exports over 2 GB from beside the model.
  await files.check(`${onnxPath}_data`, 'onnxData');
  const threads = options.threads === undefined ? 0 : integerOption(options.threads, 'threads');
  const providers: NativeProviders = options.providers === undefined ? [{ name: 'cpu', options: [] }] : resolveProviders(options.providers);
  const optimizedCache = await optimizedCacheFile(options.optimizedCache, onnxPath, providers, options.cacheDir);
  const spinning = options.spinning === undefined ? true : booleanOption(options.spinning, 'spinning');
  return {
    native: {
      onnxPath,
      tokenizerPath: tokenizer.wordPiece?.file ?? tokenizer.spmPath,
      ...(tokenizer.wordPiece ? { wordPiece: tokenizer.wordPiece.options } : {}),
      maxSeqLength,
      maxPositions: transformer.maxPositions,
      hiddenSize: transformer.hiddenSize,
      doLowerCase,
      pooling,
      ...(modules.dense.length > 0 ? { dense: modules.dense } : {}),
      threads,
      spinning,
      memoryArena: options.memoryArena === undefined ? maxSeqLength <= 512 : booleanOption(options.memoryArena, 'memoryArena'),
      providers,
      ...(optimizedCache ? { optimizedCache } : {}),
      fallback: options.fallback === undefined ? false : booleanOption(options.fallback, 'fallback'),
    },
    normalize,
    modelType: transformer.modelType,
    ...prompts,
    includePrompt: pc?.include_prompt !== false,
    embeddingRows: transformer.embeddingRows,
    configPath: transformer.configPath,
  };
}
