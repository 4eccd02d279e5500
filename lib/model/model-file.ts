// The one way sentvec opens a file of a model folder: the name must stay inside the folder, the
// file it leads to must be a regular file inside the folder too (or, for a Hugging Face cache
// snapshot, inside that repository's blobs/, where the snapshot's links point), and no larger
// than its kind allows. A FIFO, a device or a link out of the folder is refused before a byte is
// read, so a model folder can neither hang a load nor make it read without end.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError, ModelFileError } from '../errors';
import { describe } from '../validate';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** The largest file of each kind that sentvec reads (docs/model-directory.md). */
export const MODEL_FILE_LIMITS = {
  /** config.json, tokenizer_config.json, modules.json and the other configuration files. */
  json: 16 * MiB,
  /** tokenizer.json, vocab.txt, sentencepiece.bpe.model. */
  tokenizer: 64 * MiB,
  /** A Dense module's model.safetensors (read into memory in full). */
  dense: 512 * MiB,
  /** The ONNX model: protobuf's own limit; larger exports keep their weights in a second file. */
  onnx: 2 * GiB,
  /** The ONNX model's external weights (onnx/model.onnx_data). */
  onnxData: 64 * GiB,
} as const;
export type ModelFileKind = keyof typeof MODEL_FILE_LIMITS;

// Without O_NONBLOCK (Windows has none) a FIFO would block open() itself until a writer came.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Whether `path` lies below `folder` (both absolute). */
export function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The absolute path of a file named by option `option`, which must lie inside the model folder `root`. */
export function optionFile(root: string, name: string, option: string): string {
  const path = resolve(root, name);
  if (!inside(root, path))
    throw new InvalidArgumentError(`Expected a file inside the model folder ${root} for ${option} but received ${describe(name)}`);
  return path;
}

function megabytes(bytes: number): string {
  return bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`;
}

/** A model folder whose files are checked before they are read or handed to native code. */
export class ModelFolder {
  readonly root: string;
  // Where the files may really lie: the folder itself, and for a hub snapshot its repository's blobs/.
  #allowed: string[];

  private constructor(root: string, allowed: string[]) {
    this.root = root;
    this.#allowed = allowed;
  }

  /** `root` must exist and be a directory (the caller says so otherwise). */
  static async open(root: string): Promise<ModelFolder> {
    const real = await realpath(root);
    const allowed = [real];
    // huggingface_hub's layout: models--org--name/snapshots/<commit>/file → ../../blobs/<hash>.
    const repo = dirname(dirname(real));
    if (basename(dirname(real)) === 'snapshots' && basename(repo).startsWith('models--')) allowed.push(join(repo, 'blobs'));
    return new ModelFolder(root, allowed);
  }

  /** The absolute path of `name` (relative to the folder); a name that leads outside it is a ModelFileError charged to `source`. */
  path(name: string, source: string): string {
    const path = resolve(this.root, name);
    if (!inside(this.root, path))
      throw new ModelFileError(
        source,
        `${source} names ${JSON.stringify(name)}, which lies outside the model folder ${this.root}; a model's files must be inside its folder`,
      );
    return path;
  }

  /**
   * Checks the file at `path` (absolute, inside the folder) without opening it: undefined when
   * it does not exist (a dangling link counts as missing), else its size. Used for the files
   * native code opens itself.
   */
  async check(path: string, kind: ModelFileKind): Promise<{ size: number } | undefined> {
    const real = await this.#real(path);
    if (real === undefined) return undefined;
    let info;
    try {
      info = await stat(real);
    } catch (err) {
      throw this.#unreadable(path, err);
    }
    if (!info.isFile()) throw this.#notFile(path);
    this.#checkSize(path, info.size, kind);
    return { size: info.size };
  }

  /**
   * The bytes of the file at `path` (absolute, inside the folder); undefined when it does not
   * exist. `range`: only `length` bytes from `offset` (fewer when the file ends sooner).
   */
  async read(path: string, kind: ModelFileKind, range?: { offset: number; length: number }): Promise<Buffer | undefined> {
    const real = await this.#real(path);
    if (real === undefined) return undefined;
    let handle;
    try {
      handle = await open(real, READ_FLAGS);
    } catch (err) {
      throw this.#unreadable(path, err);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw this.#notFile(path);
      this.#checkSize(path, info.size, kind);
      const offset = range?.offset ?? 0;
      // Never more than the size checked above, even should the file grow meanwhile.
      const bytes = Buffer.allocUnsafe(Math.max(0, Math.min(info.size - offset, range?.length ?? Infinity)));
      let filled = 0;
      while (filled < bytes.length) {
        // fs reads at most 2 GiB at once.
        const { bytesRead } = await handle.read(bytes, filled, Math.min(bytes.length - filled, GiB), offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return bytes.subarray(0, filled);
    } catch (err) {
      throw err instanceof ModelFileError ? err : this.#unreadable(path, err);
    } finally {
      await handle.close();
    }
  }

  async #real(path: string): Promise<string | undefined> {
    let real: string;
    try {
      real = await realpath(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#unreadable(path, err);
    }
    if (!this.#allowed.some((folder) => inside(folder, real)))
      throw new ModelFileError(
        path,
        `${path} leads to ${real}, outside the model folder ${this.root}; a model's files must lie inside its folder ` +
          '(links are followed only within it, or into the blobs/ of its Hugging Face cache repository): copy the file in',
      );
    return real;
  }

  #checkSize(path: string, size: number, kind: ModelFileKind) {
    const limit = MODEL_FILE_LIMITS[kind];
    if (size > limit)
      throw new ModelFileError(
        path,
        `${path} is ${size} bytes, more than the ${megabytes(limit)} sentvec reads for such a file; it is not a model file, or not this kind`,
      );
  }

  #notFile(path: string): ModelFileError {
    return new ModelFileError(path, `${path} is not a regular file (a FIFO, device or folder); a model's files must be regular files`);
  }

  #unreadable(path: string, err: unknown): ModelFileError {
    return new ModelFileError(path, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
