// One call to a model, worked out before any of it runs: its inputs (texts, or token ids framed
// and checked), prompt, long-input rule (truncate, error, chunk), batch route and head. Model's
// encode() and encodeTokens() and the server's routes each turn their arguments into an
// EncodePlan here; the Executor (lib/executor.ts) carries every plan out the same way:
//
//   tokenize  texts with the prompt in front (token-id inputs are rows already)
//   → rows    one per input, or one per window of a long input under longInputs 'chunk'
//   → run     native batches: shared with concurrent calls through the scheduler, or direct
//   → finish  chosen by plan.head, from full-width, unnormalized native rows to the result
//
// Heads. 'embedding': native code pools (and applies Dense modules); finish averages a long
// input's windows, cuts to `dimensions` and L2-normalizes (lib/model/rows.ts, the only place
// either happens). 'score' (a cross-encoder, lib/model/cross-encoder.ts: text pairs in, scores
// out, same tokenizers and ONNX session, a classification head instead of pooling): its plan's
// inputs are pairs, which the tokenize step frames as one row each (<s> a </s></s> b </s>, or
// [CLS] a [SEP] b [SEP] with token types), truncated longest_first as Hugging Face's tokenizer
// does; native code returns the classifier's logits in place of a pooled vector, rows of the
// model's output width (its labels) as embedding rows are, so the scheduler batches them
// unchanged (its items carry per-row settings: poolFrom, secondFrom); and finish applies the
// activation to each row. No second pipeline: one more case in tokenize and in finish.
import { types } from 'node:util';
import type { NativeModelInfo } from '../binding';
import { InputTooLongError, InvalidArgumentError } from '../errors';
import { booleanOption, describe, integerIn, integerOption, oneOf, rejectUnknownOptions } from '../validate';

/** Options of {@link Model.encode}. */
export interface EncodeOptions {
  /**
   * Inputs per inference batch at most, 1 to 1024. Default 32. Inputs are sorted by length, and each batch pads only to
   * its own longest; where lengths differ, sentvec ends a batch early when padding would cost more than another run
   * (docs/encoding.md, Batches).
   */
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
  longInputs?: LongInputs;
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

/** What `encode` does with an input longer than `maxSeqLength`: cut it, reject the call, or embed it whole in windows. */
export type LongInputs = 'truncate' | 'error' | 'chunk';

/** Sentence embeddings: pooled rows, cut to `dimensions` (1 to the model's full width), normalized if asked. */
export interface EmbeddingHead {
  readonly kind: 'embedding';
  readonly dimensions: number;
  readonly normalize: boolean;
}

/** How a cross-encoder's logits become scores (the type of CrossEncoder's `activation`). */
export type Activation = 'sigmoid' | 'softmax' | 'identity' | 'none';
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'softmax', 'identity', 'none'];

/** A cross-encoder's scores: each row of `labels` logits through `activation` ('none' and 'identity' leave them raw). */
export interface ScoreHead {
  readonly kind: 'score';
  readonly activation: Activation;
  /** Values per row: the model's labels. */
  readonly dimensions: number;
}

/** What the finish step makes of the native rows (see the top of this file). */
export type Head = EmbeddingHead | ScoreHead;

/** A [query, passage] pair of a cross-encoder, framed as one row by the tokenize step. */
export type TextPair = readonly [string, string];

/** A text (the prompt goes in front of it), token ids framed and checked by {@link tokenRow}, or a pair (a 'score' head's). */
export type PlanInput = string | Int32Array | TextPair;

export interface EncodePlan {
  readonly inputs: readonly PlanInput[];
  readonly prompt: string;
  readonly longInputs: LongInputs;
  /** longInputs 'chunk': as given; checked by {@link checkOverlap} once the prompt's length is known. */
  readonly overlap: unknown;
  /** longInputs 'chunk': also return each window's row. */
  readonly windows: boolean;
  /** Inputs per native batch when the call runs on its own. */
  readonly batchSize: number;
  /** Through the scheduler, in batches shared with concurrent calls (not for longInputs 'chunk'). */
  readonly shared: boolean;
  readonly head: Head;
}

/** What a plan needs of its model. */
export interface ModelFacts {
  readonly info: Readonly<NativeModelInfo>;
  /** Default width of the vectors (truncateDim, else info.dimension). */
  readonly dimension: number;
  readonly normalize: boolean;
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultPromptName: string | undefined;
  readonly scheduled: boolean;
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

/** A string or an array of strings, each text (no lone surrogate, no NUL). */
export function checkTexts(input: unknown, where: string): string[] {
  const given = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(given)) {
    throw new InvalidArgumentError(`Expected a string or an array of strings for ${where} but received ${describe(input)}`);
  }
  // A Proxy of an array (a framework's reactive state) passes Array.isArray, but the addon takes
  // plain arrays only: a copy, checked as it is passed on.
  const texts: unknown[] = types.isProxy(given) ? Array.from(given) : given;
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

/** The inclusive range of `dimensions` for this model. */
export function dimensionRange(facts: ModelFacts): readonly [number, number] {
  return [1, facts.info.dimension];
}

/** The prompt a name stands for, or undefined when the model has no prompt of that name. */
export function namedPrompt(facts: ModelFacts, name: unknown): string | undefined {
  return typeof name === 'string' && Object.hasOwn(facts.prompts, name) ? facts.prompts[name] : undefined;
}

/** longInputs 'chunk': `overlap` is 0 to half of `span`, the text pieces a window holds. */
export function checkOverlap(value: unknown, span: number): number {
  return value === undefined ? 0 : integerIn(value, 0, Math.floor(span / 2), 'overlap');
}

/**
 * Token ids as a row: framed with start … end (added when `frame` and missing), of this model's
 * vocabulary, at most maxSeqLength long (cut, keeping the end token, when `truncate`). Errors name
 * the input by `index`.
 */
export function tokenRow(
  facts: ModelFacts,
  ids: Int32Array | readonly number[],
  index: number,
  { frame, truncate }: { frame: boolean; truncate: boolean },
): { ids: Int32Array; truncated: boolean } {
  const { start, end } = facts.info.specialIds;
  const { maxSeqLength, vocabSize } = facts.info;
  if (ids.length === 0)
    throw new InvalidArgumentError(`inputs[${index}] is empty; frame token ids with the start (${start}) and end (${end}) tokens`, index);
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new InvalidArgumentError(
        `inputs[${index}][${k}] = ${describe(id)} is not a token id of this model (0 to ${vocabSize - 1})`,
        index,
      );
  }
  let row = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  if (frame && !(row.length >= 2 && row[0] === start && row[row.length - 1] === end)) {
    const framed = new Int32Array(row.length + 2);
    framed.set(row, 1);
    framed[0] = start;
    framed[framed.length - 1] = end;
    row = framed;
  }
  if (row.length <= maxSeqLength) return { ids: row, truncated: false };
  if (!truncate) throw new InputTooLongError(`inputs[${index}] has ${row.length} tokens; this model takes at most ${maxSeqLength}`, index);
  const cut = row.slice(0, maxSeqLength);
  cut[maxSeqLength - 1] = end;
  return { ids: cut, truncated: true };
}

function longInputsOf(options: EncodeOptions): LongInputs {
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

// The prompt of a call: `prompt`, else the one `promptName` names, else the default prompt, else none.
function promptOf(facts: ModelFacts, options: EncodeOptions): string {
  if (options.prompt !== undefined && options.promptName !== undefined)
    throw new InvalidArgumentError('Expected prompt or promptName, not both');
  if (options.prompt !== undefined) {
    if (typeof options.prompt !== 'string')
      throw new InvalidArgumentError(`Expected a string for prompt but received ${describe(options.prompt)}`);
    return checkTexts([options.prompt], 'prompt')[0];
  }
  const name = options.promptName ?? facts.defaultPromptName;
  if (name === undefined) return '';
  const prompt = namedPrompt(facts, name);
  if (prompt === undefined) {
    const known = Object.keys(facts.prompts);
    throw new InvalidArgumentError(
      `Expected one of this model's prompt names (${known.length ? known.join(', ') : 'it has none'}) for promptName but received ${describe(name)}`,
    );
  }
  return prompt;
}

/** The plan of `model.encode(texts, options)`. */
export function planEncode(facts: ModelFacts, texts: unknown, options: EncodeOptions): EncodePlan {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
  rejectUnknownOptions(options, ENCODE_OPTIONS, 'encode()');
  const inputs = checkTexts(texts, 'texts');
  const batchSize = options.batchSize === undefined ? 32 : integerOption(options.batchSize, 'batchSize');
  const normalize = options.normalize === undefined ? facts.normalize : booleanOption(options.normalize, 'normalize');
  const longInputs = longInputsOf(options);
  const [least, most] = dimensionRange(facts);
  const dimensions = options.dimensions === undefined ? facts.dimension : integerIn(options.dimensions, least, most, 'dimensions');
  const prompt = promptOf(facts, options);
  const windows = options.windows === undefined ? false : booleanOption(options.windows, 'windows');
  return {
    inputs,
    prompt,
    longInputs,
    overlap: options.overlap,
    windows,
    batchSize,
    // Small calls share batches with concurrent ones; a large one fills its own.
    shared: facts.scheduled && longInputs !== 'chunk' && inputs.length < batchSize,
    head: { kind: 'embedding', dimensions, normalize },
  };
}

/** The plan of `model.encodeTokens(inputs, options)`: framed token ids, each at most maxSeqLength. */
export function planTokens(
  facts: ModelFacts,
  inputs: readonly (Int32Array | readonly number[])[],
  options: { normalize?: boolean },
): EncodePlan {
  if (!Array.isArray(inputs))
    throw new InvalidArgumentError(`Expected an array of token id arrays for inputs but received ${describe(inputs)}`);
  const rows = inputs.map((ids, i) => {
    if (!(ids instanceof Int32Array) && !Array.isArray(ids))
      throw new InvalidArgumentError(`Expected an Int32Array or an array of numbers for inputs[${i}] but received ${describe(ids)}`);
    return tokenRow(facts, ids, i, { frame: false, truncate: false }).ids;
  });
  return {
    inputs: rows,
    prompt: '',
    longInputs: 'error',
    overlap: undefined,
    windows: false,
    batchSize: 32,
    shared: facts.scheduled,
    head: { kind: 'embedding', dimensions: facts.dimension, normalize: options.normalize ?? facts.normalize },
  };
}

/** Pairs of strings, each text (as checkTexts), e.g. `[[query, passage], …]`. */
function checkPairs(input: unknown, where: string): TextPair[] {
  if (!Array.isArray(input))
    throw new InvalidArgumentError(`Expected an array of [query, passage] pairs for ${where} but received ${describe(input)}`);
  for (let i = 0; i < input.length; i++) {
    const pair: unknown = input[i];
    if (!Array.isArray(pair) || pair.length !== 2)
      throw new InvalidArgumentError(
        `Expected a [query, passage] pair of two strings for ${where}[${i}] but received ${describe(pair)}`,
        i,
      );
    try {
      checkTexts(pair, `${where}[${i}]`);
    } catch (err) {
      if (err instanceof InvalidArgumentError)
        throw new InvalidArgumentError(
          `${where}[${i}]: ${err.message.replace(/texts\[(\d)\]/, (_, k: string) => (k === '0' ? 'the query' : 'the passage'))}`,
          i,
        );
      throw err;
    }
  }
  return input as TextPair[];
}

/** What a plan of a 'score' head needs of its cross-encoder. */
export interface ScoreFacts {
  readonly labels: number;
  readonly activation: Activation;
  readonly scheduled: boolean;
}

const PREDICT_OPTIONS = new Set(['batchSize', 'activation']);

/** The plan of `crossEncoder.predict(pairs, options)`. */
export function planPredict(facts: ScoreFacts, pairs: unknown, options: { batchSize?: unknown; activation?: unknown }): EncodePlan {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
  rejectUnknownOptions(options, PREDICT_OPTIONS, 'predict()');
  const inputs = checkPairs(pairs, 'pairs');
  const batchSize = options.batchSize === undefined ? 32 : integerOption(options.batchSize, 'batchSize');
  const activation = options.activation === undefined ? facts.activation : oneOf(options.activation, ACTIVATIONS, 'activation');
  return {
    inputs,
    prompt: '',
    longInputs: 'truncate',
    overlap: undefined,
    windows: false,
    batchSize,
    shared: facts.scheduled && inputs.length < batchSize,
    head: { kind: 'score', activation, dimensions: facts.labels },
  };
}

/** What a server route asks of a call, its fields checked already (lib/server/request.ts). */
export interface RequestCall {
  inputs: PlanInput[];
  prompt: string;
  longInputs: LongInputs;
  overlap: number | undefined;
  dimensions: number;
  normalize: boolean;
}

/** The plan of one server request: always through the scheduler, but for longInputs 'chunk'. */
export function planRequest(facts: ModelFacts, call: RequestCall): EncodePlan {
  return {
    inputs: call.inputs,
    prompt: call.prompt,
    longInputs: call.longInputs,
    overlap: call.overlap,
    windows: false,
    batchSize: 32,
    shared: facts.scheduled && call.longInputs !== 'chunk',
    head: { kind: 'embedding', dimensions: call.dimensions, normalize: call.normalize },
  };
}
