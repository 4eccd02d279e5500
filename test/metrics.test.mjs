// The Prometheus text format of lib/server/prometheus.ts: cumulative buckets, labels, escaping, gauges
// read at scrape time.
import test from 'ava';
import { createRequire } from 'node:module';

const { Counter, Gauge, Histogram, Registry } = createRequire(import.meta.url)('../dist/lib/server/prometheus.js');

test('counters, histograms and gauges render as Prometheus text', (t) => {
  const registry = new Registry();
  const requests = new Counter({ name: 'req_total', help: 'Requests', labelNames: ['route'], registers: [registry] });
  const plain = new Counter({ name: 'plain_total', help: 'No labels', registers: [registry] });
  const latency = new Histogram({ name: 'lat_seconds', help: 'Latency', labelNames: ['route'], buckets: [0.5, 0.1, 1], registers: [registry] });
  let depth = 7;
  new Gauge({ name: 'depth', help: 'Queue "depth"\nnow', registers: [registry], collect() { this.set(depth); } });
  requests.inc({ route: '/a' });
  requests.inc({ route: '/a' }, 2);
  requests.inc({ route: 'say "hi"\\' });
  plain.inc(5);
  for (const v of [0.05, 0.3, 0.7, 3]) latency.observe({ route: '/a' }, v);
  const text = registry.metrics();
  t.true(text.endsWith('\n'));
  t.regex(text, /^# HELP req_total Requests\n# TYPE req_total counter\n/);
  t.true(text.includes('req_total{route="/a"} 3\n'));
  t.true(text.includes('req_total{route="say \\"hi\\"\\\\"} 1\n'));
  t.true(text.includes('plain_total 5\n'));
  t.true(text.includes('# TYPE lat_seconds histogram\n'));
  for (const line of ['lat_seconds_bucket{route="/a",le="0.1"} 1', 'lat_seconds_bucket{route="/a",le="0.5"} 2', 'lat_seconds_bucket{route="/a",le="1"} 3',
    'lat_seconds_bucket{route="/a",le="+Inf"} 4', 'lat_seconds_sum{route="/a"} 4.05', 'lat_seconds_count{route="/a"} 4']) {
    t.true(text.includes(`${line}\n`), line);
  }
  t.true(text.includes('# HELP depth Queue "depth"\\nnow\n# TYPE depth gauge\ndepth 7\n'));
  depth = 9;
  t.true(registry.metrics().includes('depth 9\n'), 'gauges are read at each scrape');
  t.is(registry.contentType, 'text/plain; version=0.0.4; charset=utf-8');
});
