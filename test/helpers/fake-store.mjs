// A stand-in for PostgresStore in server tests: `count` stored passages of 4 KB, answered the way
// PostgresStore.search answers (ids, scores, texts, metadata), counting the rows it is asked for.
export function fakeStore(dimension, count = 1000) {
  const texts = Array.from({ length: count }, (_, i) => `passage ${i} `.padEnd(4096, 'lorem ipsum '));
  const store = {
    dimension,
    texts,
    rowsAsked: 0,
    largestCall: 0,
    async search(queries, { topK, include }) {
      const k = Math.min(topK, count);
      store.rowsAsked += queries.length * k;
      store.largestCall = Math.max(store.largestCall, queries.length * k);
      return queries.map((_, q) => ({
        ids: BigUint64Array.from({ length: k }, (_, i) => BigInt((q + i) % count)),
        scores: Float32Array.from({ length: k }, (_, i) => 1 - i / k),
        ...(include.includes('text') ? { texts: Array.from({ length: k }, (_, i) => texts[(q + i) % count]) } : {}),
        ...(include.includes('metadata') ? { metadata: Array.from({ length: k }, (_, i) => ({ n: (q + i) % count })) } : {}),
      }));
    },
  };
  return store;
}
