/**
 * `sentvec/ai`: a provider for Vercel's AI SDK ({@link createSentvec}, {@link sentvec}): embedding
 * models for `embed` and `embedMany`, reranking models for `rerank`, from a model folder, a hub id
 * or a loaded Model. See docs/frameworks.md.
 * @module sentvec/ai
 */
// sentvec/ai: a provider for Vercel's AI SDK (`embed`, `embedMany`, `cosineSimilarity`, `rerank`).
// It needs nothing from the SDK at run time: the SDK takes any object of its model specification.
// It serves specification v3, the one both `ai` 6 (v3, v2) and `ai` 7 (v4, v3, v2; v3 models are
// taken as they are, call options such as `dimensions` included) accept; v4 is refused by `ai` 6.
// The shapes below are written out, so that sentvec's types need no @ai-sdk/provider.
import type { LoadOptions } from '../model/model-directory';
import type { CrossEncoderLoadOptions, PredictOptions } from '../model/cross-encoder';
import type { EncodeOptions, LongInputs } from '../model/encode-plan';
import { InvalidArgumentError } from '../errors';
import { checkRanked } from '../search/rerank';
import { describe } from '../validate';
import {
  encodeSettings,
  modelLease,
  optionsOf,
  predictSettings,
  rerankerLease,
  rowsOf,
  type ModelLease,
  type ModelSource,
  type RerankerLease,
  type RerankerSource,
} from './sources';

export type { ModelSource, RerankerSource } from './sources';

/** Settings of {@link SentvecProvider.embedding}. */
export interface SentvecEmbeddingSettings {
  /** One of the model's prompts for every text, e.g. `'query'`. Default: the model's default prompt, if any. */
  promptName?: string;
  /** Text put before every input (instead of a named prompt), e.g. `'query: '`; `''` for none. */
  prompt?: string;
  /** Keep the first `dimensions` values of each vector (Matryoshka), 1 to the model's dimension; a call's own `dimensions` (ai 7) wins. Default: all. */
  dimensions?: number;
  /** L2-normalize each vector. Default: the model's (see LoadOptions.normalize). */
  normalize?: boolean;
  /** Inputs per inference batch, 1 to 1024. Default 32. */
  batchSize?: number;
  /** Inputs longer than the model's maxSeqLength: 'truncate' (default), 'error' or 'chunk' (see EncodeOptions.longInputs). */
  longInputs?: LongInputs;
  /**
   * Texts per `doEmbed` call, 1 to 2^31 − 1, or Infinity. Default Infinity: `embedMany` hands all
   * its texts to one call, which the model sorts by length and runs in batches of `batchSize`
   * (pieces would each pad to their own longest text and lose that sort).
   */
  maxEmbeddingsPerCall?: number;
  /** The model's name in the SDK's telemetry. Default: the folder or id given, else 'sentvec'. */
  modelId?: string;
}

/** Settings of {@link SentvecProvider.reranking}. */
export interface SentvecRerankingSettings {
  /** Pairs per inference batch, 1 to 1024. Default 32. */
  batchSize?: number;
  /** How logits become scores. Default: the model's. */
  activation?: PredictOptions['activation'];
  /** The model's name in the SDK's telemetry. Default: the folder or id given, else 'sentvec'. */
  modelId?: string;
}

/** Options of {@link createSentvec}. */
export interface SentvecProviderOptions {
  /** Load options of the models this provider loads from a folder or id. */
  loadOptions?: LoadOptions;
  /** Load options of the cross-encoders this provider loads from a folder or id. */
  rerankerLoadOptions?: CrossEncoderLoadOptions;
}

/** The SDK's per-call provider options, by provider name; sentvec reads those under `sentvec`. */
export type ProviderOptions = Record<string, Record<string, unknown>>;

/** The AI SDK's embedding model, specification v3 (`EmbeddingModelV3` of @ai-sdk/provider 3). */
export interface SentvecEmbeddingModel {
  /** The specification this model implements. */
  readonly specificationVersion: 'v3';
  /** `'sentvec'`. */
  readonly provider: string;
  /** The settings' modelId, else the folder or id given, else 'sentvec'. */
  readonly modelId: string;
  /** Texts per `doEmbed` call (the settings' maxEmbeddingsPerCall); `embedMany` splits larger lists. */
  readonly maxEmbeddingsPerCall: number;
  /**
   * True only where parallel calls run side by side: when they go through the model's scheduler
   * (calls of fewer texts than `batchSize`) and it runs more than one batch at once (`maxInFlight`).
   */
  readonly supportsParallelCalls: PromiseLike<boolean>;
  /** Embeds `values` (called by the SDK's `embed` and `embedMany`). */
  doEmbed(options: {
    values: string[];
    abortSignal?: AbortSignal;
    providerOptions?: ProviderOptions;
    headers?: Record<string, string | undefined>;
    dimensions?: number;
  }): PromiseLike<{
    /** One vector per value, in order. */
    embeddings: number[][];
    /** Always empty. */
    warnings: never[];
  }>;
}

/** The AI SDK's reranking model, specification v3 (`RerankingModelV3`). */
export interface SentvecRerankingModel {
  /** The specification this model implements. */
  readonly specificationVersion: 'v3';
  /** `'sentvec'`. */
  readonly provider: string;
  /** The settings' modelId, else the folder or id given, else 'sentvec'. */
  readonly modelId: string;
  /** Scores each document against `query`, best first (called by the SDK's `rerank`). */
  doRerank(options: {
    documents: { type: 'text'; values: string[] } | { type: 'object'; values: Record<string, unknown>[] };
    query: string;
    topN?: number;
    abortSignal?: AbortSignal;
    providerOptions?: ProviderOptions;
    headers?: Record<string, string | undefined>;
  }): PromiseLike<{
    /** Best first, the first `topN` if given. */
    ranking: {
      /** Position of the document in `documents.values`. */
      index: number;
      /** The cross-encoder's score of the pair. */
      relevanceScore: number;
    }[];
    /** Always empty. */
    warnings: never[];
  }>;
}

/** The provider: the AI SDK's `ProviderV3` shape, with sentvec's names beside the SDK's. */
export interface SentvecProvider {
  /** The specification this provider implements. */
  readonly specificationVersion: 'v3';
  /** An embedding model of a model folder, hub id or loaded Model. */
  embedding(model: ModelSource, settings?: SentvecEmbeddingSettings): SentvecEmbeddingModel;
  /** The SDK's name for {@link embedding} (provider registries call it). */
  embeddingModel(model: ModelSource, settings?: SentvecEmbeddingSettings): SentvecEmbeddingModel;
  /** The SDK's older name for {@link embedding}. */
  textEmbeddingModel(model: ModelSource, settings?: SentvecEmbeddingSettings): SentvecEmbeddingModel;
  /** A reranking model (for the SDK's `rerank`) of a cross-encoder folder, hub id or Reranker. */
  reranking(reranker: RerankerSource, settings?: SentvecRerankingSettings): SentvecRerankingModel;
  /** The SDK's name for {@link reranking}. */
  rerankingModel(reranker: RerankerSource, settings?: SentvecRerankingSettings): SentvecRerankingModel;
  /** sentvec has no language models: throws. */
  languageModel(modelId: string): never;
  /** sentvec has no image models: throws. */
  imageModel(modelId: string): never;
  /**
   * Disposes the models this provider loaded (after the calls they accepted); its models made so far
   * then throw DisposedError, later ones load again. Models given as instances stay the caller's.
   */
  dispose(): Promise<void>;
}

const PROVIDER = 'sentvec';
const EMBEDDING_SETTINGS = new Set([
  'promptName',
  'prompt',
  'dimensions',
  'normalize',
  'batchSize',
  'longInputs',
  'maxEmbeddingsPerCall',
  'modelId',
]);
const RERANKING_SETTINGS = new Set(['batchSize', 'activation', 'modelId']);
// The encode settings a call may change through `providerOptions: { sentvec: { … } }`.
const CALL_SETTINGS = new Set(['promptName', 'prompt', 'normalize', 'dimensions', 'batchSize', 'longInputs']);
const MAX_PER_CALL = 2 ** 31 - 1;

function modelIdOf(source: unknown, modelId: unknown): string {
  if (modelId !== undefined) {
    if (typeof modelId !== 'string' || modelId === '')
      throw new InvalidArgumentError(`Expected a non-empty string for modelId but received ${describe(modelId)}`);
    return modelId;
  }
  return typeof source === 'string' ? source : PROVIDER;
}

// The call's own encode settings (providerOptions.sentvec), checked like the model's.
function callSettings(providerOptions: ProviderOptions | undefined): EncodeOptions {
  const own = providerOptions?.[PROVIDER];
  if (own === undefined) return {};
  return optionsOf(own, CALL_SETTINGS, 'providerOptions.sentvec of embed()') as EncodeOptions;
}

function embeddingModel(lease: ModelLease, source: unknown, settings: SentvecEmbeddingSettings | undefined): SentvecEmbeddingModel {
  const s = optionsOf(settings, EMBEDDING_SETTINGS, 'sentvec.embedding()') as SentvecEmbeddingSettings;
  const encode = encodeSettings(s);
  if (s.promptName !== undefined) encode.promptName = s.promptName;
  if (s.prompt !== undefined) encode.prompt = s.prompt;
  const perCall = s.maxEmbeddingsPerCall ?? Infinity;
  if (perCall !== Infinity && !(Number.isInteger(perCall) && perCall >= 1 && perCall <= MAX_PER_CALL))
    throw new InvalidArgumentError(
      `Expected an integer from 1 to ${MAX_PER_CALL}, or Infinity, for maxEmbeddingsPerCall but received ${describe(perCall)}`,
    );
  const modelId = modelIdOf(source, s.modelId);
  return {
    specificationVersion: 'v3',
    provider: PROVIDER,
    modelId,
    maxEmbeddingsPerCall: perCall,
    // Parallel pieces of one embedMany pay only where the model runs them side by side. Else they
    // wait for each other in the scheduler's queue, in batches of mixed lengths, or (pieces of
    // batchSize texts or more, which run their own batches) contend for the cores. Measured on the
    // e5-small twin, 1 thread, 400 texts: one call 4.3 s; pieces of 16 one after another 7.0 s,
    // in parallel 10.7 s; pieces of 128 in parallel 5.8 s.
    get supportsParallelCalls(): PromiseLike<boolean> {
      return lease.get().then((model) => {
        const scheduler = model.scheduler;
        return scheduler !== undefined && scheduler.options.maxInFlight > 1 && perCall < (encode.batchSize ?? 32);
      });
    },
    async doEmbed({ values, abortSignal, providerOptions, dimensions }) {
      abortSignal?.throwIfAborted();
      const model = await lease.get();
      const options: EncodeOptions = { ...encode, ...callSettings(providerOptions) };
      if (dimensions !== undefined) options.dimensions = dimensions;
      const embeddings = await model.encode(values, options);
      return { embeddings: rowsOf(embeddings), warnings: [] };
    },
  };
}

function rerankingModel(lease: RerankerLease, source: unknown, settings: SentvecRerankingSettings | undefined): SentvecRerankingModel {
  const s = optionsOf(settings, RERANKING_SETTINGS, 'sentvec.reranking()') as SentvecRerankingSettings;
  const predict = predictSettings(s);
  return {
    specificationVersion: 'v3',
    provider: PROVIDER,
    modelId: modelIdOf(source, s.modelId),
    async doRerank({ documents, query, topN, abortSignal }) {
      abortSignal?.throwIfAborted();
      const reranker = await lease.get();
      // Object documents are scored as their JSON text, as the SDK's hosted rerankers take them.
      const texts = documents.type === 'text' ? documents.values : documents.values.map((d) => JSON.stringify(d));
      const topK = topN === undefined ? texts.length : topN;
      const results = checkRanked(await reranker.rank(query, texts, { ...predict, topK }), texts.length, topK);
      return { ranking: results.map(({ index, score }) => ({ index, relevanceScore: score })), warnings: [] };
    },
  };
}

/** A provider whose models load with these options. Models given as instances stay the caller's. */
export function createSentvec(options: SentvecProviderOptions = {}): SentvecProvider {
  const o = optionsOf(options, new Set(['loadOptions', 'rerankerLoadOptions']), 'createSentvec()') as SentvecProviderOptions;
  // One lease per folder (and options) for all the models this provider makes of it: a model made
  // per request costs nothing and holds nothing more.
  const leases = new Map<string, ModelLease | RerankerLease>();
  const held = <T extends ModelLease | RerankerLease>(lease: T): T => {
    if (lease.key === undefined) return lease;
    const known = leases.get(lease.key) as T | undefined;
    if (known) return known;
    leases.set(lease.key, lease);
    return lease;
  };
  const embedding = (model: ModelSource, settings?: SentvecEmbeddingSettings) =>
    embeddingModel(held(modelLease(model, typeof model === 'string' ? o.loadOptions : undefined, 'sentvec.embedding()')), model, settings);
  const reranking = (reranker: RerankerSource, settings?: SentvecRerankingSettings) =>
    rerankingModel(
      held(rerankerLease(reranker, typeof reranker === 'string' ? o.rerankerLoadOptions : undefined, 'sentvec.reranking()')),
      reranker,
      settings,
    );
  const none =
    (kind: string) =>
    (modelId: string): never => {
      throw new InvalidArgumentError(`sentvec has no ${kind} models (asked for "${modelId}"): it serves embedding and reranking models`);
    };
  return {
    specificationVersion: 'v3',
    embedding,
    embeddingModel: embedding,
    textEmbeddingModel: embedding,
    reranking,
    rerankingModel: reranking,
    languageModel: none('language'),
    imageModel: none('image'),
    async dispose() {
      const all = [...leases.values()];
      leases.clear();
      await Promise.all(all.map((lease) => lease.release()));
    },
  };
}

/** The provider with default options. */
export const sentvec: SentvecProvider = createSentvec();
