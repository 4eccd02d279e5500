// A stand-in for CrossEncoder (the Reranker interface of lib/model/cross-encoder.ts) until the real
// one is built: a pair's score is the share of the query's words found in the passage, so that a
// test knows the order it must see. Deterministic; counts its calls. CommonJS, so that the CLI's
// tests can preload it (fake-reranker-preload.cjs).
'use strict';

const words = (text) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

function overlap(query, passage) {
  const q = words(query);
  if (q.size === 0) return 0;
  const p = words(passage);
  let shared = 0;
  for (const w of q) if (p.has(w)) shared++;
  return shared / q.size;
}

class FakeReranker {
  constructor({ delayMs = 0 } = {}) {
    this.info = Object.freeze({ numLabels: 1, activation: 'sigmoid', maxSeqLength: 512 });
    this.delayMs = delayMs;
    this.calls = [];
    this.disposed = false;
  }

  async predict(pairs, options = {}) {
    if (this.disposed) throw Object.assign(new Error('the reranker was disposed'), { code: 'ERR_DISPOSED' });
    this.calls.push({ method: 'predict', pairs: pairs.length, options });
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    // 'none' (raw logits) stands apart from the default by an affine map, as a logit does from its sigmoid.
    const raw = options.activation === 'none';
    return Float32Array.from(pairs, ([q, p]) => (raw ? overlap(q, p) * 10 - 5 : overlap(q, p)));
  }

  async rank(query, documents, options = {}) {
    const scores = await this.predict(
      documents.map((d) => [query, d]),
      options,
    );
    this.calls[this.calls.length - 1].method = 'rank';
    const order = Array.from(documents, (_, index) => index).sort((a, b) => scores[b] - scores[a] || a - b);
    return order.slice(0, options.topK ?? documents.length).map((index) => ({
      index,
      score: scores[index],
      ...(options.returnDocuments ? { document: documents[index] } : {}),
    }));
  }

  async dispose() {
    this.disposed = true;
  }
}

module.exports = { FakeReranker, overlap };
