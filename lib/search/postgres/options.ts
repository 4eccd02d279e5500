// The options of PostgresStore, as the application writes them, and their checks.
import { InvalidArgumentError } from '../../errors';
import type { Metric, RerankOptions, VectorSearchOptions, VectorSearchResult } from '../contract';
import { RERANK_OPTIONS } from '../rerank';
import { describe, integerOption, oneOf, optionsObject, rejectUnknownOptions } from '../../validate';
import type { PgPool } from './drivers';
import { quoteIdentifier } from './schema';

/** HNSW parameters (pgvector's). */
export interface HnswOptions {
  /** Links per node, 2 to 100. Default 16. Higher: better recall, more memory, slower build. */
  m?: number;
  /** Candidates while building, 4 to 1000 and ≥ 2 × m. Default 64. */
  efConstruction?: number;
  /** Candidates while searching, 1 to 1000 (raised to topK when smaller). Default 40. */
  efSearch?: number;
}

/** Options of `PostgresStore.open()`. */
export interface PostgresStoreOptions {
  /**
   * A connection string (`postgres://user:pass@host:5432/db`), a `pg.Pool` configuration, or a
   * `pg.Pool` the application owns (then `close()` leaves it open).
   */
  connection: string | Record<string, unknown> | PgPool;
  /** Table name, optionally schema-qualified (`schema.table`): letters, digits, `_`; not in PostgreSQL's own schemas (pg_*, information_schema). Default 'sentvec_vectors'. */
  table?: string;
  /** Width of every vector, 1 to 16,000 (pgvector's limit; 2,000 with an HNSW index). Required when the table is created; checked otherwise. */
  dimension: number;
  /** 'cosine' (vectors and queries are normalized; score = cosine similarity) or 'dot'. Default 'cosine'. Checked against the table's. */
  metric?: Metric;
  /** 'exact' (a full scan per query) or 'hnsw' (pgvector's HNSW index, created if missing; approximate). Default 'exact'. */
  index?: 'exact' | 'hnsw';
  /** pgvector's HNSW parameters, with `index: 'hnsw'`. */
  hnsw?: HnswOptions;
  /**
   * Times a call is tried again after a lost connection, 0 to 10. Default 2. Reads (search, size)
   * always; writes only when the connection failed before their transaction began.
   */
  retries?: number;
}

/**
 * Options of `store.search()`: the contract's (a `{ metadata }` filter is PostgreSQL's jsonb `@>`),
 * how to search, and reranking (the candidates' texts are the store's text column unless `documents` is given).
 */
export interface StoreSearchOptions extends VectorSearchOptions, RerankOptions {
  /** Scan every row even when the store has an HNSW index (exact scores and order). Default: exact unless the store's index is 'hnsw'. */
  exact?: boolean;
  /** HNSW candidates for this search, 1 to 1000 (raised to topK when smaller). Default: the store's efSearch. */
  efSearch?: number;
}

/** Results of one query: as `Index`'s, plus the texts and metadata asked for with `include`. */
export type StoreSearchResult = VectorSearchResult;

/** Per-vector extras of `add` and `upsert`. */
export interface StoreAddOptions {
  /** One text per vector (e.g. the sentence it embeds), returned by `search` with `include: ['text']`. */
  texts?: readonly (string | null)[];
  /** One JSON object per vector, filterable with `filter: { metadata }`. */
  metadata?: readonly (Record<string, unknown> | null)[];
}

const OPEN_OPTIONS = new Set(['connection', 'table', 'dimension', 'metric', 'index', 'hnsw', 'retries']);
const HNSW_OPTIONS = new Set(['m', 'efConstruction', 'efSearch']);
export const SEARCH_OPTIONS = new Set(['topK', 'filter', 'exact', 'efSearch', 'include', ...RERANK_OPTIONS]);
export const ADD_OPTIONS = new Set(['texts', 'metadata']);
const MAX_HNSW_DIMENSION = 2_000;

/** `PostgresStore.open()`'s options, checked, with their defaults. */
export interface OpenSettings {
  name: string;
  dimension: number;
  metric: Metric;
  index: 'exact' | 'hnsw';
  m: number;
  efConstruction: number;
  efSearch: number;
  retries: number;
}

/** Checks the options of `PostgresStore.open()` but the connection, and fills in the defaults. */
export function openSettings(options: PostgresStoreOptions): OpenSettings {
  optionsObject(options);
  rejectUnknownOptions(options, OPEN_OPTIONS, 'PostgresStore.open()');
  const name = options.table ?? 'sentvec_vectors';
  if (typeof name !== 'string') throw new InvalidArgumentError(`Expected a string for table but received ${describe(name)}`);
  quoteIdentifier(name, 'table');
  const dimension = integerOption(options.dimension, 'storeDimension', 'dimension');
  const metric = oneOf(options.metric ?? 'cosine', ['cosine', 'dot'], 'metric');
  const index = oneOf(options.index ?? 'exact', ['exact', 'hnsw'], 'index');
  const hnsw = options.hnsw === undefined ? {} : optionsObject(options.hnsw, 'hnsw');
  rejectUnknownOptions(hnsw, HNSW_OPTIONS, 'hnsw');
  const m = hnsw.m === undefined ? 16 : integerOption(hnsw.m, 'hnswM', 'hnsw.m');
  const efConstruction =
    hnsw.efConstruction === undefined ? 64 : integerOption(hnsw.efConstruction, 'efConstruction', 'hnsw.efConstruction');
  if (efConstruction < 2 * m)
    throw new InvalidArgumentError(`hnsw.efConstruction (${efConstruction}) must be at least 2 × hnsw.m (${2 * m})`);
  const efSearch = hnsw.efSearch === undefined ? 40 : integerOption(hnsw.efSearch, 'efSearch', 'hnsw.efSearch');
  const retries = options.retries === undefined ? 2 : integerOption(options.retries, 'retries');
  if (index === 'hnsw' && dimension > MAX_HNSW_DIMENSION)
    throw new InvalidArgumentError(
      `pgvector's HNSW index holds vectors of at most ${MAX_HNSW_DIMENSION} dimensions; this store has ${dimension}: use index 'exact'`,
    );
  return { name, dimension, metric, index, m, efConstruction, efSearch, retries };
}
