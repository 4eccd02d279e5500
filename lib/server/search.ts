// POST /v1/search: the queries are embedded (with the model's 'query' prompt when it has one, like
// the CLI) and their nearest stored vectors returned, best first; with "rerank": true (a server
// with a reranker), the nearest `candidates` reordered by the cross-encoder.
import type { FastifyInstance } from 'fastify';
import type { DocumentField, RerankOptions, VectorSearchOptions, VectorStore } from '../search/contract';
import type { Reranker } from '../model/cross-encoder';
import { fieldBoolean, fieldInteger, fieldObject } from '../validate';
import { HttpError, invalid } from './errors';
import { embed, promptField } from './request';
import { JSON_TYPE, modelField, type RouteContext } from './routes';
import { searchAndRerank } from '../search/rerank';
import { tooManyPairs } from './rerank';

/** What POST /v1/search needs of a store. @deprecated The search contract's name is `VectorStore`. */
export type SearchableStore = VectorStore;

const SEARCH_FIELDS = new Set(['query', 'top_k', 'filter', 'include', 'prompt_name', 'model', 'rerank', 'candidates']);
// Most results per query over HTTP: a client wanting more pages through ids with filters.
const MAX_TOP_K = 1000;
// Most candidates per query a reranked search reads: each is a cross-encoder pass.
const MAX_CANDIDATES = 10_000;
// Rows /v1/search asks the store for at once (at least one query's): a page of 4 KB texts is 16 MB.
const SEARCH_PAGE_ROWS = 4096;

// `filter`: {"metadata": {…}} or {"ids": [...]}.
function filterField(value: unknown): VectorSearchOptions['filter'] {
  if (value === undefined) return undefined;
  const f = value as Record<string, unknown>;
  const keys = f !== null && typeof f === 'object' && !Array.isArray(f) ? Object.keys(f) : [];
  if (keys.length !== 1 || (keys[0] !== 'metadata' && keys[0] !== 'ids'))
    throw invalid(`'filter' must be {"metadata": {…}} (rows whose metadata contains it) or {"ids": [...]}.`, 'filter');
  if (keys[0] === 'metadata') {
    if (f.metadata === null || typeof f.metadata !== 'object' || Array.isArray(f.metadata))
      throw invalid(`'filter.metadata' must be a JSON object.`, 'filter');
    return { metadata: f.metadata as Record<string, unknown> };
  }
  const ids = f.ids;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id >= 0))
    throw invalid(`'filter.ids' must be an array of non-negative integers.`, 'filter');
  return ids as number[];
}

/** The server's reranker and its maxRerankPairs. */
export interface ServedReranker {
  reranker: Reranker;
  maxPairs: number;
}

// The reranking of a request: none, or the cross-encoder, the candidates and the queries' texts.
function rerankFields(b: Record<string, unknown>, topK: number, served: ServedReranker | undefined): RerankOptions | undefined {
  const rerank = fieldBoolean(b.rerank, 'rerank') ?? false;
  if (!rerank) {
    if (b.candidates !== undefined) throw invalid(`'candidates' is how many hits "rerank": true reorders: send both.`, 'candidates');
    return undefined;
  }
  if (!served)
    throw new HttpError(
      400,
      `This server serves no reranker, so 'rerank' cannot be true; serve a cross-encoder beside the model (sentvec serve --reranker <dir>).`,
      'invalid_request_error',
      'rerank',
      'reranker_not_served',
    );
  const candidates = fieldInteger(b.candidates ?? Math.min(Math.max(topK, 100), MAX_CANDIDATES), topK, MAX_CANDIDATES, 'candidates');
  // Checked before the queries are embedded: the pairs are the request's whole reranking work.
  const queries = Array.isArray(b.query) ? b.query.length : 1;
  if (queries * candidates > served.maxPairs)
    throw tooManyPairs(
      queries > 1 ? 'query' : 'candidates',
      `"rerank": true with ${queries} ${queries === 1 ? 'query' : 'queries'} × ${candidates} candidates asks for`,
      queries * candidates,
      served.maxPairs,
      "send fewer queries per request, or ask for fewer 'candidates'",
    );
  // The texts were checked as the embedding's inputs (allowTokens: false): strings only.
  const queryText = typeof b.query === 'string' ? [b.query] : (b.query as string[]);
  return { rerank: served.reranker, candidates, queryText };
}

export function searchRoute(
  app: FastifyInstance,
  context: RouteContext,
  store: VectorStore,
  maxResponseBytes: number,
  reranker?: ServedReranker,
): void {
  const { model, modelName, limits, metrics: m } = context;
  // Answers being built or sent, all requests together: twice maxResponseBytes, so that two maximal
  // answers pass at once (24 answers of 62 MB at once ran a 1 GB heap out inside JSON.stringify).
  const answerBudget = 2 * maxResponseBytes;
  let answerBytes = 0;
  app.post('/v1/search', async (request, reply) => {
    const b = fieldObject(request.body);
    for (const k of Object.keys(b))
      if (!SEARCH_FIELDS.has(k)) throw invalid(`Unknown field '${k}'; known: ${[...SEARCH_FIELDS].join(', ')}.`, k);
    const topK = fieldInteger(b.top_k ?? 10, 1, MAX_TOP_K, 'top_k');
    const include = b.include ?? ['text', 'metadata'];
    if (!Array.isArray(include) || !include.every((f) => f === 'text' || f === 'metadata'))
      throw invalid(`'include' must be an array of 'text' and 'metadata'.`, 'include');
    const filter = filterField(b.filter);
    const rerank = rerankFields(b, topK, reranker);
    const prompt = promptField(model, b.prompt_name, Object.hasOwn(model.prompts, 'query') ? 'query' : undefined);
    const call = {
      param: 'query',
      allowTokens: false,
      prompt,
      chunk: undefined,
      truncate: true,
      dimensions: model.dimension,
      normalize: true,
    };
    const { embeddings, tokens } = await embed(model, limits, b.query, call, (n) => m.truncated.inc(n));
    const rows = [...embeddings];
    // The store is asked a page of queries at a time and each query's results are serialized as
    // they come, so that what the server holds is one page of rows plus the answer so far, and
    // an answer past maxResponseBytes stops at the first query that passes it.
    const perPage = Math.max(1, Math.floor(SEARCH_PAGE_ROWS / (rerank?.candidates ?? topK)));
    const parts: string[] = [];
    let bytes = 0;
    // This answer's share of answerBudget, held until its last byte is sent (or the client goes).
    let reserved = 0;
    // Closed before the answer is sent: the client has gone.
    let gone = false;
    reply.raw.once('close', () => {
      gone = true;
      answerBytes -= reserved;
      reserved = 0;
    });
    for (let first = 0; first < rows.length; first += perPage) {
      // A client that left stops the work on its pages: a reranked page is seconds of a cross-encoder.
      if (gone)
        throw new HttpError(
          408,
          `The client closed the connection after ${first} of ${rows.length} queries; the rest were not searched.`,
          'invalid_request_error',
          null,
          'client_closed',
        );
      const page = rows.slice(first, first + perPage);
      const options = { topK, filter, include: include as DocumentField[] };
      const results = rerank
        ? await searchAndRerank(page.length, { ...options, ...rerank, queryText: rerank.queryText!.slice(first, first + perPage) }, (o) =>
            store.search(page, o),
          )
        : await store.search(page, options);
      for (const [k, r] of results.entries()) {
        const part = JSON.stringify({
          index: first + k,
          results: Array.from(r.ids, (id, j) => ({
            // A JSON number loses integers above 2^53: those ids are sent as strings.
            id: id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : String(id),
            score: r.scores[j],
            ...(r.retrievalScores ? { retrieval_score: r.retrievalScores[j] } : {}),
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
        if (answerBytes + Buffer.byteLength(part) + 1 > answerBudget)
          throw new HttpError(
            429,
            `The server is building or sending ${answerBytes} bytes of /v1/search answers, and this one would pass its limit of ${answerBudget} (2 × maxResponseBytes). Retry shortly, or ask for fewer results ('top_k') or fields ('include').`,
            'rate_limit_error',
            null,
            'server_busy',
          );
        answerBytes += Buffer.byteLength(part) + 1;
        reserved += Buffer.byteLength(part) + 1;
        parts.push(part);
      }
      // A store answering without I/O (in memory, cached) would keep the event loop from
      // /health and every other request until the last page: let them in between pages.
      await new Promise(setImmediate);
    }
    const usage = { prompt_tokens: tokens, total_tokens: tokens };
    reply.type(JSON_TYPE);
    return `{"object":"list","data":[${parts.join(',')}],"model":${modelField(b, modelName)},"usage":${JSON.stringify(usage)}}`;
  });
}
