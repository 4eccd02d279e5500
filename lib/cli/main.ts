// The `sentvec` command: embed the sentences of a text file, then answer questions in any
// language with the nearest sentences; `sentvec download <repo>` fills the model cache.
import { Command, CommanderError, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, readSync, renameSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SingleBar } from 'cli-progress';
import { platformPackage } from '../binding';
import { Embeddings } from '../embeddings';
import { SentvecError } from '../errors';
import { DownloadError, downloadModel, huggingFaceCache, isHubId } from './hub';
import { quantizeModel } from '../quantize';
import { writeFileAtomically } from '../atomic-file';
import { Model } from '../model';
import { PROVIDER_NAMES, type ProviderName } from '../providers';
import { Index } from '../index';
import { PostgresStore } from '../postgres-store';
import type { VectorStore } from '../search-contract';
import { decodeText, splitSentences } from './sentences';
import { RANGES, type RangedOption } from '../validate';

export const DEFAULT_MODEL = 'sentence-transformers/paraphrase-multilingual-mpnet-base-v2';
const PROMPT = 'User (press q to exit): ';
// Bump when splitSentences' rules change: saved indexes built with other rules are stale.
const SPLIT_RULES_VERSION = 1;

interface Options {
  input?: string;
  prompt?: string;
  topK: number;
  json?: boolean;
  model?: string;
  revision: string;
  provider: string;
  batchSize: number;
  minLength: number;
  index?: string;
  store?: string;
  table: string;
  maxInputMib: number;
  onnxFile?: string;
  queryPromptName?: string;
  documentPromptName?: string;
  longInputs?: 'truncate' | 'chunk';
  precision?: 'float32' | 'int8';
  optimizedCache?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

// --onnx-file names the file; --precision int8 picks an int8 export.
function onnxChoice(options: { onnxFile?: string; precision?: 'float32' | 'int8' }): { onnxFile?: string; precision?: 'float32' | 'int8' } {
  if (options.onnxFile && options.precision === 'int8')
    throw new UsageError('--onnx-file and --precision int8 both choose the file: pass one');
  if (options.onnxFile) return { onnxFile: options.onnxFile };
  return options.precision ? { precision: options.precision } : {};
}

const OPTIMIZED_CACHE_HELP = 'keep the optimized model in the cache folder: later runs start in a fraction of the time';

// Says where the session came from, so that a user can see the cache at work (or not).
function cacheNotice(options: { quiet?: boolean; optimizedCache?: boolean }, model: Model) {
  if (options.optimizedCache && model.info.fromCache) log(options, 'Using the optimized model from the cache.');
}

// The prompt options for one side of a search: the --*-prompt-name flag ('none': no prompt, not
// even the model's default), else the first of `conventional` the model defines (sentence-
// transformers' names), else the model's default prompt if it has one.
function promptFor(
  model: Model,
  flag: string | undefined,
  option: string,
  conventional: string[],
): { promptName?: string; prompt?: string } {
  const known = Object.keys(model.prompts);
  if (flag === 'none') return { prompt: '' };
  if (flag !== undefined) {
    if (!known.includes(flag))
      throw new UsageError(`${option} ${flag}: this model's prompts are ${known.length ? known.join(', ') : 'none'} (or pass none)`);
    return { promptName: flag };
  }
  const name = conventional.find((n) => known.includes(n));
  return name ? { promptName: name } : {};
}
const promptText = (model: Model, p: { promptName?: string; prompt?: string }) =>
  p.prompt ?? model.prompts[p.promptName ?? model.defaultPromptName ?? ''] ?? '';
const queryPrompt = (model: Model, options: Options) => promptFor(model, options.queryPromptName, '--query-prompt-name', ['query']);
const documentPrompt = (model: Model, options: Options) =>
  promptFor(model, options.documentPromptName, '--document-prompt-name', ['document', 'passage', 'corpus']);

const PROVIDERS: readonly string[] = PROVIDER_NAMES;
const PROVIDER_LIST = `${PROVIDERS.slice(0, -1).join(', ')} or ${PROVIDERS[PROVIDERS.length - 1]}`;
function checkProvider(provider: string): ProviderName {
  if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider ${provider}: expected ${PROVIDER_LIST}`);
  return provider as ProviderName;
}

class UsageError extends Error {}

// The ONNX Runtime release sentvec is built against, and its CUDA execution provider's files.
const ORT_VERSION = '1.30.0';
const CUDA_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
const TENSORRT_LIB = 'libonnxruntime_providers_tensorrt.so';

/**
 * The opt-in GPU step: copies the provider libraries into the folder of the ONNX Runtime library
 * the addon loads (this platform's package, else onnxruntime-node in a source build), where
 * ONNX Runtime looks for them. Nothing is downloaded: the folder is the user's.
 */
function installCuda(from: string): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new UsageError(`ONNX Runtime ships a CUDA provider for linux x64 only; this is ${process.platform} ${process.arch}`);
  }
  const missing = CUDA_LIBS.filter((f) => !existsSync(join(from, f)));
  if (missing.length) {
    throw new UsageError(
      `--from ${from} lacks ${missing.join(', ')}: unzip runtimes/linux-x64/native/*.so of the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux ${ORT_VERSION} into it`,
    );
  }
  const target = ortDirectory();
  for (const f of [...CUDA_LIBS, TENSORRT_LIB].filter((x) => existsSync(join(from, x)))) {
    const tmp = join(target, `.${f}.${process.pid}`);
    copyFileSync(join(from, f), tmp);
    renameSync(tmp, join(target, f));
  }
  return `copied the provider libraries from ${from} into ${target}; request them with --provider cuda (CUDA 12 and cuDNN 9 must be findable by the dynamic loader)`;
}

function ortDirectory(): string {
  for (const candidate of [`${platformPackage()}/package.json`, 'onnxruntime-node/package.json']) {
    try {
      const dir = dirname(require.resolve(candidate, { paths: [join(__dirname, '..', '..', '..')] }));
      return candidate.startsWith('onnxruntime-node') ? join(dir, 'bin/napi-v6', process.platform, process.arch) : dir;
    } catch {
      // not installed: the next one
    }
  }
  throw new UsageError(`neither ${platformPackage()} nor onnxruntime-node is installed: reinstall sentvec`);
}

// A numeric flag: an integer within the option's documented range (RANGES).
function ranged(option: RangedOption) {
  const [min, max] = RANGES[option];
  return (value: string) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new CommanderArgumentError(
        `expected an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, not ${JSON.stringify(value)}`,
      );
    }
    return n;
  };
}

// Reads at most `limit` bytes of a file (also a pipe or a device such as /dev/zero, whose size
// says nothing): a larger input is refused rather than read into memory without end.
function readBounded(path: string, limit: number, flag: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit)
        throw new UsageError(
          `${path} is larger than ${limit / 2 ** 20} MiB, the input limit; raise it with ${flag} <MiB> if this is really text`,
        );
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function log(options: { quiet?: boolean }, message: string) {
  if (!options.quiet) process.stderr.write(`${message}\n`);
}

function progressBar(options: { quiet?: boolean }, format: string) {
  if (options.quiet || !process.stderr.isTTY) return undefined;
  return new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50 });
}

/** A local model directory: as given, or from the cache / hub. */
async function resolveModel(options: Options): Promise<{ dir: string }> {
  const name = options.model ?? DEFAULT_MODEL;
  if (existsSync(name)) return { dir: resolve(name) };
  if (!isHubId(name)) throw new UsageError(`--model ${name}: no such directory, and not a hub id (owner/name)`);
  const bar = progressBar(options, 'downloading {file} {bar} {percentage}% | {received}/{totalMB} MB');
  let current = '';
  try {
    const dir = await downloadModel(name, {
      revision: options.revision,
      onnxFile: options.onnxFile,
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
    if (options.model === undefined && err instanceof DownloadError) {
      throw new DownloadError(
        `could not get the default model ${DEFAULT_MODEL}: ${err.message}. Give a model directory with --model <dir>, or allow downloads (see README)`,
        err.status,
      );
    }
    throw err;
  }
}

async function fingerprintModel(dir: string, onnxPath: string): Promise<string> {
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

async function embedCorpus(model: Model, sentences: string[], options: Options): Promise<Embeddings> {
  const bar = progressBar(options, 'embedding {bar} {value}/{total} sentences | {rate}/s | ETA {eta_formatted}');
  const chunk = options.batchSize * 4;
  const data = new Float32Array(sentences.length * model.dimension);
  const truncated: boolean[] = [];
  const started = performance.now();
  bar?.start(sentences.length, 0, { rate: '0' });
  for (let i = 0; i < sentences.length; i += chunk) {
    const part = await model.encode(sentences.slice(i, i + chunk), {
      batchSize: options.batchSize,
      normalize: true,
      ...documentPrompt(model, options),
      longInputs: options.longInputs,
    });
    data.set(part.data, i * model.dimension);
    truncated.push(...part.truncated);
    const done = Math.min(sentences.length, i + chunk);
    bar?.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(1) });
  }
  bar?.stop();
  const cut = truncated.filter(Boolean).length;
  if (cut > 0) log(options, `Note: ${cut} sentence(s) longer than ${model.maxSeqLength} tokens were embedded from their beginning only.`);
  return new Embeddings(data, model.dimension, truncated);
}

/** The embedded corpus that questions are answered from: an in-memory Index or a PostgresStore. */
interface Corpus {
  store: VectorStore;
  /** The sentences by id, when the store keeps no texts (an Index). */
  sentences?: readonly string[];
  close(): Promise<void>;
}

/** What the vectors of a corpus depend on: the model, the text and the options that shape them. */
function corpusFingerprint(model: Model, modelFingerprint: string, text: string, options: Options): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        format: 1,
        model: modelFingerprint,
        corpus: createHash('sha256').update(text).digest('hex'),
        minLength: options.minLength,
        split: SPLIT_RULES_VERSION,
        maxSeqLength: model.maxSeqLength,
        pooling: model.pooling,
        prompt: promptText(model, documentPrompt(model, options)),
        longInputs: options.longInputs,
        dimension: model.dimension,
      }),
    )
    .digest('hex');
}

function splitCorpus(text: string, options: Options): string[] {
  const sentences = splitSentences(text, { minLength: options.minLength });
  if (sentences.length === 0) {
    throw new UsageError(`${options.input} has no sentence of at least ${options.minLength} characters (lower --min-length)`);
  }
  return sentences;
}

function indexCorpus(index: Index, sentences: string[]): Corpus {
  return { store: index, sentences, close: async () => index.dispose() };
}

/** The corpus index: from --index when it matches this model, corpus and options, else built (and saved). */
async function corpusIndex(model: Model, modelDir: string, text: string, options: Options): Promise<Corpus> {
  const fingerprint = options.index ? corpusFingerprint(model, await fingerprintModel(modelDir, model.onnxPath), text, options) : '';
  if (options.index && existsSync(options.index) && existsSync(`${options.index}.json`)) {
    try {
      const meta = JSON.parse(readFileSync(`${options.index}.json`, 'utf8')) as { fingerprint: string; sentences: string[] };
      if (meta.fingerprint === fingerprint) {
        const index = await Index.load(options.index);
        if (index.size === meta.sentences.length && index.dimension === model.dimension) {
          log(options, `Using the saved index ${options.index} (${index.size} sentences).`);
          return indexCorpus(index, meta.sentences);
        }
        index.dispose();
      }
      log(options, `The saved index ${options.index} was built from another model, text or options: rebuilding it.`);
    } catch (err) {
      log(options, `The saved index ${options.index} cannot be used (${(err as Error).message.split('\n')[0]}): rebuilding it.`);
    }
  }
  const sentences = splitCorpus(text, options);
  const embeddings = await embedCorpus(model, sentences, options);
  const index = new Index({ dimension: model.dimension, metric: 'cosine' });
  await index.add(embeddings);
  if (options.index) {
    await index.save(options.index);
    await writeFileAtomically(`${options.index}.json`, JSON.stringify({ fingerprint, model: options.model ?? DEFAULT_MODEL, sentences }));
    log(options, `Saved the index to ${options.index}.`);
  }
  return indexCorpus(index, sentences);
}

/**
 * The corpus in PostgreSQL (--store): with -i, filled once (and again when the model, text or
 * options change, in one transaction); without -i, used as it is, if this model filled it.
 */
async function corpusStore(model: Model, modelDir: string, text: string | undefined, options: Options): Promise<Corpus> {
  const store = await PostgresStore.open({ connection: options.store!, table: options.table, dimension: model.dimension });
  try {
    const properties = (await store.properties()) as { fingerprint?: string; modelFingerprint?: string; model?: string };
    const modelFingerprint = await fingerprintModel(modelDir, model.onnxPath);
    const size = await store.size();
    const where = `table ${options.table} of --store`;
    if (size > 0 && properties.fingerprint === undefined) {
      throw new UsageError(`the ${where} holds vectors that \`sentvec -i\` did not write: pass another --table`);
    }
    if (text === undefined) {
      if (size === 0) throw new UsageError(`the ${where} is empty: fill it first with -i <file>`);
      checkStoreModel(properties, modelFingerprint, where);
      log(options, `Answering from the ${where} (${size} sentences).`);
    } else {
      const fingerprint = corpusFingerprint(model, modelFingerprint, text, options);
      if (properties.fingerprint === fingerprint) {
        log(options, `Using the ${where} (${size} sentences).`);
      } else {
        if (size > 0) log(options, `The ${where} was filled from another model, text or options: filling it again.`);
        const sentences = splitCorpus(text, options);
        const embeddings = await embedCorpus(model, sentences, options);
        await store.replaceAll(embeddings, undefined, {
          texts: sentences,
          properties: { fingerprint, modelFingerprint, model: options.model ?? DEFAULT_MODEL, input: options.input },
        });
        log(options, `Stored ${sentences.length} sentences in the ${where}.`);
      }
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, close: () => store.close() };
}

/** A table that `sentvec -i` filled answers only questions embedded by the same model. */
function checkStoreModel(properties: { modelFingerprint?: string; model?: string }, modelFingerprint: string, where: string): void {
  if (properties.modelFingerprint !== modelFingerprint)
    throw new UsageError(`the ${where} was filled with another model (${properties.model}): pass --model ${properties.model}`);
}

/** The store of `serve --store`: of the model's dimension and, when `sentvec -i` filled it, filled by this model. */
async function servingStore(model: Model, modelDir: string, url: string, table: string): Promise<PostgresStore> {
  const store = await PostgresStore.open({ connection: url, table, dimension: model.dimension });
  try {
    const properties = (await store.properties()) as { modelFingerprint?: string; model?: string };
    if (properties.modelFingerprint !== undefined)
      checkStoreModel(properties, await fingerprintModel(modelDir, model.onnxPath), `table ${table} of --store`);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

async function answer(model: Model, corpus: Corpus, query: string, options: Options) {
  const embedded = await model.encode(query, { normalize: true, ...queryPrompt(model, options) });
  const [{ ids, scores, texts: stored }] = await corpus.store.search([embedded.get(0)], { topK: options.topK, include: ['text'] });
  const texts = Array.from(ids, (id, i) => stored?.[i] ?? corpus.sentences?.[Number(id)] ?? '');
  if (options.json) {
    const results = Array.from(ids, (id, i) => ({
      text: texts[i],
      similarity: Number(scores[i].toFixed(6)),
      index: Number(id),
    }));
    process.stdout.write(`${JSON.stringify({ query, results })}\n`);
  } else {
    for (let i = 0; i < ids.length; i++) process.stdout.write(`Text: ${texts[i]} (Similarity:${scores[i].toFixed(3)})\n`);
  }
}

async function interactive(model: Model, corpus: Corpus, options: Options) {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY && !options.json });
  const prompt = () => {
    if (!options.json) process.stdout.write(PROMPT);
  };
  prompt();
  for await (const line of rl) {
    const query = line.trim();
    if (query === 'q' || query === 'ｑ') break;
    if (query) await answer(model, corpus, query, options);
    prompt();
  }
  rl.close();
}

async function run(options: Options) {
  if (options.index && options.store) throw new UsageError('--index and --store both keep the corpus: pass one');
  if (!options.input && !options.store) throw new UsageError('missing -i/--input <file> (a UTF-8 .txt or .md file)');
  const provider = checkProvider(options.provider);
  let text: string | undefined;
  if (options.input) {
    let bytes: Buffer;
    try {
      bytes = readBounded(options.input, options.maxInputMib * 2 ** 20, '--max-input-mib');
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(
        `cannot read ${options.input}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    if (bytes.length === 0) throw new UsageError(`${options.input} is empty`);
    text = decodeText(bytes, options.input);
  }
  const { dir } = await resolveModel(options);
  const model = await Model.load(dir, { providers: [provider], ...onnxChoice(options), optimizedCache: options.optimizedCache ?? false });
  cacheNotice(options, model);
  if (options.precision === 'int8') log(options, `Using ${model.onnxPath} (int8).`);
  try {
    // Checked before the corpus is embedded: a wrong flag should not cost a whole run.
    const [query, document] = [promptText(model, queryPrompt(model, options)), promptText(model, documentPrompt(model, options))];
    if (query || document) log(options, `Prompts: questions ${JSON.stringify(query)}, text ${JSON.stringify(document)}.`);
    const corpus = options.store ? await corpusStore(model, dir, text, options) : await corpusIndex(model, dir, text!, options);
    try {
      if (options.prompt !== undefined) {
        await answer(model, corpus, options.prompt, options);
      } else {
        await interactive(model, corpus, options);
      }
    } finally {
      await corpus.close();
    }
  } finally {
    model.dispose();
  }
}

export function program(): Command {
  const cmd = new Command('sentvec')
    .description('Embed the sentences of a text file, then find the ones closest to questions in any language.')
    // Options after a subcommand belong to it (serve and download repeat --model, --revision, -q).
    .enablePositionalOptions()
    // Before the subcommands: they inherit both (usage errors exit 2 with a "sentvec:" prefix).
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `sentvec: ${s}` : s) })
    .option('-i, --input <file>', 'UTF-8 text file (.txt, .md) to search')
    .option('-p, --prompt <query>', 'answer this question once and exit (else: interactive)')
    .addOption(new Option('-k, --top-k <n>', 'how many sentences to print per question').argParser(ranged('topK')).default(1))
    .option('--json', 'print results as JSON, one line per question')
    .option('--model <dir|hub-id>', `model directory or hub id (default: ${DEFAULT_MODEL})`)
    .option('--revision <rev>', 'hub revision', 'main')
    .option('--provider <name>', `execution provider: ${PROVIDER_LIST}`, 'cpu')
    .option('--onnx-file <path>', 'ONNX file inside the model (default onnx/model.onnx, else model.onnx), e.g. onnx/model_fp16.onnx')
    .addOption(
      new Option('--precision <p>', 'float32, or int8: an int8 export of the model (see `sentvec quantize`)').choices(['float32', 'int8']),
    )
    .addOption(new Option('--batch-size <n>', 'sentences per inference batch').argParser(ranged('batchSize')).default(32))
    .addOption(new Option('--min-length <n>', 'drop sentences shorter than this (characters)').argParser(ranged('minLength')).default(5))
    .option('--index <file>', 'save the embedded corpus here on first run, reuse it after (rebuilt when stale)')
    .option(
      '--store <url>',
      'keep the embedded corpus in PostgreSQL + pgvector (postgres://…) instead: filled once with -i, answered from without -i (needs `npm install pg pgvector pg-copy-streams`)',
    )
    .option('--table <name>', 'table of --store', 'sentvec_sentences')
    .option('--query-prompt-name <name>', "the model's prompt for questions (default: its 'query' prompt, if any; none: no prompt)")
    .option(
      '--document-prompt-name <name>',
      "the model's prompt for the text (default: its 'document', 'passage' or 'corpus' prompt, if any; none: no prompt)",
    )
    .addOption(
      new Option(
        '--long-inputs <mode>',
        'sentences longer than the model takes: truncate (embed the beginning) or chunk (embed them whole, in windows)',
      )
        .choices(['truncate', 'chunk'])
        .default('truncate'),
    )
    .addOption(
      new Option('--max-input-mib <n>', 'refuse an input file larger than this many MiB').argParser(ranged('maxInputMiB')).default(256),
    )
    .option('--optimized-cache', OPTIMIZED_CACHE_HELP)
    .option('-q, --quiet', 'no progress or notices on stderr')
    .option('--verbose', 'stack traces on errors')
    .action(async (options: Options) => run(options));
  cmd
    .command('install-cuda')
    .description("place ONNX Runtime's CUDA (and TensorRT) provider libraries beside the ONNX Runtime that sentvec uses (linux x64)")
    .requiredOption(
      '--from <folder>',
      `folder holding ${CUDA_LIBS.join(', ')} (and optionally ${TENSORRT_LIB}): runtimes/linux-x64/native/ of the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux ${ORT_VERSION}`,
    )
    .action((options: { from: string }) => {
      process.stdout.write(`${installCuda(options.from)}\n`);
    });
  cmd
    .command('download <repo>')
    .description('download a model from the Hugging Face hub (or $HF_ENDPOINT) into the cache')
    .option('--revision <rev>', 'hub revision', 'main')
    .option('--onnx-file <path>', 'ONNX file to fetch (default onnx/model.onnx), e.g. onnx/model_fp16.onnx')
    .option('-q, --quiet', 'no progress bar')
    .action(async (repo: string, options: { revision: string; onnxFile?: string; quiet?: boolean }) => {
      const { dir } = await resolveModel({ ...options, model: repo } as Options);
      process.stdout.write(`${dir}\n`);
    });
  cmd
    .command('quantize <model>')
    .description("write an int8 copy of a model's ONNX export beside it (onnx/model_qint8.onnx), for --precision int8")
    .option('--revision <rev>', 'hub revision', 'main')
    .option('--onnx-file <path>', 'the float32 export to quantize (default onnx/model.onnx)')
    .option('--output <path>', 'where to write, inside the model (default onnx/model_qint8.onnx)')
    .option('--no-embeddings', 'keep the word-embedding table in float32')
    .addOption(
      new Option(
        '--float32-layers <n>',
        "keep the MatMuls of the model's first n layers in float32 (fidelity for speed; see README)",
      ).argParser(ranged('float32Layers')),
    )
    .option('-q, --quiet', 'no progress bar')
    .action(
      async (
        name: string,
        opts: { revision: string; onnxFile?: string; output?: string; embeddings: boolean; float32Layers?: number; quiet?: boolean },
      ) => {
        const { dir } = await resolveModel({ ...opts, onnxFile: undefined, model: name } as unknown as Options);
        if (resolve(dir).startsWith(resolve(huggingFaceCache()))) {
          throw new UsageError(
            `${dir} is in the Hugging Face cache, which sentvec reads but does not write: copy the folder elsewhere and quantize the copy`,
          );
        }
        const result = await quantizeModel(dir, {
          onnxFile: opts.onnxFile,
          output: opts.output,
          embeddings: opts.embeddings,
          float32Layers: opts.float32Layers,
        });
        process.stdout.write(
          `${result.path}: ${result.matmuls} weight matrices${result.embeddingTable ? ' and the embedding table' : ''} in int8` +
            `${result.float32Matmuls ? ` (${result.float32Matmuls} kept float32)` : ''}, ` +
            `${(result.bytesAfter / 1e6).toFixed(1)} MB (float32: ${(result.bytesBefore / 1e6).toFixed(1)} MB)\n`,
        );
      },
    );
  cmd
    .command('serve')
    .description('serve the model over HTTP: OpenAI-compatible /v1/embeddings, /embed, /tokenize, /health, /metrics')
    .option('--model <dir|hub-id>', `model directory or hub id (default: ${DEFAULT_MODEL})`)
    .option('--revision <rev>', 'hub revision', 'main')
    .option('--onnx-file <path>', 'ONNX file inside the model (default onnx/model.onnx, else model.onnx), e.g. onnx/model_fp16.onnx')
    .addOption(
      new Option('--precision <p>', 'float32, or int8: an int8 export of the model (see `sentvec quantize`)').choices(['float32', 'int8']),
    )
    .option('--provider <name>', `execution provider: ${PROVIDER_LIST}`, 'cpu')
    .addOption(new Option('--port <n>', 'port').argParser(ranged('port')).default(8080))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" (default: $SENTVEC_API_KEY, else none)')
    .option('--cors <origin>', 'allow cross-origin requests from this origin (* for any); off by default')
    .option('--model-name <name>', 'name reported in responses', 'sentvec')
    .option(
      '--store <url>',
      'serve POST /v1/search from this PostgreSQL + pgvector corpus (postgres://…), e.g. one filled by `sentvec -i … --store`',
    )
    .option('--table <name>', 'table of --store', 'sentvec_sentences')
    .addOption(new Option('--max-batch-tokens <n>', 'padded tokens per batch').argParser(ranged('maxBatchTokens')).default(16384))
    .addOption(new Option('--max-batch-size <n>', 'inputs per batch').argParser(ranged('maxBatchSize')).default(64))
    .addOption(
      new Option('--max-wait-us <n>', 'microseconds the first input waits for company').argParser(ranged('maxWaitMicros')).default(2000),
    )
    .addOption(new Option('--max-in-flight <n>', 'batches in native code at once').argParser(ranged('maxInFlight')).default(1))
    .addOption(new Option('--threads <n>', 'ONNX Runtime intra-op threads (default: physical cores)').argParser(ranged('threads')))
    .option('--optimized-cache', `${OPTIMIZED_CACHE_HELP} (here: restarts)`)
    .option('--spinning', 'let idle ONNX Runtime threads spin between batches (off for serving: they would take CPU from HTTP)')
    .addOption(
      new Option('--drain-timeout <ms>', 'on SIGTERM/SIGINT, how long requests in flight may take before every connection is closed')
        .argParser(ranged('drainTimeoutMs'))
        .default(10_000),
    )
    .addOption(
      new Option('--request-timeout <ms>', 'how long a client may take to send a whole request')
        .argParser(ranged('requestTimeoutMs'))
        .default(60_000),
    )
    .addOption(
      new Option('--max-pending-mib <n>', 'MiB of request bodies received or embedded at once; more gets 429')
        .argParser(ranged('maxInputMiB'))
        .default(64),
    )
    .addOption(
      new Option('--max-response-mib <n>', 'MiB of one /v1/search answer; a larger one gets 413')
        .argParser(ranged('maxResponseMiB'))
        .default(64),
    )
    .option('-q, --quiet', 'no notices on stderr')
    .action(
      async (opts: {
        model?: string;
        revision: string;
        onnxFile?: string;
        provider: string;
        port: number;
        host: string;
        apiKey?: string;
        cors?: string;
        modelName: string;
        maxBatchTokens: number;
        maxBatchSize: number;
        maxWaitUs: number;
        maxInFlight: number;
        threads?: number;
        spinning?: boolean;
        optimizedCache?: boolean;
        quiet?: boolean;
        drainTimeout: number;
        requestTimeout: number;
        maxPendingMib: number;
        maxResponseMib: number;
        store?: string;
        table: string;
      }) => {
        const provider = checkProvider(opts.provider);
        const apiKey = opts.apiKey ?? process.env.SENTVEC_API_KEY;
        if (apiKey !== undefined && apiKey.trim() === '') {
          throw new UsageError(
            `${opts.apiKey !== undefined ? '--api-key' : 'SENTVEC_API_KEY'} is empty, which would serve without authentication; give a key, or leave it unset to serve without one`,
          );
        }
        const { dir } = await resolveModel({ ...opts, batchSize: 32, minLength: 5, topK: 1, maxInputMib: 256 } as Options);
        const model = await Model.load(dir, {
          providers: [provider],
          ...onnxChoice(opts),
          ...(opts.threads ? { threads: opts.threads } : {}),
          spinning: opts.spinning ?? false,
          optimizedCache: opts.optimizedCache ?? false,
          scheduler: {
            maxBatchTokens: opts.maxBatchTokens,
            maxBatchSize: opts.maxBatchSize,
            maxWaitMicros: opts.maxWaitUs,
            maxInFlight: opts.maxInFlight,
          },
        });
        cacheNotice(opts, model);
        const store = opts.store ? await servingStore(model, dir, opts.store, opts.table) : undefined;
        const { createServer } = await import('../server');
        const app = await createServer(model, {
          store,
          apiKey,
          modelName: opts.modelName,
          cors: opts.cors === undefined ? false : opts.cors === '*' ? true : opts.cors,
          drainTimeoutMs: opts.drainTimeout,
          requestTimeoutMs: opts.requestTimeout,
          maxPendingBytes: opts.maxPendingMib * 2 ** 20,
          maxResponseBytes: opts.maxResponseMib * 2 ** 20,
          // What a client is not told of a failure (the database's socket path) the operator reads here.
          logger: 'errors',
        });
        const address = await app.listen({ port: opts.port, host: opts.host });
        log(
          opts,
          `sentvec serving ${opts.model ?? DEFAULT_MODEL} (${model.dimension} dimensions) on ${address}${store ? `, /v1/search from table ${store.table}` : ''}`,
        );
        await new Promise<void>((resolveStop) => {
          let stopping = false;
          const stop = (signal: string) => {
            if (stopping) {
              // A second signal: the operator wants out now.
              log(opts, `${signal} again: closing every connection`);
              app.server.closeAllConnections();
              return;
            }
            stopping = true;
            log(opts, `${signal}: finishing requests in flight (at most ${opts.drainTimeout} ms), then stopping`);
            app.close().then(async () => {
              await store?.close();
              model.dispose();
              resolveStop();
            });
          };
          process.on('SIGTERM', () => stop('SIGTERM'));
          process.on('SIGINT', () => stop('SIGINT'));
        });
      },
    );
  return cmd;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    const message =
      err instanceof SentvecError || err instanceof UsageError ? (err as Error).message : String((err as Error)?.message ?? err);
    process.stderr.write(`sentvec: error: ${message}\n`);
    if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
