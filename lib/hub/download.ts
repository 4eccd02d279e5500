// Downloading sentence-transformers repositories from the Hugging Face hub (or a mirror) into a
// local cache, with resume, SHA-256 verification, atomic placement and a lock per file.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../atomic-file';
import { cacheRoot } from '../cache-dir';
import { InvalidArgumentError, SentvecError } from '../errors';
import { withLock } from './lock';
import { HUB_OPTIONS } from './options';
import { STALL_TIMEOUT_MS, StallWatch } from './stall-watch';
import { describe, integerOption, invalid, optionsObject, rejectUnknownOptions } from '../validate';

/**
 * A download failed (`ERR_DOWNLOAD`): the hub could not be reached, refused, or lacks a file, or
 * the model is not in a cache while offline. The message is two lines when there is something to
 * do about it: what went wrong, then what to do.
 */
export class DownloadError extends SentvecError {
  /** The HTTP status, when the hub answered with one. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super('ERR_DOWNLOAD', message);
    this.status = status;
  }
}

/** One report of {@link HubOptions.onProgress}: bytes of one file received so far. */
export interface DownloadProgress {
  /** The file, a path inside the repository (e.g. 'onnx/model.onnx'). */
  file: string;
  /** Bytes of `file` on disk so far (a resumed download starts at what was there). */
  received: number;
  /** The file's size, when the hub states it. */
  total: number | undefined;
}

/** The files of the sentence-transformers layout that sentvec needs, besides the ONNX file and a tokenizer. */
const CONFIG_FILES = ['config.json'];
/** The tokenizer: XLM-R's SentencePiece model, or BERT's WordPiece tokenizer.json / vocab.txt. */
const TOKENIZER_FILES = ['sentencepiece.bpe.model', 'tokenizer.json', 'vocab.txt'];
export const DEFAULT_ONNX_FILE = 'onnx/model.onnx';
export const OPTIONAL_FILES = [
  'tokenizer_config.json',
  'special_tokens_map.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  'modules.json',
  '1_Pooling/config.json',
];

/**
 * The file that holds an ONNX export's weights when they are not in it (exports over 2 GB:
 * `onnx/model.onnx_data` beside `onnx/model.onnx`), if `onnxPath` names one. Such a model file
 * is small; a large one holds its weights itself and is not read.
 */
export async function externalDataFile(onnxPath: string): Promise<string | undefined> {
  const name = `${basename(onnxPath)}_data`;
  try {
    if ((await stat(onnxPath)).size > 64 * 2 ** 20) return undefined;
    return (await readFile(onnxPath)).includes(name) ? join(dirname(onnxPath), name) : undefined;
  } catch {
    return undefined;
  }
}

/** Where a model named by hub id comes from: options of `downloadModel` and of `Model.load` given an id. */
export interface HubOptions {
  /** Branch, tag or commit of the repository: a git ref (`main`, `v1.0`, `refs/pr/1`) or a 40-character commit hash. Default 'main'. */
  revision?: string;
  /** Hub address (a mirror works), http: or https:. Default: $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Token for private and gated repositories, sent as `Authorization: Bearer` to the hub only (not to redirect targets). Default: $HF_TOKEN. */
  token?: string;
  /**
   * sentvec's cache folder: downloaded models go under models/ (one folder per repository and
   * revision), optimized models (`optimizedCache: true`) under optimized/. Default: $SENTVEC_CACHE,
   * else $XDG_CACHE_HOME/sentvec, else ~/.cache/sentvec.
   */
  cacheDir?: string;
  /**
   * Use only what is on disk: sentvec's cache, else the Hugging Face cache; never the network.
   * Default: true when $SENTVEC_OFFLINE or $HF_HUB_OFFLINE is 1 (or true, yes), else false.
   */
  offline?: boolean;
  /** Called as bytes of each file arrive (not called when the model is in a cache already). */
  onProgress?: (event: DownloadProgress) => void;
  /** Attempts per file on dropped connections, 5xx and 429 answers (waiting as Retry-After says, up to 10 s), 1 to 100. Default 3. */
  attempts?: number;
  /**
   * Milliseconds an attempt may wait for the hub's answer or for the next bytes of a file before it
   * counts as a dropped connection (retried, resumed), 1 to 600,000. Default 30,000.
   */
  stallTimeoutMs?: number;
}

/** Options of {@link downloadModel}. */
export interface DownloadOptions extends HubOptions {
  /** The ONNX file to fetch, a path inside the repository (e.g. 'onnx/model_fp16.onnx'). Default 'onnx/model.onnx'. */
  onnxFile?: string;
}

const DOWNLOAD_OPTIONS = new Set([...HUB_OPTIONS, 'onnxFile']);

/**
 * Checks HubOptions' fields (InvalidArgumentError): the values reach file paths, an HTTP header
 * and a URL, where a wrong one would fail late and obscurely.
 */
export function checkHubOptions(options: HubOptions): void {
  optionsObject(options);
  const { revision, endpoint, token, cacheDir, offline, onProgress, attempts, stallTimeoutMs } = options;
  if (revision !== undefined) checkRevision(revision);
  if (endpoint !== undefined) checkEndpoint(endpoint, 'endpoint');
  // A header value: no space or control character (a newline would be refused by fetch later, as a network error).
  if (token !== undefined && (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)))
    throw invalid('a token (printable ASCII, no spaces)', 'token', token);
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir === '' || cacheDir.includes('\0')))
    throw invalid('a folder path', 'cacheDir', cacheDir);
  if (offline !== undefined && typeof offline !== 'boolean') throw invalid('a boolean', 'offline', offline);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('a function', 'onProgress', onProgress);
  if (attempts !== undefined) integerOption(attempts, 'attempts');
  if (stallTimeoutMs !== undefined) integerOption(stallTimeoutMs, 'stallTimeoutMs');
}

/**
 * Checks a hub address (the endpoint option, or $HF_ENDPOINT): http: or https:, with no user name
 * or password (fetch refuses them, and every download error quotes the address: a password would
 * be printed) and no query or fragment (file paths are appended to it). Throws InvalidArgumentError.
 */
function checkEndpoint(endpoint: unknown, name: 'endpoint' | 'HF_ENDPOINT'): void {
  let url: URL | undefined;
  try {
    url = typeof endpoint === 'string' ? new URL(endpoint) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw name === 'endpoint'
      ? invalid('an http: or https: URL', name, endpoint)
      : new InvalidArgumentError(
          `HF_ENDPOINT=${String(endpoint)} is not an http: or https: URL; set it to a hub address such as https://huggingface.co, or unset it`,
        );
  if (url.username || url.password)
    throw new InvalidArgumentError(
      `${name} holds a user name or password (${url.protocol}//***@${url.host}); remove it, and give a token with the token option or HF_TOKEN (sent only to the hub)`,
    );
  if (url.search || url.hash)
    throw new InvalidArgumentError(
      `${name} ${url.origin}${url.pathname}… holds a query or fragment; give the hub's address only, such as https://huggingface.co`,
    );
}

/** The required files for `options.onnxFile`, after checking it is a plain path inside the repository. */
function requiredFiles(options: DownloadOptions): string[] {
  const onnxFile = options.onnxFile ?? DEFAULT_ONNX_FILE;
  if (
    typeof onnxFile !== 'string' ||
    !/^[\w.-]+(\/[\w.-]+)*\.onnx$/.test(onnxFile) ||
    onnxFile.split('/').some((part) => part === '..' || part === '.')
  ) {
    throw new InvalidArgumentError(
      `Expected a path to an .onnx file inside the repository (like onnx/model_fp16.onnx) for onnxFile but received ${describe(onnxFile)}`,
    );
  }
  return [...CONFIG_FILES, onnxFile];
}

/**
 * The Hugging Face hub cache that Python's huggingface_hub, `huggingface-cli download` and others
 * fill: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
 */
export function huggingFaceCache(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  if (process.env.HF_HOME) return join(process.env.HF_HOME, 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

/**
 * The snapshot folder of `repo` at `revision` in the Hugging Face cache, when it holds every file
 * of `required` (snapshot files are links into blobs/: a dangling link counts as missing). The
 * revision is a commit hash, else a branch or tag that refs/ maps to one.
 */
/** Whether `folder` holds a tokenizer sentvec reads: the SentencePiece model, else a WordPiece tokenizer.json or vocab.txt. */
async function hasTokenizer(folder: string): Promise<boolean> {
  if (existsSync(join(folder, 'sentencepiece.bpe.model'))) return true;
  const json = await readFile(join(folder, 'tokenizer.json'), 'utf8').catch(() => undefined);
  if (json !== undefined) return /"type"\s*:\s*"WordPiece"/.test(json);
  return existsSync(join(folder, 'vocab.txt'));
}

/** The files of the modules that modules.json lists: each Pooling config, each Dense config and weights. */
async function moduleFiles(folder: string): Promise<string[]> {
  let modules: unknown;
  try {
    modules = JSON.parse(await readFile(join(folder, 'modules.json'), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(modules)) return [];
  const files: string[] = [];
  for (const m of modules as Array<{ type?: unknown; path?: unknown }>) {
    const kind = String(m?.type ?? '')
      .split('.')
      .pop();
    // Plain relative folders only: modules.json comes from the network.
    if (typeof m?.path !== 'string' || !/^[\w.-]+$/.test(m.path) || m.path === '.' || m.path === '..') continue;
    if (kind === 'Pooling') files.push(`${m.path}/config.json`);
    if (kind === 'Dense') files.push(`${m.path}/config.json`, `${m.path}/model.safetensors`);
  }
  return files;
}

/** Whether `folder` holds everything a model needs: `required`, a large export's weights, a tokenizer, its modules' files. */
async function complete(folder: string, required: string[]): Promise<boolean> {
  if (!required.every((f) => existsSync(join(folder, f)))) return false;
  const data = await externalDataFile(join(folder, required[required.length - 1]));
  if (data !== undefined && !existsSync(data)) return false;
  if (!(await hasTokenizer(folder))) return false;
  return (await moduleFiles(folder)).every((f) => existsSync(join(folder, f)));
}

export async function findInHuggingFaceCache(repo: string, revision: string, required: string[]): Promise<string | undefined> {
  const base = join(huggingFaceCache(), `models--${repo.replace('/', '--')}`);
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    // refs/ holds one file per branch or tag (a tag or branch with a slash is a subfolder).
    if (revision.split('/').some((part) => part === '..' || part === '.' || part === '')) return undefined;
    try {
      commit = (await readFile(join(base, 'refs', revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
    if (!/^[0-9a-f]{40}$/.test(commit)) return undefined;
  }
  const dir = join(base, 'snapshots', commit);
  return (await complete(dir, required)) ? dir : undefined;
}

export { cacheRoot };

/**
 * Whether `value` has the shape of a hub repository id, owner/name, as the hub allows them:
 * letters, digits, "-", "_" and "." with no "--" or ".." (so that owner--name cache folders
 * cannot collide), no leading or trailing "-" or ".", and at most 96 characters each side.
 */
export function isRepoId(value: string): boolean {
  return /^[\w.-]{1,96}\/[\w.-]{1,96}$/.test(value) && !/--|\.\.|(^|\/)[-.]|[-.]($|\/)/.test(value);
}

// The rules of `git check-ref-format` (one level allowed), each with what breaks it.
const REF_RULES: Array<[(r: string) => boolean, string]> = [
  [(r) => r === '', 'it is empty'],
  [(r) => /[\x00-\x20\x7f~^:?*[\\]/.test(r), 'it holds a space, a control character or one of ~ ^ : ? * [ \\'],
  [(r) => r.includes('..'), 'it holds ".."'],
  [(r) => r === '@' || r.includes('@{'), 'it is "@" or holds "@{"'],
  [(r) => r.startsWith('/') || r.endsWith('/') || r.includes('//'), 'it begins or ends with "/" or holds "//"'],
  [(r) => r.endsWith('.'), 'it ends with "."'],
  [(r) => r.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock')), 'a part of it begins with "." or ends with ".lock"'],
  // Its cache folder's name must fit in 255 bytes.
  [(r) => encodeURIComponent(r).length > 255, 'it is too long'],
];

/**
 * Checks a revision: a commit hash, or a branch or tag name by the rules of `git check-ref-format`
 * (`main`, `v1.0`, `refs/pr/1`). Such a name cannot climb out of its cache folder. Throws
 * InvalidArgumentError.
 */
export function checkRevision(revision: unknown): string {
  const broken = typeof revision === 'string' ? REF_RULES.find(([breaks]) => breaks(revision)) : [, 'it is not a string'];
  if (broken)
    throw new InvalidArgumentError(
      `revision ${JSON.stringify(revision)} is not a branch, tag or commit (${broken[1]}); give a git ref such as main, v1.0 or refs/pr/1, or a 40-character commit hash`,
    );
  return revision as string;
}

/** The cache folder of one repository revision: one folder per revision, never shared (a "/" is written %2F). */
export function modelCacheDir(repo: string, options: DownloadOptions = {}): string {
  const revision = checkRevision(options.revision ?? 'main');
  return join(cacheRoot(options), 'models', repo.replace('/', '--'), encodeURIComponent(revision));
}

const truthy = (v: string | undefined) => v === '1' || v === 'true' || v === 'yes';

/** Why downloads are off, as the user set it; undefined when they are on. */
function offlineBy(options: DownloadOptions): string | undefined {
  if (options.offline !== undefined) return options.offline ? 'the offline option' : undefined;
  if (truthy(process.env.SENTVEC_OFFLINE)) return `SENTVEC_OFFLINE=${process.env.SENTVEC_OFFLINE}`;
  if (truthy(process.env.HF_HUB_OFFLINE)) return `HF_HUB_OFFLINE=${process.env.HF_HUB_OFFLINE}`;
  return undefined;
}

/** Where the model was looked for on disk, and which of its files are not there: the first line of an error. */
function notCached(repo: string, dir: string, required: string[]): string {
  const missing = required.filter((f) => !existsSync(join(dir, f)));
  if (!TOKENIZER_FILES.some((f) => existsSync(join(dir, f))))
    missing.push('a tokenizer (sentencepiece.bpe.model, tokenizer.json or vocab.txt)');
  // Which files are missing says something only when some are there.
  const partly = existsSync(dir) ? `: missing ${missing.join(', ')}` : '';
  return `${repo} is not in sentvec's cache (${dir}${partly}) nor in the Hugging Face cache (${huggingFaceCache()})`;
}

function expectedSha256(headers: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const raw = headers.get(name);
    if (!raw) continue;
    const value = raw.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
    if (/^[0-9a-f]{64}$/.test(value)) return value;
  }
  return undefined;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The longest wait a Retry-After header gets before the next attempt.
const RETRY_AFTER_MAX_MS = 10_000;

interface Opened {
  response: Response;
  sha256: string | undefined;
  /** The file's size as the hub's first answer states it (X-Linked-Size of an LFS file). */
  size: number | undefined;
}

const byteCount = (value: string | null | undefined): number | undefined =>
  value && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : undefined;

// GET with manual redirects, so that the hub's first answer (which names the LFS checksum) is
// seen, and the token is only sent to the hub itself.
async function get(url: string, headers: Record<string, string>, token: string | undefined, watch: StallWatch): Promise<Opened> {
  let current = url;
  const origin = new URL(url).origin;
  let sha256: string | undefined;
  let size: number | undefined;
  for (let hop = 0; hop < 6; hop++) {
    const h: Record<string, string> = { ...headers };
    if (token && new URL(current).origin === origin) h.authorization = `Bearer ${token}`;
    watch.touch();
    const response = await fetch(current, { headers: h, redirect: 'manual', signal: watch.signal });
    watch.touch();
    sha256 ??= expectedSha256(response.headers);
    size ??= byteCount(response.headers.get('x-linked-size'));
    if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
      await response.body?.cancel();
      current = new URL(response.headers.get('location')!, current).toString();
      continue;
    }
    return { response, sha256, size };
  }
  throw new DownloadError(`too many redirects for ${url}`);
}

function describeFetchError(err: unknown, endpoint: string): string {
  // fetch wraps the socket error: its code sits on the cause, or on the first of several.
  type Cause = { code?: string; message?: string; errors?: Cause[]; cause?: Cause };
  const cause = (err as { cause?: Cause })?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.cause?.code ?? (err as NodeJS.ErrnoException)?.code;
  return `cannot reach ${endpoint} (${code ?? cause?.message ?? (err as Error)?.message ?? err})`;
}

class OverLimit extends Error {}
/** The hub could not be reached: downloadModel turns it into a DownloadError that says what is missing. */
class Unreachable extends Error {}
/** onProgress threw: its error ends the download. */
class CallbackFailed extends Error {
  constructor(readonly cause: unknown) {
    super('onProgress threw');
  }
}

/**
 * The most bytes taken for a file whose size the hub does not state: JSON and text files (configs,
 * tokenizers, vocabularies) are a few MB; an ONNX file holds at most 2 GiB, and larger weights files
 * come from the hub's LFS storage, which states their size.
 */
export function undeclaredLimit(file: string): number {
  return /\.(json|txt)$/.test(file) ? 64 * 2 ** 20 : 2 ** 31;
}

/** Downloads one file of a repository into `dest` (resuming `dest.incomplete`). Returns false on 404. */
async function downloadFile(repo: string, file: string, dest: string, options: DownloadOptions, endpoint: string): Promise<boolean> {
  const revision = options.revision ?? 'main';
  const url = `${endpoint.replace(/\/$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
  const partial = `${dest}.incomplete`;
  const attempts = options.attempts === undefined ? 3 : integerOption(options.attempts, 'attempts');
  const stallMs = options.stallTimeoutMs === undefined ? STALL_TIMEOUT_MS : integerOption(options.stallTimeoutMs, 'stallTimeoutMs');
  let lastError: DownloadError | Unreachable | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const have = await stat(partial).then(
      (s) => s.size,
      () => 0,
    );
    const watch = new StallWatch(stallMs);
    const stalled = (what: string) =>
      new DownloadError(
        `${endpoint} stopped answering: no ${what} for ${stallMs / 1000} s while downloading ${repo}/${file} (attempt ${attempt} of ${attempts})\n` +
          `${have > 0 || what === 'bytes' ? 'Run it again to resume (the partial file is kept)' : 'Try again'} later, or set HF_ENDPOINT to a mirror; on a slow link, raise stallTimeoutMs (${stallMs}).`,
      );
    let opened: Opened;
    try {
      opened = await get(url, have > 0 ? { range: `bytes=${have}-` } : {}, options.token ?? process.env.HF_TOKEN, watch);
    } catch (err) {
      watch.stop();
      if (err instanceof DownloadError) throw err;
      lastError = watch.fired ? stalled('answer') : new Unreachable(describeFetchError(err, endpoint));
      if (attempt < attempts) await sleep(200 * attempt);
      continue;
    }
    const { response, sha256 } = opened;
    // Armed again only while the body is read: an answer left unread must not keep a timer.
    watch.stop();
    const status = response.status;
    if (status === 404) {
      await response.body?.cancel();
      return false;
    }
    if (status === 401 || status === 403) {
      await response.body?.cancel();
      throw new DownloadError(
        `access denied (HTTP ${status}) for ${repo}/${file} on ${endpoint}: the repository is private or gated, and ${options.token === undefined && !process.env.HF_TOKEN ? 'no token was given' : 'the token given cannot read it'}\n` +
          'Set HF_TOKEN (or the token option) to a token that can read it; for a gated repository, accept its terms on its page first.',
        status,
      );
    }
    if (status === 416 && have > 0) {
      // The partial file already holds everything: verify it below.
      await response.body?.cancel();
    } else if (status >= 500 || (status !== 200 && status !== 206)) {
      await response.body?.cancel();
      const todo =
        status === 429
          ? `The hub is limiting this client's requests: try again in a while${options.token === undefined && !process.env.HF_TOKEN ? ', or set HF_TOKEN (requests with a token get a larger allowance)' : ''}.`
          : status >= 500
            ? 'The hub is failing: try again later, or set HF_ENDPOINT to a mirror.'
            : `Check that ${endpoint} is a Hugging Face hub or a mirror of one (HF_ENDPOINT, or the endpoint option).`;
      lastError = new DownloadError(`${endpoint} answered HTTP ${status} for ${repo}/${file}\n${todo}`, status);
      if ((status >= 500 || status === 429) && attempt < attempts) {
        // Retry-After in seconds, as the hub sends it with 429 and 503; capped so a load never stalls long.
        const after = Number(response.headers.get('retry-after'));
        await sleep(Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, RETRY_AFTER_MAX_MS) : 200 * attempt);
        continue;
      }
      throw lastError;
    } else {
      const append = status === 206;
      const start = append ? have : 0;
      // The file's size: what the hub stated first, else Content-Range's total, else Content-Length.
      const length = byteCount(response.headers.get('content-length'));
      const total =
        opened.size ??
        (append ? byteCount(response.headers.get('content-range')?.match(/\/(\d+)$/)?.[1]) : undefined) ??
        (length === undefined ? undefined : start + length);
      // A configuration or vocabulary file is a few MB whatever size a hub states for it: a larger
      // one would fill the disk, then the memory of whatever parses it.
      if (total !== undefined && /\.(json|txt)$/.test(file) && total > undeclaredLimit(file)) {
        await response.body?.cancel();
        throw new DownloadError(
          `${repo}/${file}: ${endpoint} states ${total} bytes for it, more than the ${undeclaredLimit(file)} sentvec takes for such a file\nCheck that ${endpoint} is a Hugging Face hub or a mirror of one (HF_ENDPOINT, or the endpoint option), and the model id.`,
        );
      }
      const limit = total ?? undeclaredLimit(file);
      let received = start;
      // Each chunk is on disk before the next is read, so a dropped connection resumes after every
      // byte received (a write stream destroyed with the connection would drop what it buffered).
      const out = await open(partial, append ? 'a' : 'w');
      let failure: unknown;
      try {
        watch.touch();
        for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
          received += chunk.length;
          if (received > limit) throw new OverLimit();
          try {
            options.onProgress?.({ file, received, total });
          } catch (err) {
            throw new CallbackFailed(err);
          }
          await out.write(chunk);
          watch.touch();
        }
      } catch (err) {
        failure = err;
      } finally {
        watch.stop();
        await out.close();
      }
      if (failure !== undefined) {
        const err = failure;
        // The caller's own error, as it threw it (the partial file stays, to resume from).
        if (err instanceof CallbackFailed) throw err.cause;
        if (err instanceof OverLimit) {
          await rm(partial, { force: true });
          throw new DownloadError(
            total === undefined
              ? `${repo}/${file}: ${endpoint} sent more than ${limit} bytes without stating the file's size, more than sentvec takes for such a file; the partial file was deleted. A hub states sizes (Content-Length or X-Linked-Size): check HF_ENDPOINT`
              : `${repo}/${file}: ${endpoint} sent more than the ${total} bytes it stated for the file; the partial file was deleted, try again`,
          );
        }
        if ((err as NodeJS.ErrnoException).syscall !== undefined)
          throw new DownloadError(`cannot write ${partial} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        lastError = watch.fired
          ? stalled('bytes')
          : new DownloadError(
              `the connection dropped while downloading ${repo}/${file} (${(err as Error).message}); ${attempt < attempts ? 'resuming' : 'run the command again to resume'}`,
            );
        if (attempt < attempts) await sleep(200 * attempt);
        continue;
      }
      if (total !== undefined && received !== total) {
        lastError = new DownloadError(`${repo}/${file} ended after ${received} of ${total} bytes`);
        continue;
      }
    }
    if (sha256) {
      const actual = await sha256File(partial);
      if (actual !== sha256) {
        await rm(partial, { force: true });
        throw new DownloadError(
          `checksum mismatch for ${repo}/${file}: the hub states sha256 ${sha256}, the download has ${actual}; the partial file was deleted, try again`,
        );
      }
    }
    await rename(partial, dest);
    return true;
  }
  throw lastError ?? new DownloadError(`could not download ${repo}/${file}`);
}

/**
 * A file system error in sentvec's cache folder `root` (a file where a folder should be, no
 * permission, a full disk) as a DownloadError that says where and what to do; any other error as it is.
 */
function cacheWriteError(err: unknown, root: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof SentvecError || typeof e?.syscall !== 'string' || typeof e.path !== 'string' || !e.path.startsWith(root)) return err;
  return new DownloadError(
    `cannot write sentvec's cache: ${e.syscall} ${e.path} failed (${e.code ?? e.message})\n` +
      'Give cacheDir (or SENTVEC_CACHE) a folder this process can write, on a disk with room.',
  );
}

/**
 * Makes sure the cache holds a repository's files and returns its folder. A complete copy in
 * sentvec's cache, else in the Hugging Face cache (read only: see huggingFaceCache), is used
 * without contacting the hub; otherwise the missing files are downloaded into sentvec's cache
 * (resumed where a previous attempt stopped, checked against the SHA-256 the hub states, placed
 * atomically, one writer per file across processes). For pre-fetching, e.g. in a Dockerfile:
 *
 * ```js
 * const { downloadModel } = require('sentvec');
 * downloadModel('sentence-transformers/paraphrase-multilingual-mpnet-base-v2').then(console.log);
 * ```
 *
 * Throws InvalidArgumentError for a malformed id or option, DownloadError when the files cannot be
 * had (its message says what to do).
 */
export async function downloadModel(repo: string, options: DownloadOptions = {}): Promise<string> {
  if (typeof repo !== 'string' || !isRepoId(repo)) throw invalid('a hub repository id (owner/name)', 'repo', repo);
  checkHubOptions(options);
  // A misspelt option (revison) would otherwise download another revision without a word.
  rejectUnknownOptions(options, DOWNLOAD_OPTIONS, 'downloadModel()');
  const dir = modelCacheDir(repo, options);
  const endpoint = options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co';
  const required = requiredFiles(options);
  const onnxFile = required[required.length - 1];
  if (await complete(dir, required)) return dir;
  // Downloaded already by Python or another tool: used in place, with no network.
  const shared = await findInHuggingFaceCache(repo, options.revision ?? 'main', required);
  if (shared) return shared;
  const fetchElsewhere = `fetch it where there is network (\`sentvec download ${repo}\` or downloadModel()) and copy that folder to ${dir}`;
  const offline = offlineBy(options);
  if (offline) {
    const allow = offline === 'the offline option' ? 'offline: false' : `unset ${offline.split('=')[0]}`;
    throw new DownloadError(
      `${notCached(repo, dir, required)}, and downloads are off (${offline})\nAllow downloads (${allow}), or ${fetchElsewhere}.`,
    );
  }
  if (options.endpoint === undefined && process.env.HF_ENDPOINT !== undefined) checkEndpoint(process.env.HF_ENDPOINT, 'HF_ENDPOINT');
  const root = cacheRoot(options);
  const absent = new Set<string>();
  const absentFile = join(dir, '.absent.json');
  for (const f of JSON.parse(await readFile(absentFile, 'utf8').catch(() => '[]')) as string[]) absent.add(f);
  const notFound = (file: string, why: string) =>
    new DownloadError(`not found (HTTP 404): ${repo}/${file} at revision ${options.revision ?? 'main'} on ${endpoint}\n${why}`, 404);
  const fetch = async (files: string[], needed: (file: string) => string | undefined) => {
    for (const file of files) {
      const dest = join(dir, file);
      if (existsSync(dest) || absent.has(file)) continue;
      let found: boolean;
      try {
        await mkdir(dirname(dest), { recursive: true });
        found = await withLock(dest, async () => existsSync(dest) || downloadFile(repo, file, dest, options, endpoint));
      } catch (err) {
        if (err instanceof Unreachable) {
          throw new DownloadError(
            `${err.message}, and ${notCached(repo, dir, required)}\nSet HF_ENDPOINT to a hub mirror you can reach, or ${fetchElsewhere}.`,
          );
        }
        throw cacheWriteError(err, root);
      }
      if (!found) {
        const why = needed(file);
        if (why) throw notFound(file, why);
        absent.add(file);
      }
    }
  };
  // What every model needs, then what some have: a tokenizer of either kind, the weights file of
  // a large export, the configuration files.
  await fetch(required, () => `Check the model id and the revision, and that the repository has an ONNX export (${onnxFile}).`);
  await fetch([...TOKENIZER_FILES, `${onnxFile}_data`, ...OPTIONAL_FILES], () => undefined);
  // The modules' own files (a Dense module's weights; a pickled one is fetched only to be named).
  await fetch(await moduleFiles(dir), (file) =>
    file.endsWith('.safetensors') ? undefined : 'The repository is incomplete: its modules.json lists that file.',
  );
  for (const file of await moduleFiles(dir)) {
    if (file.endsWith('/model.safetensors') && !existsSync(join(dir, file)))
      await fetch([file.replace(/model\.safetensors$/, 'pytorch_model.bin')], () => undefined);
  }
  if (!(await hasTokenizer(dir))) {
    throw notFound(
      'sentencepiece.bpe.model',
      'The repository has no tokenizer sentvec reads (sentencepiece.bpe.model, or a WordPiece tokenizer.json or vocab.txt).',
    );
  }
  // Several downloads may finish at once, in one process or several.
  try {
    await mkdir(dir, { recursive: true });
    await writeFileAtomically(absentFile, JSON.stringify([...absent]));
  } catch (err) {
    throw cacheWriteError(err, root);
  }
  return dir;
}
