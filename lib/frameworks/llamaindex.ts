/**
 * `sentvec/llamaindex`: a LlamaIndex.TS embedding model ({@link SentvecEmbedding}) running a
 * sentvec model. Needs `llamaindex`. See docs/frameworks.md.
 * @module sentvec/llamaindex
 */
// sentvec/llamaindex: a LlamaIndex.TS embedding model (`SentvecEmbedding`, a BaseEmbedding for
// `Settings.embedModel`, VectorStoreIndex, ingestion pipelines). `llamaindex` is an optional peer
// dependency of sentvec, loaded only by this module: its BaseEmbedding is taken from the copy of
// @llamaindex/core that llamaindex itself uses. This is require()'s entry; import's is llamaindex.mts.
import { createRequire } from 'node:module';
import type { BaseEmbedding as BaseEmbeddingClass } from 'llamaindex';
import { sentvecEmbeddingClass, type QueryInput, type SentvecEmbeddingParams } from './llamaindex-embedding';
import { requireFramework } from './sources';

export type { ModelSource } from './sources';
export type { QueryInput, SentvecEmbeddingParams } from './llamaindex-embedding';

const ADAPTER = 'sentvec/llamaindex';

function loadBaseEmbedding(): typeof BaseEmbeddingClass {
  let llamaindex: string;
  try {
    llamaindex = require.resolve('llamaindex');
  } catch {
    // Not there: the error names the package to install.
    return requireFramework<{ BaseEmbedding: typeof BaseEmbeddingClass }>('llamaindex', 'llamaindex', ADAPTER).BaseEmbedding;
  }
  // (The light module of it, rather than all of llamaindex.)
  return (createRequire(llamaindex)('@llamaindex/core/embeddings') as { BaseEmbedding: typeof BaseEmbeddingClass }).BaseEmbedding;
}

/** A LlamaIndex embedding model running a sentvec model (see SentvecEmbeddingParams); this is the CommonJS entry, for require(). */
export const SentvecEmbedding: SentvecEmbeddingConstructor = sentvecEmbeddingClass(loadBaseEmbedding());

/**
 * A LlamaIndex embedding model running a sentvec model: text embeddings with the model's document
 * prompt, query embeddings with its query prompt (see {@link SentvecEmbeddingParams}); each call
 * embeds at most `embedBatchSize` texts, in one call of `Model.encode`, whose vectors it returns.
 */
export interface SentvecEmbedding extends BaseEmbeddingClass {
  /** The text's vector, with the model's document prompt. */
  getTextEmbedding(text: string): Promise<number[]>;
  /** The texts' vectors, with the model's document prompt, in one call of `Model.encode`. */
  getTextEmbeddings: (texts: string[]) => Promise<number[][]>;
  /** The query's vector; null for content other than text (images, audio), which a text model cannot embed. */
  getQueryEmbedding(query: QueryInput): Promise<number[] | null>;
  /** Lets go of the model: disposed with its last holder when this embedding loaded it; a Model given stays yours. */
  dispose(): Promise<void>;
  /** dispose(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** {@link SentvecEmbedding}'s constructor. */
export interface SentvecEmbeddingConstructor {
  new (params: SentvecEmbeddingParams): SentvecEmbedding;
}
