import { resolve } from 'node:path';
import { binding, type NativeModel, type NativeModelInfo, type PoolingMode } from './binding';
import { resolveModelDirectory, type LoadOptions, type ResolvedConfig } from './model-directory';
import { booleanOption, describe, integerIn, integerOption, rejectUnknownOptions } from './validate';
import { Embeddings } from './embeddings';
import { DisposedError, InputTooLongError, InvalidArgumentError, ModelFileError } from './errors';
import { normalizeRow, Scheduler, schedulerOptions, type SchedulerOptions } from './scheduler';

/** Options of {@link Model.encode}. */
export interface EncodeOptions {
  /** Inputs per inference batch, 1 to 1024. Inputs are sorted by length first, so each batch pads only to its own longest. Default 32. */
  batchSize?: number;
  /** L2-normalize each vector (then dot product = cosine similarity). Default: the model's (see LoadOptions.normalize). */
  normalize?: boolean;
  /**
   * Inputs longer than `maxSeqLength` tokens: true embeds their beginning and flags them in
   * `Embeddings.truncated`; false rejects the call with an InputTooLongError. Default true.
   * (The same as `longInputs` 'truncate' and 'error'.)
   */
  truncate?: boolean;
  /**
   * Inputs longer than `maxSeqLength` tokens: 'truncate' (the default) embeds their beginning and
   * flags them in `Embeddings.truncated`; 'error' rejects the call with an InputTooLongError;
   * 'chunk' splits their tokens into windows that fill the model's length (each framed as
   * `<s>` prompt window `</s>`), embeds every window and pools them into one vector: the mean of
   * the windows' vectors weighted by their tokens, then `normalize`. Inputs that fit are embedded
   * as by 'truncate'.
   */
  longInputs?: 'truncate' | 'error' | 'chunk';
  /** With longInputs 'chunk': tokens that consecutive windows share, 0 to half a window. Default 0. */
  overlap?: number;
  /** With longInputs 'chunk': also return each window's vector and token range (`Embeddings.windows`). Default false. */
  windows?: boolean;
  /** Text prepended to every input, as sentence-transformers' `prompt`, e.g. `'query: '`. */
  prompt?: string;
  /** The name of one of the model's prompts (`model.prompts`), e.g. `'query'`. Default: the model's `defaultPromptName`, if any. */
  promptName?: string;
  /**
   * Keep the first `dimensions` values of each vector (Matryoshka), 1 to the model's full
   * dimension, then normalize if `normalize`. Default: the model's `truncateDim`, else all.
   */
  dimensions?: number;
}

// What one encode() call asks of every input.
interface Call {
  normalize: boolean;
  truncate: boolean;
  dimensions: number;
  poolFrom: number;
}

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

const ENCODE_OPTIONS = new Set([
  'batchSize',
  'normalize',
  'truncate',
  'longInputs',
  'overlap',
  'windows',
  'prompt',
  'promptName',
  'dimensions',
]);

function loneSurrogate(t: string): number {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = t.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

function checkTexts(input: unknown, where: string): string[] {
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts)) {
    throw new InvalidArgumentError(`Expected a string or an array of strings for ${where} but received ${describe(input)}`);
  }
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    const name = typeof input === 'string' ? 'the text' : `texts[${i}]`;
    if (typeof t !== 'string') throw new InvalidArgumentError(`Expected a string for ${name} but received ${describe(t)}`);
    if (!t.isWellFormed()) {
      throw new InvalidArgumentError(
        `${name} contains a lone surrogate (UTF-16 code unit at index ${loneSurrogate(t)}), which is not text; repair it with text.toWellFormed()`,
      );
    }
    const nul = t.indexOf('\0');
    if (nul >= 0) {
      throw new InvalidArgumentError(
        `${name} contains a NUL character (U+0000) at index ${nul}; binary data is not text. Remove it, e.g. text.replaceAll('\\0', '')`,
      );
    }
  }
  return texts as string[];
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
  #native: NativeModel | undefined;
  #info: NativeModelInfo;
  #normalize: boolean;
  #pooling: PoolingMode[];
  #prompts: Readonly<Record<string, string>>;
  #defaultPromptName: string | undefined;
  #includePrompt: boolean;
  #truncateDim: number | undefined;
  // Tokens of each prompt that pooling leaves out when the model says include_prompt: false.
  #promptTokens = new Map<string, number>();
  #vocabulary: readonly string[] | undefined;
  #scheduler: Scheduler | undefined;
  // Calls accepted and not yet settled: dispose() frees the native model only after the last.
  #pending = 0;
  #disposed = false;

  /** The ONNX file in use (absolute path): the `onnxFile` option, else onnx/model.onnx, else model.onnx. */
  readonly onnxPath: string;

  private constructor(native: NativeModel, config: ResolvedConfig, scheduler: boolean | SchedulerOptions) {
    this.#native = native;
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
    if (scheduler !== false) {
      this.#scheduler = new Scheduler(native, this.#info.dimension, scheduler === true ? {} : scheduler);
      this.#scheduler.onIdle = () => this.#release();
    }
  }

  /** The batching scheduler that coalesces concurrent small calls (undefined when disabled). */
  get scheduler(): Scheduler | undefined {
    return this.#scheduler;
  }

  /** Loads a model directory in the sentence-transformers layout. Files are read and parsed off the event loop. */
  static async load(dir: string, options: LoadOptions = {}): Promise<Model> {
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

  /** Width of the vectors `encode` returns. */
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
  get info(): Readonly<NativeModelInfo> {
    return { ...this.#info };
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  #live(): NativeModel {
    if (this.#disposed || !this.#native) throw new DisposedError();
    return this.#native;
  }

  // Runs an accepted call: dispose() waits for it (and for the scheduler's work) before freeing.
  async #accepted<T>(call: () => Promise<T>): Promise<T> {
    this.#pending++;
    try {
      return await call();
    } finally {
      this.#pending--;
      this.#release();
    }
  }

  #release(): void {
    if (!this.#disposed || !this.#native || this.#pending > 0 || (this.#scheduler && !this.#scheduler.idle)) return;
    this.#native.dispose();
    this.#native = undefined;
  }

  /** Embeds one text or many; row i of the result belongs to input i. Runs off the event loop. */
  async encode(texts: string | readonly string[], options: EncodeOptions = {}): Promise<Embeddings> {
    const native = this.#live();
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
    rejectUnknownOptions(options, ENCODE_OPTIONS, 'encode()');
    let list = checkTexts(texts, 'texts');
    const batchSize = options.batchSize === undefined ? 32 : integerOption(options.batchSize, 'batchSize');
    const normalize = options.normalize === undefined ? this.#normalize : booleanOption(options.normalize, 'normalize');
    const longInputs = this.#longInputs(options);
    const truncate = longInputs !== 'error';
    const dimensions =
      options.dimensions === undefined ? this.dimension : integerIn(options.dimensions, 1, this.#info.dimension, 'dimensions');
    const prompt = this.#prompt(options);
    if (list.length === 0) return new Embeddings(new Float32Array(0), dimensions, []);
    if (prompt !== '') list = list.map((text) => prompt + text);
    const call: Call = { normalize, truncate, dimensions, poolFrom: 0 };
    // Accepted from here on: dispose() waits for the call, the prompt's tokenization included.
    return this.#accepted(async () => {
      if (prompt !== '' && !this.#includePrompt) call.poolFrom = await this.#promptLength(native, prompt);
      if (longInputs === 'chunk') return this.#encodeChunked(native, list, prompt, call, batchSize, options);
      const scheduler = this.#scheduler;
      if (scheduler && list.length < batchSize) return this.#encodeScheduled(scheduler, list, call);
      const full = dimensions === this.#info.dimension;
      const { data, truncated } = await native.encode(list, {
        batchSize,
        normalize,
        truncate,
        dimensions: full ? 0 : dimensions,
        poolFrom: call.poolFrom,
      });
      return new Embeddings(
        data,
        dimensions,
        Array.from(truncated, (t) => t === 1),
      );
    });
  }

  #longInputs(options: EncodeOptions): 'truncate' | 'error' | 'chunk' {
    const truncate = options.truncate === undefined ? undefined : booleanOption(options.truncate, 'truncate');
    let mode = options.longInputs;
    if (mode !== undefined && mode !== 'truncate' && mode !== 'error' && mode !== 'chunk')
      throw new InvalidArgumentError(`Expected 'truncate', 'error' or 'chunk' for longInputs but received ${describe(mode)}`);
    if (truncate !== undefined && mode !== undefined && (mode === 'error') === truncate)
      throw new InvalidArgumentError(`truncate: ${truncate} contradicts longInputs: '${mode}'; pass one of them`);
    mode ??= truncate === false ? 'error' : 'truncate';
    if (mode !== 'chunk' && (options.overlap !== undefined || options.windows !== undefined))
      throw new InvalidArgumentError("overlap and windows apply to longInputs: 'chunk' only");
    return mode;
  }

  // longInputs 'chunk': inputs that fit are embedded as they are; longer ones in windows pooled by a token-weighted mean.
  async #encodeChunked(
    native: NativeModel,
    prompted: string[],
    prompt: string,
    call: Call,
    batchSize: number,
    options: EncodeOptions,
  ): Promise<Embeddings> {
    const withWindows = options.windows === undefined ? false : booleanOption(options.windows, 'windows');
    // The prompt's own pieces, without the space that joins it to the text (that space belongs to the text's first piece).
    const promptPieces = prompt.trimEnd() === '' ? new Int32Array(0) : await this.#pieces(native, prompt.trimEnd());
    const span = this.maxSeqLength - 2 - promptPieces.length;
    if (span < 1)
      throw new InvalidArgumentError(
        `the prompt takes ${promptPieces.length} of the ${this.maxSeqLength} tokens: no room is left for text`,
      );
    const overlap = options.overlap === undefined ? 0 : integerIn(options.overlap, 0, Math.floor(span / 2), 'overlap');
    const fitted = await native.tokenize(prompted);
    const long = [...fitted.truncated.keys()].filter((i) => fitted.truncated[i] === 1);
    const texts = long.map((i) => prompted[i].slice(prompt.length));
    const full = long.length > 0 ? await native.tokenize(texts, { maxLength: 2 ** 31, spans: withWindows }) : undefined;
    // Windows: every input that fits is one; a long one is cut into spans of `span` pieces, `overlap` apart.
    const windows: {
      text: number;
      ids: Int32Array;
      poolFrom: number;
      tokenStart: number;
      tokenEnd: number;
      weight: number;
      start: number;
      end: number;
    }[] = [];
    let next = 0;
    for (let i = 0; i < prompted.length; i++) {
      if (fitted.truncated[i] !== 1) {
        const ids = fitted.ids.subarray(fitted.offsets[i], fitted.offsets[i + 1]);
        const length = prompted[i].length - prompt.length;
        windows.push({
          text: i,
          ids,
          poolFrom: call.poolFrom,
          tokenStart: 0,
          tokenEnd: ids.length - 2,
          weight: ids.length - 2,
          start: 0,
          end: length,
        });
        continue;
      }
      const k = next++;
      const first = full!.offsets[k] + 1;
      const pieces = full!.ids.subarray(first, full!.offsets[k + 1] - 1);
      // Characters of piece p of this text: spans[2 (first + p)] .. spans[2 (first + p) + 1].
      const spans = full!.spans;
      for (let start = 0; ; start += span - overlap) {
        const end = Math.min(start + span, pieces.length);
        const ids = new Int32Array(end - start + promptPieces.length + 2);
        ids[0] = this.#info.specialIds.start;
        ids.set(promptPieces, 1);
        ids.set(pieces.subarray(start, end), 1 + promptPieces.length);
        ids[ids.length - 1] = this.#info.specialIds.end;
        const skip = prompt !== '' && !this.#includePrompt ? 1 + promptPieces.length : 0;
        windows.push({
          text: i,
          ids,
          poolFrom: skip,
          tokenStart: start,
          tokenEnd: end,
          weight: end - start,
          start: spans ? spans[2 * (first + start)] : 0,
          end: spans ? spans[2 * (first + end - 1) + 1] : 0,
        });
        if (end === pieces.length) break;
      }
    }
    const offsets = new Uint32Array(windows.length + 1);
    windows.forEach((w, j) => (offsets[j + 1] = offsets[j] + w.ids.length));
    const flat = new Int32Array(offsets[windows.length]);
    windows.forEach((w, j) => flat.set(w.ids, offsets[j]));
    const poolFrom = windows.some((w) => w.poolFrom > 0) ? Uint32Array.from(windows, (w) => w.poolFrom) : undefined;
    const vectors = await native.encodeTokens(flat, offsets, { batchSize, normalize: false, poolFrom });
    const width = this.#info.dimension;
    const dim = call.dimensions;
    const shape = (row: Float32Array, out: Float32Array) => {
      out.set(row.subarray(0, dim));
      if (call.normalize) normalizeRow(out);
    };
    // Token-weighted mean per input (a one-window input is its window).
    const data = new Float32Array(prompted.length * dim);
    const sum = new Float64Array(width);
    for (let j = 0; j < windows.length;) {
      const text = windows[j].text;
      sum.fill(0);
      let weight = 0;
      for (; j < windows.length && windows[j].text === text; j++) {
        const w = windows[j].weight || 1;
        const row = vectors.subarray(j * width, (j + 1) * width);
        for (let d = 0; d < width; d++) sum[d] += w * row[d];
        weight += w;
      }
      shape(
        Float32Array.from(sum, (x) => x / weight),
        data.subarray(text * dim, (text + 1) * dim),
      );
    }
    const embeddings = new Embeddings(data, dim, new Array<boolean>(prompted.length).fill(false));
    if (!withWindows) return embeddings;
    const windowData = new Float32Array(windows.length * dim);
    windows.forEach((_, j) => shape(vectors.subarray(j * width, (j + 1) * width), windowData.subarray(j * dim, (j + 1) * dim)));
    return embeddings.withWindows({
      vectors: new Embeddings(windowData, dim, new Array<boolean>(windows.length).fill(false)),
      text: Uint32Array.from(windows, (w) => w.text),
      tokenStart: Uint32Array.from(windows, (w) => w.tokenStart),
      tokenEnd: Uint32Array.from(windows, (w) => w.tokenEnd),
      start: Uint32Array.from(windows, (w) => w.start),
      end: Uint32Array.from(windows, (w) => w.end),
    });
  }

  // The pieces of `text` alone, without <s> and </s>.
  async #pieces(native: NativeModel, text: string): Promise<Int32Array> {
    const { ids, offsets } = await native.tokenize([text]);
    return ids.slice(1, offsets[1] - 1);
  }

  // The prompt of a call: `prompt`, else the one `promptName` names, else the default prompt, else none.
  #prompt(options: EncodeOptions): string {
    if (options.prompt !== undefined && options.promptName !== undefined)
      throw new InvalidArgumentError('Expected prompt or promptName, not both');
    if (options.prompt !== undefined) {
      if (typeof options.prompt !== 'string')
        throw new InvalidArgumentError(`Expected a string for prompt but received ${describe(options.prompt)}`);
      return checkTexts([options.prompt], 'prompt')[0];
    }
    const name = options.promptName ?? this.#defaultPromptName;
    if (name === undefined) return '';
    if (typeof name !== 'string' || !Object.hasOwn(this.#prompts, name)) {
      const known = Object.keys(this.#prompts);
      throw new InvalidArgumentError(
        `Expected one of this model's prompt names (${known.length ? known.join(', ') : 'it has none'}) for promptName but received ${describe(name)}`,
      );
    }
    return this.#prompts[name];
  }

  // sentence-transformers leaves out of pooling the prompt's tokens with <s>: its length tokenized alone, less </s>.
  async #promptLength(native: NativeModel, prompt: string): Promise<number> {
    let n = this.#promptTokens.get(prompt);
    if (n === undefined) {
      const { offsets } = await native.tokenize([prompt]);
      n = offsets[1] - 1;
      this.#promptTokens.set(prompt, n);
    }
    return n;
  }

  // Small calls share tokenization and batches with other concurrent calls.
  async #encodeScheduled(scheduler: Scheduler, list: string[], call: Call): Promise<Embeddings> {
    const tokenized = await scheduler.tokenize(list);
    const { ids, offsets, truncated } = tokenized;
    const index = truncated.indexOf(1);
    if (!call.truncate && index >= 0) {
      throw new InputTooLongError(
        `texts[${index}] is longer than maxSeqLength (${this.maxSeqLength} tokens with <s> and </s>); shorten it, raise maxSeqLength, or pass truncate: true`,
      );
    }
    const inputs = Array.from(list, (_, i) => ids.subarray(offsets[i], offsets[i + 1]));
    return new Embeddings(
      await this.#embedRows(inputs, call),
      call.dimensions,
      Array.from(truncated, (t) => t === 1),
    );
  }

  // Through the scheduler, whose batches mix calls: each call's rows are cut to its dimensions and normalized here.
  async #embedRows(inputs: Int32Array[], call: Omit<Call, 'truncate'>): Promise<Float32Array> {
    const dim = call.dimensions;
    const data = new Float32Array(inputs.length * dim);
    const rows = await this.#scheduler!.submit(inputs, call.poolFrom);
    rows.forEach((row, i) => data.set(dim === row.length ? row : row.subarray(0, dim), i * dim));
    if (call.normalize) for (let i = 0; i < inputs.length; i++) normalizeRow(data.subarray(i * dim, (i + 1) * dim));
    return data;
  }

  /**
   * Embeds inputs tokenized already: token ids framed as `tokenize()` returns them (`<s>` … `</s>`),
   * each at most `maxSeqLength` long. Shares batches with concurrent calls (the scheduler).
   */
  async encodeTokens(inputs: readonly (Int32Array | readonly number[])[], options: { normalize?: boolean } = {}): Promise<Embeddings> {
    const native = this.#live();
    if (!Array.isArray(inputs))
      throw new InvalidArgumentError(`Expected an array of token id arrays for inputs but received ${describe(inputs)}`);
    const vocab = this.vocabSize;
    const rows = inputs.map((ids, i) => {
      if (!(ids instanceof Int32Array) && !Array.isArray(ids))
        throw new InvalidArgumentError(`Expected an Int32Array or an array of numbers for inputs[${i}] but received ${describe(ids)}`);
      if (ids.length === 0) {
        const { start, end } = this.#info.specialIds;
        throw new InvalidArgumentError(`inputs[${i}] is empty; frame token ids with the start (${start}) and end (${end}) tokens`);
      }
      if (ids.length > this.maxSeqLength)
        throw new InputTooLongError(`inputs[${i}] has ${ids.length} tokens; this model takes at most ${this.maxSeqLength}`);
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k];
        if (!Number.isInteger(id) || id < 0 || id >= vocab)
          throw new InvalidArgumentError(`inputs[${i}][${k}] = ${describe(id)} is not a token id of this model (0 to ${vocab - 1})`);
      }
      return ids instanceof Int32Array ? ids : Int32Array.from(ids);
    });
    const normalize = options.normalize ?? this.#normalize;
    const dimensions = this.dimension;
    if (rows.length === 0) return new Embeddings(new Float32Array(0), dimensions, []);
    if (this.#scheduler)
      return this.#accepted(
        async () =>
          new Embeddings(
            await this.#embedRows(rows, { normalize, dimensions, poolFrom: 0 }),
            dimensions,
            rows.map(() => false),
          ),
      );
    const offsets = new Uint32Array(rows.length + 1);
    rows.forEach((r, i) => {
      offsets[i + 1] = offsets[i] + r.length;
    });
    const flat = new Int32Array(offsets[rows.length]);
    rows.forEach((r, i) => flat.set(r, offsets[i]));
    return this.#accepted(async () => {
      const full = dimensions === this.#info.dimension;
      const data = await native.encodeTokens(flat, offsets, { batchSize: 32, normalize, dimensions: full ? 0 : dimensions });
      return new Embeddings(
        data,
        dimensions,
        rows.map(() => false),
      );
    });
  }

  /** Tokenizes as the model does (same ids, same truncation). Runs off the event loop. */
  async tokenize(text: string): Promise<Tokenized>;
  async tokenize(texts: readonly string[]): Promise<Tokenized[]>;
  async tokenize(texts: string | readonly string[]): Promise<Tokenized | Tokenized[]> {
    const native = this.#live();
    const list = checkTexts(texts, 'texts');
    if (list.length === 0) return [];
    const result = await this.#accepted(async () => {
      return await native.tokenize(list);
    });
    // Token strings are built once per model, and only if asked for (Tokenized.tokens).
    // (After dispose() the native model may be gone: the strings cannot be had then.)
    const vocabulary = () => (this.#vocabulary ??= this.#live().vocabulary());
    const { ids, offsets, truncated } = result;
    const items = Array.from(list, (_, i) => new Tokenized(ids.subarray(offsets[i], offsets[i + 1]), truncated[i] === 1, vocabulary));
    return typeof texts === 'string' ? items[0] : items;
  }

  /**
   * Frees the native model. Calls already accepted (running, or waiting in the scheduler) finish
   * normally and the memory goes after the last of them; later calls throw DisposedError.
   */
  dispose(): void {
    this.#disposed = true;
    this.#release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
