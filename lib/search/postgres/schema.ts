// The store's names and tables in PostgreSQL: the table's quoted name, the catalog of stores, the
// staging table of upsert, the HNSW index's collision-free name, and the DDL that makes them.
import { DimensionMismatchError, InvalidArgumentError, PgvectorMissingError, StoreError } from '../../errors';
import { createHash } from 'node:crypto';
import type { Metric } from '../contract';
import { describe } from '../../validate';
import type { PgClient } from './drivers';

export const CATALOG = 'sentvec_stores';
// 8 + 4 × 1,900 bytes, with the row header and id, fit a PostgreSQL page (8,160 bytes).
const PLAIN_MAX_DIMENSION = 1_900;
// upsert's staging table: in this session's own schema, under a name that no store table can have
// (table names are letters, digits and _), so it never shadows the store's table nor meets an
// application's table, whatever the search_path.
export const STAGE = 'pg_temp."sentvec-stage"';

export function quoteIdentifier(name: string, option: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(p))) {
    throw new InvalidArgumentError(
      `Expected a table name of letters, digits and _ (at most 63, not starting with a digit), optionally schema.table, for ${option} but received ${describe(name)}`,
    );
  }
  // pg_* schemas are PostgreSQL's own (CREATE SCHEMA refuses the prefix): pg_temp is one pooled
  // connection's, so a table there failed calls on the other connections and was gone after close().
  if (parts.length === 2 && /^(pg_|information_schema$)/i.test(parts[0])) {
    throw new InvalidArgumentError(
      `Expected a table in an ordinary schema for ${option} but received ${describe(name)}: ${parts[0]} is PostgreSQL's own schema (a pg_temp table lives on one connection only and is dropped with it); use public or a schema you created`,
    );
  }
  return parts.map((p) => `"${p}"`).join('.');
}

/**
 * The HNSW index's name: "<table>_hnsw_<8 hex of the name as given>", within PostgreSQL's 63 bytes
 * (names are ASCII), so that a long table name is not cut back to the table's own.
 */
export function hnswIndexName(name: string): string {
  const table = name.split('.').pop() as string;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${table.slice(0, 63 - '_hnsw_'.length - hash.length)}_hnsw_${hash}`;
}

/** What a store's table is made of. */
export interface TableSpec {
  /** The table as given to `open()`. */
  name: string;
  /** Its quoted name. */
  table: string;
  dimension: number;
  metric: Metric;
  index: 'exact' | 'hnsw';
  m: number;
  efConstruction: number;
}

/**
 * Creates pgvector, the catalog, the table and its index when missing (once, under a lock, however
 * many processes open it at the same time), and checks an existing table's dimension and metric.
 * Runs in the caller's transaction.
 */
export async function createTable(client: PgClient, spec: TableSpec): Promise<void> {
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
  const { rows } = await client.query(`SELECT dimension, metric FROM ${CATALOG} WHERE table_name = $1`, [spec.name]);
  const exists = (await client.query('SELECT to_regclass($1) AS t', [spec.table])).rows[0].t !== null;
  if (rows.length === 0) {
    if (exists)
      throw new StoreError(
        `the table ${spec.name} exists but was not created by sentvec (it is not in ${CATALOG}): pick another table name`,
      );
    await client.query(`INSERT INTO ${CATALOG} (table_name, dimension, metric) VALUES ($1, $2, $3)`, [
      spec.name,
      spec.dimension,
      spec.metric,
    ]);
  } else {
    const { dimension, metric } = rows[0] as { dimension: number; metric: Metric };
    if (dimension !== spec.dimension)
      throw new DimensionMismatchError(
        `the table ${spec.name} holds vectors of dimension ${dimension}, not ${spec.dimension}: open it with dimension ${dimension}, or use another table for this model`,
      );
    if (metric !== spec.metric)
      throw new DimensionMismatchError(
        `the table ${spec.name} was created for metric '${metric}', not '${spec.metric}': open it with metric '${metric}'`,
      );
  }
  // Also when the catalog still names a table that someone dropped: it is made again, empty.
  if (!exists) {
    await client.query(
      `CREATE TABLE ${spec.table} (id bigint PRIMARY KEY, embedding vector(${spec.dimension}) NOT NULL, text text, metadata jsonb)`,
    );
    // A vector over ~2 KB (above 500 dimensions) would be moved out of line (TOAST), and an
    // exact scan would then fetch each one through the TOAST index: 2.0 instead of 10.0 queries
    // per second at 100k × 768 (npm run bench -- store). Inline, a row still fits a page up to
    // PLAIN_MAX_DIMENSION.
    if (spec.dimension <= PLAIN_MAX_DIMENSION) await client.query(`ALTER TABLE ${spec.table} ALTER COLUMN embedding SET STORAGE PLAIN`);
  }
  if (spec.index === 'hnsw' && !(await hasHnsw(client, spec.table))) {
    const name = hnswIndexName(spec.name);
    // Someone else's relation of that name in the table's schema: PostgreSQL then picks a free name.
    const { rows: taken } = await client.query(
      'SELECT 1 FROM pg_class WHERE relname = $2 AND relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = $1::regclass)',
      [spec.table, name],
    );
    // Unit vectors (cosine) and dot products both search by inner product.
    await client.query(
      `CREATE INDEX ${taken.length ? '' : `"${name}"`} ON ${spec.table} USING hnsw (embedding vector_ip_ops) WITH (m = ${spec.m}, ef_construction = ${spec.efConstruction})`,
    );
    if (!(await hasHnsw(client, spec.table)))
      throw new StoreError(`the HNSW index of ${spec.name} was not created: open the store with index 'exact', or create it by hand`);
  }
}

/** Whether the table has an HNSW index that inner-product searches on embedding can use (whatever its name). */
async function hasHnsw(client: PgClient, table: string): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am a ON a.oid = ic.relam ` +
      `JOIN pg_opclass o ON o.oid = i.indclass[0] JOIN pg_attribute att ON att.attrelid = i.indrelid AND att.attnum = i.indkey[0] ` +
      `WHERE i.indrelid = $1::regclass AND a.amname = 'hnsw' AND o.opcname = 'vector_ip_ops' AND att.attname = 'embedding' ` +
      `AND i.indnatts = 1 AND i.indisvalid AND i.indpred IS NULL`,
    [table],
  );
  return rows.length > 0;
}
