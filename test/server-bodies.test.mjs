// Request bodies that a server must not hold: a body that stops arriving is cut after
// bodyIdleTimeoutMs, so that stalled senders cannot hold maxPendingBytes until requestTimeoutMs
// (four senders of 16 MiB − 1 got every POST 429 for 60 s); and only POST routes take a body: any
// other method's body is refused unread and its connection closed (24 PUTs of 16 MiB were
// buffered, 492 MB RSS, never counted against maxPendingBytes).
import test from 'ava';
import net from 'node:net';
import { tinyModel } from './helpers/models.mjs';
import { sentvec, server } from './helpers/sentvec.mjs';

const MiB = 2 ** 20;

async function start(t, options = {}) {
  const model = await sentvec.Model.load(tinyModel());
  const app = await server.createServer(model, options);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    model.dispose();
  });
  return new URL(url);
}

// Sends the head and `sent` bytes of a body announced as `announced` bytes, then nothing more; the
// socket and what it has received so far.
async function stalledBody({ hostname, port }, method, path, announced, sent) {
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (d) => (received += d));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${announced}\r\n\r\n`);
  socket.write(Buffer.alloc(sent, 0x20));
  return { socket, closed, received: () => received };
}

const within = (promise, ms) => Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve('timeout'), ms))]);

test('senders that stall their bodies get 408 after bodyIdleTimeoutMs, and honest POSTs get through again', async (t) => {
  const address = await start(t, { bodyLimit: MiB, maxPendingBytes: 4 * MiB, bodyIdleTimeoutMs: 500, requestTimeoutMs: 60_000 });
  const embed = () =>
    fetch(`${address.origin}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'hello' }),
    }).then((r) => r.status);
  const attackers = [];
  for (let i = 0; i < 4; i++) attackers.push(await stalledBody(address, 'POST', '/v1/embeddings', MiB, MiB - 1));
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.log('honest POST while the budget is held:', await embed());
  for (const a of attackers) t.not(await within(a.closed, 2000), 'timeout', 'a stalled sender is cut');
  t.true(
    attackers.every((a) => /^HTTP\/1\.1 408 /.test(a.received()) && /body_timeout/.test(a.received())),
    attackers.map((a) => a.received().split('\r\n')[0]).join(','),
  );
  t.is(await embed(), 200);
});

test('a body on a method other than POST is refused unread with 405, and its connection closed', async (t) => {
  const address = await start(t);
  for (const [method, path] of [
    ['PUT', '/v1/embeddings'],
    ['PATCH', '/tokenize'],
    ['GET', '/health'],
    ['DELETE', '/nowhere'],
  ]) {
    const c = await stalledBody(address, method, path, 16 * MiB, MiB);
    t.not(await within(c.closed, 3000), 'timeout', `${method} ${path}: connection closed without the rest of the body`);
    t.regex(c.received(), /^HTTP\/1\.1 405 /, `${method} ${path}`);
    t.regex(c.received(), /method_not_allowed/);
    c.socket.destroy();
  }
  const health = await fetch(`${address.origin}/health`);
  t.is(health.status, 200);
});
