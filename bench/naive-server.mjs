// The baseline the serve suite compares with: one encode([text]) per request, no coalescing.
//   node bench/naive-server.mjs <model-dir>   (prints "listening on <url>")
import Fastify from 'fastify';
import { createRequire } from 'node:module';

const { Model } = createRequire(import.meta.url)('..');
// The same engine settings as `sentvec serve` (no spinning): only the coalescing differs.
const model = await Model.load(process.argv[2], { scheduler: false, spinning: false });
const app = Fastify();
app.post('/v1/embeddings', async (request) => {
  const e = await model.encode([request.body.input], { normalize: true });
  return { object: 'list', data: [{ object: 'embedding', index: 0, embedding: Array.from(e.get(0)) }] };
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write(`listening on ${url}\n`);
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
