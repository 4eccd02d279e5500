// Table names checked before connecting, so no database is needed: a name that passed the check
// would fail here with a connection error instead of InvalidArgumentError.
import test from 'ava';
import { sentvec } from './helpers/sentvec.mjs';

const { PostgresStore, InvalidArgumentError } = sentvec;

test("a table in PostgreSQL's own schemas (pg_temp, pg_temp_N, pg_toast*, pg_catalog, information_schema) is refused", async (t) => {
  for (const table of [
    'pg_temp.docs',
    'PG_TEMP.docs',
    'pg_temp_3.docs',
    'pg_toast.docs',
    'pg_toast_temp_1.docs',
    'pg_catalog.docs',
    'information_schema.docs',
  ]) {
    await t.throwsAsync(
      PostgresStore.open({ connection: 'postgresql://sentvec@127.0.0.1:1/none?connect_timeout=1', table, dimension: 4, retries: 0 }),
      { instanceOf: InvalidArgumentError, message: /PostgreSQL's own schema/ },
      table,
    );
  }
});
