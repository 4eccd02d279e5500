// sentvec's cache folder (downloaded models, optimized models): $SENTVEC_CACHE, else
// $XDG_CACHE_HOME/sentvec, else ~/.cache/sentvec.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(options: { cacheDir?: string } = {}): string {
  if (options.cacheDir) return options.cacheDir;
  if (process.env.SENTVEC_CACHE) return process.env.SENTVEC_CACHE;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'sentvec');
  return join(homedir(), '.cache', 'sentvec');
}
