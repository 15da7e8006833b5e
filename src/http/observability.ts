/**
 * What the server tells its operators: every answer counted and timed by route pattern (never the
 * raw URL, whose IDs would make a series per resource), and gauges read from the store at each
 * scrape of GET /metrics (routes/health.ts).
 *
 * The store's gauges count what the whole store holds: instances sharing one PostgreSQL database
 * all report the same jobs, sessions, pools and resources (aggregate them with max, not sum).
 */
import type { FastifyBaseLogger, FastifyReply, onResponseHookHandler } from "fastify";
import type { Bindings, ChildLoggerOptions, LoggerOptions } from "pino";
import type { CounterSeries, HistogramSeries, Metrics } from "../metrics.ts";
import type { Store } from "../store/db.ts";
import {
  arrayCounts,
  countLiveSessions,
  jobCountsByState,
  type PoolCapacity,
  poolCapacities,
} from "../store/stats.ts";
import { VERSION } from "../version.ts";
import type { App } from "./app.ts";

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * A request's logger, bound to its id (`reqId`) like Fastify's own, but made only when a line is
 * logged at an enabled level: creating a pino child for every request costs microseconds (more
 * with redaction), and at the usual levels most requests log nothing.
 */
class RequestLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger & { levels: { values: Record<string, number> } },
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    const values = this.parent.levels.values;
    return (values[level] ?? 0) >= (values[this.level] ?? Number.POSITIVE_INFINITY);
  }

  private log(level: Level, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.real[level] as (...a: unknown[]) => void)(...args);
  }
  fatal(...args: unknown[]) {
    this.log("fatal", args);
  }
  error(...args: unknown[]) {
    this.log("error", args);
  }
  warn(...args: unknown[]) {
    this.log("warn", args);
  }
  info(...args: unknown[]) {
    this.log("info", args);
  }
  debug(...args: unknown[]) {
    this.log("debug", args);
  }
  trace(...args: unknown[]) {
    this.log("trace", args);
  }
  silent() {}
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: a request logger made on its first enabled line. */
export function requestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  const levels = (logger as { levels?: { values?: unknown } }).levels;
  // Not pino (Fastify's logger of a server without logging): its children cost nothing.
  if (typeof levels?.values !== "object") return logger.child(bindings, options);
  return new RequestLogger(
    logger as FastifyBaseLogger & { levels: { values: Record<string, number> } },
    bindings,
    options,
  ) as unknown as FastifyBaseLogger;
}

/**
 * A URL fit for the log: a session named by anything but its number (1-16 digits; the simple API
 * also names a session by its token) is written as "[redacted]".
 */
export function loggableUrl(url: string): string {
  return url.replace(/(\/sessions\/)(?!\d{1,16}(?:[/?]|$))[^/?]+/g, "$1[redacted]");
}

/**
 * The server's pino options: credentials are redacted wherever they appear, headers and bodies
 * (`redact`) as well as URLs (the request serializer, which replaces Fastify's own).
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: ["req.headers.authorization", "password", "token", "*.password", "*.token"],
      censor: "[redacted]",
    },
    serializers: {
      req: (req: {
        method?: string;
        url?: string;
        host?: string;
        ip?: string;
        socket?: { remotePort?: number };
      }) => ({
        method: req.method,
        url: req.url === undefined ? undefined : loggableUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}

/** The route label of requests that matched no route. */
export const UNMATCHED_ROUTE = "(unmatched)";

/** The series of one route and method, made on its first request and kept. */
class RouteSeries {
  private readonly byStatus = new Map<number, CounterSeries>();
  private readonly duration: HistogramSeries;

  constructor(
    private readonly metrics: Metrics,
    private readonly method: string,
    private readonly route: string,
  ) {
    this.duration = metrics.httpDuration.labels(method, route);
  }

  record(reply: FastifyReply): void {
    const status = reply.statusCode;
    let requests = this.byStatus.get(status);
    if (requests === undefined) {
      requests = this.metrics.httpRequests.labels(this.method, this.route, String(status));
      this.byStatus.set(status, requests);
    }
    requests.inc();
    this.duration.observe(reply.elapsedTime / 1000);
  }
}

/** The series of one route pattern, one per method, made on first use. */
function routeRecorder(metrics: Metrics, route: string) {
  const byMethod = new Map<string, RouteSeries>();
  return (method: string, reply: FastifyReply) => {
    let series = byMethod.get(method);
    if (series === undefined) {
      series = new RouteSeries(metrics, method, route);
      byMethod.set(method, series);
    }
    series.record(reply);
  };
}

/**
 * Counts and times every answer by method, route pattern and status code: each route gets a hook
 * of its own that knows its pattern (reading `request.routeOptions` would build an object for every
 * request); answers without a route (404s) count under UNMATCHED_ROUTE.
 */
function recordRequests(app: App, metrics: Metrics): void {
  app.addHook("onRoute", (route) => {
    const record = routeRecorder(metrics, route.url);
    const hook: onResponseHookHandler = (request, reply, done) => {
      record(request.method, reply);
      done();
    };
    route.onResponse = [...(route.onResponse === undefined ? [] : [route.onResponse].flat()), hook];
  });
  const unmatched = routeRecorder(metrics, UNMATCHED_ROUTE);
  app.addHook("onResponse", (request, reply, done) => {
    if (request.is404) unmatched(request.method, reply);
    done();
  });
}

/**
 * One read of the store shared by the gauges of one scrape: the registry reads every gauge at once,
 * so the first gauge starts the query and the others join it; the next scrape reads afresh.
 */
function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

const MIB = 1024 * 1024;

/**
 * The array's state, jobs by state and live sessions, read from the store when the metrics are
 * scraped: five aggregate queries in all (docs/operations.md gives their time on a full array).
 * Pool names are labels: the model's pool limit keeps their number small.
 */
function registerStoreGauges(metrics: Metrics, store: Store, now: () => number): void {
  const registry = metrics.registry;
  registry.gauge(
    "blockplane_jobs",
    "Jobs (command statuses) in the store by state: unexecuted, processing, completed_normal, completed_error.",
    ["state"],
    async () =>
      Object.entries(await jobCountsByState(store)).map(([state, value]) => ({ labels: [state], value })),
  );
  registry.gauge("blockplane_sessions_live", "Sessions that have not expired.", [], async () => [
    { labels: [], value: await countLiveSessions(store, now()) },
  ]);

  const pools = sharedRead(() => poolCapacities(store));
  const poolGauge = (name: string, help: string, bytes: (p: PoolCapacity) => number) =>
    registry.gauge(name, help, ["pool_id", "pool_name"], async () =>
      (await pools()).map((p) => ({ labels: [String(p.id), p.name], value: bytes(p) })),
    );
  poolGauge(
    "blockplane_pool_capacity_bytes",
    "Usable capacity of each pool of the array, in bytes.",
    (p) => p.totalMib * MIB,
  );
  poolGauge(
    "blockplane_pool_used_bytes",
    "Capacity of each pool taken by its volumes, in bytes (the pool's usedCapacity).",
    (p) => p.usedMib * MIB,
  );

  const counts = sharedRead(() => arrayCounts(store));
  for (const [name, key, help] of [
    ["blockplane_volumes", "volumes", "Volumes (LDEVs) the array holds."],
    ["blockplane_servers", "servers", "Servers (hosts) registered in the array."],
    [
      "blockplane_connections",
      "connections",
      "Volume-server connections (one LUN of a volume for a server).",
    ],
    ["blockplane_snapshots", "snapshots", "Snapshots (Thin Image pairs) the array holds."],
  ] as const) {
    registry.gauge(name, help, [], async () => [{ labels: [], value: (await counts())[key] }]);
  }
}

/** Which Blockplane and which Node.js serve: a constant 1 whose labels say it. */
function registerBuildInfo(metrics: Metrics): void {
  metrics.registry.gauge(
    "blockplane_build_info",
    "Always 1: the labels name Blockplane's version and the Node.js version that runs it.",
    ["version", "node"],
    () => [{ labels: [VERSION, process.version], value: 1 }],
  );
}

export function registerObservability(
  app: App,
  deps: { metrics: Metrics; store: Store; now: () => number },
): void {
  recordRequests(app, deps.metrics);
  registerBuildInfo(deps.metrics);
  registerStoreGauges(deps.metrics, deps.store, deps.now);
}
