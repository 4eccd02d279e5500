// The server the rerank suite's end-to-end figure loads (bench/rerank.mjs): `createServer` with an
// embedding model, an Index over a corpus, and a cross-encoder, the engines set as `sentvec serve`
// sets them (no spinning). The Index keeps vectors only, so the store the server searches hands
// the reranker each hit's text from the corpus (what a PostgresStore returns from its rows).
//   node bench/rerank-server.mjs <model-dir> <reranker-dir> <passages>   (prints "listening on <url>")
import { createRequire } from 'node:module';
import { realisticCorpus } from '../scripts/model/corpus.mjs';

const require = createRequire(import.meta.url);
const { CrossEncoder, Index, Model } = require('..');
const { createServer } = require('../dist/lib/server/index.js');

const [modelDir, rerankerDir, count] = process.argv.slice(2);
const model = await Model.load(modelDir, { spinning: false });
const reranker = await CrossEncoder.load(rerankerDir, { spinning: false });
const passages = realisticCorpus(Number(count), 3);
const index = new Index({ dimension: model.dimension });
await index.add(await model.encode(passages, { normalize: true, batchSize: 64 }));
const store = {
  dimension: index.dimension,
  async search(queries, options) {
    const results = await index.search(queries, options);
    return results.map((r) => ({ ...r, texts: Array.from(r.ids, (id) => passages[Number(id)]) }));
  },
};
const app = await createServer(model, { store, reranker, logger: 'errors' });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write(`listening on ${url}\n`);
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
