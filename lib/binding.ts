// The raw native surface, typed once and kept private to lib/.
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { createError, InvalidArgumentError, NativeLoadError } from './errors';

/** How token vectors become one sentence vector, as sentence-transformers' Pooling module names them. */
export type PoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len';

export interface NativeModelConfig {
  onnxPath: string;
  tokenizerPath: string;
  /** A WordPiece tokenizer (BERT); absent: the SentencePiece model at tokenizerPath. */
  wordPiece?: NativeWordPiece;
  maxSeqLength: number;
  maxPositions: number;
  hiddenSize: number;
  doLowerCase: boolean;
  pooling: PoolingMode[];
  /** Dense modules after pooling, in order. */
  dense?: NativeDense[];
  /** A cross-encoder: the export is a sequence classifier, and each row is its logits for a pair (no pooling). */
  scores?: boolean;
  /** With scores: the labels config.json states (id2label), which the export's output must match; 0 or absent: unchecked. */
  numLabels?: number;
  threads: number;
  spinning: boolean;
  memoryArena: boolean;
  /** The optimized model's cache file (ONNX Runtime format), when caching. */
  optimizedCache?: string;
  providers: Array<{ name: string; options: Array<[string, string]> }>;
  fallback: boolean;
}

export type DenseActivation = 'identity' | 'tanh' | 'relu' | 'sigmoid' | 'gelu';

/** The core's limits (native/core/limits.h); lib/validate.ts's RANGES reads them. */
export interface NativeLimits {
  maxThreads: number;
  maxDimension: number;
  maxTopK: number;
  maxOversample: number;
  /** The most tokens a text may be tokenized into when it is split into windows (tokenize's maxLength). */
  maxTokenizeLength: number;
  /** metric 'dot': the largest L2 norm a vector or query may have. */
  maxDotNorm: number;
}

export interface NativeDense {
  in: number;
  out: number;
  /** out × in, row-major (PyTorch's Linear.weight). */
  weight: Float32Array;
  bias?: Float32Array;
  activation: DenseActivation;
}

export interface NativeWordPiece {
  /** Token strings in id order, joined by "\n". */
  vocab: string;
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
  unkToken: string;
  startToken: string;
  endToken: string;
  padToken: string;
  continuingPrefix: string;
  maxInputCharsPerWord: number;
  specialTokens: string[];
}

export interface NativeTokenized {
  /** All ids; those of text i are ids[offsets[i] .. offsets[i + 1]]. */
  ids: Int32Array;
  offsets: Uint32Array;
  truncated: Uint8Array;
  /** With `spans: true`: per id, [begin, end) in UTF-16 code units of its text (2 entries per id). */
  spans?: Uint32Array;
  /** With `pairs: true`: per row, where its second sequence's token types (1) start; 0: all 0. */
  secondFrom?: Uint32Array;
}

/** What `model.info` says of a loaded model: its sizes, the ONNX output it reads and how it runs. */
export interface ModelInfo {
  /** Full width of the model's vectors (before any `truncateDim`). */
  dimension: number;
  /** Longest input in tokens, the framing tokens included. */
  maxSeqLength: number;
  /** Entries of the tokenizer's vocabulary. */
  vocabSize: number;
  /** The ids that frame inputs (`<s>` `</s>` or `[CLS]` `[SEP]`), pad them and stand for unknown text. */
  specialIds: {
    /** Put before an input: `<s>` or `[CLS]`. */
    start: number;
    /** Put after an input: `</s>` or `[SEP]`. */
    end: number;
    /** Pads a batch's shorter inputs. */
    pad: number;
    /** Stands for text the vocabulary has no piece for. */
    unknown: number;
  };
  /** Every id that stands for a special token rather than text. */
  specialTokenIds: number[];
  /** The ONNX output read: `last_hidden_state`, `token_embeddings` or `sentence_embedding`. */
  outputName: string;
  /** The output is already pooled (`sentence_embedding`), so sentvec does not pool. */
  pooledOutput: boolean;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  /** The execution provider the session runs on. */
  provider: string;
  /** Providers skipped by `fallback`, with the reason each could not be used. */
  providerWarnings: string[];
  /** The session came from the optimized-model cache. */
  fromCache: boolean;
}

/** ModelInfo, and what a cross-encoder's native model says besides. */
export interface NativeModelInfo extends ModelInfo {
  /** Special tokens in a pair's row: 4 (XLM-R's <s> A </s></s> B </s>) or 3 (BERT's [CLS] A [SEP] B [SEP]). */
  pairSpecialTokens: number;
}

export interface NativeModel {
  /** Rows of the model's full dimension, unnormalized; poolFrom: leading tokens pooling leaves out. */
  encode(
    texts: string[],
    options: { batchSize: number; truncate: boolean; poolFrom?: number },
  ): Promise<{ data: Float32Array; truncated: Uint8Array }>;
  /**
   * maxLength: tokens per text with <s> and </s> (default maxSeqLength; more only to split long inputs into windows).
   * pairs: texts[2i] and texts[2i + 1] are one pair, framed and truncated (longest_first) into one row of at most maxSeqLength.
   */
  tokenize(texts: string[], options?: { maxLength?: number; spans?: boolean; pairs?: boolean }): Promise<NativeTokenized>;
  /** secondFrom: per input, where token type 1 starts (a pair's second sequence; 0: none). */
  encodeTokens(
    ids: Int32Array,
    offsets: Uint32Array,
    options: { batchSize: number; poolFrom?: Uint32Array; secondFrom?: Uint32Array },
  ): Promise<Float32Array>;
  vocabulary(): string[];
  info(): NativeModelInfo;
  dispose(): void;
}

export interface NativeIndexInfo {
  size: number;
  dimension: number;
  metric: 'cosine' | 'dot';
  precision: 'float32' | 'int8' | 'binary';
  rescore: boolean;
  threads: number;
  memoryBytes: number;
}

export interface NativeSearchResults {
  /** queries × slots, valid up to counts[q] in each row. */
  ids: BigUint64Array;
  scores: Float32Array;
  counts: Uint32Array;
  /** Per query: topK, or fewer when the index holds fewer candidates. */
  slots: number;
}

export interface NativeIndex {
  add(vectors: Float32Array, ids?: BigUint64Array): Promise<void>;
  remove(ids: BigUint64Array): Promise<number>;
  search(
    queries: Float32Array,
    topK: number,
    filter?: { ids?: BigUint64Array; bitmap?: Uint8Array },
    oversample?: number,
  ): Promise<NativeSearchResults>;
  save(path: string): Promise<void>;
  info(): NativeIndexInfo;
  dispose(): void;
}

/** What the addon exports (native/binding/*.cc's Init* functions); test/binding.test.mjs checks that the two agree. */
export interface NativeBinding {
  loadModel(config: NativeModelConfig): Promise<NativeModel>;
  createIndex(options: { dimension: number; metric: string; precision: string; rescore: boolean; threads: number }): NativeIndex;
  loadIndex(path: string, threads: number): Promise<NativeIndex>;
  probeProviders(): Promise<Array<{ name: string; compiled: boolean; usable: boolean; reason?: string }>>;
  limits: NativeLimits;
  /** The pooling modes the core has, in the order their outputs are concatenated (PoolingMode lists the same). */
  poolingModes: PoolingMode[];
  /** The activations a Dense layer may have (DenseActivation lists the same). */
  denseActivations: DenseActivation[];
  /** The metrics and storage precisions of an index (NativeIndexInfo's types list the same). */
  metrics: NativeIndexInfo['metric'][];
  precisions: NativeIndexInfo['precision'][];
  /** The codes native errors carry (native/core/error.h). */
  errorCodes: string[];
  /** Registers the function that builds native errors, so that they arrive as lib/errors.ts's classes. */
  setErrorFactory(factory: (code: string, message: string, subject: string) => Error): void;
  physicalCores: number;
  /** The ONNX Runtime library the addon runs, e.g. "1.30.0". */
  onnxRuntimeVersion: string;
  /** Measurements for bench/ (native/bench). */
  bench: {
    measureReadBandwidth(bytes: number, threads: number): Promise<number>;
    measurePooling(batch: number, seqLength: number, hidden: number, rounds: number): Promise<number>;
  };
}

// The platforms with a package (scripts/platform-package.mjs).
const SHIPPED = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64'];

let cached: NativeBinding | undefined;
let cachedPath: string | undefined;
let explicitPath: string | undefined;

function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

/** This platform's tag, as in its package @sentvec/<tag>: linux-x64, linux-x64-musl, darwin-arm64, win32-x64, … */
export function platformTag(): string {
  return `${process.platform}-${process.arch}${isMusl() ? '-musl' : ''}`;
}

/** The npm package that carries this platform's addon and ONNX Runtime: @sentvec/linux-x64, … */
export function platformPackage(): string {
  return `@sentvec/${platformTag()}`;
}

/**
 * In a source checkout, an installed platform package would shadow a newer local build (it comes
 * first): say so rather than run stale code silently.
 */
function warnIfStale(loaded: string, candidates: string[]): void {
  if (!loaded.includes(platformPackage().replace('/', sep))) return;
  const newer = candidates
    .slice(candidates.indexOf(loaded) + 1)
    .find((p) => existsSync(p) && statSync(p).mtimeMs > statSync(loaded).mtimeMs);
  if (newer) {
    process.emitWarning(
      `loaded ${loaded}, which is older than ${newer}; uninstall ${platformPackage()} (or set SENTVEC_BINARY) to use the newer build`,
      { code: 'SENTVEC_STALE_PREBUILD' },
    );
  }
}

// Where npm put this platform's package, if it did (beside sentvec, or in sentvec's own node_modules).
function platformAddon(root: string): string {
  try {
    return require.resolve(`${platformPackage()}/sentvec.node`, { paths: [root] });
  } catch {
    return join(root, 'node_modules', platformPackage(), 'sentvec.node');
  }
}

// A path as one word of a shell command a user can paste.
const shellWord = (path: string) =>
  /^[\w@%+=:,./-]+$/.test(path) ? path : process.platform === 'win32' ? `"${path}"` : `"${path.replace(/(["\\$`])/g, '\\$1')}"`;

/**
 * Loads the addon: an explicit path (`useNativeBinding`, else `SENTVEC_BINARY`), then this
 * platform's package (@sentvec/<platform>, an optional dependency), then the local build. One
 * error lists every place tried, with its error, and how to fix it.
 */
export function binding(): NativeBinding {
  if (cached) return cached;
  const root = join(__dirname, '..', '..');
  // An explicit path is the only one tried: falling back would hide why it failed.
  const explicit = explicitPath ?? process.env.SENTVEC_BINARY;
  const candidates = explicit
    ? [explicit]
    : [platformAddon(root), join(root, 'build', 'Release', 'sentvec.node'), join(root, 'build', 'Debug', 'sentvec.node')];
  const failures: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      failures.push(`${path}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a .node file loads through require() only
      const addon = require(path) as NativeBinding;
      if (typeof addon.setErrorFactory !== 'function') throw new Error('it is the addon of another sentvec version');
      addon.setErrorFactory(createError);
      cached = addon;
      cachedPath = path;
      warnIfStale(path, candidates);
      return cached;
    } catch (err) {
      failures.push(`${path}: ${(err as Error).message}`);
    }
  }
  const libc =
    process.platform === 'linux'
      ? isMusl()
        ? 'musl'
        : `glibc ${(process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime}`
      : 'n/a';
  throw new NativeLoadError(
    `the sentvec native addon could not be loaded (platform ${process.platform}, arch ${process.arch}, libc ${libc}, ` +
      `Node-API ${process.versions.napi}). Tried:\n  ${failures.join('\n  ')}\n` +
      `npm installs the addon as the optional dependency ${platformPackage()}: reinstall sentvec without --omit=optional / --no-optional ` +
      `(packages exist for ${SHIPPED.join(', ')}), or build it from source with \`node ${shellWord(join(root, 'install', 'build-from-source.mjs'))}\` ` +
      '(needs cmake and a C++17 compiler), or point SENTVEC_BINARY at a built sentvec.node.',
  );
}

/**
 * Loads the addon from `path` instead of searching (what `SENTVEC_BINARY` does), now, so that a
 * bad path fails here. Call it before anything else of sentvec; once an addon is loaded, asking
 * for another is an error (a process holds one).
 */
export function useNativeBinding(path: string): void {
  if (typeof path !== 'string' || path === '')
    throw new InvalidArgumentError(
      `Expected a path to a sentvec.node for useNativeBinding but received ${path === '' ? 'an empty string' : path === null ? 'null' : typeof path}`,
    );
  const wanted = resolve(path);
  if (cached) {
    if (cachedPath === wanted) return;
    throw new InvalidArgumentError(
      `the sentvec addon is already loaded from ${cachedPath}; call useNativeBinding(${JSON.stringify(path)}) before the first use of sentvec`,
    );
  }
  explicitPath = wanted;
  try {
    binding();
  } finally {
    if (!cached) explicitPath = undefined;
  }
}
