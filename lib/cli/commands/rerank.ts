// `sentvec rerank -q <query> -i <file>`: a cross-encoder scores each line of a file against the
// query, and the lines are printed best first.
import { Option, type Command } from 'commander';
import { loadReranker } from '../model-source';
import { checkProvider, OPTIMIZED_CACHE_HELP, PROVIDER_LIST, ranged } from '../options';
import { UsageError } from '../usage-error';
import { readTextFile } from './search';
import { checkRanked } from '../../search/rerank';

interface RerankCommandOptions {
  query: string;
  input: string;
  model: string;
  revision?: string;
  provider: string;
  topK?: number;
  batchSize: number;
  json?: boolean;
  maxInputMib: number;
  optimizedCache?: boolean;
  quiet?: boolean;
}

async function rerank(options: RerankCommandOptions) {
  const provider = checkProvider(options.provider);
  if (options.query.trim() === '') throw new UsageError('-q/--query is empty: give the text the lines are scored against');
  // Each non-empty line is a document, as it stands (a passage per line, not split into sentences).
  const lines = readTextFile(options.input, options.maxInputMib)
    .split(/\r\n|\n|\r/)
    .map((text, i) => ({ text: text.trim(), line: i + 1 }))
    .filter((l) => l.text !== '');
  if (lines.length === 0) throw new UsageError(`${options.input} has no line with text`);
  const reranker = await loadReranker(options.model, provider, options);
  try {
    const topK = Math.min(options.topK ?? lines.length, lines.length);
    // Checked as the server and the stores check it: a wrong answer is an error, never a wrong line printed.
    const ranked = checkRanked(
      await reranker.rank(
        options.query,
        lines.map((l) => l.text),
        { topK, batchSize: options.batchSize },
      ),
      lines.length,
      topK,
    );
    if (options.json) {
      const results = ranked.map((r) => ({ text: lines[r.index].text, score: Number(r.score.toFixed(6)), line: lines[r.index].line }));
      process.stdout.write(`${JSON.stringify({ query: options.query, results })}\n`);
    } else {
      for (const r of ranked) process.stdout.write(`Text: ${lines[r.index].text} (Score:${r.score.toFixed(3)})\n`);
    }
  } finally {
    await reranker.dispose();
  }
}

export function addRerank(cmd: Command): void {
  cmd
    .command('rerank')
    .description('score each line of a file against a query with a cross-encoder (reranker) and print them best first')
    .requiredOption('-q, --query <text>', 'the query the lines are scored against')
    .requiredOption('-i, --input <file>', 'UTF-8 text file: one document per line (empty lines are skipped)')
    .requiredOption('--model <dir|hub-id>', 'the cross-encoder, e.g. a bge-reranker or ms-marco cross-encoder directory')
    .option('--revision <rev>', 'hub revision: branch, tag or commit (default: main)')
    .option('--provider <name>', `execution provider: ${PROVIDER_LIST}`, 'cpu')
    .addOption(new Option('-k, --top-k <n>', 'how many lines to print (default: all)').argParser(ranged('topK')))
    .addOption(new Option('--batch-size <n>', 'pairs per inference batch').argParser(ranged('batchSize')).default(32))
    .option('--json', 'print the results as one line of JSON')
    .addOption(
      new Option('--max-input-mib <n>', 'refuse an input file larger than this many MiB').argParser(ranged('maxInputMiB')).default(256),
    )
    .option('--optimized-cache', OPTIMIZED_CACHE_HELP)
    .option('--quiet', 'no progress or notices on stderr')
    .action(rerank);
}
