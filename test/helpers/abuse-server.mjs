// The server of test/server-abuse.test.mjs, in a process of its own so that its memory can be
// measured and a crash cannot take the test runner with it: the tiny model with every limit at its
// default, /v1/search from a fake store of 1,000 passages of 4 KB. It sends its URL over IPC and
// answers 'memory' with its peak and current RSS.
import { fakeStore } from './fake-store.mjs';
import { tinyModel } from './models.mjs';
import { sentvec, server } from './sentvec.mjs';

const model = await sentvec.Model.load(tinyModel());
const app = await server.createServer(model, { apiKey: 'sk-abuse', store: fakeStore(model.dimension) });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.on('message', async (message) => {
  if (message === 'memory') {
    process.send({ peakRss: process.resourceUsage().maxRSS * 1024, rss: process.memoryUsage().rss });
  } else if (message === 'stop') {
    await app.close();
    model.dispose();
    process.disconnect();
  }
});
process.send({ url });
