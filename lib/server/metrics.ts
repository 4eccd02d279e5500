// The server's Prometheus metrics (GET /metrics): requests, errors, latency, batches, queue and
// event-loop delay.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from './prometheus';
import type { Model } from '../model/model';

export type ServerMetrics = ReturnType<typeof serverMetrics>;

/** The metrics of one server over `model`, if any (gauges read its scheduler at each scrape). */
export function serverMetrics(model: Model | undefined) {
  const registry = new Registry();
  const requests = new Counter({
    name: 'sentvec_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'sentvec_errors_total',
    help: 'Requests answered with an error, by route and type',
    labelNames: ['route', 'type'],
    registers: [registry],
  });
  const truncated = new Counter({ name: 'sentvec_truncated_inputs_total', help: 'Inputs cut to maxSeqLength', registers: [registry] });
  const latency = new Histogram({
    name: 'sentvec_request_duration_seconds',
    help: 'Request latency',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'sentvec_batch_size',
    help: 'Inputs per inference batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const batchTokens = new Histogram({
    name: 'sentvec_batch_tokens',
    help: 'Inputs × longest input per coalesced batch (native code may run it in parts that pad less)',
    buckets: [16, 64, 256, 1024, 4096, 16384, 65536],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'sentvec_batch_duration_seconds',
    help: 'Time per inference batch',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  new Gauge({
    name: 'sentvec_queue_depth',
    help: 'Inputs waiting for a batch',
    registers: [registry],
    collect() {
      this.set(model?.scheduler?.queueDepth ?? 0);
    },
  });
  new Gauge({
    name: 'sentvec_queued_tokens',
    help: 'Tokens waiting for a batch',
    registers: [registry],
    collect() {
      this.set(model?.scheduler?.queuedTokens ?? 0);
    },
  });
  new Gauge({
    name: 'sentvec_event_loop_delay_p99_seconds',
    help: 'Event-loop delay p99 since the last scrape',
    registers: [registry],
    collect() {
      this.set(loop.percentile(99) / 1e9);
      loop.reset();
    },
  });
  return { registry, requests, errors, truncated, latency, batchSize, batchTokens, batchSeconds, loop };
}

/** Counts every request by route and status and times it, from its arrival to its answer. */
export function installRequestMetrics(app: FastifyInstance, m: ServerMetrics): void {
  const started = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (request) => {
    started.set(request, performance.now());
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    m.requests.inc({ route, status: String(reply.statusCode) });
    const start = started.get(request);
    if (start !== undefined) m.latency.observe({ route }, (performance.now() - start) / 1000);
  });
}
