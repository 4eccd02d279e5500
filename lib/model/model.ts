import { resolve } from 'node:path';
import { binding, type ModelInfo, type NativeModel, type NativeModelInfo, type PoolingMode } from '../binding';

export type { ModelInfo };
import { checkLoadOptions, resolveModelDirectory, type LoadOptions, type ResolvedConfig } from './model-directory';
import { describe } from '../validate';
import { Embeddings } from './embeddings';
import { checkTexts, planEncode, planTokens, type EncodeOptions, type EncodePlan, type ModelFacts } from './encode-plan';
import { NativeLifetime } from './native-lifetime';
import { Executor, type Encoded } from './executor';
import { InvalidArgumentError, ModelFileError } from '../errors';
import { Scheduler, schedulerOptions, type SchedulerOptions } from './scheduler';

export type { EncodeOptions };

export type { BatchEvent } from './scheduler';

/** The tokens of one input: `<s>`, its pieces, `</s>`. */
export class Tokenized {
  /** Token ids, as the ONNX model receives them. */
  readonly ids: Int32Array;
  /** True when the input had more tokens than `maxSeqLength` allows. */
  readonly truncated: boolean;
  readonly #vocabulary: () => readonly string[];

  /** @internal */
  constructor(ids: Int32Array, truncated: boolean, vocabulary: () => readonly string[]) {
    this.ids = ids;
    this.truncated = truncated;
    this.#vocabulary = vocabulary;
  }

  /** The token strings of `ids` (`<unk>` for unknown pieces), looked up on first use. */
  get tokens(): string[] {
    const vocabulary = this.#vocabulary();
    return Array.from(this.ids, (id) => vocabulary[id]);
  }
}

/**
 * A sentence-transformers model (XLM-RoBERTa encoder + pooling) running in native code.
 *
 * ```ts
 * const model = await Model.load('./paraphrase-multilingual-mpnet-base-v2');
 * const embeddings = await model.encode(['Hello', 'Bonjour'], { normalize: true });
 * ```
 */
export class Model {
  #lifetime: NativeLifetime;
  #info: NativeModelInfo;
  #normalize: boolean;
  #pooling: PoolingMode[];
  #prompts: Readonly<Record<string, string>>;
  #defaultPromptName: string | undefined;
  #includePrompt: boolean;
  #truncateDim: number | undefined;
  #executor: Executor;
  #vocabulary: readonly string[] | undefined;
  #scheduler: Scheduler | undefined;

  /** The ONNX file in use (absolute path): the `onnxFile` option, else onnx/model.onnx, else model.onnx. */
  readonly onnxPath: string;

  private constructor(native: NativeModel, config: ResolvedConfig, scheduler: boolean | SchedulerOptions) {
    this.onnxPath = resolve(config.native.onnxPath);
    this.#info = native.info();
    this.#normalize = config.normalize;
    this.#pooling = config.native.pooling;
    this.#prompts = Object.freeze({ ...config.prompts });
    this.#defaultPromptName = config.defaultPromptName;
    this.#includePrompt = config.includePrompt;
    if (config.truncateDim !== undefined && config.truncateDim > this.#info.dimension) {
      native.dispose();
      throw new InvalidArgumentError(`truncateDim ${config.truncateDim} exceeds the model's dimension ${this.#info.dimension}`);
    }
    this.#truncateDim = config.truncateDim;
    // A token id past the embedding table fails the whole batch it runs in, whoever sent it.
    if (config.embeddingRows !== undefined && config.embeddingRows < this.#info.vocabSize) {
      native.dispose();
      throw new ModelFileError(
        config.configPath,
        `${config.configPath} says vocab_size ${config.embeddingRows}, but the tokenizer (${config.native.tokenizerPath}) has ` +
          `${this.#info.vocabSize} tokens: ids from ${config.embeddingRows} on have no row in the embedding table. ` +
          'The tokenizer and the model do not belong together: download them from one repository',
      );
    }
    if (scheduler !== false) this.#scheduler = new Scheduler(native, this.#info.dimension, scheduler === true ? {} : scheduler);
    this.#lifetime = new NativeLifetime(native, this.#scheduler);
    this.#executor = new Executor(() => this.#lifetime.live(), this.#scheduler, this.#info, this.#includePrompt);
  }

  /**
   * The batching scheduler that coalesces concurrent small calls (undefined when disabled): the
   * server's view of batches and queue depth, not a stable interface.
   * @internal
   */
  get scheduler(): Scheduler | undefined {
    return this.#scheduler;
  }

  /**
   * Loads a model in the sentence-transformers layout: a folder, or a Hugging Face hub id
   * (`'org/name'`, or `'hf://org/name@revision'`) that is downloaded into sentvec's cache on first
   * use, or found there or in the Hugging Face cache (then no network is used). A string is a
   * folder when it is absolute, begins with `./`, `../` or `~`, or exists; else `org/name` is a
   * hub id (`./org/name` forces the folder, `hf://org/name` the hub). See HubOptions for the
   * download (revision, cacheDir, offline, token, onProgress). Files are read and parsed off the
   * event loop.
   *
   * ```ts
   * const model = await Model.load('sentence-transformers/paraphrase-multilingual-mpnet-base-v2');
   * const local = await Model.load('./models/my-model', { threads: 2 });
   * ```
   */
  static async load(idOrDir: string, options: LoadOptions = {}): Promise<Model> {
    checkLoadOptions(options);
    // The hub code is loaded on the first load, not with Model: an adapter's require stays light.
    const { resolveModel } = await import('../hub/resolve');
    const dir = await resolveModel(idOrDir, options);
    const config = await resolveModelDirectory(dir, options);
    const scheduler = options.scheduler ?? true;
    if (typeof scheduler !== 'boolean' && (scheduler === null || typeof scheduler !== 'object')) {
      throw new InvalidArgumentError(`Expected a boolean or an options object for scheduler but received ${describe(scheduler)}`);
    }
    if (typeof scheduler === 'object') schedulerOptions(scheduler);
    const native = await binding().loadModel(config.native);
    const model = new Model(native, config, scheduler);
    for (const warning of model.#info.providerWarnings) process.emitWarning(warning, { code: 'SENTVEC_PROVIDER_FALLBACK' });
    return model;
  }

  /**
   * Width of the vectors `encode` returns by default: `truncateDim` when set, else the model's
   * full width (`info.dimension`). One call's `dimensions` option narrows that call's vectors
   * further (1 to `info.dimension`).
   */
  get dimension(): number {
    return this.#truncateDim ?? this.#info.dimension;
  }

  /** The model's named prompts (config_sentence_transformers.json `prompts`, or the `prompts` load option). */
  get prompts(): Readonly<Record<string, string>> {
    return this.#prompts;
  }

  /** The prompt `encode` applies when given none, if any. */
  get defaultPromptName(): string | undefined {
    return this.#defaultPromptName;
  }

  /** Whether pooling counts the prompt's tokens (Pooling's include_prompt; false leaves them out, as sentence-transformers does). */
  get includePrompt(): boolean {
    return this.#includePrompt;
  }

  /** Longest input in tokens, counting `<s>` and `</s>`. */
  get maxSeqLength(): number {
    return this.#info.maxSeqLength;
  }

  /** Tokens the tokenizer knows, specials included. */
  get vocabSize(): number {
    return this.#info.vocabSize;
  }

  /** The execution provider in use: cpu, cuda, tensorrt, coreml or nnapi. */
  get provider(): string {
    return this.#info.provider;
  }

  /** Whether `encode` normalizes when not told. */
  get normalize(): boolean {
    return this.#normalize;
  }

  /** Pooling modes in use (or the model's own pooled output, see `info`). */
  get pooling(): readonly PoolingMode[] {
    return this.#pooling;
  }

  /** Details of the loaded model: ONNX output used, intra-op threads, … */
  get info(): Readonly<ModelInfo> {
    return { ...this.#info };
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.#lifetime.disposed;
  }

  /** Embeds one text or many; row i of the result belongs to input i. Runs off the event loop. */
  async encode(texts: string | readonly string[], options: EncodeOptions = {}): Promise<Embeddings> {
    this.#lifetime.live();
    return (await this.run(planEncode(this.facts, texts, options))).embeddings;
  }

  /**
   * Embeds inputs tokenized already: token ids framed as `tokenize()` returns them (`<s>` … `</s>`),
   * each at most `maxSeqLength` long. Shares batches with concurrent calls (the scheduler).
   */
  async encodeTokens(inputs: readonly (Int32Array | readonly number[])[], options: { normalize?: boolean } = {}): Promise<Embeddings> {
    this.#lifetime.live();
    return (await this.run(planTokens(this.facts, inputs, options))).embeddings;
  }

  /** @internal What a plan (lib/encode-plan.ts) needs to know of this model. */
  get facts(): ModelFacts {
    return {
      info: this.#info,
      dimension: this.dimension,
      normalize: this.#normalize,
      prompts: this.#prompts,
      defaultPromptName: this.#defaultPromptName,
      scheduled: this.#scheduler !== undefined,
    };
  }

  /** @internal Carries out a plan (the server's routes make theirs from requests). dispose() waits for it. */
  async run(plan: EncodePlan): Promise<Encoded> {
    this.#lifetime.live();
    return this.#lifetime.accepted(() => this.#executor.run(plan));
  }

  /** Tokenizes as the model does (same ids, same truncation). Runs off the event loop. */
  async tokenize(text: string): Promise<Tokenized>;
  async tokenize(texts: readonly string[]): Promise<Tokenized[]>;
  async tokenize(texts: string | readonly string[]): Promise<Tokenized | Tokenized[]> {
    const native = this.#lifetime.live();
    const list = checkTexts(texts, 'texts');
    if (list.length === 0) return [];
    const result = await this.#lifetime.accepted(async () => {
      return await native.tokenize(list);
    });
    // Token strings are built once per model, and only if asked for (Tokenized.tokens).
    // (After dispose() the native model may be gone: the strings cannot be had then.)
    const vocabulary = () => (this.#vocabulary ??= this.#lifetime.live().vocabulary());
    const { ids, offsets, truncated } = result;
    const items = Array.from(list, (_, i) => new Tokenized(ids.subarray(offsets[i], offsets[i + 1]), truncated[i] === 1, vocabulary));
    return typeof texts === 'string' ? items[0] : items;
  }

  /**
   * Frees the native model. Calls already accepted (running, or waiting in the scheduler) finish
   * normally and the memory goes after the last of them; later calls throw DisposedError.
   */
  dispose(): void {
    this.#lifetime.dispose();
  }

  /** `dispose()`, for `using model = await Model.load(…)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
