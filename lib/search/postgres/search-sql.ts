// A search as one SQL text: the settings and a lateral ORDER BY … LIMIT per query vector, and the
// rows it answers grouped back into one result per query.
import { InvalidArgumentError } from '../../errors';
import { toIds } from '../vector-index';
import type { DocumentField, VectorSearchResult } from '../contract';
import { loadDrivers, type QueryResult } from './drivers';
import { I64_MAX, jsonObject } from './values';
import { RANGES } from '../../validate';

/** One search, checked: the queries (flat, normalized as the store's rows) and how to search. */
export interface SearchPlan {
  /** The store's quoted table name. */
  table: string;
  dimension: number;
  flat: Float32Array;
  count: number;
  topK: number;
  exact: boolean;
  efSearch: number;
  include: readonly DocumentField[];
  /** The filter as a WHERE clause ('' for none). */
  where: string;
}

/** The filter of a search as a WHERE clause: ids, a bitmap over ids, or metadata containment (jsonb `@>`). */
export function filterSql(filter: unknown): string {
  if (filter === undefined) return '';
  const ids = (list: ArrayLike<bigint | string | number>) => ` WHERE id = ANY('{${Array.from(list, String).join(',')}}'::bigint[])`;
  if (filter !== null && typeof filter === 'object' && !Array.isArray(filter) && !ArrayBuffer.isView(filter)) {
    if ('metadata' in filter) {
      const json = jsonObject((filter as { metadata: unknown }).metadata, 'filter.metadata');
      return ` WHERE metadata @> ${loadDrivers().escapeLiteral(json)}::jsonb`;
    }
    if ('bitmap' in filter) {
      const bitmap = (filter as { bitmap: unknown }).bitmap;
      if (!(bitmap instanceof Uint8Array)) throw new InvalidArgumentError('Expected a Uint8Array for filter.bitmap');
      const set: number[] = [];
      for (let i = 0; i < bitmap.length; i++) for (let b = 0; b < 8; b++) if ((bitmap[i] >> b) & 1) set.push(i * 8 + b);
      return ids(set);
    }
  }
  // Ids above bigint's range cannot be stored, so they match nothing (as unknown ids in Index).
  return ids(toIds(filter, 'filter').filter((id) => id <= I64_MAX));
}

/**
 * One round trip: the settings and the query go as one simple-protocol message (one implicit
 * transaction, so SET LOCAL ends with it), with every value written into the text: numbers
 * only, except the metadata filter, quoted by pg's escapeLiteral. Each query vector is a
 * constant (parsed once, not per row) and runs as its own ORDER BY … LIMIT: an HNSW index scan
 * unless exact.
 */
export function searchSql({ table, dimension, flat, count, topK, exact, efSearch, include, where }: SearchPlan): string {
  const { toSql } = loadDrivers();
  const vectors = Array.from({ length: count }, (_, q) => `'${toSql(Array.from(flat.subarray(q * dimension, (q + 1) * dimension)))}'`);
  const settings = exact
    ? // The HNSW index could still feed an incremental sort; exact means every row is scored.
      ['SET LOCAL enable_indexscan = off']
    : [
        `SET LOCAL hnsw.ef_search = ${Math.min(RANGES.efSearch[1], Math.max(efSearch, topK))}`,
        // With a filter or a topK above ef_search, pgvector 0.8 goes on walking the graph until
        // LIMIT rows pass (up to max_scan_tuples) instead of returning fewer.
        'SET LOCAL hnsw.iterative_scan = strict_order',
        `SET LOCAL hnsw.max_scan_tuples = ${Math.min(2 ** 31 - 1, Math.max(20_000, topK * 2))}`,
      ];
  const columns = ['r.id', 'r.score', ...include.map((f) => `r.${f}`)];
  return (
    `${settings.join('; ')}; ` +
    `SELECT q.ord AS q, ${columns.join(', ')} FROM unnest(ARRAY[${vectors.join(',')}]::vector[]) WITH ORDINALITY AS q(v, ord) ` +
    `CROSS JOIN LATERAL (SELECT id, -(embedding <#> q.v) AS score${include.map((f) => `, ${f}`).join('')} FROM ${table}${where} ` +
    `ORDER BY embedding <#> q.v${exact ? ', id' : ''} LIMIT ${Math.min(topK, 2 ** 62)}) r ORDER BY q.ord, r.score DESC, r.id`
  );
}

/** The rows of the search's last statement, one result per query in the queries' order. */
export function searchResults(
  replies: QueryResult | QueryResult[],
  count: number,
  include: readonly DocumentField[],
): VectorSearchResult[] {
  const result = Array.isArray(replies) ? replies[replies.length - 1] : replies;
  const grouped: Record<string, unknown>[][] = Array.from({ length: count }, () => []);
  for (const row of result.rows) grouped[Number(row.q) - 1].push(row);
  return grouped.map((hits): VectorSearchResult => {
    const out: VectorSearchResult = {
      ids: BigUint64Array.from(hits, (h) => BigInt(h.id as string)),
      scores: Float32Array.from(hits, (h) => h.score as number),
    };
    if (include.includes('text')) out.texts = hits.map((h) => (h.text as string | null) ?? null);
    if (include.includes('metadata')) out.metadata = hits.map((h) => (h.metadata as Record<string, unknown> | null) ?? null);
    return out;
  });
}
