// An HTTP server over one model: OpenAI-compatible POST /v1/embeddings, TEI-style POST /embed and
// POST /tokenize, GET /health and Prometheus GET /metrics. Requests share batches through the
// model's scheduler.
import cors from '@fastify/cors';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Transform } from 'node:stream';
import { Counter, Gauge, Histogram, Registry } from './metrics';
import { InvalidArgumentError, QueueFullError, SentvecError, StoreConnectionError } from './errors';
import type { Model } from './model';
import type { DocumentField, VectorSearchOptions, VectorStore } from './search-contract';
import { normalizeRow } from './rows';
import type { BatchEvent } from './scheduler';
import { describe, integerOption, optionsObject, rejectUnknownOptions } from './validate';

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
   * Default 64 MiB.
   */
  maxResponseBytes?: number;
  /**
   * Serve POST /v1/search from this store of the model's dimension: a `PostgresStore`, so that
   * any number of servers answer from one corpus, or an `Index` (hits without texts or metadata).
   * Default: no /v1/search.
   */
  store?: VectorStore;
}

/** What POST /v1/search needs of a store. @deprecated The search contract's name is `VectorStore`. */
export type SearchableStore = VectorStore;

const SERVER_OPTIONS = new Set([
  'modelName',
  'apiKey',
  'maxInputs',
  'maxInputChars',
  'bodyLimit',
  'maxPendingBytes',
  'requestTimeoutMs',
  'drainTimeoutMs',
  'cors',
  'logger',
  'store',
  'maxResponseBytes',
]);
const SEARCH_FIELDS = new Set(['query', 'top_k', 'filter', 'include', 'prompt_name', 'model']);
// Most results per query over HTTP: a client wanting more pages through ids with filters.
const MAX_TOP_K = 1000;
// Rows /v1/search asks the store for at once (at least one query's): a page of 4 KB texts is 16 MB.
const SEARCH_PAGE_ROWS = 4096;
// After close(): the listener stays open until no connection has arrived for this long (and no
// request is in flight), so that connections already queued by the kernel are answered rather
// than reset.
const QUIET_MS = 100;
// Most bytes of a refused body read (and dropped) so that its client can read the refusal.
const DISCARD_LIMIT = 256 * 1024 * 1024;

const JSON_TYPE = 'application/json; charset=utf-8';
// Answers are serialized this many elements at a time, with the event loop let in between: a
// maximal answer in one piece (2,048 inputs' tokens or vectors) would hold it for hundreds of ms.
const SERIALIZE_SLICE = 128;

/** `items` as a JSON array, each element `toJson(item)`. */
async function jsonArray<T>(items: readonly T[], toJson: (item: T, index: number) => unknown): Promise<string> {
  const parts = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % SERIALIZE_SLICE === 0) await new Promise(setImmediate);
    parts[i] = JSON.stringify(toJson(items[i], i));
  }
  return `[${parts.join(',')}]`;
}

type ErrorType = 'invalid_request_error' | 'authentication_error' | 'rate_limit_error' | 'server_error' | 'not_found_error';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const invalid = (message: string, param: string | null = null, code: string | null = null) =>
  new HttpError(400, message, 'invalid_request_error', param, code);
const tooLarge = (limit: number) =>
  new HttpError(
    413,
    `The request body is larger than ${limit} bytes; split the input over several requests.`,
    'invalid_request_error',
    null,
    'request_too_large',
  );

interface Prepared {
  ids: Int32Array[];
  /** Per input: whether it was a string (with the prompt in front), not token ids. */
  textRows: boolean[];
  truncated: number;
  tokens: number;
}

function metrics(model: Model) {
  const registry = new Registry();
  const requests = new Counter({
    name: 'sentvec_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'sentvec_errors_total',
    help: 'Requests answered with an error, by route and type',
    labelNames: ['route', 'type'],
    registers: [registry],
  });
  const truncated = new Counter({ name: 'sentvec_truncated_inputs_total', help: 'Inputs cut to maxSeqLength', registers: [registry] });
  const latency = new Histogram({
    name: 'sentvec_request_duration_seconds',
    help: 'Request latency',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'sentvec_batch_size',
    help: 'Inputs per inference batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const batchTokens = new Histogram({
    name: 'sentvec_batch_tokens',
    help: 'Padded tokens per inference batch',
    buckets: [16, 64, 256, 1024, 4096, 16384, 65536],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'sentvec_batch_duration_seconds',
    help: 'Time per inference batch',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  new Gauge({
    name: 'sentvec_queue_depth',
    help: 'Inputs waiting for a batch',
    registers: [registry],
    collect() {
      this.set(model.scheduler?.queueDepth ?? 0);
    },
  });
  new Gauge({
    name: 'sentvec_queued_tokens',
    help: 'Tokens waiting for a batch',
    registers: [registry],
    collect() {
      this.set(model.scheduler?.queuedTokens ?? 0);
    },
  });
  new Gauge({
    name: 'sentvec_event_loop_delay_p99_seconds',
    help: 'Event-loop delay p99 since the last scrape',
    registers: [registry],
    collect() {
      this.set(loop.percentile(99) / 1e9);
      loop.reset();
    },
  });
  return { registry, requests, errors, truncated, latency, batchSize, batchTokens, batchSeconds, loop };
}

function isTokenArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
}

/**
 * Creates (but does not start) the server: `await server.listen({ port, host })`. Closing the
 * server (`await server.close()`) lets requests in flight finish first; new ones get 503.
 */
export async function createServer(model: Model, options: ServerOptions = {}): Promise<FastifyInstance> {
  optionsObject(options);
  rejectUnknownOptions(options, SERVER_OPTIONS, 'createServer()');
  if (!model.scheduler) throw new InvalidArgumentError('createServer needs a model loaded with its scheduler (the default)');
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
  const modelName = options.modelName ?? 'sentvec';
  const maxInputs = options.maxInputs === undefined ? 2048 : integerOption(options.maxInputs, 'maxInputs');
  const maxInputChars = options.maxInputChars === undefined ? 100_000 : integerOption(options.maxInputChars, 'maxInputChars');
  const bodyLimit = options.bodyLimit === undefined ? 16 * 1024 * 1024 : integerOption(options.bodyLimit, 'bodyLimit');
  const maxPendingBytes =
    options.maxPendingBytes === undefined
      ? Math.max(64 * 1024 * 1024, bodyLimit)
      : integerOption(options.maxPendingBytes, 'maxPendingBytes');
  const requestTimeout = options.requestTimeoutMs === undefined ? 60_000 : integerOption(options.requestTimeoutMs, 'requestTimeoutMs');
  const drainTimeout = options.drainTimeoutMs === undefined ? 10_000 : integerOption(options.drainTimeoutMs, 'drainTimeoutMs');
  const maxResponseBytes =
    options.maxResponseBytes === undefined ? 64 * 1024 * 1024 : integerOption(options.maxResponseBytes, 'maxResponseBytes');
  const store = options.store;
  if (store !== undefined) {
    if (store === null || typeof store !== 'object' || typeof store.search !== 'function')
      throw new InvalidArgumentError(
        'Expected a VectorStore (an Index, a PostgresStore, or an object with dimension and search()) for store',
      );
    if (store.dimension !== model.dimension)
      throw new InvalidArgumentError(
        `the store holds vectors of dimension ${store.dimension} but the model makes ${model.dimension}: fill the store with this model, or serve the model it was filled with`,
      );
  }
  const m = metrics(model);
  const scheduler = model.scheduler;
  const onBatch = (e: BatchEvent) => {
    m.batchSize.observe(e.size);
    m.batchTokens.observe(e.paddedTokens);
    m.batchSeconds.observe(e.seconds);
  };
  scheduler.addBatchListener(onBatch);
  // Node's own timers cut slow clients: the whole request within requestTimeout (checked every
  // second), headers within min(requestTimeout, 30 s).
  const serverFactory = (handler: RequestListener): Server =>
    createHttpServer(
      {
        requestTimeout,
        headersTimeout: Math.min(requestTimeout, 30_000),
        connectionsCheckingInterval: 1000,
        keepAliveTimeout: 5000,
      },
      handler,
    );
  const app = Fastify({
    logger: options.logger === 'errors' ? { level: 'error', stream: process.stderr } : (options.logger ?? false),
    bodyLimit,
    return503OnClosing: false,
    forceCloseConnections: false,
    serverFactory,
  });
  if (options.cors) await app.register(cors, { origin: options.cors === true ? true : options.cors });

  // Closing (SIGTERM): every request already accepted completes, new ones get 503 with
  // "Connection: close", and connections the kernel has queued are still accepted and answered:
  // the listener closes only once nothing is in flight and no connection has arrived for
  // QUIET_MS. After drainTimeout every connection is closed, whatever it is doing.
  let draining = false;
  let inFlight = 0;
  let lastConnection = 0;
  // Body bytes received and not yet answered: all requests', and each request's.
  let pendingBytes = 0;
  const holds = new WeakMap<FastifyRequest, { bytes: number }>();
  const busy = (bytes: number) =>
    new HttpError(
      429,
      `The server holds ${pendingBytes} bytes of requests being received or embedded; this one's ${bytes} would pass its limit of ${maxPendingBytes}. Retry shortly.`,
      'rate_limit_error',
      null,
      'server_busy',
    );
  let deadline: NodeJS.Timeout | undefined;
  app.server.on('connection', () => {
    lastConnection = performance.now();
  });
  app.addHook('preClose', async () => {
    draining = true;
    let expired = false;
    deadline = setTimeout(() => {
      expired = true;
      app.server.closeAllConnections();
    }, drainTimeout);
    while (!expired && (inFlight > 0 || performance.now() - lastConnection < QUIET_MS)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  app.addHook('onClose', async () => {
    clearTimeout(deadline);
    m.loop.disable();
    scheduler.removeBatchListener(onBatch);
  });

  const key = options.apiKey !== undefined ? Buffer.from(options.apiKey) : undefined;
  app.addHook('onRequest', async (request, reply) => {
    (request as FastifyRequest & { started?: number }).started = performance.now();
    inFlight++;
    const held = { bytes: 0 };
    holds.set(request, held);
    reply.raw.once('close', () => {
      inFlight--;
      pendingBytes -= held.bytes;
      held.bytes = 0;
    });
    if (draining) {
      reply.header('connection', 'close');
      if (request.url !== '/health')
        throw new HttpError(
          503,
          'The server is shutting down; send the request to another instance or retry shortly.',
          'server_error',
          null,
          'shutting_down',
        );
    }
    if (key && request.url !== '/health') {
      const match = /^bearer[ \t]+(.*)$/i.exec(request.headers.authorization ?? '');
      const given = Buffer.from(match ? match[1].trim() : '');
      if (given.length !== key.length || !timingSafeEqual(given, key)) {
        throw new HttpError(
          401,
          'Incorrect API key provided. Send it as "Authorization: Bearer <key>".',
          'authentication_error',
          null,
          'invalid_api_key',
        );
      }
    }
    // Admission by bytes, before the body is read: a refused body is never held in memory. Only
    // bytes received count against the budget, never bytes announced, so that a client announcing
    // a large body and sending none of it holds nothing (preParsing counts them as they arrive).
    if (request.method === 'POST') {
      const declared = Number(request.headers['content-length']);
      const bytes = Number.isFinite(declared) ? declared : 1;
      if (bytes > bodyLimit) await refuseBeforeBody(request, reply, tooLarge(bodyLimit));
      if (pendingBytes > 0 && pendingBytes + bytes > maxPendingBytes) await refuseBeforeBody(request, reply, busy(bytes));
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    m.requests.inc({ route, status: String(reply.statusCode) });
    const started = (request as FastifyRequest & { started?: number }).started;
    if (started !== undefined) m.latency.observe({ route }, (performance.now() - started) / 1000);
  });

  // The client is still sending the body we refuse: read it to its end (discarding it) before
  // answering, so that the client, once done writing, reads the answer instead of a reset
  // connection; and close the connection after, since its stream position is ours, not the
  // client's. A body past DISCARD_LIMIT is not worth the bandwidth: the connection is closed.
  async function refuseBeforeBody(request: FastifyRequest, reply: FastifyReply, error: HttpError): Promise<never> {
    reply.header('connection', 'close');
    const raw = request.raw;
    if (!raw.complete) {
      await new Promise<void>((resolve) => {
        let seen = 0;
        raw.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > DISCARD_LIMIT) {
            raw.socket.destroy();
            resolve();
          }
        });
        raw.once('end', resolve);
        raw.once('close', resolve);
      });
    }
    throw error;
  }

  // Body bytes are held from their arrival until the response is sent, and counted against
  // maxPendingBytes as they arrive. A body that would pass the budget while others hold some of
  // it (several admitted at once), or one of undeclared length (chunked) past bodyLimit, is read
  // to its end and dropped, and refused once the client has sent it all (as above).
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.method !== 'POST') return payload;
    const held = holds.get(request)!;
    let seen = 0;
    let refusal: HttpError | undefined;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        if (seen > DISCARD_LIMIT) request.raw.socket.destroy();
        if (refusal === undefined && seen > bodyLimit) refusal = tooLarge(bodyLimit);
        if (refusal === undefined && pendingBytes > held.bytes && pendingBytes + chunk.length > maxPendingBytes)
          refusal = busy(request.headers['content-length'] !== undefined ? Number(request.headers['content-length']) : seen);
        if (refusal !== undefined) {
          pendingBytes -= held.bytes;
          held.bytes = 0;
          callback();
          return;
        }
        held.bytes += chunk.length;
        pendingBytes += chunk.length;
        callback(null, chunk);
      },
      flush(callback) {
        callback(refusal);
      },
    });
    payload.on('error', (err) => counted.destroy(err));
    return payload.pipe(counted);
  });

  app.setNotFoundHandler((request) => {
    throw new HttpError(
      404,
      `There is no ${request.method} ${request.url.split('?')[0]}. Routes: POST /v1/embeddings, POST /embed, POST /tokenize, ${store ? 'POST /v1/search, ' : ''}GET /health, GET /metrics.`,
      'not_found_error',
      null,
      'not_found',
    );
  });

  app.setErrorHandler((error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply) => {
    let status = 500;
    let type: ErrorType = 'server_error';
    let param: string | null = null;
    let code: string | null = null;
    let message = error.message;
    if (error instanceof HttpError) {
      ({ status, type, param, code } = error);
      if (status === 429) reply.header('retry-after', '1');
    } else if (error instanceof QueueFullError) {
      status = 429;
      type = 'rate_limit_error';
      code = 'queue_full';
      reply.header('retry-after', '1');
    } else if ((error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      ({ status, type, param, code, message } = tooLarge(bodyLimit));
      reply.header('connection', 'close');
    } else if ((error as FastifyError).statusCode && (error as FastifyError).statusCode! < 500) {
      status = (error as FastifyError).statusCode!;
      type = 'invalid_request_error';
      message =
        (error as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Send the body as application/json.'
          : `We could not parse the JSON body of your request (${error.message}).`;
    } else if (error instanceof StoreConnectionError) {
      // Another server may reach the database: a client with several should try it.
      status = 503;
      code = 'store_unavailable';
      // The detail (host, socket path, user) is the operator's, in the log; never the client's.
      message = 'The vector store cannot be reached; retry shortly, or send the request to another instance.';
      reply.header('retry-after', '1');
      request.log.error(error);
    } else if (error instanceof SentvecError && error.code === 'ERR_INPUT_TOO_LONG') {
      status = 413;
      type = 'invalid_request_error';
      code = 'context_length_exceeded';
    } else if (error instanceof SentvecError && error.code === 'ERR_INVALID_ARG') {
      status = 400;
      type = 'invalid_request_error';
    } else {
      // An unexpected failure's message may name files, tables or hosts: it stays in the log.
      message = 'The server failed to answer this request (the detail is in its log); retry, and report it if it persists.';
      request.log.error(error);
    }
    m.errors.inc({ route: request.routeOptions.url ?? 'unknown', type });
    reply.status(status).send({ error: { message, type, param, code } });
  });

  // Token ids for every input: texts are tokenized (truncated or refused past maxSeqLength, as
  // asked), token arrays are checked and framed with <s> … </s> unless they already are.
  // The prompt of a request: `prompt_name` (one of the model's prompts), else the model's default prompt.
  function promptOf(b: Record<string, unknown>): string {
    const name = b.prompt_name ?? model.defaultPromptName;
    if (name === undefined || name === null) return '';
    if (typeof name !== 'string' || !Object.hasOwn(model.prompts, name)) {
      const known = Object.keys(model.prompts);
      throw invalid(
        `'prompt_name' must be one of this model's prompts (${known.length ? known.join(', ') : 'it has none'}).`,
        'prompt_name',
      );
    }
    return model.prompts[name];
  }

  // Tokens of `prompt` that pooling leaves out (include_prompt: false): <s> and the prompt's pieces.
  const promptTokens = new Map<string, number>();
  async function poolFrom(prompt: string): Promise<number> {
    if (prompt === '' || model.includePrompt) return 0;
    let n = promptTokens.get(prompt);
    if (n === undefined) promptTokens.set(prompt, (n = (await model.tokenize(prompt)).ids.length - 1));
    return n;
  }

  // long_inputs: 'chunk' (with an optional overlap): long texts are embedded in windows (Model.encode's longInputs).
  function longInputs(b: Record<string, unknown>): { overlap: number } | undefined {
    if (b.long_inputs === undefined || b.long_inputs === 'truncate') {
      if (b.overlap !== undefined) throw invalid(`'overlap' applies to "long_inputs": "chunk" only.`, 'overlap');
      return undefined;
    }
    if (b.long_inputs !== 'chunk') throw invalid(`'long_inputs' must be 'truncate' or 'chunk'.`, 'long_inputs');
    if (b.truncate === false) throw invalid(`'truncate': false contradicts "long_inputs": "chunk".`, 'truncate');
    const overlap = b.overlap ?? 0;
    const most = Math.floor((model.maxSeqLength - 2) / 2);
    if (!Number.isInteger(overlap) || (overlap as number) < 0 || (overlap as number) > most)
      throw invalid(`'overlap' must be an integer from 0 to ${most}.`, 'overlap');
    return { overlap: overlap as number };
  }

  // Full-width rows of the inputs, long texts chunked; token-id inputs are embedded as given.
  async function chunked(input: unknown, prepared: Prepared, prompt: string, chunk: { overlap: number }, dimensions: number) {
    const items = typeof input === 'string' ? [input] : (input as unknown[]);
    const texts = items.flatMap((item) => (typeof item === 'string' ? [item] : []));
    const rows: Float32Array[] = new Array(items.length);
    const fromTexts =
      texts.length > 0
        ? await model.encode(texts, { longInputs: 'chunk', overlap: chunk.overlap, prompt, normalize: false, dimensions, windows: true })
        : undefined;
    const fromIds = await scheduler.submit(prepared.ids.filter((_, i) => !prepared.textRows[i]));
    let t = 0;
    let k = 0;
    items.forEach((item, i) => (rows[i] = typeof item === 'string' ? fromTexts!.get(t++) : fromIds[k++]));
    // Usage counts every window's tokens, <s> and </s> included.
    const windows = fromTexts?.windows;
    let tokens = fromIds.reduce((n, ids) => n + ids.length, 0);
    if (windows) for (let j = 0; j < windows.text.length; j++) tokens += windows.tokenEnd[j] - windows.tokenStart[j] + 2;
    return { rows, tokens };
  }

  // Every route that takes text checks it the same way, before any of it is tokenized.
  function checkText(text: string, param: string, i: number): void {
    if (text.length > maxInputChars)
      throw new HttpError(
        413,
        `${param}[${i}] has ${text.length} characters; at most ${maxInputChars} are allowed.`,
        'invalid_request_error',
        `${param}[${i}]`,
        'input_too_large',
      );
    if (!text.isWellFormed() || text.includes('\0'))
      throw invalid(`${param}[${i}] contains a lone surrogate or a NUL character.`, `${param}[${i}]`);
  }

  async function prepare(input: unknown, param: string, truncate: boolean, allowTokens: boolean, prompt = ''): Promise<Prepared> {
    let items: unknown[];
    if (typeof input === 'string') items = [input];
    else if (allowTokens && isTokenArray(input)) items = [input];
    else if (Array.isArray(input)) items = input;
    else throw invalid(`'${param}' must be a string or an array of ${allowTokens ? 'strings or token arrays' : 'strings'}.`, param);
    if (items.length === 0) throw invalid(`'${param}' must not be empty.`, param);
    if (items.length > maxInputs)
      throw invalid(`'${param}' has ${items.length} inputs; at most ${maxInputs} are allowed per request.`, param, 'too_many_inputs');
    const texts: string[] = [];
    const where: number[] = [];
    const ids: Int32Array[] = new Array(items.length);
    let truncated = 0;
    for (const [i, item] of items.entries()) {
      if (typeof item === 'string') {
        checkText(item, param, i);
        texts.push(prompt + item);
        where.push(i);
      } else if (allowTokens && isTokenArray(item)) {
        const vocab = model.vocabSize;
        if (!item.every((x) => Number.isInteger(x) && x >= 0 && x < vocab))
          throw invalid(
            `${param}[${i}] holds a value that is not a token id of this model (integers 0 to ${vocab - 1}).`,
            `${param}[${i}]`,
          );
        const { start, end } = model.info.specialIds;
        let framed = item[0] === start && item[item.length - 1] === end && item.length >= 2 ? item : [start, ...item, end];
        if (framed.length > model.maxSeqLength) {
          if (!truncate)
            throw new HttpError(
              413,
              `${param}[${i}] has ${framed.length} tokens; this model takes at most ${model.maxSeqLength}.`,
              'invalid_request_error',
              `${param}[${i}]`,
              'context_length_exceeded',
            );
          framed = [...framed.slice(0, model.maxSeqLength - 1), end];
          truncated++;
        }
        ids[i] = Int32Array.from(framed);
      } else {
        throw invalid(`${param}[${i}] must be a string${allowTokens ? ' or an array of token ids' : ''}.`, `${param}[${i}]`);
      }
    }
    if (texts.length > 0) {
      const tokenized = await model.tokenize(texts);
      tokenized.forEach((t, k) => {
        if (t.truncated) {
          if (!truncate)
            throw new HttpError(
              413,
              `${param}[${where[k]}] is longer than the model's ${model.maxSeqLength} tokens; shorten it or send "truncate": true.`,
              'invalid_request_error',
              `${param}[${where[k]}]`,
              'context_length_exceeded',
            );
          truncated++;
        }
        ids[where[k]] = t.ids;
      });
    }
    m.truncated.inc(truncated);
    const textRows = items.map((item) => typeof item === 'string');
    return { ids, textRows, truncated, tokens: ids.reduce((n, x) => n + x.length, 0) };
  }

  function checkDimensions(value: unknown): number {
    if (value === undefined || value === null) return model.dimension;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > model.info.dimension) {
      throw invalid(`'dimensions' must be an integer from 1 to ${model.info.dimension}.`, 'dimensions');
    }
    return value as number;
  }

  // Matryoshka: keep the first `dimensions` values, then renormalize.
  function shape(row: Float32Array, dimensions: number, normalize: boolean): Float32Array {
    const out = row.slice(0, dimensions);
    return normalize ? normalizeRow(out) : out;
  }

  function body(request: FastifyRequest): Record<string, unknown> {
    const b = request.body;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw invalid('The request body must be a JSON object.');
    return b as Record<string, unknown>;
  }

  app.post('/v1/embeddings', async (request, reply) => {
    const b = body(request);
    const format = b.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') throw invalid(`'encoding_format' must be 'float' or 'base64'.`, 'encoding_format');
    if (b.truncate !== undefined && typeof b.truncate !== 'boolean') throw invalid(`'truncate' must be a boolean.`, 'truncate');
    const dimensions = checkDimensions(b.dimensions);
    const prompt = promptOf(b);
    const chunk = longInputs(b);
    const prepared = await prepare(b.input, 'input', chunk !== undefined || ((b.truncate as boolean | undefined) ?? true), true, prompt);
    const skip = await poolFrom(prompt);
    const { rows, tokens } = chunk
      ? await chunked(b.input, prepared, prompt, chunk, dimensions)
      : {
          rows: await scheduler.submit(
            prepared.ids,
            prepared.textRows.map((text) => (text ? skip : 0)),
          ),
          tokens: prepared.tokens,
        };
    if (prepared.truncated && !chunk) reply.header('x-sentvec-truncated-inputs', String(prepared.truncated));
    const data = await jsonArray(rows, (row, index) => {
      const v = shape(row, dimensions, true);
      return {
        object: 'embedding',
        index,
        embedding: format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
      };
    });
    const usage = { prompt_tokens: tokens, total_tokens: tokens };
    reply.type(JSON_TYPE);
    return `{"object":"list","data":${data},"model":${JSON.stringify(typeof b.model === 'string' ? b.model : modelName)},"usage":${JSON.stringify(usage)}}`;
  });

  app.post('/embed', async (request, reply) => {
    const b = body(request);
    for (const k of ['truncate', 'normalize'] as const)
      if (b[k] !== undefined && typeof b[k] !== 'boolean') throw invalid(`'${k}' must be a boolean.`, k);
    const dimensions = checkDimensions(b.dimensions);
    const prompt = promptOf(b);
    const chunk = longInputs(b);
    const prepared = await prepare(
      b.inputs,
      'inputs',
      chunk !== undefined || ((b.truncate as boolean | undefined) ?? false),
      false,
      prompt,
    );
    const rows = chunk
      ? (await chunked(b.inputs, prepared, prompt, chunk, dimensions)).rows
      : await scheduler.submit(prepared.ids, await poolFrom(prompt));
    if (prepared.truncated && !chunk) reply.header('x-sentvec-truncated-inputs', String(prepared.truncated));
    const normalize = (b.normalize as boolean | undefined) ?? true;
    reply.type(JSON_TYPE);
    return jsonArray(rows, (row) => Array.from(shape(row, dimensions, normalize)));
  });

  app.post('/tokenize', async (request, reply) => {
    const b = body(request);
    const inputs = typeof b.inputs === 'string' ? [b.inputs] : b.inputs;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === 'string'))
      throw invalid(`'inputs' must be a string or a non-empty array of strings.`, 'inputs');
    if (inputs.length > maxInputs)
      throw invalid(`'inputs' has ${inputs.length} inputs; at most ${maxInputs} are allowed per request.`, 'inputs', 'too_many_inputs');
    (inputs as string[]).forEach((text, i) => checkText(text, 'inputs', i));
    const special = new Set(model.info.specialTokenIds);
    const tokenized = await model.tokenize(inputs as string[]);
    reply.type(JSON_TYPE);
    return jsonArray(tokenized, (t) => {
      const tokens = t.tokens;
      return Array.from(t.ids, (id, k) => ({ id, text: tokens[k], special: special.has(id) }));
    });
  });

  // Search the store: the queries are embedded (with the model's 'query' prompt when it has one,
  // like the CLI) and their nearest stored vectors returned, best first.
  if (store) {
    app.post('/v1/search', async (request, reply) => {
      const b = body(request);
      for (const k of Object.keys(b))
        if (!SEARCH_FIELDS.has(k)) throw invalid(`Unknown field '${k}'; known: ${[...SEARCH_FIELDS].join(', ')}.`, k);
      const topK = b.top_k ?? 10;
      if (!Number.isInteger(topK) || (topK as number) < 1 || (topK as number) > MAX_TOP_K)
        throw invalid(`'top_k' must be an integer from 1 to ${MAX_TOP_K}.`, 'top_k');
      const include = b.include ?? ['text', 'metadata'];
      if (!Array.isArray(include) || !include.every((f) => f === 'text' || f === 'metadata'))
        throw invalid(`'include' must be an array of 'text' and 'metadata'.`, 'include');
      let filter: VectorSearchOptions['filter'];
      if (b.filter !== undefined) {
        const f = b.filter as Record<string, unknown>;
        const keys = f !== null && typeof f === 'object' && !Array.isArray(f) ? Object.keys(f) : [];
        if (keys.length !== 1 || (keys[0] !== 'metadata' && keys[0] !== 'ids'))
          throw invalid(`'filter' must be {"metadata": {…}} (rows whose metadata contains it) or {"ids": [...]}.`, 'filter');
        if (keys[0] === 'metadata') {
          if (f.metadata === null || typeof f.metadata !== 'object' || Array.isArray(f.metadata))
            throw invalid(`'filter.metadata' must be a JSON object.`, 'filter');
          filter = { metadata: f.metadata as Record<string, unknown> };
        } else {
          const ids = f.ids;
          if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id >= 0))
            throw invalid(`'filter.ids' must be an array of non-negative integers.`, 'filter');
          filter = ids as number[];
        }
      }
      const prompt = promptOf({ prompt_name: b.prompt_name ?? (Object.hasOwn(model.prompts, 'query') ? 'query' : undefined) });
      const prepared = await prepare(b.query, 'query', true, false, prompt);
      const rows = (await scheduler.submit(prepared.ids, await poolFrom(prompt))).map((row) => shape(row, model.dimension, true));
      // The store is asked a page of queries at a time and each query's results are serialized as
      // they come, so that what the server holds is one page of rows plus the answer so far, and
      // an answer past maxResponseBytes stops at the first query that passes it.
      const perPage = Math.max(1, Math.floor(SEARCH_PAGE_ROWS / (topK as number)));
      const parts: string[] = [];
      let bytes = 0;
      for (let first = 0; first < rows.length; first += perPage) {
        const page = rows.slice(first, first + perPage);
        const results = await store.search(page, { topK: topK as number, filter, include: include as DocumentField[] });
        for (const [k, r] of results.entries()) {
          const part = JSON.stringify({
            index: first + k,
            results: Array.from(r.ids, (id, j) => ({
              // A JSON number loses integers above 2^53: those ids are sent as strings.
              id: id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : String(id),
              score: r.scores[j],
              ...(r.texts ? { text: r.texts[j] } : {}),
              ...(r.metadata ? { metadata: r.metadata[j] } : {}),
            })),
          });
          bytes += Buffer.byteLength(part) + 1;
          if (bytes > maxResponseBytes)
            throw new HttpError(
              413,
              `The results of the first ${first + k + 1} of ${rows.length} queries already pass the server's limit of ${maxResponseBytes} bytes per answer (maxResponseBytes): ask for fewer results ('top_k'), fewer fields ('include': []), or send fewer queries per request.`,
              'invalid_request_error',
              null,
              'response_too_large',
            );
          parts.push(part);
        }
        // A store answering without I/O (in memory, cached) would keep the event loop from
        // /health and every other request until the last page: let them in between pages.
        await new Promise(setImmediate);
      }
      const usage = { prompt_tokens: prepared.tokens, total_tokens: prepared.tokens };
      reply.type(JSON_TYPE);
      return `{"object":"list","data":[${parts.join(',')}],"model":${JSON.stringify(typeof b.model === 'string' ? b.model : modelName)},"usage":${JSON.stringify(usage)}}`;
    });
  }

  app.get('/health', async (_request, reply) => {
    if (draining) reply.status(503);
    return { status: draining ? 'shutting_down' : 'ok', model: modelName, dimension: model.dimension, maxSeqLength: model.maxSeqLength };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', m.registry.contentType);
    return m.registry.metrics();
  });

  return app;
}
