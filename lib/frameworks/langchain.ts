/**
 * `sentvec/langchain`: LangChain.js embeddings ({@link SentvecEmbeddings}) and a reranker
 * ({@link SentvecReranker}, a document compressor) running sentvec models. Needs
 * `@langchain/core`. See docs/frameworks.md.
 * @module sentvec/langchain
 */
// sentvec/langchain: LangChain.js embeddings (`SentvecEmbeddings`, for vector stores and
// retrievers) and a reranker (`SentvecReranker`, a document compressor for
// ContextualCompressionRetriever). @langchain/core is an optional peer dependency of sentvec,
// loaded only by this module.
import type * as CoreEmbeddings from '@langchain/core/embeddings';
import type * as CoreCompressors from '@langchain/core/retrievers/document_compressors';
import type * as CoreDocuments from '@langchain/core/documents';
import type { DocumentInterface } from '@langchain/core/documents';
import type { LoadOptions } from '../model/model-directory';
import type { EncodeOptions, LongInputs } from '../model/encode-plan';
import type { CrossEncoderLoadOptions, PredictOptions } from '../model/cross-encoder';
import { checkRanked } from '../search/rerank';
import { integerIn } from '../validate';
import {
  encodeSettings,
  modelLease,
  optionsOf,
  predictSettings,
  promptChoice,
  promptOptions,
  requireFramework,
  rerankerLease,
  rowsOf,
  type ModelLease,
  type ModelSource,
  type PromptChoice,
  type RerankerLease,
  type RerankerSource,
} from './sources';

export type { ModelSource, RerankerSource } from './sources';

const ADAPTER = 'sentvec/langchain';
const { Embeddings } = requireFramework<typeof CoreEmbeddings>('@langchain/core/embeddings', '@langchain/core', ADAPTER);
const { BaseDocumentCompressor } = requireFramework<typeof CoreCompressors>(
  '@langchain/core/retrievers/document_compressors',
  '@langchain/core',
  ADAPTER,
);
const { Document } = requireFramework<typeof CoreDocuments>('@langchain/core/documents', '@langchain/core', ADAPTER);

/** Options of {@link SentvecEmbeddings}. */
export interface SentvecEmbeddingsParams {
  /** A model folder, a hub id, or a loaded Model (which stays yours to dispose). */
  model: ModelSource;
  /** Load options, when `model` is a folder or id. */
  loadOptions?: LoadOptions;
  /** The prompt of `embedQuery`: a prompt name, or null for none. Default: the model's 'query' prompt, else its default prompt. */
  queryPromptName?: string | null;
  /**
   * The prompt of `embedDocuments`: a prompt name, or null for none. Default: the model's
   * 'document', 'passage' or 'corpus' prompt (the first it has), else its default prompt.
   */
  documentPromptName?: string | null;
  /** L2-normalize each vector. Default: the model's (see LoadOptions.normalize). */
  normalize?: boolean;
  /** Keep the first `dimensions` values of each vector (Matryoshka), 1 to the model's dimension. Default: all. */
  dimensions?: number;
  /** Texts per inference batch, 1 to 1024. Default 32. */
  batchSize?: number;
  /** Texts longer than the model's maxSeqLength: 'truncate' (default), 'error' or 'chunk' (see EncodeOptions.longInputs). */
  longInputs?: LongInputs;
}

const EMBEDDINGS_PARAMS = new Set([
  'model',
  'loadOptions',
  'queryPromptName',
  'documentPromptName',
  'normalize',
  'dimensions',
  'batchSize',
  'longInputs',
]);

/**
 * LangChain embeddings of a sentvec model: `embedQuery` with the model's query prompt,
 * `embedDocuments` with its document prompt (see {@link SentvecEmbeddingsParams}). The vectors
 * are `Model.encode`'s. Calls are not retried: a local model fails the same way again.
 */
export class SentvecEmbeddings extends Embeddings {
  readonly #lease: ModelLease;
  readonly #encode: EncodeOptions;
  readonly #query: PromptChoice;
  readonly #document: PromptChoice;

  constructor(params: SentvecEmbeddingsParams) {
    const p = optionsOf(params, EMBEDDINGS_PARAMS, 'new SentvecEmbeddings()') as unknown as SentvecEmbeddingsParams;
    super({});
    this.#lease = modelLease(p.model, p.loadOptions, 'new SentvecEmbeddings()');
    this.#query = promptChoice(p.queryPromptName, 'queryPromptName', 'new SentvecEmbeddings()');
    this.#document = promptChoice(p.documentPromptName, 'documentPromptName', 'new SentvecEmbeddings()');
    this.#encode = encodeSettings(p);
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    const model = await this.#lease.get();
    return rowsOf(await model.encode(documents, { ...this.#encode, ...promptOptions(model, this.#document, 'document') }));
  }

  async embedQuery(document: string): Promise<number[]> {
    const model = await this.#lease.get();
    return rowsOf(await model.encode([document], { ...this.#encode, ...promptOptions(model, this.#query, 'query') }))[0];
  }

  /** Lets go of the model: disposed with its last holder when these embeddings loaded it; a Model given stays yours. */
  dispose(): Promise<void> {
    return this.#lease.release();
  }

  /** dispose(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** Options of {@link SentvecReranker}. */
export interface SentvecRerankerParams {
  /** A cross-encoder folder, a hub id, or a loaded Reranker such as a CrossEncoder (which stays yours to dispose). */
  model: RerankerSource;
  /** Load options, when `model` is a folder or id. */
  loadOptions?: CrossEncoderLoadOptions;
  /** Documents kept, best first, 1 to 2^31 − 1. Default 3. */
  topK?: number;
  /** Pairs per inference batch, 1 to 1024. Default 32. */
  batchSize?: number;
  /** How logits become scores. Default: the model's. */
  activation?: PredictOptions['activation'];
}

const RERANKER_PARAMS = new Set(['model', 'loadOptions', 'topK', 'batchSize', 'activation']);
const MAX_TOP_K = 2 ** 31 - 1;

/**
 * A LangChain document compressor that keeps the `topK` documents a cross-encoder scores best
 * against the query, best first, each with its score in `metadata.relevanceScore`.
 */
export class SentvecReranker extends BaseDocumentCompressor {
  readonly #lease: RerankerLease;
  readonly #topK: number;
  readonly #predict: PredictOptions;

  constructor(params: SentvecRerankerParams) {
    const p = optionsOf(params, RERANKER_PARAMS, 'new SentvecReranker()') as unknown as SentvecRerankerParams;
    super();
    this.#lease = rerankerLease(p.model, p.loadOptions, 'new SentvecReranker()');
    this.#topK = p.topK === undefined ? 3 : integerIn(p.topK, 1, MAX_TOP_K, 'topK');
    this.#predict = predictSettings(p);
  }

  /** Each document's position in `documents` and its score, best first (all of them). */
  async rerank(
    documents: readonly (DocumentInterface | string)[],
    query: string,
  ): Promise<
    {
      /** Position of the document in `documents`. */
      index: number;
      /** The cross-encoder's score of the pair. */
      relevanceScore: number;
    }[]
  > {
    const reranker = await this.#lease.get();
    const texts = documents.map((d) => (typeof d === 'string' ? d : d.pageContent));
    const results = checkRanked(await reranker.rank(query, texts, this.#predict), texts.length, texts.length);
    return results.map(({ index, score }) => ({ index, relevanceScore: score }));
  }

  async compressDocuments(documents: DocumentInterface[], query: string): Promise<DocumentInterface[]> {
    if (documents.length === 0) return [];
    const reranker = await this.#lease.get();
    const topK = Math.min(this.#topK, documents.length);
    const results = checkRanked(
      await reranker.rank(
        query,
        documents.map((d) => d.pageContent),
        { ...this.#predict, topK },
      ),
      documents.length,
      topK,
    );
    return results.map(({ index, score }) => {
      const d = documents[index];
      return new Document({ pageContent: d.pageContent, metadata: { ...d.metadata, relevanceScore: score }, id: d.id });
    });
  }

  /** Lets go of the reranker: disposed with its last holder when this compressor loaded it; a Reranker given stays yours. */
  dispose(): Promise<void> {
    return this.#lease.release();
  }

  /** dispose(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
