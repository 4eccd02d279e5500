// What the CLI tells the user on stderr besides results: notices and progress bars.
import { SingleBar } from 'cli-progress';
import type { Model } from '../model/model';

export function log(options: { quiet?: boolean }, message: string) {
  if (!options.quiet) process.stderr.write(`${message}\n`);
}

export function progressBar(options: { quiet?: boolean }, format: string) {
  if (options.quiet || !process.stderr.isTTY) return undefined;
  return new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50 });
}

// Says where the session came from, so that a user can see the cache at work (or not).
export function cacheNotice(options: { quiet?: boolean; optimizedCache?: boolean }, model: Model) {
  if (options.optimizedCache && model.info.fromCache) log(options, 'Using the optimized model from the cache.');
}
