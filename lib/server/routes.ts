// The routes over the model: POST /v1/embeddings and GET /v1/models (OpenAI), POST /embed and
// POST /tokenize (TEI), GET /health and GET /metrics. Each turns a request into a Model call and its result into JSON.
import type { FastifyInstance } from 'fastify';
import type { Model } from '../model/model';
import type { CrossEncoderInfo } from '../model/cross-encoder';
import { fieldBoolean, fieldObject, fieldOneOf } from '../validate';
import type { ServerMetrics } from './metrics';
import { chunkField, checkText, dimensionsField, embed, promptField, type InputLimits } from './request';
import { FieldError } from '../errors';
import { HttpError } from './errors';

export const JSON_TYPE = 'application/json; charset=utf-8';
// Answers are serialized this many elements at a time, with the event loop let in between: a
// maximal answer in one piece (2,048 inputs' tokens or vectors) would hold it for hundreds of ms.
const SERIALIZE_SLICE = 128;

/** `items` as a JSON array, each element `toJson(item)`. */
export async function jsonArray<T>(items: Iterable<T> & { length: number }, toJson: (item: T, index: number) => unknown): Promise<string> {
  const parts = new Array<string>(items.length);
  let i = 0;
  for (const item of items) {
    if (i > 0 && i % SERIALIZE_SLICE === 0) await new Promise(setImmediate);
    parts[i] = JSON.stringify(toJson(item, i));
    i++;
  }
  return `[${parts.join(',')}]`;
}

/** The `model` field of an answer: the request's, else the server's name. */
export function modelField(b: Record<string, unknown>, modelName: string): string {
  return JSON.stringify(typeof b.model === 'string' ? b.model : modelName);
}

export interface RouteContext {
  model: Model;
  modelName: string;
  limits: InputLimits;
  metrics: ServerMetrics;
  draining: () => boolean;
}

export function embeddingRoutes(app: FastifyInstance, { model, modelName, limits, metrics: m }: RouteContext): void {
  const countTruncated = (n: number) => m.truncated.inc(n);

  app.post('/v1/embeddings', async (request, reply) => {
    const b = fieldObject(request.body);
    const format = fieldOneOf(b.encoding_format ?? 'float', ['float', 'base64'], 'encoding_format');
    const truncate = fieldBoolean(b.truncate, 'truncate') ?? true;
    const dimensions = dimensionsField(model, b.dimensions);
    const prompt = promptField(model, b.prompt_name, undefined);
    const chunk = chunkField(model, b);
    const call = { param: 'input', allowTokens: true, prompt, chunk, truncate, dimensions, normalize: true };
    const { embeddings, tokens, truncated, chunked } = await embed(model, limits, b.input, call, countTruncated);
    if (truncated && !chunked) reply.header('x-sentvec-truncated-inputs', String(truncated));
    const data = await jsonArray(embeddings, (v, index) => ({
      object: 'embedding',
      index,
      embedding: format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
    }));
    const usage = { prompt_tokens: tokens, total_tokens: tokens };
    reply.type(JSON_TYPE);
    return `{"object":"list","data":${data},"model":${modelField(b, modelName)},"usage":${JSON.stringify(usage)}}`;
  });

  app.post('/embed', async (request, reply) => {
    const b = fieldObject(request.body);
    const truncate = fieldBoolean(b.truncate, 'truncate') ?? false;
    const normalize = fieldBoolean(b.normalize, 'normalize') ?? true;
    const dimensions = dimensionsField(model, b.dimensions);
    const prompt = promptField(model, b.prompt_name, undefined);
    const chunk = chunkField(model, b);
    const call = { param: 'inputs', allowTokens: false, prompt, chunk, truncate, dimensions, normalize };
    const { embeddings, truncated, chunked } = await embed(model, limits, b.inputs, call, countTruncated);
    if (truncated && !chunked) reply.header('x-sentvec-truncated-inputs', String(truncated));
    reply.type(JSON_TYPE);
    return jsonArray(embeddings, (row) => Array.from(row));
  });

  app.post('/tokenize', async (request, reply) => {
    const b = fieldObject(request.body);
    const inputs = typeof b.inputs === 'string' ? [b.inputs] : b.inputs;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === 'string'))
      throw new FieldError(`'inputs' must be a string or a non-empty array of strings.`, 'inputs');
    if (inputs.length > limits.maxInputs)
      throw new FieldError(
        `'inputs' has ${inputs.length} inputs; at most ${limits.maxInputs} are allowed per request.`,
        'inputs',
        'too_many_inputs',
      );
    (inputs as string[]).forEach((text, i) => checkText(text, 'inputs', i, limits.maxInputChars));
    const special = new Set(model.info.specialTokenIds);
    const tokenized = await model.tokenize(inputs as string[]);
    reply.type(JSON_TYPE);
    return jsonArray(tokenized, (t) => {
      const tokens = t.tokens;
      return Array.from(t.ids, (id, k) => ({ id, text: tokens[k], special: special.has(id) }));
    });
  });
}

/** What GET /health and GET /metrics need: the embedding model and the reranker, each if served. */
export interface ServiceContext extends Omit<RouteContext, 'model'> {
  model: Model | undefined;
  reranker: { name: string; info: Readonly<CrossEncoderInfo> } | undefined;
}

export function serviceRoutes(app: FastifyInstance, { model, modelName, reranker, metrics: m, draining }: ServiceContext): void {
  app.get('/health', async (_request, reply) => {
    if (draining()) reply.status(503);
    return {
      status: draining() ? 'shutting_down' : 'ok',
      ...(model ? { model: modelName, dimension: model.dimension, maxSeqLength: model.maxSeqLength } : {}),
      ...(reranker ? { reranker: { model: reranker.name, maxSeqLength: reranker.info.maxSeqLength } } : {}),
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', m.registry.contentType);
    return m.registry.metrics();
  });
}

/**
 * GET /v1/models and GET /v1/models/{id} (OpenAI's list and retrieve): the one model served, as
 * `modelName`, for clients and gateways (LiteLLM, Open WebUI) that list models before they call.
 * `created` is when the server was made (Unix seconds), `owned_by` is 'sentvec'.
 */
export function modelRoutes(app: FastifyInstance, names: readonly string[]): void {
  const created = Math.floor(Date.now() / 1000);
  const entries = names.map((id) => ({ id, object: 'model', created, owned_by: 'sentvec' }));
  app.get('/v1/models', async () => ({ object: 'list', data: entries }));
  // Ids such as intfloat/multilingual-e5-small hold a slash, as they come or encoded (%2F).
  app.get('/v1/models/*', async (request) => {
    const id = (request.params as Record<string, string>)['*'];
    const entry = entries.find((e) => e.id === id);
    if (!entry)
      throw new HttpError(
        404,
        `The model '${id}' does not exist; this server serves ${names.map((n) => `'${n}'`).join(' and ')} (GET /v1/models lists them).`,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    return entry;
  });
}
