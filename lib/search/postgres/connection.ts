// The store's connections: checked out of the pool, guarded, run in transactions, their errors
// translated into sentvec's, and tried again after a lost connection when that is safe.
import { DuplicateIdError, SentvecError, StoreConnectionError, StoreError } from '../../errors';
import type { PgClient, PgPool, QueryResult } from './drivers';

/** What a call does: open the store, read (search, size) or write. */
export type CallKind = 'open' | 'read' | 'write';

const guarded = new WeakSet<PgClient>();
// Connection errors raised before a transaction began: nothing of the call reached the server,
// so even a write may run again.
const unsent = new WeakSet<object>();

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

/** The pool of one store, with the store's table name (for messages) and its retry budget. */
export class Connections {
  readonly #pool: PgPool;
  readonly #name: string;
  readonly #retries: number;

  constructor(pool: PgPool, name: string, retries: number) {
    this.#pool = pool;
    this.#name = name;
    this.#retries = retries;
  }

  async query(sql: string, values?: unknown[]): Promise<QueryResult> {
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

  async #connect(kind: CallKind): Promise<PgClient> {
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
  async transaction<T>(kind: CallKind, body: (client: PgClient) => Promise<T>): Promise<T> {
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

  #translate(err: unknown, kind: CallKind, committing: boolean): unknown {
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
  async retry<T>(kind: CallKind, body: () => Promise<T>): Promise<T> {
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
