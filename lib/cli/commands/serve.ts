// `sentvec serve`: the model, a reranker, or both over HTTP (lib/server/), until SIGTERM or SIGINT.
import { Option, type Command } from 'commander';
import { CrossEncoder } from '../../model/cross-encoder';
import { Model } from '../../model/model';
import type { PostgresStore } from '../../search/postgres';
import type { ProviderName } from '../../model/providers';
import { servingStore } from '../corpus';
import { DEFAULT_MODEL, modelFolder } from '../model-source';
import { checkProvider, onnxChoice, ONNX_FILE_HELP, OPTIMIZED_CACHE_HELP, precisionOption, PROVIDER_LIST, ranged } from '../options';
import { cacheNotice, log } from '../output';
import { UsageError } from '../usage-error';

interface ServeOptions {
  model?: string;
  revision?: string;
  onnxFile?: string;
  precision?: 'float32' | 'int8';
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
  bodyIdleTimeout: number;
  maxPendingMib: number;
  maxResponseMib: number;
  maxRerankPairs: number;
  store?: string;
  table: string;
  reranker?: string;
  rerankerName: string;
}

function apiKeyOf(opts: ServeOptions): string | undefined {
  const apiKey = opts.apiKey ?? process.env.SENTVEC_API_KEY;
  if (apiKey !== undefined && apiKey.trim() === '') {
    throw new UsageError(
      `${opts.apiKey !== undefined ? '--api-key' : 'SENTVEC_API_KEY'} is empty, which would serve without authentication; give a key, or leave it unset to serve without one`,
    );
  }
  return apiKey;
}

// What the model and the reranker are loaded with alike.
function runtimeOptions(provider: ProviderName, opts: ServeOptions) {
  return {
    providers: [provider],
    ...(opts.threads ? { threads: opts.threads } : {}),
    spinning: opts.spinning ?? false,
    optimizedCache: opts.optimizedCache ?? false,
    scheduler: {
      maxBatchTokens: opts.maxBatchTokens,
      maxBatchSize: opts.maxBatchSize,
      maxWaitMicros: opts.maxWaitUs,
      maxInFlight: opts.maxInFlight,
    },
  };
}

async function loadModel(dir: string, provider: ProviderName, opts: ServeOptions): Promise<Model> {
  return Model.load(dir, { ...runtimeOptions(provider, opts), ...onnxChoice(opts) });
}

/** Resolves once a signal has stopped the server and everything it held is released. */
function untilStopped(
  app: { close(): Promise<unknown>; server: { closeAllConnections(): void } },
  model: Model | undefined,
  reranker: CrossEncoder | undefined,
  store: PostgresStore | undefined,
  opts: ServeOptions,
): Promise<void> {
  return new Promise<void>((resolveStop) => {
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
        model?.dispose();
        await reranker?.dispose();
        resolveStop();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

async function serve(opts: ServeOptions) {
  // The server's packages are optional: a missing one is told before a model is fetched or loaded.
  const { createServer } = await import('../../server');
  const provider = checkProvider(opts.provider);
  const apiKey = apiKeyOf(opts);
  // --reranker without --model serves the reranker alone.
  const withModel = opts.model !== undefined || opts.reranker === undefined;
  if (!withModel && opts.store)
    throw new UsageError('--store is searched with the embedding model it was filled with: pass it with --model beside --reranker');
  if (!withModel && (opts.onnxFile || opts.precision))
    throw new UsageError(`${opts.onnxFile ? '--onnx-file' : '--precision'} chooses the embedding model's file: pass --model too`);
  let model: Model | undefined;
  let store: PostgresStore | undefined;
  if (withModel) {
    const { dir } = await modelFolder(opts);
    model = await loadModel(dir, provider, opts);
    cacheNotice(opts, model);
    store = opts.store ? await servingStore(model, dir, opts.store, opts.table) : undefined;
  }
  const reranker = opts.reranker
    ? await CrossEncoder.load(
        // --revision is --model's when both are served (hf://owner/name@revision gives the reranker's).
        (
          await modelFolder({
            model: opts.reranker,
            revision: withModel ? undefined : opts.revision,
            quiet: opts.quiet,
            flag: '--reranker',
          })
        ).dir,
        runtimeOptions(provider, opts),
      )
    : undefined;
  const app = await createServer(model ?? null, {
    store,
    reranker,
    rerankerName: opts.rerankerName,
    apiKey,
    modelName: opts.modelName,
    cors: opts.cors === undefined ? false : opts.cors === '*' ? true : opts.cors,
    drainTimeoutMs: opts.drainTimeout,
    requestTimeoutMs: opts.requestTimeout,
    bodyIdleTimeoutMs: opts.bodyIdleTimeout,
    maxPendingBytes: opts.maxPendingMib * 2 ** 20,
    maxResponseBytes: opts.maxResponseMib * 2 ** 20,
    maxRerankPairs: opts.maxRerankPairs,
    // What a client is not told of a failure (the database's socket path) the operator reads here.
    logger: 'errors',
  });
  // The signal handlers come first: a supervisor that reads "sentvec serving" may signal at once.
  const stopped = untilStopped(app, model, reranker, store, opts);
  const address = await app.listen({ port: opts.port, host: opts.host });
  const served = [
    ...(model ? [`${opts.model ?? DEFAULT_MODEL} (${model.dimension} dimensions)`] : []),
    ...(reranker ? [`the reranker ${opts.reranker}`] : []),
  ];
  log(opts, `sentvec serving ${served.join(' and ')} on ${address}${store ? `, /v1/search from table ${store.table}` : ''}`);
  await stopped;
}

export function addServe(cmd: Command): void {
  cmd
    .command('serve')
    .description(
      'serve the model over HTTP: OpenAI-compatible /v1/embeddings and /v1/models, /embed, /tokenize, /health, /metrics; with --reranker, /v1/rerank and /rerank',
    )
    .option('--model <dir|hub-id>', `model directory or hub id (default: ${DEFAULT_MODEL})`)
    .option('--revision <rev>', 'hub revision: branch, tag or commit (default: main)')
    .option('--onnx-file <path>', ONNX_FILE_HELP)
    .addOption(precisionOption())
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
    .option(
      '--reranker <dir|hub-id>',
      'also serve this cross-encoder: POST /v1/rerank (Cohere/Jina) and POST /rerank (TEI); without --model, serve it alone',
    )
    .option('--reranker-name <name>', 'name reported in /v1/rerank responses', 'sentvec-reranker')
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
      new Option('--body-idle-timeout <ms>', 'how long a request body may go without a byte arriving; then 408')
        .argParser(ranged('bodyIdleTimeoutMs'))
        .default(5_000),
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
    .addOption(
      new Option('--max-rerank-pairs <n>', 'cross-encoder pairs one request may ask for (documents; queries × candidates); more gets 400')
        .argParser(ranged('maxRerankPairs'))
        .default(10_000),
    )
    .option('-q, --quiet', 'no notices on stderr')
    .action(serve);
}
