// The PostgreSQL drivers (`pg`, `pgvector`, `pg-copy-streams`), optional peer dependencies of
// sentvec, loaded on first use; and the driver's shapes, written out so that sentvec's types do
// not depend on @types/pg.
import { MissingDependencyError } from '../../errors';

/** What `query` resolves to (`pg.QueryResult`, the fields sentvec reads). */
export interface QueryResult {
  /** The rows, one object per row. */
  rows: Record<string, unknown>[];
  /** Rows affected (null for commands that report none). */
  rowCount: number | null;
}
/** A connection as `pg` gives it out (`pg.PoolClient`). */
export interface PgClient {
  /** Runs one statement. */
  query(text: string | object, values?: unknown[]): Promise<QueryResult>;
  /** Gives the connection back to its pool (destroys it when given an error). */
  release(err?: Error | boolean): void;
  /** Listens for errors of an idle connection. */
  on(event: 'error', listener: (err: Error) => void): unknown;
}
/** A pool of connections (`pg.Pool`); the application's own pool can be passed in. */
export interface PgPool {
  /** Takes a connection out of the pool. */
  connect(): Promise<PgClient>;
  /** Closes every connection. */
  end(): Promise<void>;
  /** Listens for errors of idle connections. */
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface Drivers {
  Pool: new (config: Record<string, unknown>) => PgPool;
  escapeLiteral: (text: string) => string;
  toSql: (v: number[]) => string;
  copyFrom: (sql: string) => NodeJS.WritableStream & object;
}
let drivers: Drivers | undefined;

export function loadDrivers(): Drivers {
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
