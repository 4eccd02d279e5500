// What the framework adapters (sentvec/ai, sentvec/langchain, sentvec/llamaindex) run on: a
// Model or a Reranker that the user owns, or one the adapter loads from a folder or hub id on first
// use. Loads of one folder with the same options are shared by every adapter in the process and
// disposed when the last one lets go; a user's own instance is never disposed by an adapter.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DisposedError, InvalidArgumentError, MissingDependencyError } from '../errors';
import { Model } from '../model/model';
import type { LoadOptions } from '../model/model-directory';
import type { Activation, CrossEncoderLoadOptions, PredictOptions, Reranker } from '../model/cross-encoder';
import { booleanOption, describe, integerOption, oneOf, rejectUnknownOptions } from '../validate';
import { conventionalPromptName, DOCUMENT_PROMPT_NAMES, QUERY_PROMPT_NAMES } from '../model/prompt-roles';
import type { EncodeOptions, LongInputs } from '../model/encode-plan';

/** A model folder, a hub id (owner/name), or a loaded Model (which stays the caller's to dispose). */
export type ModelSource = string | Model;
/** A cross-encoder's folder or hub id, or a loaded Reranker (which stays the caller's to dispose). */
export type RerankerSource = string | Reranker;

interface SharedLoad<T> {
  loading: Promise<T>;
  holders: number;
  dispose: (value: T) => unknown;
}
const shared = new Map<string, SharedLoad<unknown>>();

function sourceKey(kind: string, source: string, options: object): string {
  return JSON.stringify([kind, existsSync(source) ? resolve(source) : source, options]);
}

/**
 * One adapter's hold on a model or reranker: `get()` loads it on first use (once, whoever asks),
 * `release()` lets go of it. After release, `get()` throws DisposedError.
 */
class Lease<T> {
  /** What identifies a load that adapters share (undefined for an instance the user gave). */
  readonly key: string | undefined;
  readonly #own: T | undefined;
  readonly #load: (() => Promise<T>) | undefined;
  readonly #dispose: (value: T) => unknown;
  #entry: SharedLoad<T> | undefined;
  #released = false;

  constructor(own: T | undefined, key: string | undefined, load: (() => Promise<T>) | undefined, dispose: (value: T) => unknown) {
    this.#own = own;
    this.key = key;
    this.#load = load;
    this.#dispose = dispose;
  }

  get(): Promise<T> {
    if (this.#released) return Promise.reject(new DisposedError('this adapter was disposed; make a new one'));
    if (this.#own !== undefined) return Promise.resolve(this.#own);
    const key = this.key!;
    let entry = shared.get(key) as SharedLoad<T> | undefined;
    if (!entry) {
      const created: SharedLoad<T> = { loading: this.#load!(), holders: 0, dispose: this.#dispose };
      shared.set(key, created as SharedLoad<unknown>);
      // A failed load is forgotten, so that the next call tries again (the folder may be fixed by then).
      created.loading.catch(() => {
        if (shared.get(key) === created) shared.delete(key);
      });
      entry = created;
    }
    if (this.#entry !== entry) {
      this.#entry = entry;
      entry.holders++;
    }
    return entry.loading;
  }

  /** Lets go; the last holder of a shared load disposes it (after the calls it accepted). */
  release(): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#released = true;
    const entry = this.#entry;
    this.#entry = undefined;
    if (!entry || --entry.holders > 0) return Promise.resolve();
    if (shared.get(this.key!) === entry) shared.delete(this.key!);
    return entry.loading.then(
      async (value) => void (await entry.dispose(value)),
      () => undefined,
    );
  }
}

export type ModelLease = Lease<Model>;
export type RerankerLease = Lease<Reranker>;

/** A lease on the model named by `source` (checked now; loaded on first use). */
export function modelLease(source: unknown, loadOptions: LoadOptions | undefined, where: string): ModelLease {
  if (source instanceof Model) {
    if (loadOptions !== undefined)
      throw new InvalidArgumentError(
        `${where}: loadOptions apply to a model that the adapter loads, not to a loaded Model; pass a folder instead`,
      );
    return new Lease<Model>(source, undefined, undefined, () => undefined);
  }
  if (typeof source !== 'string' || source === '')
    throw new InvalidArgumentError(`${where}: expected a model folder, a hub id or a Model for the model but received ${describe(source)}`);
  const options = loadOptions ?? {};
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`${where}: expected an object for loadOptions but received ${describe(loadOptions)}`);
  return new Lease<Model>(
    undefined,
    sourceKey('model', source, options),
    // Model.load takes the hub id itself, so that loadOptions' hub fields (endpoint, cacheDir, revision, token) apply.
    async () => Model.load(source, options),
    (model) => model.dispose(),
  );
}

const isReranker = (value: unknown): value is Reranker =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as Reranker).rank === 'function' &&
  typeof (value as Reranker).predict === 'function' &&
  typeof (value as Reranker).dispose === 'function';

/** A lease on the cross-encoder named by `source` (checked now; loaded with CrossEncoder.load on first use). */
export function rerankerLease(source: unknown, loadOptions: CrossEncoderLoadOptions | undefined, where: string): RerankerLease {
  if (isReranker(source)) {
    if (loadOptions !== undefined)
      throw new InvalidArgumentError(
        `${where}: loadOptions apply to a reranker that the adapter loads, not to a loaded one; pass a folder instead`,
      );
    return new Lease<Reranker>(source, undefined, undefined, () => undefined);
  }
  if (typeof source !== 'string' || source === '')
    throw new InvalidArgumentError(
      `${where}: expected a cross-encoder folder, a hub id or a Reranker (such as a CrossEncoder) for the reranker but received ${describe(source)}`,
    );
  const options = loadOptions ?? {};
  return new Lease<Reranker>(
    undefined,
    sourceKey('reranker', source, options),
    async () => (await import('../model/cross-encoder')).CrossEncoder.load(source, options),
    (reranker) => reranker.dispose(),
  );
}

/** How an adapter chooses a prompt for one side: a prompt name, `null` for none at all, or undefined for the model's conventional one. */
export type PromptChoice = string | null | undefined;

/**
 * The encode options of one side: the name given; `null`, no prompt (not even the model's
 * default); undefined, the first conventional name the model has (query; document, passage,
 * corpus), else the model's default prompt.
 */
export function promptOptions(
  model: Model,
  choice: PromptChoice,
  side: 'query' | 'document',
): Pick<EncodeOptions, 'prompt' | 'promptName'> {
  if (choice === null) return { prompt: '' };
  if (choice !== undefined) return { promptName: choice };
  const name = conventionalPromptName(model.prompts, side === 'query' ? QUERY_PROMPT_NAMES : DOCUMENT_PROMPT_NAMES);
  return name === undefined ? {} : { promptName: name };
}

/** Checks a prompt choice option. */
export function promptChoice(value: unknown, name: string, where: string): PromptChoice {
  if (value === undefined || value === null || (typeof value === 'string' && value !== '')) return value;
  throw new InvalidArgumentError(`${where}: expected a prompt name or null (no prompt) for ${name} but received ${describe(value)}`);
}

/**
 * `require(id)` of an optional peer dependency, with the install command in the error when it is
 * missing.
 */
export function requireFramework<T>(id: string, install: string, adapter: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw err;
    throw new MissingDependencyError(
      `${adapter} needs ${install} (an optional peer dependency of sentvec): run \`npm install ${install}\` in your project`,
    );
  }
}

/** Plain arrays of the vectors (what the frameworks take): float32 values, exactly. */
export function rowsOf(embeddings: Iterable<Float32Array>): number[][] {
  return Array.from(embeddings, (row) => Array.from(row));
}

/** An options object (undefined: none) with only `known` keys. */
export function optionsOf(value: unknown, known: Set<string>, where: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object')
    throw new InvalidArgumentError(`Expected an options object for ${where} but received ${describe(value)}`);
  rejectUnknownOptions(value, known, where);
  return value as Record<string, unknown>;
}

const LONG_INPUTS: readonly LongInputs[] = ['truncate', 'error', 'chunk'];
const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'softmax', 'identity', 'none'];

/** The encode options among an adapter's settings, checked when the adapter is made rather than at its first call. */
export function encodeSettings(s: Partial<Record<'normalize' | 'dimensions' | 'batchSize' | 'longInputs', unknown>>): EncodeOptions {
  const encode: EncodeOptions = {};
  if (s.normalize !== undefined) encode.normalize = booleanOption(s.normalize, 'normalize');
  if (s.dimensions !== undefined) encode.dimensions = integerOption(s.dimensions, 'dimension', 'dimensions');
  if (s.batchSize !== undefined) encode.batchSize = integerOption(s.batchSize, 'batchSize');
  if (s.longInputs !== undefined) encode.longInputs = oneOf(s.longInputs, LONG_INPUTS, 'longInputs');
  return encode;
}

/** The predict options among a reranking adapter's settings, checked. */
export function predictSettings(s: Partial<Record<'batchSize' | 'activation', unknown>>): PredictOptions {
  const predict: PredictOptions = {};
  if (s.batchSize !== undefined) predict.batchSize = integerOption(s.batchSize, 'batchSize');
  if (s.activation !== undefined) predict.activation = oneOf(s.activation, ACTIVATIONS, 'activation');
  return predict;
}
