// PostgresStore: the contract of Index (add, search, remove, size) kept in PostgreSQL + pgvector,
// so that several processes on several machines answer from one corpus. The drivers (`pg`,
// `pgvector`, `pg-copy-streams`) are optional peer dependencies, loaded on first use.
import {
  DimensionMismatchError,
  DuplicateIdError,
  InvalidArgumentError,
  MissingDependencyError,
  PgvectorMissingError,
  SentvecError,
  StoreConnectionError,
  StoreError,
} from './errors';
import { createHash } from 'node:crypto';
import type { Embeddings } from './embeddings';
import { CallOrder } from './call-order';
import { flatten, toIds, type Vectors } from './index';
import {
  includeOption,
  type Ids,
  type Metric,
  type VectorSearchOptions,
  type VectorSearchResult,
  type VectorStore,
} from './search-contract';
import { describe, integerOption, oneOf, optionsObject, rejectUnknownOptions } from './validate';

// ---- the driver, structurally (so that sentvec's types do not depend on @types/pg) ----

interface QueryResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}
/** A connection as `pg` gives it out (`pg.PoolClient`). */
export interface PgClient {
  query(text: string | object, values?: unknown[]): Promise<QueryResult>;
  release(err?: Error | boolean): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
/** A pool of connections (`pg.Pool`); the application's own pool can be passed in. */
export interface PgPool {
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

interface Drivers {
  Pool: new (config: Record<string, unknown>) => PgPool;
  escapeLiteral: (text: string) => string;
  toSql: (v: number[]) => string;
  copyFrom: (sql: string) => NodeJS.WritableStream & object;
}
let drivers: Drivers | undefined;
const guarded = new WeakSet<PgClient>();
// Connection errors raised before a transaction began: nothing of the call reached the server,
// so even a write may run again.
const unsent = new WeakSet<object>();
function loadDrivers(): Drivers {
  if (drivers) return drivers;
  const missing: string[] = [];
  const load = (name: string) => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      missing.push(name);
      return undefined;
    }
  };
  const pg = load('pg');
  const pgvector = load('pgvector');
  const copy = load('pg-copy-streams');
  if (missing.length) {
    throw new MissingDependencyError(
      `PostgresStore needs ${missing.join(', ')} (optional dependencies of sentvec): run \`npm install ${missing.join(' ')}\` in your project`,
    );
  }
  const driver = pg.Pool ? pg : pg.default;
  drivers = { Pool: driver.Pool, escapeLiteral: driver.escapeLiteral, toSql: pgvector.toSql, copyFrom: copy.from };
  return drivers;
}

// ---- options ----

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
  /** Table name, optionally schema-qualified (`schema.table`): letters, digits, `_`. Default 'sentvec_vectors'. */
  table?: string;
  /** Width of every vector, 1 to 16,000 (pgvector's limit; 2,000 with an HNSW index). Required when the table is created; checked otherwise. */
  dimension: number;
  /** 'cosine' (vectors and queries are normalized; score = cosine similarity) or 'dot'. Default 'cosine'. Checked against the table's. */
  metric?: Metric;
  /** 'exact' (a full scan per query) or 'hnsw' (pgvector's HNSW index, created if missing; approximate). Default 'exact'. */
  index?: 'exact' | 'hnsw';
  hnsw?: HnswOptions;
  /**
   * Times a call is tried again after a lost connection, 0 to 10. Default 2. Reads (search, size)
   * always; writes only when the connection failed before their transaction began.
   */
  retries?: number;
}

/** Options of `store.search()`: the contract's (a `{ metadata }` filter is PostgreSQL's jsonb `@>`), and how to search. */
export interface StoreSearchOptions extends VectorSearchOptions {
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
const SEARCH_OPTIONS = new Set(['topK', 'filter', 'exact', 'efSearch', 'include']);
const ADD_OPTIONS = new Set(['texts', 'metadata']);
const MAX_HNSW_DIMENSION = 2_000;
// 8 + 4 × 1,900 bytes, with the row header and id, fit a PostgreSQL page (8,160 bytes).
const PLAIN_MAX_DIMENSION = 1_900;
const I64_MAX = (1n << 63n) - 1n;
// As Index (native/core/index.h): larger norms could overflow float32 scores.
const MAX_DOT_NORM = 9.2e18;
const CATALOG = 'sentvec_stores';
// Bytes per COPY message: bounds the memory of one write while keeping messages few.
const COPY_CHUNK_BYTES = 1 << 20;
// upsert's staging table: in this session's own schema, under a name that no store table can have
// (table names are letters, digits and _), so it never shadows the store's table nor meets an
// application's table, whatever the search_path.
const STAGE = 'pg_temp."sentvec-stage"';

// SQLSTATEs of a connection that is gone or going (class 08, and the server shutting down).
const CONNECTION_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT', 'EHOSTUNREACH']);
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && (e.code.startsWith('08') || CONNECTION_STATES.has(e.code) || CONNECTION_ERRNOS.has(e.code)))
    return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed/i.test(message);
}

function quoteIdentifier(name: string, option: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(p))) {
    throw new InvalidArgumentError(
      `Expected a table name of letters, digits and _ (at most 63, not starting with a digit), optionally schema.table, for ${option} but received ${describe(name)}`,
    );
  }
  return parts.map((p) => `"${p}"`).join('.');
}

/**
 * The HNSW index's name: "<table>_hnsw_<8 hex of the name as given>", within PostgreSQL's 63 bytes
 * (names are ASCII), so that a long table name is not cut back to the table's own.
 */
function hnswIndexName(name: string): string {
  const table = name.split('.').pop() as string;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${table.slice(0, 63 - '_hnsw_'.length - hash.length)}_hnsw_${hash}`;
}

/**
 * Float32 rows of `dimension`, checked as Index checks them (finite values; with 'dot', norms below
 * MAX_DOT_NORM so that scores stay finite) and, for 'cosine', normalized by Index's rule,
 * x / max(‖x‖, 1e-12): unit vectors make cosine an inner product, which pgvector computes fastest
 * (`<#>`), and a zero vector scores 0.
 */
function rows(vectors: Vectors, dimension: number, metric: Metric, name: string): Float32Array {
  const flat = flatten(vectors, dimension, name, 'store');
  const out = metric === 'cosine' ? new Float32Array(flat.length) : flat;
  for (let r = 0; r < flat.length; r += dimension) {
    let sum = 0;
    for (let i = r; i < r + dimension; i++) {
      if (!Number.isFinite(flat[i]))
        throw new InvalidArgumentError(`${name}: vector ${r / dimension} has ${flat[i]} at position ${i - r}; vectors must be finite`);
      sum += flat[i] * flat[i];
    }
    const norm = Math.sqrt(sum);
    if (metric === 'dot' && norm > MAX_DOT_NORM)
      throw new InvalidArgumentError(
        `${name}: vector ${r / dimension} has an L2 norm of ${norm.toExponential(3)}; with metric 'dot' norms must stay below ${MAX_DOT_NORM} so that scores stay finite. Scale the vectors down, or use metric 'cosine'`,
      );
    if (metric === 'cosine') {
      const scale = 1 / Math.max(norm, 1e-12);
      for (let i = r; i < r + dimension; i++) out[i] = flat[i] * scale;
    }
  }
  return out;
}

function storeIds(ids: Ids, name: string): BigUint64Array {
  const list = toIds(ids, name);
  for (let i = 0; i < list.length; i++) {
    if (list[i] > I64_MAX)
      throw new InvalidArgumentError(
        `${name}[${i}] = ${list[i]} is out of range: a PostgresStore's ids are 0 to 2^63 − 1 (PostgreSQL's bigint)`,
      );
  }
  return list;
}

// PostgreSQL's text and jsonb hold neither NUL characters nor lone surrogates (Buffer.from would
// turn those into U+FFFD silently): refused, with where they are.
function checkText(text: string, name: string): void {
  if (text.includes('\0')) throw new InvalidArgumentError(`${name} contains a NUL character, which PostgreSQL text cannot hold`);
  if (!text.isWellFormed()) throw new InvalidArgumentError(`${name} contains a lone surrogate (not valid UTF-16 text)`);
}

function checkJsonStrings(value: unknown, name: string): void {
  if (typeof value === 'string') checkText(value, name);
  else if (Array.isArray(value)) value.forEach((v, i) => checkJsonStrings(v, `${name}[${i}]`));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      checkText(k, `a key of ${name}`);
      checkJsonStrings(v, `${name}.${k}`);
    }
  }
}

/** A plain object as JSON text for jsonb. */
function jsonObject(value: unknown, name: string): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value))
    throw new InvalidArgumentError(`Expected a plain object for ${name} but received ${describe(value)}`);
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidArgumentError(`${name} cannot be written as JSON: ${(err as Error).message}`);
  }
  checkJsonStrings(JSON.parse(json), name);
  return json;
}

function extras(options: StoreAddOptions, count: number): { texts?: readonly (string | null)[]; metadata?: (string | null)[] } {
  optionsObject(options);
  rejectUnknownOptions(options, ADD_OPTIONS, 'add()');
  const list = <T>(value: readonly T[] | undefined, name: string): readonly T[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw new InvalidArgumentError(`Expected an array for ${name} but received ${describe(value)}`);
    if (value.length !== count) throw new InvalidArgumentError(`Expected ${count} ${name} (one per vector) but received ${value.length}`);
    return value;
  };
  const texts = list(options.texts, 'texts');
  texts?.forEach((t, i) => {
    if (t === null) return;
    if (typeof t !== 'string') throw new InvalidArgumentError(`Expected a string or null for texts[${i}] but received ${describe(t)}`);
    checkText(t, `texts[${i}]`);
  });
  const metadata = list(options.metadata, 'metadata')?.map((m, i) => (m === null ? null : jsonObject(m, `metadata[${i}]`)));
  return { texts, metadata };
}

// ---- binary COPY (PostgreSQL's format; pgvector's vector_recv: int16 dim, int16 0, float4 × dim, big-endian) ----

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Rows of one write: vectors (checked, normalized), ids, and the texts and metadata (JSON) if given. */
interface Batch {
  flat: Float32Array;
  ids: BigUint64Array;
  texts?: readonly (string | null)[];
  metadata?: readonly (string | null)[];
}

function* copyRows({ flat, ids, texts, metadata }: Batch, dimension: number): Generator<Buffer> {
  const vectorBytes = 4 + 4 * dimension;
  // Each row is written straight into one chunk, handed to the stream when full.
  let chunk = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  let o = COPY_SIGNATURE.copy(chunk);
  o = chunk.writeInt32BE(0, o); // flags
  o = chunk.writeInt32BE(0, o); // header extension
  for (let r = 0; r < ids.length; r++) {
    const text = texts?.[r] ?? null;
    const meta = metadata?.[r] ?? null;
    const textBytes = text === null ? 0 : Buffer.byteLength(text, 'utf8');
    const metaBytes = meta === null ? 0 : 1 + Buffer.byteLength(meta, 'utf8');
    const rowBytes = 2 + 4 + 8 + 4 + vectorBytes + 4 + textBytes + 4 + metaBytes;
    if (o + rowBytes > chunk.length) {
      yield chunk.subarray(0, o);
      chunk = Buffer.allocUnsafe(Math.max(COPY_CHUNK_BYTES, rowBytes + 2));
      o = 0;
    }
    o = chunk.writeInt16BE(4, o); // fields
    o = chunk.writeInt32BE(8, o);
    o = chunk.writeBigInt64BE(BigInt.asIntN(64, ids[r]), o);
    o = chunk.writeInt32BE(vectorBytes, o);
    o = chunk.writeInt16BE(dimension, o);
    o = chunk.writeInt16BE(0, o);
    for (let i = r * dimension; i < (r + 1) * dimension; i++) o = chunk.writeFloatBE(flat[i], o);
    o = chunk.writeInt32BE(text === null ? -1 : textBytes, o);
    if (text !== null) o += chunk.write(text, o, 'utf8');
    o = chunk.writeInt32BE(meta === null ? -1 : metaBytes, o);
    if (meta !== null) {
      o = chunk.writeUInt8(1, o); // jsonb's binary format: a version byte, then the JSON text
      o += chunk.write(meta, o, 'utf8');
    }
  }
  if (o + 2 > chunk.length) {
    yield chunk.subarray(0, o);
    chunk = Buffer.allocUnsafe(2);
    o = 0;
  }
  o = chunk.writeInt16BE(-1, o); // trailer
  yield chunk.subarray(0, o);
}

/**
 * A vector store in PostgreSQL with pgvector, with the contract of `Index`: `add`, `search`
 * (same ids, scores and order for exact search), `remove`, `size`; plus `upsert`, a text and a
 * metadata column per vector, and HNSW. Every write is one transaction: a failed call stores
 * nothing. Any number of processes may open the same table.
 *
 * ```ts
 * const store = await PostgresStore.open({ connection: process.env.DATABASE_URL, dimension: model.dimension });
 * await store.add(await model.encode(corpus), undefined, { texts: corpus });
 * const { ids, scores, texts } = await store.search((await model.encode('query')).get(0), { topK: 5, include: ['text'] });
 * ```
 */
export class PostgresStore implements VectorStore {
  readonly #pool: PgPool;
  readonly #ownsPool: boolean;
  readonly #table: string;
  readonly #name: string;
  readonly #dimension: number;
  readonly #metric: Metric;
  readonly #index: 'exact' | 'hnsw';
  readonly #efSearch: number;
  readonly #retries: number;
  readonly #order = new CallOrder();
  #closed = false;

  private constructor(
    pool: PgPool,
    ownsPool: boolean,
    name: string,
    dimension: number,
    metric: Metric,
    index: 'exact' | 'hnsw',
    efSearch: number,
    retries: number,
  ) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#name = name;
    this.#table = quoteIdentifier(name, 'table');
    this.#dimension = dimension;
    this.#metric = metric;
    this.#index = index;
    this.#efSearch = efSearch;
    this.#retries = retries;
  }

  /**
   * Connects, creates pgvector, the table and its index when missing (once, under a lock, however
   * many processes open it at the same time), and checks an existing table's dimension and metric.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
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

    const connection = options.connection as unknown;
    let pool: PgPool;
    let ownsPool = true;
    if (connection !== null && typeof connection === 'object' && typeof (connection as PgPool).connect === 'function') {
      pool = connection as PgPool;
      ownsPool = false;
    } else if (typeof connection === 'string' || (connection !== null && typeof connection === 'object' && !Array.isArray(connection))) {
      const { Pool } = loadDrivers();
      const config = typeof connection === 'string' ? { connectionString: connection } : { ...(connection as Record<string, unknown>) };
      // pg waits for a connection forever by default: a store should say that the server is unreachable.
      pool = new Pool({ connectionTimeoutMillis: 10_000, ...config });
      // An idle connection that the server drops emits 'error' on the pool; unhandled, it would end the process.
      pool.on('error', () => {});
    } else {
      throw new InvalidArgumentError(
        `Expected a connection string, a pg.Pool configuration or a pg.Pool for connection but received ${describe(connection)}`,
      );
    }
    loadDrivers();
    const store = new PostgresStore(pool, ownsPool, name, dimension, metric, index, efSearch, retries);
    try {
      await store.#retry('open', () => store.#prepare(m, efConstruction));
    } catch (err) {
      if (ownsPool) await pool.end().catch(() => {});
      throw err;
    }
    return store;
  }

  get dimension(): number {
    return this.#dimension;
  }
  get metric(): Metric {
    return this.#metric;
  }
  /** The table, as given to `open()`. */
  get table(): string {
    return this.#name;
  }
  /** How searches run by default: 'exact' or 'hnsw'. */
  get index(): 'exact' | 'hnsw' {
    return this.#index;
  }

  async #prepare(m: number, efConstruction: number): Promise<void> {
    await this.#transaction('open', async (client) => {
      // One creator at a time across all processes; the lock ends with the transaction.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('sentvec.store'))`);
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      } catch (err) {
        const e = err as { code?: string; message?: string };
        if (e.code === '0A000' || e.code === '58P01' || e.code === '42501' || /extension "vector"/.test(e.message ?? '')) {
          throw new PgvectorMissingError(
            `the PostgreSQL server has no pgvector, or this role may not create it (${e.message}): install pgvector on the server (e.g. the postgresql-<major>-pgvector package) and run CREATE EXTENSION vector as a superuser once`,
            { sqlState: e.code, cause: err },
          );
        }
        throw err;
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${CATALOG} (table_name text PRIMARY KEY, dimension integer NOT NULL, metric text NOT NULL, next_id bigint NOT NULL DEFAULT 0, properties jsonb NOT NULL DEFAULT '{}')`,
      );
      const { rows } = await client.query(`SELECT dimension, metric FROM ${CATALOG} WHERE table_name = $1`, [this.#name]);
      const exists = (await client.query('SELECT to_regclass($1) AS t', [this.#table])).rows[0].t !== null;
      if (rows.length === 0) {
        if (exists)
          throw new StoreError(
            `the table ${this.#name} exists but was not created by sentvec (it is not in ${CATALOG}): pick another table name`,
          );
        await client.query(`INSERT INTO ${CATALOG} (table_name, dimension, metric) VALUES ($1, $2, $3)`, [
          this.#name,
          this.#dimension,
          this.#metric,
        ]);
      } else {
        const { dimension, metric } = rows[0] as { dimension: number; metric: Metric };
        if (dimension !== this.#dimension)
          throw new DimensionMismatchError(
            `the table ${this.#name} holds vectors of dimension ${dimension}, not ${this.#dimension}: open it with dimension ${dimension}, or use another table for this model`,
          );
        if (metric !== this.#metric)
          throw new DimensionMismatchError(
            `the table ${this.#name} was created for metric '${metric}', not '${this.#metric}': open it with metric '${metric}'`,
          );
      }
      // Also when the catalog still names a table that someone dropped: it is made again, empty.
      if (!exists) {
        await client.query(
          `CREATE TABLE ${this.#table} (id bigint PRIMARY KEY, embedding vector(${this.#dimension}) NOT NULL, text text, metadata jsonb)`,
        );
        // A vector over ~2 KB (above 500 dimensions) would be moved out of line (TOAST), and an
        // exact scan would then fetch each one through the TOAST index: 2.0 instead of 10.0 queries
        // per second at 100k × 768 (npm run bench -- store). Inline, a row still fits a page up to
        // PLAIN_MAX_DIMENSION.
        if (this.#dimension <= PLAIN_MAX_DIMENSION)
          await client.query(`ALTER TABLE ${this.#table} ALTER COLUMN embedding SET STORAGE PLAIN`);
      }
      if (this.#index === 'hnsw' && !(await this.#hasHnsw(client))) {
        const name = hnswIndexName(this.#name);
        // Someone else's relation of that name in the table's schema: PostgreSQL then picks a free name.
        const { rows: taken } = await client.query(
          'SELECT 1 FROM pg_class WHERE relname = $2 AND relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = $1::regclass)',
          [this.#table, name],
        );
        // Unit vectors (cosine) and dot products both search by inner product.
        await client.query(
          `CREATE INDEX ${taken.length ? '' : `"${name}"`} ON ${this.#table} USING hnsw (embedding vector_ip_ops) WITH (m = ${m}, ef_construction = ${efConstruction})`,
        );
        if (!(await this.#hasHnsw(client)))
          throw new StoreError(`the HNSW index of ${this.#name} was not created: open the store with index 'exact', or create it by hand`);
      }
    });
  }

  /** Whether the table has an HNSW index that inner-product searches on embedding can use (whatever its name). */
  async #hasHnsw(client: PgClient): Promise<boolean> {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am a ON a.oid = ic.relam ` +
        `JOIN pg_opclass o ON o.oid = i.indclass[0] JOIN pg_attribute att ON att.attrelid = i.indrelid AND att.attnum = i.indkey[0] ` +
        `WHERE i.indrelid = $1::regclass AND a.amname = 'hnsw' AND o.opcname = 'vector_ip_ops' AND att.attname = 'embedding' ` +
        `AND i.indnatts = 1 AND i.indisvalid AND i.indpred IS NULL`,
      [this.#table],
    );
    return rows.length > 0;
  }

  /**
   * Adds vectors with their ids or, without ids, ids that continue above the largest ever given
   * (0, 1, 2, … in insertion order, across every process writing the table). All or nothing: a
   * repeated id or one already stored rejects the call (DuplicateIdError) and stores none.
   */
  async add(vectors: Vectors, ids?: Ids, options: StoreAddOptions = {}): Promise<void> {
    await this.#write(vectors, ids, options, false);
  }

  /** Adds vectors, replacing the vector, text and metadata of ids already stored. All or nothing. */
  async upsert(vectors: Vectors, ids: Ids, options: StoreAddOptions = {}): Promise<void> {
    if (ids === undefined) throw new InvalidArgumentError('upsert() needs the ids of the vectors');
    await this.#write(vectors, ids, options, true);
  }

  async #write(vectors: Vectors, ids: Ids | undefined, options: StoreAddOptions, upsert: boolean): Promise<void> {
    this.#open();
    let flat = rows(vectors, this.#dimension, this.#metric, 'vectors');
    const count = flat.length / this.#dimension;
    let list: BigUint64Array | undefined;
    if (ids !== undefined) {
      list = storeIds(ids, 'ids');
      if (list.length !== count) throw new InvalidArgumentError(`Expected ${count} ids (one per vector) but received ${list.length}`);
    }
    let { texts, metadata } = extras(options, count);
    if (count === 0) return;
    // A call that waits takes its inputs as they are now, not as the caller may change them meanwhile.
    if (this.#order.waits('write')) [flat, list, texts, metadata] = [flat.slice(), list?.slice(), texts?.slice(), metadata?.slice()];
    await this.#order.run('write', () =>
      this.#retry('write', () =>
        this.#transaction('write', async (client) => {
          // The catalog row is the lock that orders writers and the record of the next free id.
          const { rows: catalog } = await client.query(`SELECT next_id FROM ${CATALOG} WHERE table_name = $1 FOR UPDATE`, [this.#name]);
          if (catalog.length === 0)
            throw new StoreError(`the table ${this.#name} is no longer in ${CATALOG}: it was dropped; open the store again`);
          let next = BigInt(catalog[0].next_id as string);
          let given = list;
          if (!given) {
            if (next + BigInt(count) - 1n > I64_MAX)
              throw new InvalidArgumentError('automatic ids are used up (2^63 − 1 reached): give ids explicitly');
            given = new BigUint64Array(count);
            for (let i = 0; i < count; i++) given[i] = next + BigInt(i);
          }
          let largest = -1n;
          for (const id of given) if (id > largest) largest = id;
          if (largest + 1n > next) next = largest + 1n;
          const target = upsert ? STAGE : this.#table;
          if (upsert) {
            await client.query(`CREATE TEMP TABLE ${STAGE} (LIKE ${this.#table}) ON COMMIT DROP`);
          }
          await this.#copy(client, target, { flat, ids: given, texts, metadata });
          if (upsert) {
            const repeated = await client.query(`SELECT id FROM ${STAGE} GROUP BY id HAVING count(*) > 1 LIMIT 1`);
            if (repeated.rows.length) throw new DuplicateIdError(`id ${repeated.rows[0].id} is repeated in this call`);
            await client.query(
              `INSERT INTO ${this.#table} SELECT * FROM ${STAGE} ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding, text = EXCLUDED.text, metadata = EXCLUDED.metadata`,
            );
          }
          await client.query(`UPDATE ${CATALOG} SET next_id = $2 WHERE table_name = $1`, [this.#name, next.toString()]);
        }),
      ),
    );
  }

  async #copy(client: PgClient, target: string, batch: Batch): Promise<void> {
    const stream = client.query(
      loadDrivers().copyFrom(`COPY ${target} (id, embedding, text, metadata) FROM STDIN (FORMAT binary)`),
    ) as unknown as NodeJS.WritableStream;
    await new Promise<void>((resolveCopy, rejectCopy) => {
      let failed = false;
      const fail = (err: Error) => {
        failed = true;
        rejectCopy(err);
      };
      stream.on('error', fail);
      stream.on('finish', () => {
        if (!failed) resolveCopy();
      });
      const chunks = copyRows(batch, this.#dimension);
      const pump = () => {
        for (;;) {
          if (failed) return;
          const { value, done } = chunks.next();
          if (done) return void stream.end();
          if (!stream.write(value)) return void stream.once('drain', pump);
        }
      };
      pump();
    });
  }

  /** Removes vectors by id; returns how many were stored. */
  async remove(ids: Ids): Promise<number> {
    this.#open();
    const list = storeIds(ids, 'ids');
    if (list.length === 0) return 0;
    const values = Array.from(list, String);
    return await this.#order.run('write', () =>
      this.#retry('write', () =>
        this.#transaction('write', async (client) => {
          const r = await client.query(`DELETE FROM ${this.#table} WHERE id = ANY($1::bigint[])`, [values]);
          return r.rowCount ?? 0;
        }),
      ),
    );
  }

  /** Number of vectors. */
  async size(): Promise<number> {
    this.#open();
    return await this.#order.run('read', () =>
      this.#retry('read', async () => {
        const { rows } = await this.#query(`SELECT count(*) AS n FROM ${this.#table}`);
        return Number(rows[0].n);
      }),
    );
  }

  /** The `topK` nearest vectors to one query (a Float32Array of `dimension`), or to each of several. */
  async search(query: Float32Array, options?: StoreSearchOptions): Promise<StoreSearchResult>;
  async search(queries: readonly Float32Array[] | Embeddings, options?: StoreSearchOptions): Promise<StoreSearchResult[]>;
  async search(
    queries: Float32Array | readonly Float32Array[] | Embeddings,
    options: StoreSearchOptions = {},
  ): Promise<StoreSearchResult | StoreSearchResult[]> {
    this.#open();
    optionsObject(options);
    rejectUnknownOptions(options, SEARCH_OPTIONS, 'search()');
    const single = queries instanceof Float32Array;
    if (single && queries.length !== this.#dimension) {
      throw new InvalidArgumentError(
        `the query has ${queries.length} values; this store has dimension ${this.#dimension} (pass several queries as an array of Float32Array)`,
      );
    }
    const flat = rows(queries, this.#dimension, this.#metric, 'queries');
    const count = flat.length / this.#dimension;
    const topK = options.topK === undefined ? 10 : integerOption(options.topK, 'topK');
    const exact = options.exact === undefined ? this.#index === 'exact' : options.exact;
    if (typeof exact !== 'boolean') throw new InvalidArgumentError(`Expected a boolean for exact but received ${describe(exact)}`);
    const efSearch = options.efSearch === undefined ? this.#efSearch : integerOption(options.efSearch, 'efSearch');
    const include = includeOption(options.include);
    const where = options.filter === undefined ? '' : ` WHERE ${this.#filterSql(options.filter)}`;
    if (count === 0) return [];

    // One round trip: the settings and the query go as one simple-protocol message (one implicit
    // transaction, so SET LOCAL ends with it), with every value written into the text: numbers
    // only, except the metadata filter, quoted by pg's escapeLiteral. Each query vector is a
    // constant (parsed once, not per row) and runs as its own ORDER BY … LIMIT: an HNSW index scan
    // unless exact.
    const { toSql } = loadDrivers();
    const vectors = Array.from(
      { length: count },
      (_, q) => `'${toSql(Array.from(flat.subarray(q * this.#dimension, (q + 1) * this.#dimension)))}'`,
    );
    const settings = exact
      ? // The HNSW index could still feed an incremental sort; exact means every row is scored.
        ['SET LOCAL enable_indexscan = off']
      : [
          `SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(efSearch, Math.min(topK, 1000)))}`,
          // With a filter or a topK above ef_search, pgvector 0.8 goes on walking the graph until
          // LIMIT rows pass (up to max_scan_tuples) instead of returning fewer.
          'SET LOCAL hnsw.iterative_scan = strict_order',
          `SET LOCAL hnsw.max_scan_tuples = ${Math.min(2 ** 31 - 1, Math.max(20_000, topK * 2))}`,
        ];
    const columns = ['r.id', 'r.score', ...include.map((f) => `r.${f}`)];
    const sql =
      `${settings.join('; ')}; ` +
      `SELECT q.ord AS q, ${columns.join(', ')} FROM unnest(ARRAY[${vectors.join(',')}]::vector[]) WITH ORDINALITY AS q(v, ord) ` +
      `CROSS JOIN LATERAL (SELECT id, -(embedding <#> q.v) AS score${include.map((f) => `, ${f}`).join('')} FROM ${this.#table}${where} ` +
      `ORDER BY embedding <#> q.v${exact ? ', id' : ''} LIMIT ${Math.min(topK, 2 ** 62)}) r ORDER BY q.ord, r.score DESC, r.id`;
    const replies = (await this.#order.run('read', () => this.#retry('read', () => this.#query(sql)))) as unknown as
      QueryResult | QueryResult[];
    const result = Array.isArray(replies) ? replies[replies.length - 1] : replies;
    const grouped: Record<string, unknown>[][] = Array.from({ length: count }, () => []);
    for (const row of result.rows) grouped[Number(row.q) - 1].push(row);
    const results = grouped.map((hits): StoreSearchResult => {
      const out: StoreSearchResult = {
        ids: BigUint64Array.from(hits, (h) => BigInt(h.id as string)),
        scores: Float32Array.from(hits, (h) => h.score as number),
      };
      if (include.includes('text')) out.texts = hits.map((h) => (h.text as string | null) ?? null);
      if (include.includes('metadata')) out.metadata = hits.map((h) => (h.metadata as Record<string, unknown> | null) ?? null);
      return out;
    });
    return single ? results[0] : results;
  }

  #filterSql(filter: unknown): string {
    const ids = (list: ArrayLike<bigint | string | number>) => `id = ANY('{${Array.from(list, String).join(',')}}'::bigint[])`;
    if (filter !== null && typeof filter === 'object' && !Array.isArray(filter) && !ArrayBuffer.isView(filter)) {
      if ('metadata' in filter) {
        const json = jsonObject((filter as { metadata: unknown }).metadata, 'filter.metadata');
        return `metadata @> ${loadDrivers().escapeLiteral(json)}::jsonb`;
      }
      if ('bitmap' in filter) {
        const bitmap = (filter as { bitmap: unknown }).bitmap;
        if (!(bitmap instanceof Uint8Array)) throw new InvalidArgumentError('Expected a Uint8Array for filter.bitmap');
        const set: number[] = [];
        for (let i = 0; i < bitmap.length; i++) for (let b = 0; b < 8; b++) if ((bitmap[i] >> b) & 1) set.push(i * 8 + b);
        return ids(set);
      }
    }
    // Ids above bigint's range cannot be stored, so they match nothing (as unknown ids in Index).
    return ids(toIds(filter, 'filter').filter((id) => id <= I64_MAX));
  }

  /** Properties the application keeps with the table (a JSON object), e.g. what its vectors were made from. */
  async properties(): Promise<Record<string, unknown>> {
    this.#open();
    return await this.#order.run('read', () =>
      this.#retry('read', async () => {
        const { rows } = await this.#query(`SELECT properties FROM ${CATALOG} WHERE table_name = $1`, [this.#name]);
        return (rows[0]?.properties as Record<string, unknown>) ?? {};
      }),
    );
  }

  /**
   * Replaces the whole contents in one transaction: readers see the old rows until it commits, then
   * the new ones; `properties` are stored with them. Ids restart from 0 unless given.
   */
  async replaceAll(vectors: Vectors, ids?: Ids, options: StoreAddOptions & { properties?: Record<string, unknown> } = {}): Promise<void> {
    this.#open();
    const { properties, ...rest } = optionsObject(options) as StoreAddOptions & { properties?: Record<string, unknown> };
    const propertiesJson = properties === undefined ? '{}' : jsonObject(properties, 'properties');
    let flat = rows(vectors, this.#dimension, this.#metric, 'vectors');
    const count = flat.length / this.#dimension;
    let list = ids === undefined ? BigUint64Array.from({ length: count }, (_, i) => BigInt(i)) : storeIds(ids, 'ids');
    if (list.length !== count) throw new InvalidArgumentError(`Expected ${count} ids (one per vector) but received ${list.length}`);
    let { texts, metadata } = extras(rest, count);
    if (this.#order.waits('write')) [flat, list, texts, metadata] = [flat.slice(), list.slice(), texts?.slice(), metadata?.slice()];
    await this.#order.run('write', () =>
      this.#retry('write', () =>
        this.#transaction('write', async (client) => {
          await client.query(`SELECT 1 FROM ${CATALOG} WHERE table_name = $1 FOR UPDATE`, [this.#name]);
          // DELETE, not TRUNCATE: TRUNCATE would block every reader until the commit.
          await client.query(`DELETE FROM ${this.#table}`);
          if (count > 0) await this.#copy(client, this.#table, { flat, ids: list, texts, metadata });
          let largest = -1n;
          for (const id of list) if (id > largest) largest = id;
          await client.query(`UPDATE ${CATALOG} SET next_id = $2, properties = $3 WHERE table_name = $1`, [
            this.#name,
            (largest + 1n).toString(),
            propertiesJson,
          ]);
        }),
      ),
    );
  }

  /**
   * Closes the pool this store opened (a pool passed in stays open) once the calls made before
   * have finished. Later calls throw.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#order.run('write', async () => {
      if (this.#ownsPool) await this.#pool.end();
    });
  }

  #open(): void {
    if (this.#closed) throw new StoreError('the store was closed; open it again with PostgresStore.open()', { code: 'ERR_DISPOSED' });
  }

  async #query(sql: string, values?: unknown[]): Promise<QueryResult> {
    const client = await this.#connect('read');
    let broken: Error | undefined;
    try {
      return await client.query(sql, values);
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async #connect(kind: 'open' | 'read' | 'write'): Promise<PgClient> {
    let client: PgClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      const translated = this.#translate(err, kind, false);
      if (translated instanceof StoreConnectionError) unsent.add(translated);
      throw translated;
    }
    // A connection the server ends emits 'error' on its client, also while checked out or while
    // the pool closes it; an 'error' without a listener would end the process. The failure
    // itself reaches the query that was running, if any.
    if (!guarded.has(client)) {
      guarded.add(client);
      client.on('error', () => {});
    }
    return client;
  }

  /** Runs `body` in a transaction on one connection; any error rolls it back. */
  async #transaction<T>(kind: 'open' | 'read' | 'write', body: (client: PgClient) => Promise<T>): Promise<T> {
    const client = await this.#connect(kind);
    let broken: Error | undefined;
    let begun = false;
    let committing = false;
    try {
      await client.query(kind === 'read' ? 'BEGIN READ ONLY' : 'BEGIN');
      begun = true;
      const result = await body(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      else if (!committing) await client.query('ROLLBACK').catch((e) => (broken = e as Error));
      const translated = this.#translate(err, kind, committing);
      // A pooled connection that died while idle fails at BEGIN: nothing was done.
      if (!begun && translated instanceof StoreConnectionError) unsent.add(translated);
      throw translated;
    } finally {
      client.release(broken);
    }
  }

  #translate(err: unknown, kind: 'open' | 'read' | 'write', committing: boolean): unknown {
    if (err instanceof SentvecError) return err;
    const e = err as { code?: string; message?: string; detail?: string };
    if (isConnectionError(err)) {
      const what =
        kind === 'write'
          ? committing
            ? ' while committing: the write may or may not be stored'
            : ': the write was rolled back, nothing of it is stored'
          : '';
      return new StoreConnectionError(
        `lost or could not open the connection to PostgreSQL (${e.message})${what}`,
        kind === 'write' && committing ? undefined : false,
        {
          sqlState: e.code,
          cause: err,
        },
      );
    }
    if (e.code === '23505') {
      const id = /\(id\)=\((\d+)\)/.exec(e.detail ?? '')?.[1];
      return new DuplicateIdError(
        id === undefined
          ? `an id of this call is already stored or repeated (${e.detail ?? e.message})`
          : `id ${id} is already in the store or repeated in this call (use upsert() to replace it)`,
      );
    }
    if (e.code === '42P01') {
      return new StoreError(`the table ${this.#name} does not exist any more (${e.message}): open the store again to create it`, {
        sqlState: e.code,
        cause: err,
      });
    }
    return new StoreError(`PostgreSQL refused the ${kind === 'read' ? 'search' : kind}: ${e.message}`, { sqlState: e.code, cause: err });
  }

  /**
   * Runs `body` again after a lost connection, up to `retries` times (100 ms, 200 ms, … apart):
   * a read always, a write only when the connection failed before its transaction began.
   */
  async #retry<T>(kind: 'open' | 'read' | 'write', body: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await body();
      } catch (err) {
        const translated = this.#translate(err, kind, false);
        const again = translated instanceof StoreConnectionError && (kind !== 'write' || unsent.has(translated));
        if (!again || attempt >= this.#retries) throw translated;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
}
