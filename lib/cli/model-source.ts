// Where the CLI's model comes from: --model (a folder, a hub id or an hf:// URL) and --revision,
// resolved by the library's one rule (lib/hub/resolve.ts), with a progress bar on a terminal.
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, ModelFileError } from '../errors';
import { DownloadError } from '../hub/download';
import { resolveModel } from '../hub/resolve';
import { CrossEncoder } from '../model/cross-encoder';
import type { ProviderName } from '../model/providers';
import { progressBar } from './output';
import { UsageError } from './usage-error';

export const DEFAULT_MODEL = 'sentence-transformers/paraphrase-multilingual-mpnet-base-v2';

export interface ModelSource {
  model?: string;
  revision?: string;
  onnxFile?: string;
  precision?: 'float32' | 'int8';
  quiet?: boolean;
  /** The option the model came from, named in errors. Default '--model'. */
  flag?: string;
}

/** The local folder of --model (default DEFAULT_MODEL): as given, or from the cache / hub. */
export async function modelFolder(options: ModelSource): Promise<{ dir: string }> {
  const name = options.model ?? DEFAULT_MODEL;
  const bar = progressBar(options, 'downloading {file} {bar} {percentage}% | {received}/{totalMB} MB');
  let current = '';
  try {
    const dir = await resolveModel(name, {
      revision: options.revision,
      onnxFile: options.onnxFile,
      precision: options.precision,
      onProgress: ({ file, received, total }) => {
        if (!bar) return;
        if (file !== current) {
          if (current) bar.stop();
          current = file;
          bar.start(total ?? received, 0, { file, received: '0', totalMB: total ? (total / 1e6).toFixed(1) : '?' });
        }
        bar.update(received, { file, received: (received / 1e6).toFixed(1) });
      },
    });
    bar?.stop();
    return { dir };
  } catch (err) {
    bar?.stop();
    // A folder that is not there, or a malformed id or revision: the command line is wrong.
    if (err instanceof ModelFileError || err instanceof InvalidArgumentError)
      throw new UsageError(`${options.flag ?? '--model'} ${name}: ${err.message}`);
    if (options.model === undefined && err instanceof DownloadError) {
      const [what, todo = ''] = err.message.split('\n');
      throw new DownloadError(
        `${what} (the default model: no --model was given)\nGive a model with --model <folder or hub id>${todo ? `; or ${todo[0].toLowerCase()}${todo.slice(1)}` : '.'}`,
        err.status,
      );
    }
    throw err;
  }
}

/** The cross-encoder of `source` (a directory or a hub id), for --rerank and `sentvec rerank`. */
export async function loadReranker(
  source: string,
  provider: ProviderName,
  options: { revision?: string; quiet?: boolean; optimizedCache?: boolean; flag?: string },
): Promise<CrossEncoder> {
  const { dir } = await modelFolder({ model: source, revision: options.revision, quiet: options.quiet, flag: options.flag });
  return CrossEncoder.load(dir, { providers: [provider], optimizedCache: options.optimizedCache ?? false });
}

/** What identifies a model's vectors: its configuration files and its ONNX file. */
export async function fingerprintModel(dir: string, onnxPath: string): Promise<string> {
  const hash = createHash('sha256');
  for (const f of ['config.json', 'sentencepiece.bpe.model', 'sentence_bert_config.json', 'modules.json', '1_Pooling/config.json']) {
    hash.update(f);
    hash.update(await readFile(join(dir, f)).catch(() => Buffer.alloc(0)));
  }
  // The ONNX file can be a gigabyte: its size and both ends identify it well enough.
  const { size } = await stat(onnxPath);
  const handle = await open(onnxPath, 'r');
  const chunk = Buffer.alloc(Math.min(size, 1 << 20));
  await handle.read(chunk, 0, chunk.length, 0);
  hash.update(chunk);
  await handle.read(chunk, 0, chunk.length, Math.max(0, size - chunk.length));
  hash.update(chunk);
  await handle.close();
  hash.update(String(size));
  return hash.digest('hex');
}
