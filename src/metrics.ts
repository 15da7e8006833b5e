/**
 * Metrics in the Prometheus text exposition format (version 0.0.4), served at GET /metrics.
 *
 * A small registry of our own rather than prom-client: the few metric types needed here fit in this
 * file, and a series is an object its owner keeps (a route, a device operation), so that recording
 * a request is an increment and a bucket search, without building and hashing a label key per call.
 *
 * Series are created on first use and kept for the life of the process; label values must come
 * from small closed sets (route patterns, operation names, status codes), never from request data.
 */
import { performance } from "node:perf_hooks";

/** `{a="x",b="y"}` with the exposition format's escaping; "" without labels. */
function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  const pairs = names.map((n, i) => {
    const v = (values[i] ?? "").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
    return `${n}="${v}"`;
  });
  return `{${pairs.join(",")}}`;
}

function number(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

abstract class Family<Child> {
  protected readonly children = new Map<string, Child>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The series of these label values, created on first use: keep it rather than looking it up. */
  labels(...values: string[]): Child {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join("\u0000");
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.create(labelText(this.labelNames, values));
      this.children.set(key, child);
    }
    return child;
  }

  protected abstract create(labels: string): Child;
  abstract type(): string;
  abstract samples(): Promise<string[]>;

  async expose(): Promise<string> {
    const lines = await this.samples();
    const help = this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
    return `# HELP ${this.name} ${help}\n# TYPE ${this.name} ${this.type()}\n${lines.join("")}`;
  }
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: string) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Family<CounterSeries> {
  protected create(labels: string) {
    return new CounterSeries(labels);
  }
  type() {
    return "counter";
  }
  async samples() {
    return [...this.children.values()].map((c) => `${this.name}${c.labels} ${number(c.value)}\n`);
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export class Histogram extends Family<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
  }
  protected create(labels: string) {
    return new HistogramSeries(labels, this.bounds);
  }
  type() {
    return "histogram";
  }
  async samples() {
    const lines: string[] = [];
    for (const h of this.children.values()) {
      // The `le` label joins the series' own labels.
      const le = (bound: string) =>
        h.labels === "" ? `{le="${bound}"}` : `${h.labels.slice(0, -1)},le="${bound}"}`;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += h.counts[i] as number;
        lines.push(`${this.name}_bucket${le(number(bound))} ${cumulative}\n`);
      });
      lines.push(`${this.name}_bucket${le("+Inf")} ${h.count}\n`);
      lines.push(
        `${this.name}_sum${h.labels} ${number(h.sum)}\n`,
        `${this.name}_count${h.labels} ${h.count}\n`,
      );
    }
    return lines;
  }
}

/** Values read when the metrics are scraped, one per set of label values. */
export type Reading = { labels: string[]; value: number };
export type Collect = () => Promise<Reading[]> | Reading[];

/**
 * A metric read when the metrics are scraped (from the store, from the process) rather than
 * recorded as things happen: a gauge, or a counter kept by someone else (CPU time).
 */
export class Collected extends Family<never> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly kind: "gauge" | "counter",
    private readonly collect: Collect,
  ) {
    super(name, help, labelNames);
  }
  protected create(): never {
    throw new Error(`${this.name} is collected: it has no series of its own`);
  }
  type() {
    return this.kind;
  }
  async samples() {
    const readings = await this.collect();
    return readings.map((r) => `${this.name}${labelText(this.labelNames, r.labels)} ${number(r.value)}\n`);
  }
}

export class Registry {
  private readonly families: Family<unknown>[] = [];

  private add<F extends Family<unknown>>(family: F): F {
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} exists`);
    this.families.push(family);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, bounds));
  }

  /** A gauge read at each scrape. */
  gauge(name: string, help: string, labelNames: readonly string[], collect: Collect): Collected {
    return this.add(new Collected(name, help, labelNames, "gauge", collect));
  }

  /** A counter kept elsewhere, read at each scrape. */
  collectedCounter(name: string, help: string, collect: Collect): Collected {
    return this.add(new Collected(name, help, [], "counter", collect));
  }

  /**
   * Every metric in the text format. A gauge whose reading fails (the store is unreachable) is left
   * out, with its error passed to `onError`, rather than failing the whole scrape.
   */
  async expose(onError: (metric: string, err: unknown) => void = () => {}): Promise<string> {
    const parts = await Promise.all(
      this.families.map((f) =>
        f.expose().catch((err) => {
          onError(f.name, err);
          return "";
        }),
      ),
    );
    return parts.filter((p) => p !== "").join("");
  }
}

/** Seconds: from a fast point read to a device call near its deadline. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Seconds: jobs run from milliseconds (one volume) to minutes (many items on a slow array). */
export const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The metrics every part of Blockplane records into, and the process's own. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = this.registry.counter(
    "blockplane_http_requests_total",
    "HTTP requests answered, by method, route pattern and status code.",
    ["method", "route", "status"],
  );
  readonly httpDuration = this.registry.histogram(
    "blockplane_http_request_duration_seconds",
    "Time from receiving an HTTP request to answering it, by method and route pattern.",
    ["method", "route"],
    LATENCY_BUCKETS,
  );
  readonly deviceDuration = this.registry.histogram(
    "blockplane_device_call_duration_seconds",
    "Duration of calls to the storage system, by operation, failed ones included.",
    ["operation"],
    LATENCY_BUCKETS,
  );
  readonly deviceErrors = this.registry.counter(
    "blockplane_device_call_errors_total",
    "Calls to the storage system that failed, by operation and error kind (device-timeout included).",
    ["operation", "kind"],
  );
  readonly deviceTimeouts = this.registry.counter(
    "blockplane_device_timeouts_total",
    "Calls to the storage system that missed their deadline, by operation.",
    ["operation"],
  );
  readonly jobRuns = this.registry.histogram(
    "blockplane_job_run_duration_seconds",
    "Duration of job runs, by kind and outcome (normal, error, aborted: to be run again, failed).",
    ["kind", "outcome"],
    JOB_BUCKETS,
  );

  constructor() {
    const registry = this.registry;
    const started = Date.now() / 1000;
    const one = (value: number): Reading[] => [{ labels: [], value }];
    registry.gauge("process_start_time_seconds", "Start time of the process, in Unix seconds.", [], () =>
      one(started),
    );
    registry.collectedCounter(
      "process_cpu_seconds_total",
      "CPU time the process has used (user and system).",
      () => {
        const cpu = process.cpuUsage();
        return one((cpu.user + cpu.system) / 1e6);
      },
    );
    registry.gauge("process_resident_memory_bytes", "Resident memory of the process.", [], () =>
      one(process.memoryUsage.rss()),
    );
    registry.gauge("nodejs_heap_used_bytes", "V8 heap in use.", [], () =>
      one(process.memoryUsage().heapUsed),
    );
    // Utilisation needs no timer (unlike a delay histogram): the share of time the loop was busy.
    let last = performance.eventLoopUtilization();
    registry.gauge(
      "nodejs_eventloop_utilization_ratio",
      "Share of time the event loop was busy since the previous scrape (1: saturated).",
      [],
      () => {
        const now = performance.eventLoopUtilization();
        const ratio = performance.eventLoopUtilization(now, last).utilization;
        last = now;
        return one(ratio);
      },
    );
  }
}
