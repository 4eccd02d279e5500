// Prometheus metrics in the text exposition format (0.0.4): the counters, histograms and gauges
// the server exports, with labels. Written here rather than taken from prom-client, whose
// summaries bring tdigest, bintrees and @opentelemetry/api: 3.3 MB of the 60 MB install budget
// for features the server does not use.
type Labels = Record<string, string>;

interface Options {
  name: string;
  help: string;
  labelNames?: string[];
  registers: Registry[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const key = (labels: Labels) =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
function render(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
}
const number = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

abstract class Metric {
  readonly name: string;
  readonly help: string;
  constructor(
    readonly type: string,
    options: Options,
  ) {
    this.name = options.name;
    this.help = options.help;
    for (const r of options.registers) r.register(this);
  }
  abstract lines(): string[];
}

export class Counter extends Metric {
  #values = new Map<string, { labels: Labels; value: number }>();
  constructor(options: Options) {
    super('counter', options);
  }
  inc(labels: Labels | number = {}, value = 1): void {
    if (typeof labels === 'number') [labels, value] = [{}, labels];
    const k = key(labels);
    const entry = this.#values.get(k) ?? { labels, value: 0 };
    entry.value += value;
    this.#values.set(k, entry);
  }
  lines(): string[] {
    if (this.#values.size === 0) return [`${this.name} 0`];
    return [...this.#values.values()].map((e) => `${this.name}${render(e.labels)} ${number(e.value)}`);
  }
}

export class Gauge extends Metric {
  #value = 0;
  readonly #collect: ((this: Gauge) => void) | undefined;
  constructor(options: Options & { collect?: (this: Gauge) => void }) {
    super('gauge', options);
    this.#collect = options.collect;
  }
  set(value: number): void {
    this.#value = value;
  }
  lines(): string[] {
    this.#collect?.call(this);
    return [`${this.name} ${number(this.#value)}`];
  }
}

export class Histogram extends Metric {
  readonly #buckets: number[];
  #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(options: Options & { buckets: number[] }) {
    super('histogram', options);
    this.#buckets = [...options.buckets].sort((a, b) => a - b);
  }
  observe(labels: Labels | number, value?: number): void {
    if (typeof labels === 'number') [labels, value] = [{}, labels];
    const k = key(labels);
    const s = this.#series.get(k) ?? { labels, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
    this.#buckets.forEach((b, i) => {
      if (value! <= b) s.counts[i]++;
    });
    s.sum += value!;
    s.count++;
    this.#series.set(k, s);
  }
  lines(): string[] {
    const out: string[] = [];
    for (const s of this.#series.values()) {
      this.#buckets.forEach((b, i) => out.push(`${this.name}_bucket${render(s.labels, ['le', number(b)])} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${render(s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${render(s.labels)} ${number(s.sum)}`);
      out.push(`${this.name}_count${render(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  #metrics: Metric[] = [];
  register(metric: Metric): void {
    this.#metrics.push(metric);
  }
  metrics(): string {
    return (
      this.#metrics
        .map((m) =>
          [`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${m.name} ${m.type}`, ...m.lines()].join(
            '\n',
          ),
        )
        .join('\n') + '\n'
    );
  }
}
