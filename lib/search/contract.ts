// The search contract: what every vector store answers — `Index` in memory, `PostgresStore` in
// PostgreSQL, or an application's own — and all that the server's POST /v1/search and the CLI
// ask of a corpus. Types and the one option check that the stores share; no store code.
import { InvalidArgumentError } from '../errors';
import type { Reranker } from '../model/cross-encoder';
import { describe } from '../validate';

/** How scores are computed: cosine similarity (vectors and queries normalized) or the dot product. */
export type Metric = 'cosine' | 'dot';

/** Ids: non-negative integers (numbers up to 2^53 − 1, or bigints up to 2^64 − 1). */
export type Ids =
  readonly (number | bigint)[] | BigUint64Array | BigInt64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array | Float64Array;

/** The results of one query, best first (ties: lower id first). */
export interface SearchResult {
  /**
   * Ids of the nearest vectors. To index an array by them in TypeScript (which takes no bigint
   * index), turn them into numbers with {@link numberIds}: `numberIds(hit.ids).map((id) => corpus[id])`.
   */
  ids: BigUint64Array;
  /**
   * Their scores: cosine similarity or dot product (int8 / binary without rescore: approximations);
   * with `rerank`, the cross-encoder's scores, by which the hits are then ordered.
   */
  scores: Float32Array;
  /** With `rerank` only: each hit's score from the vector search (what `scores` holds without rerank). */
  retrievalScores?: Float32Array;
}

/** What a store may keep beside each vector: its text and a JSON metadata object. */
export type DocumentField = 'text' | 'metadata';

/** Options every store's `search` takes. */
export interface VectorSearchOptions {
  /** Results per query, 1 to 4,294,967,295; fewer when the store (or the filter) holds fewer vectors. Default 10. */
  topK?: number;
  /**
   * Restrict the search to these ids, to the ids whose bit is set in a bitmap (bit i is
   * `bitmap[i >> 3] >> (i & 7) & 1`), or to the vectors whose metadata contains this object. Only a
   * store that keeps metadata takes `{ metadata }`: `Index` rejects it with InvalidArgumentError.
   */
  filter?:
    | Ids
    | {
        /** Bit i set: id i may be returned. */
        bitmap: Uint8Array;
      }
    | {
        /** Rows whose metadata contains this object (jsonb `@>`). */
        metadata: Record<string, unknown>;
      };
  /**
   * Also return each hit's text and/or metadata. A field comes back only when it is asked for and
   * the store keeps it: `PostgresStore` keeps both; `Index` keeps neither (its results are ids and
   * scores whatever `include` says; the application keeps the texts, e.g. an array by id).
   */
  include?: readonly DocumentField[];
}

/**
 * Retrieve, then rerank: options of `Index.search`, `PostgresStore.search` and `semanticSearch`.
 * The `candidates` nearest vectors of each query are scored by a cross-encoder against the query's
 * text, and the best `topK` by that score are returned (`scores`), each with its vector-search
 * score (`retrievalScores`).
 */
export interface RerankOptions {
  /** The cross-encoder (a `CrossEncoder`, or any `Reranker`) that reorders the candidates. Default: no reranking. */
  rerank?: Reranker;
  /** Candidates per query taken from the vector search to the reranker, topK to 100,000. Default max(topK, 100). */
  candidates?: number;
  /** With `rerank`, required: the text of the query (a string), or of each query (an array, in the queries' order). */
  queryText?: string | readonly string[];
  /**
   * The text of each stored vector, by id: `documents[id]`. Needed with `rerank` when the store
   * keeps no texts (an `Index`, `semanticSearch`'s corpus); when given, used instead of the
   * store's texts. A candidate without a text rejects the search with InvalidArgumentError.
   */
  documents?: readonly (string | null | undefined)[];
}

/** The results of one query: ids and scores, plus the fields asked for with `include` that the store keeps. */
export interface VectorSearchResult extends SearchResult {
  /** One per hit, `null` where the vector was stored without a text. */
  texts?: (string | null)[];
  /** One per hit, `null` where the vector was stored without metadata. */
  metadata?: (Record<string, unknown> | null)[];
}

/**
 * A store of vectors searchable by nearest neighbour: implemented by `Index` and `PostgresStore`,
 * served by `createServer({ store })` and asked by the CLI. The contract is the batch form, which
 * every store answers; `Index` and `PostgresStore` also take one query (a Float32Array, answered
 * with one result) and the `Embeddings` of `encode()`.
 */
export interface VectorStore {
  /** Width of every vector. */
  readonly dimension: number;
  /**
   * The `topK` nearest stored vectors to each query (a Float32Array of `dimension`), one result
   * per query, in the queries' order. Bad options reject with InvalidArgumentError.
   */
  search(queries: readonly Float32Array[], options?: VectorSearchOptions): Promise<VectorSearchResult[]>;
}

/** The `include` option, checked: an array of 'text' and 'metadata' (default none). */
export function includeOption(value: unknown): readonly DocumentField[] {
  const include = value ?? [];
  if (!Array.isArray(include) || include.some((f) => f !== 'text' && f !== 'metadata'))
    throw new InvalidArgumentError(`Expected an array of 'text' and 'metadata' for include but received ${describe(include)}`);
  return include as readonly DocumentField[];
}

/** One query (a Float32Array) must be `dimension` wide; several queries go as an array. */
export function checkSingleQuery(query: Float32Array, dimension: number, holder: 'index' | 'store'): void {
  if (query.length !== dimension)
    throw new InvalidArgumentError(
      `the query has ${query.length} values; this ${holder} has dimension ${dimension} (pass several queries as an array of Float32Array)`,
    );
}

/**
 * Ids as numbers, for indexing arrays: `numberIds(hit.ids).map((id) => corpus[id])`. Every id up
 * to 2^53 − 1 (Number.MAX_SAFE_INTEGER) fits; a larger one (only bigint ids given to `add` can be)
 * is an InvalidArgumentError rather than a number that names another row.
 */
export function numberIds(ids: BigUint64Array | readonly bigint[]): number[] {
  if (!(ids instanceof BigUint64Array) && !Array.isArray(ids))
    throw new InvalidArgumentError(`Expected a BigUint64Array or an array of bigints for ids but received ${describe(ids)}`);
  return Array.from(ids as ArrayLike<bigint>, (id, i) => {
    if (typeof id !== 'bigint' || id < 0n || id > BigInt(Number.MAX_SAFE_INTEGER))
      throw new InvalidArgumentError(
        `ids[${i}] is ${describe(id)}: only ids from 0 to 2^53 − 1 are numbers; index by the bigint itself (a Map) for larger ones`,
      );
    return Number(id);
  });
}
