// PostgresStore: the contract of Index (add, search, remove, size) kept in PostgreSQL + pgvector,
// so that several processes on several machines answer from one corpus. The drivers (`pg`,
// `pgvector`, `pg-copy-streams`) are optional peer dependencies, loaded on first use.
import { DuplicateIdError, InvalidArgumentError, StoreError } from '../../errors';
import type { Embeddings } from '../../model/embeddings';
import { CallOrder } from '../call-order';
import type { Vectors } from '../vector-index';
import { checkSingleQuery, includeOption, type Ids, type Metric, type VectorStore } from '../contract';
import { describe, integerOption, optionsObject, rejectUnknownOptions } from '../../validate';
import { Connections } from './connection';
import { copyInto } from './copy';
import { loadDrivers, type PgPool, type QueryResult } from './drivers';
import {
  openSettings,
  SEARCH_OPTIONS,
  type OpenSettings,
  type PostgresStoreOptions,
  type StoreAddOptions,
  type StoreSearchOptions,
  type StoreSearchResult,
} from './options';
import { CATALOG, STAGE, createTable, quoteIdentifier } from './schema';
import { filterSql, searchResults, searchSql } from './search-sql';
import { searchAndRerank } from '../rerank';
import { extras, I64_MAX, jsonObject, rows, storeIds } from './values';

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
  readonly #connections: Connections;
  readonly #table: string;
  readonly #name: string;
  readonly #dimension: number;
  readonly #metric: Metric;
  readonly #index: 'exact' | 'hnsw';
  readonly #efSearch: number;
  readonly #order = new CallOrder();
  #closed = false;

  private constructor(pool: PgPool, ownsPool: boolean, settings: OpenSettings) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#connections = new Connections(pool, settings.name, settings.retries);
    this.#name = settings.name;
    this.#table = quoteIdentifier(settings.name, 'table');
    this.#dimension = settings.dimension;
    this.#metric = settings.metric;
    this.#index = settings.index;
    this.#efSearch = settings.efSearch;
  }

  /**
   * Connects, creates pgvector, the table and its index when missing (once, under a lock, however
   * many processes open it at the same time), and checks an existing table's dimension and metric.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const settings = openSettings(options);
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
    const store = new PostgresStore(pool, ownsPool, settings);
    const spec = { ...settings, table: store.#table };
    try {
      await store.#connections.retry('open', () => store.#connections.transaction('open', (client) => createTable(client, spec)));
    } catch (err) {
      if (ownsPool) await pool.end().catch(() => {});
      throw err;
    }
    return store;
  }

  get dimension(): number {
    return this.#dimension;
  }
  /** How scores are computed, as the table was created: `'cosine'` or `'dot'`. */
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
      this.#connections.retry('write', () =>
        this.#connections.transaction('write', async (client) => {
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
          await copyInto(client, target, { flat, ids: given, texts, metadata }, this.#dimension);
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

  /** Removes vectors by id; returns how many were stored. */
  async remove(ids: Ids): Promise<number> {
    this.#open();
    const list = storeIds(ids, 'ids');
    if (list.length === 0) return 0;
    const values = Array.from(list, String);
    return await this.#order.run('write', () =>
      this.#connections.retry('write', () =>
        this.#connections.transaction('write', async (client) => {
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
      this.#connections.retry('read', async () => {
        const { rows } = await this.#connections.query(`SELECT count(*) AS n FROM ${this.#table}`);
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
    if (single) checkSingleQuery(queries, this.#dimension, 'store');
    if (options.rerank !== undefined) {
      const batch = single ? [queries] : queries;
      const results = await searchAndRerank(batch.length, options, (o) => this.search(batch, o));
      return single ? results[0] : results;
    }
    const flat = rows(queries, this.#dimension, this.#metric, 'queries');
    const count = flat.length / this.#dimension;
    const topK = options.topK === undefined ? 10 : integerOption(options.topK, 'topK');
    const exact = options.exact === undefined ? this.#index === 'exact' : options.exact;
    if (typeof exact !== 'boolean') throw new InvalidArgumentError(`Expected a boolean for exact but received ${describe(exact)}`);
    const efSearch = options.efSearch === undefined ? this.#efSearch : integerOption(options.efSearch, 'efSearch');
    const include = includeOption(options.include);
    const where = filterSql(options.filter);
    if (count === 0) return [];
    const sql = searchSql({ table: this.#table, dimension: this.#dimension, flat, count, topK, exact, efSearch, include, where });
    const replies = (await this.#order.run('read', () =>
      this.#connections.retry('read', () => this.#connections.query(sql)),
    )) as unknown as QueryResult | QueryResult[];
    const results = searchResults(replies, count, include);
    return single ? results[0] : results;
  }

  /** Properties the application keeps with the table (a JSON object), e.g. what its vectors were made from. */
  async properties(): Promise<Record<string, unknown>> {
    this.#open();
    return await this.#order.run('read', () =>
      this.#connections.retry('read', async () => {
        const { rows } = await this.#connections.query(`SELECT properties FROM ${CATALOG} WHERE table_name = $1`, [this.#name]);
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
      this.#connections.retry('write', () =>
        this.#connections.transaction('write', async (client) => {
          await client.query(`SELECT 1 FROM ${CATALOG} WHERE table_name = $1 FOR UPDATE`, [this.#name]);
          // DELETE, not TRUNCATE: TRUNCATE would block every reader until the commit.
          await client.query(`DELETE FROM ${this.#table}`);
          if (count > 0) await copyInto(client, this.#table, { flat, ids: list, texts, metadata }, this.#dimension);
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
}
