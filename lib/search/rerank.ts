// Retrieve, then rerank, for every store at once: a search with `{ rerank, candidates }` asks the
// store's own search for `candidates` hits per query (with their texts), has the cross-encoder
// score each against the query's text, and answers the best `topK` by that score. Written against
// the search contract only: Index and PostgresStore call it, and so does POST /v1/search over any VectorStore.
import { InferenceError, InvalidArgumentError } from '../errors';
import type { RankResult, Reranker } from '../model/cross-encoder';
import { describe, integerOption } from '../validate';
import type { DocumentField, RerankOptions, VectorSearchOptions, VectorSearchResult } from './contract';

/** The option names of RerankOptions, for the stores' lists of known options. */
export const RERANK_OPTIONS = ['rerank', 'candidates', 'queryText', 'documents'] as const;

// Candidates per query when `candidates` is not given: enough for the reranker to find what the
// vector search ranked low, few enough that a CPU cross-encoder answers one query in well under a second.
const DEFAULT_CANDIDATES = 100;

interface Checked {
  reranker: Reranker;
  topK: number;
  candidates: number;
  queryTexts: readonly string[];
  documents: RerankOptions['documents'];
}

function checkRerank(queryCount: number, options: VectorSearchOptions & RerankOptions): Checked {
  const reranker = options.rerank as unknown;
  if (reranker === null || typeof reranker !== 'object' || typeof (reranker as Reranker).rank !== 'function')
    throw new InvalidArgumentError(`Expected a CrossEncoder (or an object with rank()) for rerank but received ${describe(reranker)}`);
  const topK = options.topK === undefined ? 10 : integerOption(options.topK, 'topK');
  let candidates = Math.max(topK, DEFAULT_CANDIDATES);
  if (options.candidates !== undefined) {
    candidates = integerOption(options.candidates, 'candidates');
    if (candidates < topK)
      throw new InvalidArgumentError(
        `candidates (${candidates}) is less than topK (${topK}): the reranker can only return hits it was given; raise candidates or lower topK`,
      );
  }
  const text = options.queryText as unknown;
  const queryTexts = typeof text === 'string' ? [text] : text;
  if (!Array.isArray(queryTexts) || !queryTexts.every((q) => typeof q === 'string'))
    throw new InvalidArgumentError(
      `Expected the query's text (a string, or an array of one string per query) for queryText but received ${describe(text)}: the reranker reads the query as text, not as its vector`,
    );
  if (queryTexts.length !== queryCount)
    throw new InvalidArgumentError(`Expected ${queryCount} query texts (one per query) for queryText but received ${queryTexts.length}`);
  const documents = options.documents as unknown;
  if (documents !== undefined && !Array.isArray(documents))
    throw new InvalidArgumentError(`Expected an array of texts by id for documents but received ${describe(documents)}`);
  return { reranker: reranker as Reranker, topK, candidates, queryTexts: queryTexts as string[], documents };
}

/**
 * What a Reranker's rank() answered for `count` documents, checked: `min(topK, count)` results,
 * each index an integer below `count` and given once, each score finite. A Reranker may be any
 * object with rank(), and a wrong answer (NaN, a stray index, a result too many or too few) would
 * otherwise become a wrong result (a null score, a missing or repeated hit) with no error.
 * Throws InferenceError.
 */
export function checkRanked(ranked: unknown, count: number, topK: number): RankResult[] {
  const want = Math.min(topK, count);
  const bad = (what: string) =>
    new InferenceError(
      `the reranker's rank() answered ${what}; for ${count} documents and topK ${topK} it must answer ${want} results ({ index, score }: each index an integer from 0 to ${count - 1}, once; each score a finite number)`,
    );
  if (!Array.isArray(ranked)) throw bad(describe(ranked));
  if (ranked.length !== want) throw bad(`${ranked.length} results`);
  const seen = new Set<number>();
  ranked.forEach((r: unknown, i) => {
    const { index, score } = (r ?? {}) as { index?: unknown; score?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || seen.has(index))
      throw bad(`index ${describe(index)} in result ${i}`);
    if (typeof score !== 'number' || !Number.isFinite(score)) throw bad(`score ${describe(score)} in result ${i}`);
    seen.add(index);
  });
  return ranked as RankResult[];
}

// The text the reranker reads for hit j of a result: the application's (documents[id]) or the store's.
function candidateText(result: VectorSearchResult, j: number, documents: RerankOptions['documents']): string {
  const id = result.ids[j];
  if (documents) {
    const text = id < BigInt(documents.length) ? documents[Number(id)] : undefined;
    if (typeof text !== 'string')
      throw new InvalidArgumentError(
        `documents[${id}] is ${describe(text)}, but the vector with id ${id} is a candidate: documents must hold the text of every stored id`,
      );
    return text;
  }
  if (!result.texts)
    throw new InvalidArgumentError(
      'this store keeps no texts (an Index keeps vectors only), so the reranker has nothing to read: pass documents, the texts by id (documents[id] is the text of the vector with that id)',
    );
  const text = result.texts[j];
  if (typeof text !== 'string')
    throw new InvalidArgumentError(
      `the vector with id ${id} was stored without a text, so the reranker cannot score it: store texts with add(vectors, ids, { texts }), or pass documents`,
    );
  return text;
}

/**
 * Runs a search with `rerank`: `retrieve` is the store's own search (of the same queries, without
 * the rerank options). `queryCount` is the number of queries.
 */
export async function searchAndRerank<O extends VectorSearchOptions & RerankOptions>(
  queryCount: number,
  options: O,
  retrieve: (options: Omit<O, keyof RerankOptions>) => Promise<VectorSearchResult[]>,
): Promise<VectorSearchResult[]> {
  const rest: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  for (const key of RERANK_OPTIONS) delete rest[key];
  const { reranker, topK, candidates, queryTexts, documents } = checkRerank(queryCount, options);
  const asked: readonly DocumentField[] = options.include ?? [];
  // The store's texts are fetched when the reranker needs them, whatever `include` asked for.
  const include: DocumentField[] = documents || asked.includes('text') ? [...asked] : [...asked, 'text'];
  const retrieved = await retrieve({ ...rest, topK: candidates, include } as unknown as Omit<O, keyof RerankOptions>);
  return Promise.all(
    retrieved.map(async (result, q): Promise<VectorSearchResult> => {
      const texts = Array.from(result.ids, (_, j) => candidateText(result, j, documents));
      const ranked = texts.length === 0 ? [] : checkRanked(await reranker.rank(queryTexts[q], texts, { topK }), texts.length, topK);
      const pick = <T>(column: ArrayLike<T>) => ranked.map((r) => column[r.index]);
      return {
        ids: BigUint64Array.from(pick(result.ids)),
        scores: Float32Array.from(ranked, (r) => r.score),
        retrievalScores: Float32Array.from(pick(result.scores)),
        ...(asked.includes('text') && (documents || result.texts) ? { texts: pick(texts) } : {}),
        ...(asked.includes('metadata') && result.metadata ? { metadata: pick(result.metadata) } : {}),
      };
    }),
  );
}
