// The raw native surface, typed once and kept private to lib/.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, NativeLoadError } from './errors';

export type PoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len';

export interface NativeModelConfig {
  onnxPath: string;
  tokenizerPath: string;
  maxSeqLength: number;
  maxPositions: number;
  hiddenSize: number;
  doLowerCase: boolean;
  pooling: PoolingMode[];
  threads: number;
  spinning: boolean;
  providers: Array<{ name: string; options: Array<[string, string]> }>;
  fallback: boolean;
}

export interface NativeTokenized {
  /** All ids; those of text i are ids[offsets[i] .. offsets[i + 1]]. */
  ids: Int32Array;
  offsets: Uint32Array;
  truncated: Uint8Array;
}

export interface NativeModelInfo {
  dimension: number;
  maxSeqLength: number;
  vocabSize: number;
  outputName: string;
  pooledOutput: boolean;
  threads: number;
  provider: string;
  providerWarnings: string[];
}

export interface NativeModel {
  encode(texts: string[], options: { batchSize: number; normalize: boolean; truncate: boolean }):
    Promise<{ data: Float32Array; truncated: Uint8Array }>;
  tokenize(texts: string[]): Promise<NativeTokenized>;
  encodeTokens(ids: Int32Array, offsets: Uint32Array, options: { batchSize: number; normalize: boolean }): Promise<Float32Array>;
  vocabulary(): string[];
  info(): NativeModelInfo;
  dispose(): void;
}

export interface NativeIndexInfo {
  size: number;
  dimension: number;
  metric: 'cosine' | 'dot';
  precision: 'f32' | 'int8' | 'binary';
  rescore: boolean;
  threads: number;
  memoryBytes: number;
}

export interface NativeSearchResults {
  /** queries × k, valid up to counts[q] in each row. */
  ids: BigUint64Array;
  scores: Float32Array;
  counts: Uint32Array;
  k: number;
}

export interface NativeIndex {
  add(vectors: Float32Array, ids?: BigUint64Array): Promise<void>;
  remove(ids: BigUint64Array): Promise<number>;
  search(queries: Float32Array, k: number, filter?: { ids?: BigUint64Array; bitmap?: Uint8Array }, oversample?: number): Promise<NativeSearchResults>;
  save(path: string): Promise<void>;
  info(): NativeIndexInfo;
  dispose(): void;
}

export interface NativeBinding {
  loadModel(config: NativeModelConfig): Promise<NativeModel>;
  createIndex(options: { dimension: number; metric: string; precision: string; rescore: boolean; threads: number }): NativeIndex;
  loadIndex(path: string, threads: number): Promise<NativeIndex>;
  probeProviders(): Promise<Array<{ name: string; compiled: boolean; usable: boolean; reason?: string }>>;
  physicalCores: number;
  measureReadBandwidth(bytes: number, threads: number): Promise<number>;
}

let cached: NativeBinding | undefined;
let cachedPath: string | undefined;
let explicitPath: string | undefined;

function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

/** The prebuild folder name of this platform: linux-x64, linux-x64-musl, darwin-arm64, win32-x64, … */
export function platformTag(): string {
  return `${process.platform}-${process.arch}${isMusl() ? '-musl' : ''}`;
}

/**
 * In a source checkout, a prebuild made before the last `npm run build` would shadow the newer
 * build (the prebuild comes first): say so rather than run stale code silently.
 */
function warnIfStale(loaded: string, candidates: string[]): void {
  if (!loaded.includes(`${join('prebuilds', platformTag())}`)) return;
  const newer = candidates.slice(candidates.indexOf(loaded) + 1)
    .find((p) => existsSync(p) && statSync(p).mtimeMs > statSync(loaded).mtimeMs);
  if (newer) {
    process.emitWarning(`loaded ${loaded}, which is older than ${newer}; delete the prebuild (or set SENTVEC_BINARY) to use the newer build`, { code: 'SENTVEC_STALE_PREBUILD' });
  }
}

/**
 * Loads the addon: an explicit path (`useNativeBinding`, else `SENTVEC_BINARY`), then the prebuild for this platform, then
 * the local build. One error lists every place tried, with its error, and how to fix it.
 */
export function binding(): NativeBinding {
  if (cached) return cached;
  const root = join(__dirname, '..', '..');
  // An explicit path is the only one tried: falling back would hide why it failed.
  const explicit = explicitPath ?? process.env.SENTVEC_BINARY;
  const candidates = explicit ? [explicit] : [
    join(root, 'prebuilds', platformTag(), 'sentvec.node'),
    join(root, 'build', 'Release', 'sentvec.node'),
    join(root, 'build', 'Debug', 'sentvec.node'),
  ];
  const failures: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      failures.push(`${path}: not found`);
      continue;
    }
    try {
      cached = require(path) as NativeBinding;
      cachedPath = path;
      warnIfStale(path, candidates);
      return cached;
    } catch (err) {
      failures.push(`${path}: ${(err as Error).message}`);
    }
  }
  const libc = process.platform === 'linux' ? (isMusl() ? 'musl' : `glibc ${(process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime}`) : 'n/a';
  throw new NativeLoadError(
    `the sentvec native addon could not be loaded (platform ${process.platform}, arch ${process.arch}, libc ${libc}, ` +
      `Node-API ${process.versions.napi}). Tried:\n  ${failures.join('\n  ')}\n` +
      'Build it from source with `npm run build` in the sentvec package (needs cmake, a C++17 compiler and scripts/deps.sh), ' +
      'or point SENTVEC_BINARY at a built sentvec.node.',
  );
}

/**
 * Loads the addon from `path` instead of searching (what `SENTVEC_BINARY` does), now, so that a
 * bad path fails here. Call it before anything else of sentvec; once an addon is loaded, asking
 * for another is an error (a process holds one).
 */
export function useNativeBinding(path: string): void {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`Expected a path to a sentvec.node for useNativeBinding but received ${path === '' ? 'an empty string' : path === null ? 'null' : typeof path}`);
  const wanted = resolve(path);
  if (cached) {
    if (cachedPath === wanted) return;
    throw new InvalidArgumentError(`the sentvec addon is already loaded from ${cachedPath}; call useNativeBinding(${JSON.stringify(path)}) before the first use of sentvec`);
  }
  explicitPath = wanted;
  try {
    binding();
  } finally {
    if (!cached) explicitPath = undefined;
  }
}
