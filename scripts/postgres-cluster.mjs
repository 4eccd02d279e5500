// A throw-away PostgreSQL cluster for the store's tests and benchmarks: initdb into a temporary
// folder, a server listening on a Unix socket in it only (no TCP), pgvector created, stopped and
// deleted by stop(). Needs a PostgreSQL server and pgvector: `bash scripts/setup.sh --test`.
// initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SETUP_HINT = 'run `bash scripts/setup.sh --test` (it installs PostgreSQL and builds pgvector)';

function serverBin() {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin/postgres'))) : [];
  if (majors.length === 0) throw new Error(`no PostgreSQL server under ${base}: ${SETUP_HINT}`);
  majors.sort((a, b) => Number(b) - Number(a));
  return join(base, majors[0], 'bin');
}

/**
 * Starts a cluster; returns { connectionString, socketDir, port, bin, sql, restart, stop }.
 * `settings` are extra server settings (name → value), e.g. { maintenance_work_mem: '1GB' }.
 */
export function startCluster({ settings = {} } = {}) {
  const bin = serverBin();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-pg-'));
  const user = root ? 'postgres' : (process.env.USER ?? 'postgres');
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool, args) => {
    const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8', '--locale=C', '--no-sync']);
  // A port number still names the socket file (.s.PGSQL.<port>); no TCP listener is opened.
  const port = 20000 + Math.floor(Math.random() * 40000);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=''",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', 'start']);
  start();
  const connectionString = `postgresql://${user}@${encodeURIComponent(dir)}:${port}/postgres`;
  const psql = (query) => {
    const r = spawnSync(
      join(bin, 'psql'),
      ['-h', dir, '-p', String(port), '-U', user, '-d', 'postgres', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', query],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout.trim();
  };
  try {
    psql('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (err) {
    run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pgvector is not installed for this PostgreSQL (${err.message.trim()}): ${SETUP_HINT}`);
  }
  let stopped = false;
  return {
    connectionString,
    socketDir: dir,
    port,
    user,
    bin,
    sql: psql,
    /** Stops the server (mode 'fast' or 'immediate') and starts it again on the same socket. */
    restart(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      start();
    },
    stopServer(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    },
    startServer: start,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
