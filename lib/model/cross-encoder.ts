// A cross-encoder (reranker): reads a query and a passage together and scores the pair. It runs
// on the one path from inputs to outputs (lib/model/encode-plan.ts), with a 'score' head: pairs
// tokenized into one row each, the classifier's logits as native rows, the scheduler's batches,
// the activation in the finish step.
//
// CONTRACT FILE: the types below are what the server, the CLI, the search stores and the
// framework adapters are written against.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { binding, type NativeModel } from '../binding';
import { resolveModelDirectory, type LoadOptions } from './model-directory';
import { ACTIVATIONS, checkTexts, planPredict, type Activation, type ScoreFacts } from './encode-plan';
import { NativeLifetime } from './native-lifetime';
import { Executor } from './executor';
import { Scheduler, schedulerOptions, type SchedulerOptions } from './scheduler';
import { InvalidArgumentError, ModelFileError } from '../errors';
import { booleanOption, describe, integerIn, oneOf, rejectUnknownOptions } from '../validate';
import type { HubOptions } from '../hub/download';
import { HUB_OPTIONS } from '../hub/options';

/** How a cross-encoder's logits become scores: 'sigmoid' per value, 'softmax' over a pair's row; 'identity' and 'none' leave the logits as they are. */
export type { Activation };

/**
 * Options of {@link CrossEncoder.load}: those of `Model.load` that apply to a cross-encoder,
 * HubOptions (revision, cacheDir, offline, token, onProgress, …) for a hub id among them.
 * `maxSeqLength` is the longest pair in tokens, special tokens included (4 to the position
 * embeddings' limit; default: tokenizer_config.json's `model_max_length`, capped by them);
 * `precision: 'int8'` loads the int8 export that `quantizeModel()` makes of it.
 */
export type CrossEncoderLoadOptions = Pick<
  LoadOptions,
  | 'maxSeqLength'
  | 'onnxFile'
  | 'providers'
  | 'fallback'
  | 'threads'
  | 'spinning'
  | 'memoryArena'
  | 'scheduler'
  | 'optimizedCache'
  | 'precision'
  | 'doLowerCase'
> &
  HubOptions & {
    /** The activation `predict` applies when not told. Default: the model's (config.json), else sigmoid for one label, identity for more. */
    activation?: Activation;
  };

/** Options of {@link CrossEncoder.predict}. */
export interface PredictOptions {
  /** Pairs per inference batch at most, 1 to 1024. Default 32. Batches end early where padding would cost more than another run, as Model.encode's (docs/encoding.md, Batches). */
  batchSize?: number;
  /** Default: the model's (`info.activation`). `'none'` gives raw logits. */
  activation?: Activation;
}

/** Options of {@link CrossEncoder.rank}. */
export interface RankOptions extends PredictOptions {
  /** How many results, best first, 1 to 2^31 − 1. Default: all documents. */
  topK?: number;
  /** Put each document's text in its result. Default false. */
  returnDocuments?: boolean;
}

/** One document of {@link CrossEncoder.rank}'s answer. */
export interface RankResult {
  /** Position of the document in the `documents` argument. */
  index: number;
  /** The cross-encoder's score of the pair [query, document], through the activation. */
  score: number;
  /** Present when `returnDocuments` is true. */
  document?: string;
}

/** What a loaded cross-encoder is. */
export interface CrossEncoderInfo {
  /** Scores per pair: 1 for a reranker; > 1 for a classifier (predict returns `numLabels` per pair). */
  numLabels: number;
  /** The activation `predict` applies when not told: the `activation` load option, else what the model's files state. */
  activation: Activation;
  /** Longest pair in tokens, special tokens included. */
  maxSeqLength: number;
}

/** The part of a cross-encoder that the server, the CLI, the search stores and the adapters use. */
export interface Reranker {
  /** What the model is: labels per pair, default activation, longest pair. */
  readonly info: Readonly<CrossEncoderInfo>;
  /** Scores each `[query, passage]` pair: `info.numLabels` values per pair, row-major. */
  predict(pairs: ReadonlyArray<readonly [string, string]>, options?: PredictOptions): Promise<Float32Array>;
  /**
   * The documents by their score against `query`, best first: `min(topK, documents.length)`
   * results, each index once, each score finite (the server, the stores and the CLI check this).
   */
  rank(query: string, documents: readonly string[], options?: RankOptions): Promise<RankResult[]>;
  /** Frees the model once the calls already accepted have finished. */
  dispose(): Promise<void>;
}

/**
 * A cross-encoder model (a reranker): reads a query and a passage together and scores the pair,
 * as sentence-transformers' CrossEncoder does.
 *
 * ```ts
 * const reranker = await CrossEncoder.load('./bge-reranker-base');
 * const ranked = await reranker.rank('How fast is it?', passages, { topK: 3 });
 * ```
 */
export class CrossEncoder implements Reranker {
  /** What the model is: labels per pair, default activation, longest pair. */
  readonly info: Readonly<CrossEncoderInfo>;
  /** The ONNX file in use (absolute path). */
  readonly onnxPath: string;
  #lifetime: NativeLifetime;
  #executor: Executor;
  #scheduler: Scheduler | undefined;

  private constructor(native: NativeModel, info: CrossEncoderInfo, onnxPath: string, scheduler: boolean | SchedulerOptions) {
    this.info = Object.freeze(info);
    this.onnxPath = onnxPath;
    const nativeInfo = native.info();
    if (scheduler !== false) this.#scheduler = new Scheduler(native, nativeInfo.dimension, scheduler === true ? {} : scheduler);
    this.#lifetime = new NativeLifetime(native, this.#scheduler, 'the cross-encoder was disposed; load it again with CrossEncoder.load()');
    this.#executor = new Executor(() => this.#lifetime.live(), this.#scheduler, nativeInfo, true);
  }

  /**
   * Loads a cross-encoder (a *ForSequenceClassification export) from a folder or a Hugging Face
   * hub id, by `Model.load`'s rule: `'org/name'` or `'hf://org/name@revision'` is downloaded into
   * sentvec's cache on first use (or found there or in the Hugging Face cache); a path that is
   * absolute, begins with `./`, `../` or `~`, or exists is a folder. Files are read off the event loop.
   *
   * ```ts
   * const reranker = await CrossEncoder.load('BAAI/bge-reranker-base');
   * ```
   */
  static async load(idOrDir: string, options: CrossEncoderLoadOptions = {}): Promise<CrossEncoder> {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
    rejectUnknownOptions(options, LOAD_OPTIONS, 'CrossEncoder.load()');
    const { activation: wanted, ...rest } = options;
    const chosen = wanted === undefined ? undefined : oneOf(wanted, ACTIVATIONS, 'activation');
    const scheduler = rest.scheduler ?? true;
    if (typeof scheduler !== 'boolean' && (scheduler === null || typeof scheduler !== 'object'))
      throw new InvalidArgumentError(`Expected a boolean or an options object for scheduler but received ${describe(scheduler)}`);
    if (typeof scheduler === 'object') schedulerOptions(scheduler);
    // The hub code is loaded on the first load, not with CrossEncoder: an adapter's require stays light.
    const { resolveModel } = await import('../hub/resolve');
    const dir = await resolveModel(idOrDir, rest);
    const config = await resolveModelDirectory(dir, rest);
    const head = await readHead(config.configPath);
    const native = await binding().loadModel({ ...config.native, scores: true, numLabels: head.numLabels ?? 0 });
    const nativeInfo = native.info();
    const numLabels = nativeInfo.dimension;
    const info: CrossEncoderInfo = {
      numLabels,
      activation: chosen ?? head.activation ?? (numLabels === 1 ? 'sigmoid' : 'identity'),
      maxSeqLength: nativeInfo.maxSeqLength,
    };
    const model = new CrossEncoder(native, info, resolve(config.native.onnxPath), scheduler);
    for (const warning of nativeInfo.providerWarnings) process.emitWarning(warning, { code: 'SENTVEC_PROVIDER_FALLBACK' });
    return model;
  }

  /** The batching scheduler that coalesces concurrent small calls (undefined when disabled). */
  get scheduler(): Scheduler | undefined {
    return this.#scheduler;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.#lifetime.disposed;
  }

  /**
   * Scores each `[query, passage]` pair: `numLabels` values per pair, row-major (one per pair for
   * a reranker), through the activation. Pairs longer than `maxSeqLength` are truncated
   * longest_first, as sentence-transformers does. Runs off the event loop.
   */
  async predict(pairs: ReadonlyArray<readonly [string, string]>, options: PredictOptions = {}): Promise<Float32Array> {
    this.#lifetime.live();
    const plan = planPredict(this.#facts(), pairs, options);
    return (await this.#lifetime.accepted(() => this.#executor.run(plan))).embeddings.data;
  }

  /** The documents by their score against `query`, best first (ties in document order). */
  async rank(query: string, documents: readonly string[], options: RankOptions = {}): Promise<RankResult[]> {
    this.#lifetime.live();
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
    rejectUnknownOptions(options, RANK_OPTIONS, 'rank()');
    if (typeof query !== 'string') throw new InvalidArgumentError(`Expected a string for query but received ${describe(query)}`);
    checkTexts([query], 'query');
    if (!Array.isArray(documents))
      throw new InvalidArgumentError(`Expected an array of strings for documents but received ${describe(documents)}`);
    try {
      checkTexts(documents, 'documents');
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(err.message.replace(/^texts\[/, 'documents['), err.index);
      throw err;
    }
    if (this.info.numLabels !== 1)
      throw new InvalidArgumentError(
        `rank() orders by one score per document, and this model gives ${this.info.numLabels} (a classifier): use predict()`,
      );
    const topK = options.topK === undefined ? documents.length : integerIn(options.topK, 1, 2 ** 31 - 1, 'topK');
    const returnDocuments = options.returnDocuments === undefined ? false : booleanOption(options.returnDocuments, 'returnDocuments');
    const scores = await this.predict(
      documents.map((d) => [query, d] as const),
      { batchSize: options.batchSize, activation: options.activation },
    );
    const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
    return order.slice(0, topK).map((index) => ({
      index,
      score: scores[index],
      ...(returnDocuments ? { document: documents[index] } : {}),
    }));
  }

  /**
   * Frees the native model. Calls already accepted finish normally and the memory goes after the
   * last of them; later calls throw DisposedError.
   */
  async dispose(): Promise<void> {
    this.#lifetime.dispose();
  }

  /** `dispose()`, for `await using reranker = await CrossEncoder.load(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #facts(): ScoreFacts {
    return { labels: this.info.numLabels, activation: this.info.activation, scheduled: this.#scheduler !== undefined };
  }
}

const LOAD_OPTIONS = new Set([
  'maxSeqLength',
  'onnxFile',
  'providers',
  'fallback',
  'threads',
  'spinning',
  'memoryArena',
  'scheduler',
  'optimizedCache',
  'precision',
  'doLowerCase',
  'activation',
  ...HUB_OPTIONS,
]);
const RANK_OPTIONS = new Set(['topK', 'returnDocuments', 'batchSize', 'activation']);

// sentence-transformers' names of the activations it applies (torch modules).
const TORCH_ACTIVATIONS: Record<string, Activation> = {
  'torch.nn.modules.activation.Sigmoid': 'sigmoid',
  'torch.nn.modules.activation.Softmax': 'softmax',
  'torch.nn.modules.linear.Identity': 'identity',
};

// What config.json says of the head: labels (id2label, else num_labels) and activation
// (sentence_transformers.activation_fn, else the older sbert_ce_default_activation_function).
async function readHead(configPath: string): Promise<{ numLabels: number | undefined; activation: Activation | undefined }> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    // (It was read and parsed a moment before: this is a file replaced during the load.)
    throw new ModelFileError(configPath, `${configPath} could not be read again as JSON (${(err as Error).message}); retry the load`);
  }
  const labels = config.id2label;
  let numLabels: number | undefined;
  if (labels !== null && typeof labels === 'object' && !Array.isArray(labels)) numLabels = Object.keys(labels).length;
  else if (Number.isInteger(config.num_labels) && (config.num_labels as number) > 0) numLabels = config.num_labels as number;
  const st = config.sentence_transformers as Record<string, unknown> | undefined;
  const named = (st !== null && typeof st === 'object' ? st.activation_fn : undefined) ?? config.sbert_ce_default_activation_function;
  if (named === undefined || named === null) return { numLabels, activation: undefined };
  const activation = typeof named === 'string' ? TORCH_ACTIVATIONS[named] : undefined;
  if (!activation)
    throw new ModelFileError(
      configPath,
      `${configPath} names the activation ${JSON.stringify(named)}, which sentvec does not apply (it applies ${Object.keys(TORCH_ACTIVATIONS).join(', ')}); ` +
        "pass the activation option to CrossEncoder.load, e.g. { activation: 'none' } for raw logits",
    );
  return { numLabels, activation };
}
