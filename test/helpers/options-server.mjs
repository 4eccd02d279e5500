// A server in a process of its own (so that a crash cannot take the test runner with it): the tiny
// model, /v1/search from a fake store of 1,000 passages of 4 KB, and the createServer options given
// as JSON in argv[2]. It sends its URL over IPC.
import { fakeStore } from './fake-store.mjs';
import { tinyModel } from './models.mjs';
import { sentvec, server } from './sentvec.mjs';

const model = await sentvec.Model.load(tinyModel());
const app = await server.createServer(model, { store: fakeStore(model.dimension), ...JSON.parse(process.argv[2] ?? '{}') });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.on('message', async (message) => {
  if (message === 'stop') {
    await app.close();
    model.dispose();
    process.disconnect();
  }
});
process.send({ url });
