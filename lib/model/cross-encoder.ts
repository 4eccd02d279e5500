// A cross-encoder (reranker): reads a query and a passage together and scores the pair. It runs
// on the one path from inputs to outputs (lib/model/encode-plan.ts), with a 'score' head.
//
// CONTRACT FILE: the types below are what the server, the CLI, the search stores and the
// framework adapters are written against. The class body is being built (issue 26).
import type { LoadOptions } from './model-directory';
import { SentvecError } from '../errors';

/** How a cross-encoder's logits become scores. */
export type Activation = 'sigmoid' | 'softmax' | 'identity' | 'none';

/** Options of {@link CrossEncoder.load}: those of `Model.load` that apply to a cross-encoder. */
export type CrossEncoderLoadOptions = Pick<
  LoadOptions,
  'maxSeqLength' | 'onnxFile' | 'providers' | 'fallback' | 'threads' | 'spinning' | 'memoryArena' | 'scheduler' | 'optimizedCache'
>;

/** Options of {@link CrossEncoder.predict}. */
export interface PredictOptions {
  /** Pairs per inference batch, 1 to 1024. Default 32. */
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
  score: number;
  /** Present when `returnDocuments` is true. */
  document?: string;
}

/** What a loaded cross-encoder is. */
export interface CrossEncoderInfo {
  /** Scores per pair: 1 for a reranker; > 1 for a classifier (predict returns `numLabels` per pair). */
  numLabels: number;
  /** The activation the model's files state. */
  activation: Activation;
  /** Longest pair in tokens, special tokens included. */
  maxSeqLength: number;
}

/** The part of a cross-encoder that the server, the CLI, the search stores and the adapters use. */
export interface Reranker {
  readonly info: Readonly<CrossEncoderInfo>;
  predict(pairs: ReadonlyArray<readonly [string, string]>, options?: PredictOptions): Promise<Float32Array>;
  rank(query: string, documents: readonly string[], options?: RankOptions): Promise<RankResult[]>;
  dispose(): Promise<void>;
}

/** A cross-encoder model: one score per `[query, passage]` pair. */
export class CrossEncoder implements Reranker {
  private constructor(readonly info: Readonly<CrossEncoderInfo>) {}

  /** Loads a cross-encoder from a model directory (or, with the hub, an id). */
  static async load(idOrDir: string, options: CrossEncoderLoadOptions = {}): Promise<CrossEncoder> {
    void idOrDir;
    void options;
    throw new SentvecError('ERR_NOT_BUILT', 'CrossEncoder is not built yet');
  }

  async predict(pairs: ReadonlyArray<readonly [string, string]>, options: PredictOptions = {}): Promise<Float32Array> {
    void pairs;
    void options;
    throw new SentvecError('ERR_NOT_BUILT', 'CrossEncoder is not built yet');
  }

  async rank(query: string, documents: readonly string[], options: RankOptions = {}): Promise<RankResult[]> {
    void query;
    void documents;
    void options;
    throw new SentvecError('ERR_NOT_BUILT', 'CrossEncoder is not built yet');
  }

  async dispose(): Promise<void> {}
}
