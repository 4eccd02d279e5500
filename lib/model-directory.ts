// Reads a model directory (the sentence-transformers repository layout) into the native model
// configuration. Every problem names the file and what was expected.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { NativeModelConfig, PoolingMode } from './binding';
import { InvalidArgumentError, ModelFileError } from './errors';
import type { SchedulerOptions } from './scheduler';
import { resolveProviders, type Provider } from './providers';
import { describe, integerIn, integerOption, rejectUnknownOptions } from './validate';

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
}

const POOLING_ORDER: PoolingMode[] = ['cls', 'max', 'mean', 'mean_sqrt_len'];
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
]);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string, expected: string, required: boolean): Promise<Record<string, unknown> | unknown[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    throw new ModelFileError(
      path,
      `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected ${expected}`,
    );
  }
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

  const configPath = join(root, 'config.json');
  const config = (await readJson(configPath, 'the transformer configuration (model_type, hidden_size, …)', true)) as Record<
    string,
    unknown
  >;
  const modelType = config.model_type;
  if (modelType !== 'xlm-roberta') {
    throw new ModelFileError(
      configPath,
      `${configPath}: model_type is ${JSON.stringify(modelType)}; sentvec runs XLM-RoBERTa models ("xlm-roberta"), such as paraphrase-multilingual-mpnet-base-v2`,
    );
  }
  const hiddenSize = integerField(config, 'hidden_size', configPath) ?? 0;
  const maxPositionEmbeddings = integerField(config, 'max_position_embeddings', configPath);
  // XLM-R numbers positions from padding_idx + 1 = 2, so two rows are never used by tokens.
  const maxPositions = maxPositionEmbeddings ? maxPositionEmbeddings - 2 : 0;

  const stPath = join(root, 'sentence_bert_config.json');
  const st = ((await readJson(stPath, 'max_seq_length and do_lower_case', false)) ?? {}) as Record<string, unknown>;
  const tcPath = join(root, 'tokenizer_config.json');
  const tc = ((await readJson(tcPath, 'the tokenizer configuration', false)) ?? {}) as Record<string, unknown>;
  await readJson(join(root, 'special_tokens_map.json'), 'the special tokens map', false);

  let maxSeqLength =
    options.maxSeqLength !== undefined
      ? integerIn(options.maxSeqLength, 2, 1 << 20, 'maxSeqLength')
      : (integerField(st, 'max_seq_length', stPath) ?? integerField(tc, 'model_max_length', tcPath) ?? 512);
  if (options.maxSeqLength === undefined && maxPositions > 0) maxSeqLength = Math.min(maxSeqLength, maxPositions);
  if (maxSeqLength < 2)
    throw new InvalidArgumentError(`Expected at least 2 for maxSeqLength (it counts <s> and </s>) but received ${maxSeqLength}`);
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

  // modules.json: Transformer → Pooling → optional Normalize.
  const modulesPath = join(root, 'modules.json');
  const modules = await readJson(modulesPath, 'the list of sentence-transformers modules', false);
  let poolingDir = '1_Pooling';
  let normalize = false;
  if (modules !== undefined) {
    if (!Array.isArray(modules)) throw new ModelFileError(modulesPath, `${modulesPath} must hold a JSON array of modules`);
    for (const m of modules as Array<Record<string, unknown>>) {
      const type = String(m?.type ?? '');
      const kind = type.split('.').pop();
      if (kind === 'Transformer') continue;
      if (kind === 'Pooling') {
        if (typeof m.path === 'string' && m.path !== '') poolingDir = m.path;
      } else if (kind === 'Normalize') {
        normalize = true;
      } else {
        throw new ModelFileError(
          modulesPath,
          `${modulesPath} lists a ${type} module, which sentvec does not support (supported: Transformer, Pooling, Normalize)`,
        );
      }
    }
  }
  if (options.normalize !== undefined) {
    if (typeof options.normalize !== 'boolean')
      throw new InvalidArgumentError(`Expected a boolean for normalize but received ${describe(options.normalize)}`);
    normalize = options.normalize;
  }
  let pooling: PoolingMode[];
  if (options.pooling !== undefined) {
    pooling = checkPooling(options.pooling);
  } else {
    const poolingPath = join(root, poolingDir, 'config.json');
    const pc = (await readJson(poolingPath, 'the pooling configuration (pooling_mode_mean_tokens, …)', false)) as
      Record<string, unknown> | undefined;
    pooling = pc ? poolingFromConfig(pc, poolingPath) : ['mean'];
  }

  let onnxPath: string;
  if (options.onnxFile !== undefined) {
    if (typeof options.onnxFile !== 'string' || options.onnxFile === '')
      throw new InvalidArgumentError(`Expected a file name for onnxFile but received ${describe(options.onnxFile)}`);
    onnxPath = resolve(root, options.onnxFile);
  } else {
    const candidates = [join(root, 'onnx', 'model.onnx'), join(root, 'model.onnx')];
    const found = [];
    for (const c of candidates) if (await exists(c)) found.push(c);
    if (found.length === 0) {
      throw new ModelFileError(
        candidates[0],
        `no ONNX model in ${root}: expected ${candidates.join(' or ')}. Export one with optimum (\`optimum-cli export onnx --model <id> <dir>\`) or download the repository's onnx/ folder.`,
      );
    }
    onnxPath = found[0];
  }
  let threads = 0;
  if (options.threads !== undefined) threads = integerOption(options.threads, 'threads');
  if (options.spinning !== undefined && typeof options.spinning !== 'boolean')
    throw new InvalidArgumentError(`Expected a boolean for spinning but received ${describe(options.spinning)}`);

  return {
    native: {
      onnxPath,
      tokenizerPath: join(root, 'sentencepiece.bpe.model'),
      maxSeqLength,
      maxPositions,
      hiddenSize,
      doLowerCase,
      pooling,
      threads,
      spinning: options.spinning ?? true,
      providers: options.providers === undefined ? [{ name: 'cpu', options: [] }] : resolveProviders(options.providers),
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
  };
}
