/**
 * `sentvec/server`: {@link createServer} serves an embedding model, a reranker, or both over HTTP
 * (OpenAI-compatible embeddings, `/v1/models`, TEI-style `/embed`, `/tokenize`, `/v1/search` over a store,
 * Cohere/Jina `/v1/rerank` and TEI `/rerank`, `/health`, `/metrics`). It is its own entry point so
 * that `sentvec` loads no HTTP code.
 * @module sentvec/server
 */
// An HTTP server over an embedding model, a reranker, or both: OpenAI-compatible POST /v1/embeddings
// and GET /v1/models, TEI-style POST /embed and POST /tokenize, GET /health and Prometheus GET
// /metrics (routes.ts), POST /v1/search over a store (search.ts), POST /v1/rerank and POST /rerank
// (rerank.ts). Requests share batches through the model's scheduler, by way of Model's calls
// (request.ts); admission.ts decides which requests are taken, errors.ts how failures are answered.
import type { FastifyInstance } from 'fastify';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { InvalidArgumentError } from '../errors';
import type { Model } from '../model/model';
import type { BatchEvent } from '../model/model';
import type { Reranker } from '../model/cross-encoder';
import { describe, integerOption, optionsObject, rejectUnknownOptions } from '../validate';
import { installAdmission } from './admission';
import { HttpError, installErrorHandler } from './errors';
import { cors, Fastify } from './framework';
import { installRequestMetrics, serverMetrics } from './metrics';
import { embeddingRoutes, modelRoutes, serviceRoutes, type RouteContext } from './routes';
import type { VectorStore } from '../search/contract';
import { searchRoute, type SearchableStore } from './search';
import { rerankRoutes } from './rerank';

export type { SearchableStore };

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Name reported in responses' `model` field. Default 'sentvec'. */
  modelName?: string;
  /** Require `Authorization: Bearer <apiKey>` (printable ASCII, no space at either end). Default: no authentication. */
  apiKey?: string;
  /** Inputs per request, 1 to 1,000,000. Default 2048 (OpenAI's limit). */
  maxInputs?: number;
  /** Characters per input, 1 to 2^30. Default 100,000. */
  maxInputChars?: number;
  /** Request body bytes, 1 to 2^31. Default 16 MiB; a larger body gets 413 before it is read. */
  bodyLimit?: number;
  /**
   * Body bytes of all requests being received, parsed or embedded at once, 1 to 2^40. Bytes count
   * as they arrive, not as a Content-Length announces them. A request whose announced size would
   * pass it gets 429 before its body is read; one that passes it while arriving is dropped and gets
   * 429 once sent. Bounds the server's memory under a flood of large requests. Default 64 MiB (at
   * least bodyLimit).
   */
  maxPendingBytes?: number;
  /** Milliseconds a client has to send a whole request (headers and body), 1 to 3,600,000; then 408. Default 60,000. */
  requestTimeoutMs?: number;
  /**
   * Milliseconds a request body may go without a byte arriving, 1 to 3,600,000; then 408, the
   * connection closes and the bytes it held count no more against maxPendingBytes. Default 5,000.
   */
  bodyIdleTimeoutMs?: number;
  /**
   * Milliseconds `close()` waits for requests in flight before closing every connection,
   * 0 to 3,600,000. Default 10,000.
   */
  drainTimeoutMs?: number;
  /** Allow cross-origin requests from these origins (true: any). Default: off. */
  cors?: boolean | string | string[];
  /**
   * true: log every request (fastify's logger, JSON lines on stdout); 'errors': only failures whose
   * detail the client is not told (500, 503), as JSON lines on stderr. Default false.
   */
  logger?: boolean | 'errors';
  /**
   * Bytes of one POST /v1/search answer, 1,024 to 2^28; an answer that would be larger gets 413
   * `response_too_large` (the stored texts and metadata it returns are the user's, of any size).
   * All answers being built or sent at once hold at most 2 × this; past it, 429 `server_busy`.
   * Default 64 MiB.
   */
  maxResponseBytes?: number;
  /**
   * Serve POST /v1/search from this store of the model's dimension: a `PostgresStore`, so that
   * any number of servers answer from one corpus, or an `Index` (hits without texts or metadata).
   * Default: no /v1/search.
   */
  store?: VectorStore;
  /**
   * Serve POST /v1/rerank (Cohere's and Jina's shape) and POST /rerank (TEI's) with this
   * cross-encoder, beside the model or, with `createServer(null, { reranker })`, alone.
   * Default: no reranking routes.
   */
  reranker?: Reranker;
  /** Name reported in POST /v1/rerank's `model` field when the request names none. Default 'sentvec-reranker'. */
  rerankerName?: string;
  /**
   * Cross-encoder pairs one request may ask for, 1 to 10,000,000: a document each for POST
   * /v1/rerank and /rerank, queries × candidates for POST /v1/search with "rerank": true. A
   * request asking more gets 400 `too_many_pairs` before any work is done. Each pair is a
   * cross-encoder pass over up to 512 tokens, so this bounds the seconds one request can hold the
   * reranker. Default 10,000.
   */
  maxRerankPairs?: number;
}

const SERVER_OPTIONS = new Set([
  'modelName',
  'apiKey',
  'maxInputs',
  'maxInputChars',
  'bodyLimit',
  'maxPendingBytes',
  'requestTimeoutMs',
  'bodyIdleTimeoutMs',
  'drainTimeoutMs',
  'cors',
  'logger',
  'store',
  'maxResponseBytes',
  'reranker',
  'rerankerName',
  'maxRerankPairs',
]);
interface Resolved {
  modelName: string;
  maxInputs: number;
  maxInputChars: number;
  bodyLimit: number;
  maxPendingBytes: number;
  requestTimeout: number;
  bodyIdleTimeout: number;
  drainTimeout: number;
  maxResponseBytes: number;
  maxRerankPairs: number;
}

// The options checked, with their defaults.
function serverOptions(model: Model | null, options: ServerOptions): Resolved {
  optionsObject(options);
  rejectUnknownOptions(options, SERVER_OPTIONS, 'createServer()');
  const reranker = options.reranker as unknown;
  if (reranker !== undefined && (reranker === null || typeof reranker !== 'object' || typeof (reranker as Reranker).rank !== 'function'))
    throw new InvalidArgumentError(`Expected a CrossEncoder (or an object with rank()) for reranker but received ${describe(reranker)}`);
  for (const name of ['modelName', 'rerankerName'] as const)
    if (options[name] !== undefined && (typeof options[name] !== 'string' || options[name] === ''))
      throw new InvalidArgumentError(`Expected a non-empty string for ${name} but received ${describe(options[name])}`);
  // GET /v1/models lists both by name: one id twice would leave a client unable to tell them apart.
  if (model && reranker !== undefined && (options.modelName ?? 'sentvec') === (options.rerankerName ?? 'sentvec-reranker'))
    throw new InvalidArgumentError(
      `modelName and rerankerName are both "${options.modelName ?? 'sentvec'}": GET /v1/models lists the model and the reranker by name, so give each its own`,
    );
  if (model === null || model === undefined) {
    if (reranker === undefined)
      throw new InvalidArgumentError('createServer needs a model, a reranker ({ reranker }), or both: it was given neither');
    if (options.store !== undefined)
      throw new InvalidArgumentError(
        'a store is searched with the embedding model it was filled with: pass that model to serve /v1/search',
      );
  } else if (!model.scheduler) throw new InvalidArgumentError('createServer needs a model loaded with its scheduler (the default)');
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new InvalidArgumentError(
      'Expected a non-empty string for apiKey: an empty key would turn authentication off. Leave apiKey out to serve without authentication.',
    );
  }
  // A header carries bytes, which Node reads as latin1 while clients encode other characters as
  // they please (UTF-8, latin1, or not at all): such a key could never be matched reliably. The
  // header's value is trimmed, so spaces at the ends could never match either.
  if (options.apiKey !== undefined && (!/^[\x20-\x7e]+$/.test(options.apiKey) || options.apiKey.trim() !== options.apiKey)) {
    throw new InvalidArgumentError(
      'Expected printable ASCII characters (codes 32 to 126, no space at either end) for apiKey: a header cannot carry other characters reliably. Choose a key such as the output of `openssl rand -hex 32`.',
    );
  }
  if (options.logger !== undefined && typeof options.logger !== 'boolean' && options.logger !== 'errors')
    throw new InvalidArgumentError(`Expected true, false or 'errors' for logger but received ${describe(options.logger)}`);
  const bodyLimit = options.bodyLimit === undefined ? 16 * 1024 * 1024 : integerOption(options.bodyLimit, 'bodyLimit');
  const resolved: Resolved = {
    modelName: options.modelName ?? 'sentvec',
    maxInputs: options.maxInputs === undefined ? 2048 : integerOption(options.maxInputs, 'maxInputs'),
    maxInputChars: options.maxInputChars === undefined ? 100_000 : integerOption(options.maxInputChars, 'maxInputChars'),
    bodyLimit,
    maxPendingBytes:
      options.maxPendingBytes === undefined
        ? Math.max(64 * 1024 * 1024, bodyLimit)
        : integerOption(options.maxPendingBytes, 'maxPendingBytes'),
    requestTimeout: options.requestTimeoutMs === undefined ? 60_000 : integerOption(options.requestTimeoutMs, 'requestTimeoutMs'),
    bodyIdleTimeout: options.bodyIdleTimeoutMs === undefined ? 5_000 : integerOption(options.bodyIdleTimeoutMs, 'bodyIdleTimeoutMs'),
    drainTimeout: options.drainTimeoutMs === undefined ? 10_000 : integerOption(options.drainTimeoutMs, 'drainTimeoutMs'),
    maxResponseBytes:
      options.maxResponseBytes === undefined ? 64 * 1024 * 1024 : integerOption(options.maxResponseBytes, 'maxResponseBytes'),
    maxRerankPairs: options.maxRerankPairs === undefined ? 10_000 : integerOption(options.maxRerankPairs, 'maxRerankPairs'),
  };
  const store = options.store;
  if (store !== undefined) {
    if (store === null || typeof store !== 'object' || typeof store.search !== 'function')
      throw new InvalidArgumentError(
        'Expected a VectorStore (an Index, a PostgresStore, or an object with dimension and search()) for store',
      );
    if (store.dimension !== model!.dimension)
      throw new InvalidArgumentError(
        `the store holds vectors of dimension ${store.dimension} but the model makes ${model!.dimension}: fill the store with this model, or serve the model it was filled with`,
      );
  }
  return resolved;
}

const EMBEDDING_ROUTES = ['/v1/embeddings', '/embed', '/tokenize'];
const RERANK_ROUTES = ['/v1/rerank', '/rerank'];

// The 404 of a route whose model this server does not serve says which one it lacks.
function notServed(path: string, model: Model | null, reranker: Reranker | undefined): string | undefined {
  if (!model && (EMBEDDING_ROUTES.includes(path) || path === '/v1/search'))
    return `This server serves no embedding model (only a reranker: POST /v1/rerank, POST /rerank), so there is no ${path}; serve a model beside the reranker (sentvec serve --model <dir> --reranker <dir>).`;
  if (!reranker && RERANK_ROUTES.includes(path))
    return `This server serves no reranker, so there is no ${path}; serve a cross-encoder beside the model (sentvec serve --reranker <dir>).`;
  return undefined;
}

/**
 * Creates (but does not start) the server: `await server.listen({ port, host })`. Closing the
 * server (`await server.close()`) lets requests in flight finish first; new ones get 503.
 * `model` may be null when `options.reranker` is given: a server of the reranking routes only.
 */
export async function createServer(model: Model | null, options: ServerOptions = {}): Promise<FastifyInstance> {
  const config = serverOptions(model, options);
  const { store, reranker } = options;
  const m = serverMetrics(model ?? undefined);
  const scheduler = model?.scheduler;
  const onBatch = (e: BatchEvent) => {
    m.batchSize.observe(e.size);
    m.batchTokens.observe(e.paddedTokens);
    m.batchSeconds.observe(e.seconds);
  };
  scheduler?.addBatchListener(onBatch);
  // Node's own timers cut slow clients: the whole request within requestTimeout (checked every
  // second), headers within min(requestTimeout, 30 s).
  const serverFactory = (handler: RequestListener): Server =>
    createHttpServer(
      {
        requestTimeout: config.requestTimeout,
        headersTimeout: Math.min(config.requestTimeout, 30_000),
        connectionsCheckingInterval: 1000,
        keepAliveTimeout: 5000,
      },
      handler,
    );
  const app = Fastify({
    logger: options.logger === 'errors' ? { level: 'error', stream: process.stderr } : (options.logger ?? false),
    bodyLimit: config.bodyLimit,
    return503OnClosing: false,
    forceCloseConnections: false,
    serverFactory,
  });
  if (options.cors) await app.register(cors, { origin: options.cors === true ? true : options.cors });
  app.addHook('onClose', async () => {
    m.loop.disable();
    scheduler?.removeBatchListener(onBatch);
  });
  installRequestMetrics(app, m);
  const postRoutes = [...(model ? EMBEDDING_ROUTES : []), ...(store ? ['/v1/search'] : []), ...(reranker ? RERANK_ROUTES : [])].map(
    (path) => `POST ${path}`,
  );
  const { draining } = installAdmission(app, { ...config, apiKey: options.apiKey, postRoutes });
  app.setNotFoundHandler((request) => {
    const path = request.url.split('?')[0];
    throw new HttpError(
      404,
      notServed(path, model, reranker) ??
        `There is no ${request.method} ${path}. Routes: ${[...postRoutes, 'GET /v1/models', 'GET /health', 'GET /metrics'].join(', ')}.`,
      'not_found_error',
      null,
      'not_found',
    );
  });
  installErrorHandler(app, config.bodyLimit, (route, type) => m.errors.inc({ route, type }));
  const service = { modelName: config.modelName, limits: config, metrics: m, draining };
  if (model) {
    const context: RouteContext = { ...service, model };
    embeddingRoutes(app, context);
    if (store) searchRoute(app, context, store, config.maxResponseBytes, reranker && { reranker, maxPairs: config.maxRerankPairs });
  }
  const rerankerName = options.rerankerName ?? 'sentvec-reranker';
  if (reranker) rerankRoutes(app, { reranker, rerankerName, limits: config, maxPairs: config.maxRerankPairs });
  modelRoutes(app, [...(model ? [config.modelName] : []), ...(reranker ? [rerankerName] : [])]);
  serviceRoutes(app, { ...service, model: model ?? undefined, reranker: reranker && { name: rerankerName, info: reranker.info } });
  return app;
}
