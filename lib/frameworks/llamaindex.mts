// sentvec/llamaindex for import: SentvecEmbedding on the ES module build of llamaindex, the one an
// `import ... from 'llamaindex'` loads (see llamaindex-embedding.ts). Static imports only: this file is
// compiled with the CommonJS settings, which refuse import.meta and top-level await.
import { BaseEmbedding } from 'llamaindex';
import { sentvecEmbeddingClass } from './llamaindex-embedding.js';

/** A LlamaIndex embedding model running a sentvec model (see SentvecEmbeddingParams); this is the ES module entry, for import. */
export const SentvecEmbedding = sentvecEmbeddingClass(BaseEmbedding);
