// The main command: embed the sentences of a text file (or use a corpus kept with --index or
// --store), then answer a question (-p) or questions typed on stdin with the nearest sentences.
import { Command, Option } from 'commander';
import { closeSync, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Reranker } from '../../model/cross-encoder';
import { InvalidArgumentError } from '../../errors';
import { Model } from '../../model/model';
import { corpusIndex, corpusStore, type Corpus, type CorpusOptions } from '../corpus';
import { DEFAULT_MODEL, loadReranker, modelFolder } from '../model-source';
import { checkProvider, onnxChoice, ONNX_FILE_HELP, OPTIMIZED_CACHE_HELP, precisionOption, PROVIDER_LIST, ranged } from '../options';
import { cacheNotice, log } from '../output';
import { documentPrompt, promptText, queryPrompt } from '../prompts';
import { decodeText } from '../sentences';
import { UsageError } from '../usage-error';

const PROMPT = 'User (press q to exit): ';

interface SearchOptions extends CorpusOptions {
  prompt?: string;
  topK: number;
  json?: boolean;
  revision?: string;
  provider: string;
  maxInputMib: number;
  onnxFile?: string;
  precision?: 'float32' | 'int8';
  optimizedCache?: boolean;
  verbose?: boolean;
  rerank?: string;
  candidates?: number;
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

/** The text of file `input` (at most `maxInputMib` MiB), decoded. */
export function readTextFile(input: string, maxInputMib: number): string {
  let bytes: Buffer;
  try {
    bytes = readBounded(input, maxInputMib * 2 ** 20, '--max-input-mib');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `cannot read ${input}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  if (bytes.length === 0) throw new UsageError(`${input} is empty`);
  try {
    return decodeText(bytes, input);
  } catch (err) {
    // Binary or not UTF-8: a wrong input file, exit code 2 like the others.
    throw err instanceof InvalidArgumentError ? new UsageError(err.message) : err;
  }
}

/** The text of -i, decoded; undefined without -i (answering from --store). */
function readInput(options: SearchOptions): string | undefined {
  return options.input ? readTextFile(options.input, options.maxInputMib) : undefined;
}

async function answer(model: Model, corpus: Corpus, query: string, options: SearchOptions, reranker?: Reranker) {
  const embedded = await model.encode(query, { normalize: true, ...queryPrompt(model, options) });
  // With --rerank, the nearest --candidates sentences are reordered by the cross-encoder, whose
  // scores are then the ones printed.
  const rerank = reranker ? { rerank: reranker, candidates: options.candidates, queryText: query, documents: corpus.sentences } : {};
  const [{ ids, scores, texts: stored, retrievalScores }] = await corpus.store.search([embedded.get(0)], {
    topK: options.topK,
    include: ['text'],
    ...rerank,
  });
  const texts = Array.from(ids, (id, i) => stored?.[i] ?? corpus.sentences?.[Number(id)] ?? '');
  if (options.json) {
    const results = Array.from(ids, (id, i) => ({
      text: texts[i],
      similarity: Number(scores[i].toFixed(6)),
      index: Number(id),
      ...(retrievalScores ? { retrievalSimilarity: Number(retrievalScores[i].toFixed(6)) } : {}),
    }));
    process.stdout.write(`${JSON.stringify({ query, results })}\n`);
  } else {
    for (let i = 0; i < ids.length; i++) process.stdout.write(`Text: ${texts[i]} (Similarity:${scores[i].toFixed(3)})\n`);
  }
}
async function interactive(model: Model, corpus: Corpus, options: SearchOptions, reranker?: Reranker) {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY && !options.json });
  const prompt = () => {
    if (!options.json) process.stdout.write(PROMPT);
  };
  prompt();
  for await (const line of rl) {
    const query = line.trim();
    if (query === 'q' || query === 'ｑ') break;
    if (query) await answer(model, corpus, query, options, reranker);
    prompt();
  }
  rl.close();
}

async function run(options: SearchOptions) {
  if (options.index && options.store) throw new UsageError('--index and --store both keep the corpus: pass one');
  if (!options.input && !options.store) throw new UsageError('missing -i/--input <file> (a UTF-8 .txt or .md file)');
  if (options.candidates !== undefined && !options.rerank)
    throw new UsageError('--candidates is how many sentences --rerank reorders: pass --rerank <dir|hub-id> too');
  if (options.candidates !== undefined && options.candidates < options.topK)
    throw new UsageError(
      `--candidates ${options.candidates} is less than --top-k ${options.topK}: the reranker can only print what it was given`,
    );
  const provider = checkProvider(options.provider);
  const text = readInput(options);
  const { dir } = await modelFolder(options);
  const model = await Model.load(dir, { providers: [provider], ...onnxChoice(options), optimizedCache: options.optimizedCache ?? false });
  cacheNotice(options, model);
  if (options.precision === 'int8') log(options, `Using ${model.onnxPath} (int8).`);
  let reranker: Reranker | undefined;
  try {
    // --revision is --model's: a reranker from the hub names its revision as hf://owner/name@revision.
    if (options.rerank) reranker = await loadReranker(options.rerank, provider, { ...options, revision: undefined, flag: '--rerank' });
    // Checked before the corpus is embedded: a wrong flag should not cost a whole run.
    const [query, document] = [promptText(model, queryPrompt(model, options)), promptText(model, documentPrompt(model, options))];
    if (query || document) log(options, `Prompts: questions ${JSON.stringify(query)}, text ${JSON.stringify(document)}.`);
    const corpus = options.store ? await corpusStore(model, dir, text, options) : await corpusIndex(model, dir, text!, options);
    try {
      if (options.prompt !== undefined) {
        await answer(model, corpus, options.prompt, options, reranker);
      } else {
        await interactive(model, corpus, options, reranker);
      }
    } finally {
      await corpus.close();
    }
  } finally {
    model.dispose();
    await reranker?.dispose();
  }
}

/** Gives the root command the main command's options and action. */
export function defineSearch(cmd: Command): Command {
  return cmd
    .option('-i, --input <file>', 'UTF-8 text file (.txt, .md) to search')
    .option('-p, --prompt <query>', 'answer this question once and exit (else: interactive)')
    .addOption(new Option('-k, --top-k <n>', 'how many sentences to print per question').argParser(ranged('topK')).default(1))
    .option('--json', 'print results as JSON, one line per question')
    .option('--model <dir|hub-id>', `model directory or hub id (default: ${DEFAULT_MODEL})`)
    .option('--revision <rev>', 'hub revision: branch, tag or commit (default: main)')
    .option('--provider <name>', `execution provider: ${PROVIDER_LIST}`, 'cpu')
    .option('--onnx-file <path>', ONNX_FILE_HELP)
    .addOption(precisionOption())
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
    .option('--rerank <dir|hub-id>', 'reorder the nearest sentences with this cross-encoder (reranker); its scores are printed')
    .addOption(
      new Option(
        '--candidates <n>',
        'with --rerank: how many nearest sentences it reorders (at least --top-k; default max(top-k, 100))',
      ).argParser(ranged('candidates')),
    )
    .option('--optimized-cache', OPTIMIZED_CACHE_HELP)
    .option('-q, --quiet', 'no progress or notices on stderr')
    .option('--verbose', 'stack traces on errors')
    .action(async (options: SearchOptions, command: Command) => {
      if (command.args.length > 0) {
        const names = command.commands.map((c) => c.name()).sort();
        throw new UsageError(
          `unknown command '${command.args[0]}'\nThe commands are ${names.join(', ')}; to search a file, run sentvec -i <file> (see sentvec --help).`,
        );
      }
      return run(options);
    });
}
