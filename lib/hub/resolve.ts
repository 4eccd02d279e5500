// Which model a string names: a folder on disk, or a repository on the Hugging Face hub that is
// fetched into the cache. Model.load, CrossEncoder.load and the CLI all decide it here, by one
// rule (modelReference), so that a string means the same model everywhere.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidArgumentError, ModelFileError } from '../errors';
import { int8Files } from '../model/model-reader';
import { describe } from '../validate';
import { checkHubOptions, DownloadError, downloadModel, isRepoId, type DownloadOptions, type HubOptions } from './download';

/** What a model string was taken for, and why (error messages quote `reason`). */
export type ModelReference =
  { kind: 'directory'; path: string; reason: string } | { kind: 'hub'; repo: string; revision: string | undefined; reason: string };

const HF_URL = /^hf:\/\/([^/@]+\/[^/@]+)(?:@(.+))?$/;

/**
 * Decides what `idOrDir` names, in this order:
 * 1. `hf://owner/name` or `hf://owner/name@revision`: the hub, always.
 * 2. An absolute path, or one that begins with `./`, `../` or `~`, or holds a backslash: a folder, always.
 * 3. Something that exists at that path (relative to the working directory): that folder.
 * 4. `owner/name` (letters, digits, `-`, `_`, `.`): a hub id.
 * 5. Anything else: a folder.
 * So `org/name` is a hub id unless a folder of that name is in the working directory; write
 * `./org/name` for the folder, `hf://org/name` for the hub.
 */
export function modelReference(idOrDir: string): ModelReference {
  const url = HF_URL.exec(idOrDir);
  if (url) {
    if (!isRepoId(url[1])) throw new InvalidArgumentError(`${idOrDir}: "${url[1]}" is not a hub repository id (owner/name)`);
    return { kind: 'hub', repo: url[1], revision: url[2], reason: 'it is an hf:// URL' };
  }
  if (idOrDir.startsWith('hf:'))
    throw new InvalidArgumentError(`${idOrDir} is not an hf:// URL; write hf://owner/name or hf://owner/name@revision`);
  if (isAbsolute(idOrDir) || /^(\.\.?|~)([/\\]|$)/.test(idOrDir) || idOrDir.includes('\\'))
    return { kind: 'directory', path: resolve(idOrDir), reason: 'it is an absolute or ./ path' };
  if (existsSync(idOrDir)) return { kind: 'directory', path: resolve(idOrDir), reason: `${resolve(idOrDir)} exists` };
  if (isRepoId(idOrDir)) return { kind: 'hub', repo: idOrDir, revision: undefined, reason: `no folder ${resolve(idOrDir)} exists` };
  return { kind: 'directory', path: resolve(idOrDir), reason: 'it is not of the form owner/name' };
}

/** Options of {@link resolveModel}: where a hub model comes from, and which ONNX file it needs. */
export interface ResolveOptions extends HubOptions {
  /** The ONNX file to fetch from the hub (a path inside the repository). Default: onnx/model.onnx. */
  onnxFile?: string;
  /** 'int8': fetch an int8 export that the repository publishes for this CPU instead of onnx/model.onnx. */
  precision?: 'float32' | 'int8';
}

/**
 * The local folder of the model that `idOrDir` names (see modelReference for the rule): a folder
 * as it is (absolute), a hub id or hf:// URL fetched into sentvec's cache, or found in it or in
 * the Hugging Face cache, as `downloadModel` does. A folder that does not exist is a
 * ModelFileError; hub failures are DownloadErrors; bad options are InvalidArgumentErrors. Each
 * message says which the string was taken for, and how to write the other.
 */
export async function resolveModel(idOrDir: string, options: ResolveOptions = {}): Promise<string> {
  if (typeof idOrDir !== 'string' || idOrDir === '')
    throw new InvalidArgumentError(`Expected a model folder or hub id (owner/name) for idOrDir but received ${describe(idOrDir)}`);
  checkHubOptions(options);
  const ref = modelReference(idOrDir);
  if (ref.kind === 'directory') {
    const hub = /^\.\/([^/]+\/[^/]+)$/.exec(idOrDir)?.[1] ?? idOrDir;
    const other = isRepoId(hub) ? `; for the hub model, write hf://${hub}` : '';
    if (options.revision !== undefined)
      throw new InvalidArgumentError(
        `revision applies to a hub model, but "${idOrDir}" was taken as a folder (${ref.reason})${other || '; a hub id is owner/name'}`,
      );
    if (!existsSync(ref.path))
      throw new ModelFileError(
        ref.path,
        `model folder ${ref.path} does not exist ("${idOrDir}" was taken as a folder: ${ref.reason})${other}`,
      );
    // An owner/name that happens to be a folder here, but not a model's: the hub was likely meant.
    const config = join(ref.path, 'config.json');
    if (other && !existsSync(config))
      throw new ModelFileError(
        config,
        `${ref.path} holds no config.json, so it is no model folder ("${idOrDir}" was taken as a folder: ${ref.reason})${other}`,
      );
    return ref.path;
  }
  if (ref.revision !== undefined && options.revision !== undefined && ref.revision !== options.revision)
    throw new InvalidArgumentError(`${idOrDir} names revision ${ref.revision}, and the revision option says ${options.revision}: give one`);
  const download: DownloadOptions = { ...pick(options), revision: ref.revision ?? options.revision };
  try {
    if (options.precision === 'int8' && options.onnxFile === undefined) return await int8Export(ref.repo, download);
    return await downloadModel(ref.repo, { ...download, onnxFile: options.onnxFile });
  } catch (err) {
    // The repository itself was not found: say the string might have been meant as a folder.
    if (
      err instanceof DownloadError &&
      err.status === 404 &&
      err.message.includes(`${ref.repo}/config.json `) &&
      !idOrDir.startsWith('hf:')
    )
      throw new DownloadError(
        `${err.message} ("${idOrDir}" was taken as a hub id: ${ref.reason}; for a folder, write ./${idOrDir})`,
        err.status,
      );
    throw err;
  }
}

function pick(options: ResolveOptions): DownloadOptions {
  const { revision, endpoint, token, cacheDir, offline, onProgress, attempts, stallTimeoutMs } = options;
  return { revision, endpoint, token, cacheDir, offline, onProgress, attempts, stallTimeoutMs };
}

// The int8 exports that sentence-transformers publishes, best for this CPU first (sentvec's own,
// onnx/model_qint8.onnx, is made locally by `sentvec quantize`, never published).
async function int8Export(repo: string, options: DownloadOptions): Promise<string> {
  const candidates = int8Files().filter((f) => f !== 'onnx/model_qint8.onnx');
  let offline: DownloadError | undefined;
  for (const onnxFile of candidates) {
    try {
      return await downloadModel(repo, { ...options, onnxFile });
    } catch (err) {
      const absent = err instanceof DownloadError && err.status === 404 && err.message.includes(`${repo}/${onnxFile} `);
      // Offline: the next candidate may be the one in the cache.
      const offlineMiss = err instanceof DownloadError && err.status === undefined && /downloads are off/.test(err.message);
      if (!absent && !offlineMiss) throw err;
      if (offlineMiss) offline ??= err;
    }
  }
  if (offline) throw offline;
  throw new DownloadError(
    `${repo} has no int8 export for this CPU (looked for ${candidates.join(', ')})\n` +
      'Load it in float32 and make one with `sentvec quantize`, or give onnxFile.',
  );
}
