// The reranking routes over a cross-encoder: POST /v1/rerank in Cohere's and Jina's shape, and
// POST /rerank in Hugging Face TEI's. Both score every document against the query and answer the
// best first; their fields are checked with the same limits as the embedding routes' inputs.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { FieldError } from '../errors';
import { HttpError } from './errors';
import type { Activation, RankResult, Reranker } from '../model/cross-encoder';
import { checkRanked } from '../search/rerank';
import { fieldBoolean, fieldInteger, fieldObject } from '../validate';
import { checkText, type InputLimits } from './request';
import { JSON_TYPE, jsonArray, modelField } from './routes';

export interface RerankContext {
  reranker: Reranker;
  /** Name reported in /v1/rerank's `model` field when the request names none. */
  rerankerName: string;
  limits: InputLimits;
  /** Most pairs (documents) one request may ask for: the server's maxRerankPairs. */
  maxPairs: number;
}

/** The 400 of a request asking the cross-encoder for more pairs than the server's maxRerankPairs. */
export function tooManyPairs(param: string, asked: string, pairs: number, maxPairs: number, todo: string): HttpError {
  return new HttpError(
    400,
    `${asked} ${pairs} cross-encoder pairs; this server allows at most ${maxPairs} per request (maxRerankPairs): ${todo}.`,
    'invalid_request_error',
    param,
    'too_many_pairs',
  );
}

// Cohere bills a query with up to 100 documents as one search unit: its clients read usage so.
const DOCUMENTS_PER_SEARCH_UNIT = 100;
// top_n past the documents' count means all of them (Cohere, Jina): any positive int32 is taken.
const MAX_TOP_N = 2 ** 31 - 1;

function queryField(value: unknown, limits: InputLimits): string {
  if (typeof value !== 'string' || value === '') throw new FieldError(`'query' must be a non-empty string.`, 'query');
  checkText(value, 'query', 0, limits.maxInputChars);
  return value;
}

// The documents of a request: strings, or (Cohere, Jina) objects with a string `text`.
function documentsField(value: unknown, param: string, allowObjects: boolean, limits: InputLimits, maxPairs: number): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new FieldError(`'${param}' must be a non-empty array of ${allowObjects ? 'strings or {"text": …} objects' : 'strings'}.`, param);
  if (value.length > limits.maxInputs)
    throw new FieldError(
      `'${param}' has ${value.length} documents; at most ${limits.maxInputs} are allowed per request.`,
      param,
      'too_many_inputs',
    );
  if (value.length > maxPairs)
    throw tooManyPairs(
      param,
      `'${param}' has ${value.length} documents, which is`,
      value.length,
      maxPairs,
      'send fewer documents per request',
    );
  return value.map((d: unknown, i) => {
    const text =
      typeof d === 'string'
        ? d
        : allowObjects && d !== null && typeof d === 'object' && typeof (d as { text?: unknown }).text === 'string'
          ? (d as { text: string }).text
          : undefined;
    if (text === undefined)
      throw new FieldError(`${param}[${i}] must be a string${allowObjects ? ' or an object with a string "text"' : ''}.`, `${param}[${i}]`);
    checkText(text, param, i, limits.maxInputChars);
    return text;
  });
}

async function rank(reranker: Reranker, query: string, documents: string[], topN: number, activation?: Activation): Promise<RankResult[]> {
  const topK = Math.min(topN, documents.length);
  return checkRanked(await reranker.rank(query, documents, { topK, ...(activation ? { activation } : {}) }), documents.length, topK);
}

export function rerankRoutes(app: FastifyInstance, { reranker, rerankerName, limits, maxPairs }: RerankContext): void {
  app.post('/v1/rerank', async (request, reply) => {
    const b = fieldObject(request.body);
    const query = queryField(b.query, limits);
    const documents = documentsField(b.documents, 'documents', true, limits, maxPairs);
    const topN = b.top_n === undefined || b.top_n === null ? documents.length : fieldInteger(b.top_n, 1, MAX_TOP_N, 'top_n');
    const returnDocuments = fieldBoolean(b.return_documents, 'return_documents') ?? false;
    const ranked = await rank(reranker, query, documents, topN);
    const results = await jsonArray(ranked, (r) => ({
      index: r.index,
      relevance_score: r.score,
      ...(returnDocuments ? { document: { text: documents[r.index] } } : {}),
    }));
    const searchUnits = Math.ceil(documents.length / DOCUMENTS_PER_SEARCH_UNIT);
    reply.type(JSON_TYPE);
    return (
      `{"id":"${randomUUID()}","results":${results},"model":${modelField(b, rerankerName)},` +
      `"usage":{"search_units":${searchUnits}},"meta":{"billed_units":{"search_units":${searchUnits}}}}`
    );
  });

  app.post('/rerank', async (request, reply) => {
    const b = fieldObject(request.body);
    const query = queryField(b.query, limits);
    const texts = documentsField(b.texts, 'texts', false, limits, maxPairs);
    const rawScores = fieldBoolean(b.raw_scores, 'raw_scores') ?? false;
    const returnText = fieldBoolean(b.return_text, 'return_text') ?? false;
    // TEI refuses a pair longer than the model unless asked to truncate; a cross-encoder here always
    // cuts the longer side (sentence-transformers' longest_first), so both values give that.
    fieldBoolean(b.truncate, 'truncate');
    const ranked = await rank(reranker, query, texts, texts.length, rawScores ? 'none' : undefined);
    reply.type(JSON_TYPE);
    return jsonArray(ranked, (r) => ({ index: r.index, score: r.score, ...(returnText ? { text: texts[r.index] } : {}) }));
  });
}
