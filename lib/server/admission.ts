// Which requests the server takes, and when: authentication, a budget of body bytes held at once
// (maxPendingBytes), the body limit, and the drain on close().
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Transform } from 'node:stream';
import { HttpError, tooLarge } from './errors';

export interface AdmissionOptions {
  apiKey: string | undefined;
  bodyLimit: number;
  maxPendingBytes: number;
  bodyIdleTimeout: number;
  drainTimeout: number;
  /** The routes that take a body, as 'POST /path' (named in a 405's answer). */
  postRoutes: readonly string[];
}

// After close(): the listener stays open until no connection has arrived for this long (and no
// request is in flight), so that connections already queued by the kernel are answered rather
// than reset.
const QUIET_MS = 100;
// Most bytes of a refused body read (and dropped) so that its client can read the refusal.
const DISCARD_LIMIT = 256 * 1024 * 1024;

/** Installs the admission hooks on `app`; `draining()` tells whether close() has begun. */
export function installAdmission(app: FastifyInstance, options: AdmissionOptions): { draining: () => boolean } {
  const { bodyLimit, maxPendingBytes, bodyIdleTimeout, drainTimeout } = options;
  // Closing (SIGTERM): every request already accepted completes, new ones get 503 with
  // "Connection: close", and connections the kernel has queued are still accepted and answered:
  // the listener closes only once nothing is in flight and no connection has arrived for
  // QUIET_MS. After drainTimeout every connection is closed, whatever it is doing.
  let draining = false;
  let inFlight = 0;
  let lastConnection = 0;
  // Body bytes received and not yet answered: all requests', and each request's.
  let pendingBytes = 0;
  const holds = new WeakMap<FastifyRequest, { bytes: number }>();
  const busy = (bytes: number) =>
    new HttpError(
      429,
      `The server holds ${pendingBytes} bytes of requests being received or embedded; this one's ${bytes} would pass its limit of ${maxPendingBytes}. Retry shortly.`,
      'rate_limit_error',
      null,
      'server_busy',
    );
  let deadline: NodeJS.Timeout | undefined;
  app.server.on('connection', () => {
    lastConnection = performance.now();
  });
  app.addHook('preClose', async () => {
    draining = true;
    let expired = false;
    deadline = setTimeout(() => {
      expired = true;
      app.server.closeAllConnections();
    }, drainTimeout);
    while (!expired && (inFlight > 0 || performance.now() - lastConnection < QUIET_MS)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  app.addHook('onClose', async () => {
    clearTimeout(deadline);
  });

  const key = options.apiKey !== undefined ? Buffer.from(options.apiKey) : undefined;
  app.addHook('onRequest', async (request, reply) => {
    inFlight++;
    const held = { bytes: 0 };
    holds.set(request, held);
    reply.raw.once('close', () => {
      inFlight--;
      pendingBytes -= held.bytes;
      held.bytes = 0;
    });
    if (draining) {
      reply.header('connection', 'close');
      if (request.url !== '/health')
        throw new HttpError(
          503,
          'The server is shutting down; send the request to another instance or retry shortly.',
          'server_error',
          null,
          'shutting_down',
        );
    }
    // Only POST routes take a body, and only theirs is counted against maxPendingBytes: any other
    // body is refused unread and its connection closed (24 PUTs of 16 MiB were held uncounted).
    if (
      request.method !== 'POST' &&
      (Number(request.headers['content-length']) > 0 || request.headers['transfer-encoding'] !== undefined)
    ) {
      reply.header('connection', 'close');
      throw new HttpError(
        405,
        `${request.method} requests carry no body here; send bodies with POST to ${options.postRoutes.join(', ')}.`,
        'invalid_request_error',
        null,
        'method_not_allowed',
      );
    }
    if (key && request.url !== '/health') {
      const match = /^bearer[ \t]+(.*)$/i.exec(request.headers.authorization ?? '');
      const given = Buffer.from(match ? match[1].trim() : '');
      if (given.length !== key.length || !timingSafeEqual(given, key)) {
        throw new HttpError(
          401,
          'Incorrect API key provided. Send it as "Authorization: Bearer <key>".',
          'authentication_error',
          null,
          'invalid_api_key',
        );
      }
    }
    // Admission by bytes, before the body is read: a refused body is never held in memory. Only
    // bytes received count against the budget, never bytes announced, so that a client announcing
    // a large body and sending none of it holds nothing (preParsing counts them as they arrive).
    if (request.method === 'POST') {
      const declared = Number(request.headers['content-length']);
      const bytes = Number.isFinite(declared) ? declared : 1;
      if (bytes > bodyLimit) await refuseBeforeBody(request, reply, tooLarge(bodyLimit));
      if (pendingBytes > 0 && pendingBytes + bytes > maxPendingBytes) await refuseBeforeBody(request, reply, busy(bytes));
    }
  });

  // Body bytes are held from their arrival until the response is sent, and counted against
  // maxPendingBytes as they arrive. A body that would pass the budget while others hold some of
  // it (several admitted at once), or one of undeclared length (chunked) past bodyLimit, is read
  // to its end and dropped, and refused once the client has sent it all (as above).
  // A body that stops arriving for bodyIdleTimeout is cut with 408: four clients sending 16 MiB − 1
  // and stalling held the whole budget (429 for every other POST) until requestTimeout, 60 s.
  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.method !== 'POST') return payload;
    const held = holds.get(request)!;
    let seen = 0;
    let refusal: HttpError | undefined;
    const idle = setTimeout(() => {
      pendingBytes -= held.bytes;
      held.bytes = 0;
      reply.header('connection', 'close');
      counted.destroy(
        new HttpError(
          408,
          `No byte of the request body arrived for ${bodyIdleTimeout} ms (bodyIdleTimeoutMs); send the body without pauses.`,
          'invalid_request_error',
          null,
          'body_timeout',
        ),
      );
    }, bodyIdleTimeout);
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        idle.refresh();
        seen += chunk.length;
        if (seen > DISCARD_LIMIT) request.raw.socket.destroy();
        if (refusal === undefined && seen > bodyLimit) refusal = tooLarge(bodyLimit);
        if (refusal === undefined && pendingBytes > held.bytes && pendingBytes + chunk.length > maxPendingBytes)
          refusal = busy(request.headers['content-length'] !== undefined ? Number(request.headers['content-length']) : seen);
        if (refusal !== undefined) {
          pendingBytes -= held.bytes;
          held.bytes = 0;
          callback();
          return;
        }
        held.bytes += chunk.length;
        pendingBytes += chunk.length;
        callback(null, chunk);
      },
      flush(callback) {
        clearTimeout(idle);
        callback(refusal);
      },
    });
    counted.once('close', () => clearTimeout(idle));
    payload.on('error', (err) => counted.destroy(err));
    return payload.pipe(counted);
  });

  return { draining: () => draining };
}

// The client is still sending the body we refuse: read it to its end (discarding it) before
// answering, so that the client, once done writing, reads the answer instead of a reset
// connection; and close the connection after, since its stream position is ours, not the
// client's. A body past DISCARD_LIMIT is not worth the bandwidth: the connection is closed.
async function refuseBeforeBody(request: FastifyRequest, reply: FastifyReply, error: HttpError): Promise<never> {
  reply.header('connection', 'close');
  const raw = request.raw;
  if (!raw.complete) {
    await new Promise<void>((resolve) => {
      let seen = 0;
      raw.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > DISCARD_LIMIT) {
          raw.socket.destroy();
          resolve();
        }
      });
      raw.once('end', resolve);
      raw.once('close', resolve);
    });
  }
  throw error;
}
