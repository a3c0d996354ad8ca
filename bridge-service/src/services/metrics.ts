// Prometheus metrics in text exposition format 0.0.4: a tiny registry of labelled counters, gauges
// and histograms. Label values are route templates and outcomes, never user ids or tokens, so the
// series count stays bounded.

type Labels = Record<string, string>;

function labelKey(names: readonly string[], labels: Labels): string {
  return names.map((n) => labels[n] ?? '').join('\u0000');
}

function renderLabels(names: readonly string[], key: string, extra?: [string, string]): string {
  const values = key === '' && names.length === 0 ? [] : key.split('\u0000');
  const pairs = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) pairs.push(`${extra[0]}="${extra[1]}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  readonly name: string;
  private readonly help: string;
  private readonly labelNames: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${renderLabels(this.labelNames, k)} ${v}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  readonly name: string;
  private readonly help: string;
  private readonly read: () => number;

  constructor(name: string, help: string, read: () => number) {
    this.name = name;
    this.help = help;
    this.read = read;
  }

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`].join('\n');
  }
}

export class Histogram implements Metric {
  readonly name: string;
  private readonly help: string;
  private readonly labelNames: readonly string[];
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const k = labelKey(this.labelNames, labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${renderLabels(this.labelNames, k, ['le', String(b)])} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, k, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, k)} ${s.sum}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, k)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** The bridge's metrics. Modules that follow add theirs with `counter()` / `histogram()`. */
export class Metrics {
  private readonly metrics = new Map<string, Metric>();

  readonly httpRequests = this.counter('bridge_http_requests_total', 'HTTP requests by route template, method and status', ['route', 'method', 'status']);
  readonly httpDuration = this.histogram('bridge_http_request_duration_seconds', 'HTTP request latency by route template and method', ['route', 'method'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  readonly policyReloads = this.counter('bridge_policy_reloads_total', 'Policy reloads by result (applied, rejected)', ['result']);
  readonly sessionsIssued = this.counter('bridge_sessions_issued_total', 'Session tokens issued, by how (signin, refresh)', ['how']);
  readonly openIdChecks = this.counter('bridge_openid_checks_total', 'OpenID token checks by result', ['result']);
  readonly appserviceTxns = this.counter('bridge_appservice_transactions_total', 'Appservice transactions by result (processed, replayed, failed)', ['result']);
  readonly appserviceEvents = this.counter('bridge_appservice_events_total', 'Appservice items by kind and result', ['kind', 'result']);
  readonly auditAppends = this.counter('bridge_audit_entries_total', 'Audit entries appended');

  constructor() {
    const started = Date.now();
    this.gauge('bridge_process_start_time_seconds', 'Start time of the process since the epoch', () => Math.floor(started / 1000));
  }

  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    const c = new Counter(name, help, labels);
    this.register(name, c);
    return c;
  }

  histogram(name: string, help: string, labels: readonly string[], buckets: readonly number[]): Histogram {
    const h = new Histogram(name, help, labels, buckets);
    this.register(name, h);
    return h;
  }

  gauge(name: string, help: string, read: () => number): Gauge {
    const g = new Gauge(name, help, read);
    this.register(name, g);
    return g;
  }

  private register(name: string, m: Metric): void {
    if (this.metrics.has(name)) throw new Error(`metric ${name} registered twice`);
    this.metrics.set(name, m);
  }

  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
}
