// The class of sentvec/llamaindex, made from the BaseEmbedding of the user's llamaindex: its
// CommonJS build for require('sentvec/llamaindex') (llamaindex.ts), its ES module build for import
// (llamaindex.mts). One class on one base would load the other build of @llamaindex/core beside the
// user's, whose @llamaindex/env then warns "llamaindex was already imported" (and instanceof checks
// between the two fail).
import type { BaseEmbedding as BaseEmbeddingClass } from 'llamaindex';
import type { LoadOptions } from '../model/model-directory';
import type { EncodeOptions, LongInputs } from '../model/encode-plan';
import { integerOption } from '../validate';
import type { SentvecEmbeddingConstructor } from './llamaindex';
import {
  encodeSettings,
  modelLease,
  optionsOf,
  promptChoice,
  promptOptions,
  rowsOf,
  type ModelLease,
  type ModelSource,
  type PromptChoice,
} from './sources';

/** Options of {@link SentvecEmbedding}. */
export interface SentvecEmbeddingParams {
  /** A model folder, a hub id, or a loaded Model (which stays yours to dispose). */
  model: ModelSource;
  /** Load options, when `model` is a folder or id. */
  loadOptions?: LoadOptions;
  /** The prompt of query embeddings: a prompt name, or null for none. Default: the model's 'query' prompt, else its default prompt. */
  queryPromptName?: string | null;
  /**
   * The prompt of text (document) embeddings: a prompt name, or null for none. Default: the
   * model's 'document', 'passage' or 'corpus' prompt (the first it has), else its default prompt.
   */
  documentPromptName?: string | null;
  /** Texts LlamaIndex hands over per call (its `embedBatchSize`), 1 to 1024. Default 32. */
  embedBatchSize?: number;
  /** L2-normalize each vector. Default: the model's (see LoadOptions.normalize). */
  normalize?: boolean;
  /** Keep the first `dimensions` values of each vector (Matryoshka), 1 to the model's dimension. Default: all. */
  dimensions?: number;
  /** Texts longer than the model's maxSeqLength: 'truncate' (default), 'error' or 'chunk' (see EncodeOptions.longInputs). */
  longInputs?: LongInputs;
}

const PARAMS = new Set([
  'model',
  'loadOptions',
  'queryPromptName',
  'documentPromptName',
  'embedBatchSize',
  'normalize',
  'dimensions',
  'longInputs',
]);

/** A query as LlamaIndex passes it: text, or message content of which only `type: 'text'` is embedded. */
export type QueryInput =
  | string
  | {
      /** The content's kind: `'text'`, `'image_url'`, … */
      type: string;
      /** The text, when `type` is `'text'`. */
      text?: string;
    };

/** SentvecEmbedding on `Base`, the BaseEmbedding of one build of llamaindex. */
export function sentvecEmbeddingClass(Base: typeof BaseEmbeddingClass): SentvecEmbeddingConstructor {
  return class SentvecEmbedding extends Base {
    readonly #lease: ModelLease;
    readonly #encode: EncodeOptions;
    readonly #query: PromptChoice;
    readonly #document: PromptChoice;

    constructor(params: SentvecEmbeddingParams) {
      const where = 'new SentvecEmbedding()';
      const p = optionsOf(params, PARAMS, where) as unknown as SentvecEmbeddingParams;
      super();
      this.#lease = modelLease(p.model, p.loadOptions, where);
      this.#query = promptChoice(p.queryPromptName, 'queryPromptName', where);
      this.#document = promptChoice(p.documentPromptName, 'documentPromptName', where);
      this.embedBatchSize = p.embedBatchSize === undefined ? 32 : integerOption(p.embedBatchSize, 'batchSize', 'embedBatchSize');
      this.#encode = encodeSettings({ normalize: p.normalize, dimensions: p.dimensions, longInputs: p.longInputs });
    }

    async #embed(texts: string[], side: 'query' | 'document'): Promise<number[][]> {
      const model = await this.#lease.get();
      return rowsOf(
        await model.encode(texts, { ...this.#encode, ...promptOptions(model, side === 'query' ? this.#query : this.#document, side) }),
      );
    }

    /** The text's vector, with the model's document prompt. */
    async getTextEmbedding(text: string): Promise<number[]> {
      return (await this.#embed([text], 'document'))[0];
    }

    // (The base class sets its own getTextEmbeddings, one text at a time, in its constructor.)
    /** The texts' vectors, with the model's document prompt, in one call of `Model.encode`. */
    getTextEmbeddings = (texts: string[]): Promise<number[][]> => this.#embed(texts, 'document');

    /** The query's vector; null for content other than text (images, audio), which a text model cannot embed. */
    async getQueryEmbedding(query: QueryInput): Promise<number[] | null> {
      const text = typeof query === 'string' ? query : query.type === 'text' ? query.text : undefined;
      if (typeof text !== 'string') return null;
      return (await this.#embed([text], 'query'))[0];
    }

    /** Lets go of the model: disposed with its last holder when this embedding loaded it; a Model given stays yours. */
    dispose(): Promise<void> {
      return this.#lease.release();
    }

    /** dispose(), for `await using`. */
    [Symbol.asyncDispose](): Promise<void> {
      return this.dispose();
    }
  };
}
