// A stand-in for a cross-encoder: the `Reranker` contract (lib/model/cross-encoder.ts), scoring a
// pair by the share of the query's words that the passage holds. For the adapters' tests until
// real cross-encoders load.
const words = (text) => new Set(text.toLowerCase().match(/\p{L}+/gu) ?? []);

export class FakeReranker {
  info = { numLabels: 1, activation: 'identity', maxSeqLength: 512 };
  disposed = false;
  calls = [];

  async predict(pairs) {
    if (this.disposed) throw new Error('disposed');
    return Float32Array.from(pairs, ([query, passage]) => {
      const q = words(query);
      const p = words(passage);
      let shared = 0;
      for (const w of q) if (p.has(w)) shared++;
      return q.size === 0 ? 0 : shared / q.size;
    });
  }

  async rank(query, documents, options = {}) {
    this.calls.push({ query, documents: [...documents], options });
    const scores = await this.predict(documents.map((d) => [query, d]));
    const ranked = Array.from(scores, (score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
    const top = ranked.slice(0, options.topK ?? ranked.length);
    return options.returnDocuments ? top.map((r) => ({ ...r, document: documents[r.index] })) : top;
  }

  async dispose() {
    this.disposed = true;
  }
}
