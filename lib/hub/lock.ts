// The lock that downloads of one file take across processes.
import { open, readFile, stat, unlink } from 'node:fs/promises';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// How long a lock may stay empty (created, its pid not yet written) before it counts as abandoned.
const LOCK_WRITE_MS = 10_000;

// One writer per file across processes: `<file>.lock` holds the writer's pid; a lock whose
// process is gone is taken over.
export async function withLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${target}.lock`;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = await readFile(lock, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const pid = Number(text.trim());
      // No pid yet: its writer is between creating the lock and writing into it (or died there,
      // which a lock left empty for LOCK_WRITE_MS shows).
      const held =
        pid > 0
          ? alive(pid)
          : await stat(lock).then(
              (s) => Date.now() - s.mtimeMs < LOCK_WRITE_MS,
              () => false,
            );
      if (held) {
        await sleep(100);
      } else {
        await unlink(lock).catch(() => undefined);
      }
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
