// The vector index (native/core/index, native/binding/index.cc): exact top-k search with f32, int8
// and binary storage, saved atomically; and semanticSearch over it. (The package entry is sentvec.ts.)
import { resolve } from 'node:path';
import { binding, type NativeIndex, type NativeIndexInfo } from '../binding';
import { describe, integerOption, oneOf, rejectUnknownOptions } from '../validate';
import { Embeddings } from '../model/embeddings';
import { DisposedError, InvalidArgumentError } from '../errors';
import { CallOrder } from './call-order';
import {
  checkSingleQuery,
  includeOption,
  type Ids,
  type Metric,
  type RerankOptions,
  type SearchResult,
  type VectorSearchOptions,
  type VectorStore,
} from './contract';
import { RERANK_OPTIONS, searchAndRerank } from './rerank';

export type { Ids, Metric, SearchResult } from './contract';
/** How an index stores vectors; 'float32' is the word a model's precision uses too. */
export type Precision = 'float32' | 'int8' | 'binary';

/** Options of `new Index()`. */
export interface IndexOptions {
  /** Width of every vector, 1 to 1,048,576. Required. */
  dimension: number;
  /** 'cosine' normalizes vectors and queries (score = cosine similarity); 'dot' scores raw inner products. Default 'cosine'. */
  metric?: Metric;
  /**
   * Storage: 'float32' (exact), 'int8' (per-vector scalar quantization, 4× smaller) or 'binary'
   * (sign bits compared by Hamming distance, 32× smaller). Default 'float32'. ('f32', the name
   * of earlier versions, is taken as 'float32'.)
   */
  precision?: Precision | 'f32';
  /**
   * For 'int8' and 'binary': also keep the f32 vectors and rescore the best 10 × topK candidates
   * exactly (scores are then exact). Default true.
   */
  rescore?: boolean;
  /** Threads per search, 1 to 256. Default: the machine's physical cores. */
  threads?: number;
}

/**
 * Options of `index.search()`: the contract's (`include` returns nothing here, an Index keeps no
 * texts or metadata, unless `documents` gives the texts), `oversample`, and reranking.
 */
export interface SearchOptions extends Pick<VectorSearchOptions, 'topK' | 'include'>, RerankOptions {
  /**
   * Restrict the search to these ids (ids not in the index are ignored), or to the ids whose bit
   * is set in a bitmap (bit i is `bitmap[i >> 3] >> (i & 7) & 1`).
   */
  filter?:
    | Ids
    | {
        /** Bit i set: id i may be returned. */
        bitmap: Uint8Array;
      };
  /**
   * int8 / binary with rescore: candidates per result taken from the approximate pass to the
   * exact f32 rescoring, 1 to 1000. Higher = better recall, slower. Default 10.
   */
  oversample?: number;
}

/** Vectors as `add` and `search` take them: one flat Float32Array, an array of rows, or `encode()`'s result. */
export type Vectors = Float32Array | readonly Float32Array[] | Embeddings;

const INDEX_OPTIONS = new Set(['dimension', 'metric', 'precision', 'rescore', 'threads']);
const SEARCH_OPTIONS = new Set(['topK', 'filter', 'oversample', 'include', ...RERANK_OPTIONS]);
const U64_MAX = (1n << 64n) - 1n;
// Set only while Index.load() constructs the wrapper of the index it read.
let adopting: NativeIndex | undefined;

export function toIds(ids: unknown, name: string): BigUint64Array {
  if (ids instanceof BigUint64Array) return ids;
  if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
    throw new InvalidArgumentError(`Expected an array or typed array of ids for ${name} but received ${describe(ids)}`);
  }
  const list = ids as ArrayLike<number | bigint>;
  const out = new BigUint64Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === 'bigint') {
      if (v < 0n || v > U64_MAX)
        throw new InvalidArgumentError(`${name}[${i}] = ${v} is out of range: ids are integers from 0 to 2^64 − 1`);
      out[i] = v;
    } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      out[i] = BigInt(v);
    } else {
      throw new InvalidArgumentError(
        `${name}[${i}] = ${describe(v)} is not a valid id: ids are non-negative integers (numbers up to 2^53 − 1, or bigints)`,
      );
    }
  }
  return out;
}

/** Flattens vectors into one row-major Float32Array, checking each row's width against `owner`'s (the index, the store). */
export function flatten(vectors: Vectors, dimension: number, name: string, owner = 'index'): Float32Array {
  if (vectors instanceof Embeddings) {
    if (vectors.dimension !== dimension) {
      throw new InvalidArgumentError(`${name} have dimension ${vectors.dimension}; this ${owner} has dimension ${dimension}`);
    }
    return vectors.data;
  }
  if (vectors instanceof Float32Array) {
    if (vectors.length % dimension !== 0) {
      throw new InvalidArgumentError(`${name} has ${vectors.length} values, not a multiple of the ${owner}'s dimension ${dimension}`);
    }
    return vectors;
  }
  if (!Array.isArray(vectors)) {
    throw new InvalidArgumentError(
      `Expected a Float32Array, an array of Float32Array or Embeddings for ${name} but received ${describe(vectors)}`,
    );
  }
  const flat = new Float32Array(vectors.length * dimension);
  vectors.forEach((v: unknown, i: number) => {
    if (!(v instanceof Float32Array))
      throw new InvalidArgumentError(`Expected a Float32Array for ${name}[${i}] but received ${describe(v)}`);
    if (v.length !== dimension)
      throw new InvalidArgumentError(`${name}[${i}] has ${v.length} values; this ${owner} has dimension ${dimension}`);
    flat.set(v, i * dimension);
  });
  return flat;
}

/**
 * Exact top-k search over vectors in native memory. Searches run off the event loop, in parallel
 * over `threads`. Calls take effect in the order they were made, awaited or not: a call waits for
 * the `add`/`remove` made before it, and `add`/`remove` wait for the calls made before them, while
 * searches (and saves) made together run at once. A search sees each change wholly or not at all.
 * A `VectorStore` that keeps vectors only: no texts or metadata (see `include`).
 *
 * ```ts
 * const index = new Index({ dimension: model.dimension });
 * await index.add(await model.encode(corpus));
 * const { ids, scores } = await index.search((await model.encode('query')).get(0), { topK: 5 });
 * ```
 */
export class Index implements VectorStore {
  readonly #native: NativeIndex;
  readonly #info: NativeIndexInfo;
  readonly #order = new CallOrder();
  #disposed = false;

  constructor(options: IndexOptions) {
    if (adopting) {
      // Index.load(): wrap the native index it read.
      this.#native = adopting;
      this.#info = adopting.info();
      return;
    }
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`Expected an options object with a dimension for new Index() but received ${describe(options)}`);
    rejectUnknownOptions(options, INDEX_OPTIONS, 'new Index()');
    const dimension = integerOption(options.dimension, 'dimension');
    const metric = oneOf(options.metric ?? 'cosine', binding().metrics, 'metric');
    const precision = oneOf(options.precision === 'f32' ? 'float32' : (options.precision ?? 'float32'), binding().precisions, 'precision');
    if (options.rescore !== undefined && typeof options.rescore !== 'boolean')
      throw new InvalidArgumentError(`Expected a boolean for rescore but received ${describe(options.rescore)}`);
    const threads = options.threads === undefined ? 0 : integerOption(options.threads, 'threads');
    this.#native = binding().createIndex({ dimension, metric, precision, rescore: options.rescore ?? true, threads });
    this.#info = this.#native.info();
  }

  /** Loads an index written by `save()`. A truncated, corrupt, foreign or newer-format file gives an IndexFileError. */
  static async load(path: string, options: { threads?: number } = {}): Promise<Index> {
    if (typeof path !== 'string' || path === '')
      throw new InvalidArgumentError(`Expected a file path for path but received ${describe(path)}`);
    const threads = options.threads === undefined ? 0 : integerOption(options.threads, 'threads');
    const native = await binding().loadIndex(resolve(path), threads);
    adopting = native;
    try {
      return new Index(undefined as unknown as IndexOptions);
    } finally {
      adopting = undefined;
    }
  }

  get dimension(): number {
    return this.#info.dimension;
  }
  /** How scores are computed: `'cosine'` or `'dot'`. */
  get metric(): Metric {
    return this.#info.metric;
  }
  /** How vectors are stored: `'float32'`, `'int8'` or `'binary'`. */
  get precision(): Precision {
    return this.#info.precision;
  }
  /** Whether int8 / binary results are rescored with the kept f32 vectors. */
  get rescore(): boolean {
    return this.#info.rescore;
  }
  /** Threads per search (0 when the default, the physical cores). */
  get threads(): number {
    return this.#info.threads;
  }
  /** Number of vectors. */
  get size(): number {
    return this.#live().size;
  }
  /** Bytes of vector storage. */
  get memoryBytes(): number {
    return this.#live().memoryBytes;
  }

  #live(): NativeIndexInfo {
    this.#check();
    return this.#native.info();
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('the index was disposed');
  }

  /**
   * Adds vectors (a flat Float32Array of n × dimension, an array of Float32Array, or the result
   * of `encode()`), with their ids or, without ids, ids that continue from the largest so far
   * (0, 1, 2, … in insertion order). All or nothing: a duplicate id or a NaN/Inf value rejects
   * the call and adds none.
   */
  async add(vectors: Vectors, ids?: Ids): Promise<void> {
    this.#check();
    let flat = flatten(vectors, this.dimension, 'vectors');
    const count = flat.length / this.dimension;
    let list: BigUint64Array | undefined;
    if (ids !== undefined) {
      list = toIds(ids, 'ids');
      if (list.length !== count) throw new InvalidArgumentError(`Expected ${count} ids (one per vector) but received ${list.length}`);
    }
    // A call that waits takes its inputs as they are now, not as the caller may change them meanwhile.
    if (this.#order.waits('write')) [flat, list] = [flat.slice(), list?.slice()];
    await this.#order.run('write', () => this.#native.add(flat, list));
  }

  /** Removes vectors by id; returns how many were in the index. */
  async remove(ids: Ids): Promise<number> {
    this.#check();
    let list = toIds(ids, 'ids');
    if (this.#order.waits('write')) list = list.slice();
    return await this.#order.run('write', () => this.#native.remove(list));
  }

  /** The `topK` nearest vectors to one query (a Float32Array of `dimension`), or to each of several. */
  async search(query: Float32Array, options?: SearchOptions): Promise<SearchResult>;
  async search(queries: readonly Float32Array[] | Embeddings, options?: SearchOptions): Promise<SearchResult[]>;
  async search(
    queries: Float32Array | readonly Float32Array[] | Embeddings,
    options: SearchOptions = {},
  ): Promise<SearchResult | SearchResult[]> {
    this.#check();
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
    rejectUnknownOptions(options, SEARCH_OPTIONS, 'search()');
    const single = queries instanceof Float32Array;
    if (single) checkSingleQuery(queries, this.dimension, 'index');
    if (options.rerank !== undefined) {
      const batch = single ? [queries] : queries;
      const results = await searchAndRerank(batch.length, options, (o) => this.search(batch, o));
      return single ? results[0] : results;
    }
    let flat = flatten(queries, this.dimension, 'queries');
    const topK = options.topK === undefined ? 10 : integerOption(options.topK, 'topK');
    const oversample = options.oversample === undefined ? 10 : integerOption(options.oversample, 'oversample');
    includeOption(options.include);
    let filter: { ids?: BigUint64Array; bitmap?: Uint8Array } | undefined;
    if (options.filter !== undefined) {
      const f = options.filter as unknown;
      if (f !== null && typeof f === 'object' && !ArrayBuffer.isView(f) && !Array.isArray(f) && 'bitmap' in f) {
        if (!((f as { bitmap: unknown }).bitmap instanceof Uint8Array))
          throw new InvalidArgumentError('Expected a Uint8Array for filter.bitmap');
        filter = { bitmap: (f as { bitmap: Uint8Array }).bitmap };
      } else if (f !== null && typeof f === 'object' && !ArrayBuffer.isView(f) && !Array.isArray(f) && 'metadata' in f) {
        throw new InvalidArgumentError(
          'an Index keeps no metadata, so it cannot filter by it: filter by ids or a bitmap, or search a PostgresStore',
        );
      } else {
        filter = { ids: toIds(f, 'filter') };
      }
    }
    if (this.#order.waits('read')) {
      flat = flat.slice();
      if (filter) filter = { ids: filter.ids?.slice(), bitmap: filter.bitmap?.slice() };
    }
    const raw = await this.#order.run('read', () => this.#native.search(flat, topK, filter, oversample));
    const results: SearchResult[] = Array.from(raw.counts, (n, q) => ({
      ids: raw.ids.subarray(q * raw.slots, q * raw.slots + n),
      scores: raw.scores.subarray(q * raw.slots, q * raw.slots + n),
    }));
    return single ? results[0] : results;
  }

  /**
   * Frees the vectors now (rather than at garbage collection), or once the calls made before it
   * have finished; later calls throw DisposedError.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    void this.#order.run('write', async () => this.#native.dispose());
  }

  /** `dispose()`, for `using index = new Index(…)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Writes the index to `path` atomically (temporary file, fsync, rename), with a checksum. */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '')
      throw new InvalidArgumentError(`Expected a file path for path but received ${describe(path)}`);
    this.#check();
    const target = resolve(path);
    // Saving reads the contents: it runs beside searches, after the writes made before it.
    await this.#order.run('read', () => this.#native.save(target));
  }
}

/** A hit of {@link semanticSearch}, as in sentence-transformers' `util.semantic_search`. */
export interface SemanticSearchHit {
  /** Row of the corpus. */
  corpusId: number;
  /** Cosine similarity; with `rerank`, the cross-encoder's score. */
  score: number;
  /** With `rerank` only: the cosine similarity. */
  retrievalScore?: number;
}

/** Options of {@link semanticSearch}: `topK`, and reranking (`documents` are the corpus's texts, row by row). */
export interface SemanticSearchOptions extends RerankOptions {
  /** Hits per query, 1 to 4,294,967,295. Default 10. */
  topK?: number;
}

/**
 * sentence-transformers' `util.semantic_search`: for each query, the `topK` corpus rows by cosine
 * similarity, best first. Accepts `encode()` results, Float32Array rows or one Float32Array query.
 */
export async function semanticSearch(
  queryEmbeddings: Float32Array | readonly Float32Array[] | Embeddings,
  corpusEmbeddings: readonly Float32Array[] | Embeddings,
  options: SemanticSearchOptions = {},
): Promise<SemanticSearchHit[][]> {
  rejectUnknownOptions(options, new Set(['topK', ...RERANK_OPTIONS]), 'semanticSearch()');
  const topK = options.topK === undefined ? 10 : integerOption(options.topK, 'topK');
  const dimension = corpusEmbeddings instanceof Embeddings ? corpusEmbeddings.dimension : corpusEmbeddings[0]?.length;
  const queries = queryEmbeddings instanceof Float32Array ? [queryEmbeddings] : queryEmbeddings;
  const queryCount = queries instanceof Embeddings ? queries.length : queries.length;
  if (!dimension) return Array.from({ length: queryCount }, () => []);
  const index = new Index({ dimension, metric: 'cosine' });
  await index.add(corpusEmbeddings);
  const results = await index.search(queries, { ...options, topK });
  return results.map((r) =>
    Array.from(r.ids, (id, i) => ({
      corpusId: Number(id),
      score: r.scores[i],
      ...(r.retrievalScores ? { retrievalScore: r.retrievalScores[i] } : {}),
    })),
  );
}
