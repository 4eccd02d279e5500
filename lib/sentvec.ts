/**
 * `sentvec`: sentence embeddings ({@link Model}), reranking ({@link CrossEncoder}), search in memory ({@link Index}) or in
 * PostgreSQL ({@link PostgresStore}), int8 exports ({@link quantizeModel}) and the error classes.
 * The HTTP server is the separate entry point `sentvec/server`.
 * @module sentvec
 */
// The library: models, embeddings, search. The HTTP server is `sentvec/server` (lib/server/),
// so that requiring sentvec loads no HTTP code; the CLI is bin/sentvec.js.
export { Model, Tokenized, type EncodeOptions, type ModelInfo } from './model/model';
export type { LongInputs } from './model/encode-plan';
export { downloadModel, DownloadError, type DownloadOptions, type DownloadProgress, type HubOptions } from './hub/download';
export { Embeddings, type EmbeddingWindows } from './model/embeddings';
export {
  CrossEncoder,
  type Activation,
  type CrossEncoderInfo,
  type CrossEncoderLoadOptions,
  type PredictOptions,
  type RankOptions,
  type RankResult,
  type Reranker,
} from './model/cross-encoder';
export {
  Index,
  semanticSearch,
  type IndexOptions,
  type SearchOptions,
  type SearchResult,
  type SemanticSearchHit,
  type SemanticSearchOptions,
  type Metric,
  type Precision,
  type Ids,
  type Vectors,
} from './search/vector-index';
export {
  numberIds,
  type VectorStore,
  type VectorSearchOptions,
  type VectorSearchResult,
  type DocumentField,
  type RerankOptions,
} from './search/contract';
export {
  PostgresStore,
  type PostgresStoreOptions,
  type HnswOptions,
  type StoreSearchOptions,
  type StoreSearchResult,
  type StoreAddOptions,
  type PgPool,
  type PgClient,
  type QueryResult,
} from './search/postgres';
export type { LoadOptions } from './model/model-directory';
export { quantizeModel, type QuantizeOptions, type QuantizeResult } from './model/quantize';
export type { Scheduler, SchedulerOptions, BatchEvent } from './model/scheduler';
export {
  availableProviders,
  PROVIDER_NAMES,
  type Provider,
  type ProviderName,
  type ProviderAvailability,
  type CudaOptions,
  type TensorRtOptions,
  type CoreMlOptions,
  type NnapiOptions,
} from './model/providers';
export { useNativeBinding, type PoolingMode } from './binding';
export {
  SentvecError,
  InvalidArgumentError,
  ModelFileError,
  InputTooLongError,
  DisposedError,
  InferenceError,
  NativeLoadError,
  DuplicateIdError,
  IndexFileError,
  IoError,
  ProviderError,
  OutOfMemoryError,
  InternalError,
  StoreError,
  StoreConnectionError,
  PgvectorMissingError,
  DimensionMismatchError,
  MissingDependencyError,
  QueueFullError,
} from './errors';
import { binding } from './binding';

/** Physical cores of this machine: the default of `threads`. */
export function physicalCores(): number {
  return binding().physicalCores;
}
