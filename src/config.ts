/**
 * One typed configuration, read once from command-line flags and environment variables
 * (flags win), validated, and passed down. Nothing below main.ts reads process.env.
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { PORT_ID } from "./device/port/ports.ts";
import { type ArrayProfile, DEFAULT_MODEL, findProfile, MODEL_NAMES } from "./device/simulator/profiles.ts";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface ArrayIdentity {
  model: string;
  serial: string;
  nickname: string;
  gumVersion: string;
  dkcMicroVersion: string;
  /** The model family's drives, ports, limits and features. */
  profile: ArrayProfile;
  /** Whether a first start creates the profile's usable pool. */
  seedPool: boolean;
}

/** Where the store lives: the one --data-dir or --database-url names, or a throw-away one. */
export type StoreKind = "persistent" | "memory";

/** The array identity fields a seed file carries, as given by flags or variables (not defaults). */
export type GivenIdentity = Partial<
  Pick<ArrayIdentity, "model" | "serial" | "nickname" | "gumVersion" | "dkcMicroVersion">
>;

export interface SeedSettings {
  /** The array document (an export) a new store is loaded from. */
  file: string;
  /** The identity fields set explicitly: the file's must agree with them. */
  given: GivenIdentity;
}

export interface Config {
  host: string;
  port: number;
  /**
   * "memory": a new SQLite store in a temporary directory, removed when the server closes (test
   * suites, CI); "persistent": the store of dataDir or databaseUrl.
   */
  store: StoreKind;
  dataDir: string;
  /** PostgreSQL URL; when absent the embedded SQLite file under dataDir is used. */
  databaseUrl: string | undefined;
  tls: { cert: string; key: string } | undefined;
  logLevel: LogLevel;
  /** Deadline of one device call. */
  deviceTimeoutMs: number;
  /** Idle time after which a job lease held by a dead worker may be taken over. */
  jobLeaseMs: number;
  /** Command-status entries older than this are removed. */
  jobTtlMs: number;
  /** At most this many command-status entries are kept; the oldest completed ones go first. */
  jobMaxCount: number;
  /** How many jobs one instance runs at the same time. */
  jobConcurrency: number;
  maxSessions: number;
  /** Live sessions one user may hold (at most maxSessions). */
  maxSessionsPerUser: number;
  /** Password of the initial administrator; generated and printed once when absent. */
  adminPassword: string | undefined;
  /** A first start loads the array (and users) from this export instead of the factory state. */
  seed: SeedSettings | undefined;
  /** Time allowed to receive a whole request (headers and body); past it the answer is 408. */
  requestTimeoutMs: number;
  /** How long a keep-alive connection may sit idle between requests before the server closes it. */
  keepAliveTimeoutMs: number;
  bodyLimitBytes: number;
  array: ArrayIdentity;
  /** The fault-injection control API (/blockplane/v1/faults) and the fault wrapper of the device. */
  faults: boolean;
  /** Unfinished configuration operations (queued or running jobs) past which new ones answer 503. */
  maxPendingJobs: number;
  /** Retry-After of a 503 from a busy server: operation queue full, overload, shutting down. */
  busyRetryAfterSeconds: number;
  overload: OverloadLimits;
  /** The simulated array's data plane (docs/data-plane.md): off, or iSCSI targets served by tgt. */
  dataPlane: DataPlaneSettings;
}

/** A portal of the data plane: where one iSCSI port of the array listens. */
export interface Portal {
  address: string;
  port: number;
}

export interface DataPlaneSettings {
  mode: "off" | "iscsi";
  /** Portals given per port ID; a port not named listens on 127.0.0.1 at 3260 + its index. */
  portals: Record<string, Portal>;
}

/** Process-level overload thresholds; past any of them every request answers 503. 0 turns one off. */
export interface OverloadLimits {
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  /** How often the process's load is sampled. */
  sampleIntervalMs: number;
}

interface Option {
  flag: string;
  env: string;
  help: string;
  default?: string;
}

/** Every setting, its flag, its variable and its default: the README table is made from this. */
export const OPTIONS = {
  host: { flag: "host", env: "BLOCKPLANE_HOST", help: "address to listen on", default: "127.0.0.1" },
  port: { flag: "port", env: "BLOCKPLANE_PORT", help: "TCP port (0 picks a free one)", default: "8080" },
  store: {
    flag: "store",
    env: "BLOCKPLANE_STORE",
    help: "persistent: the store of --data-dir or --database-url; memory: a throw-away store, removed at exit",
    default: "persistent",
  },
  dataDir: {
    flag: "data-dir",
    env: "BLOCKPLANE_DATA_DIR",
    help: "directory of the SQLite store",
    default: "./data",
  },
  databaseUrl: {
    flag: "database-url",
    env: "BLOCKPLANE_DATABASE_URL",
    help: "postgres:// URL; overrides the SQLite store",
  },
  tlsCert: {
    flag: "tls-cert",
    env: "BLOCKPLANE_TLS_CERT",
    help: "PEM certificate file; with --tls-key serves HTTPS",
  },
  tlsKey: { flag: "tls-key", env: "BLOCKPLANE_TLS_KEY", help: "PEM private key file" },
  logLevel: {
    flag: "log-level",
    env: "BLOCKPLANE_LOG_LEVEL",
    help: "fatal|error|warn|info|debug|trace|silent",
    default: "info",
  },
  deviceTimeoutMs: {
    flag: "device-timeout-ms",
    env: "BLOCKPLANE_DEVICE_TIMEOUT_MS",
    help: "deadline of one device call",
    default: "5000",
  },
  jobLeaseMs: {
    flag: "job-lease-ms",
    env: "BLOCKPLANE_JOB_LEASE_MS",
    help: "lease of a running job before another worker may take it",
    default: "15000",
  },
  jobTtlMs: {
    flag: "job-ttl-ms",
    env: "BLOCKPLANE_JOB_TTL_MS",
    help: "how long completed command-status entries are kept",
    default: "86400000",
  },
  jobMaxCount: {
    flag: "job-max-count",
    env: "BLOCKPLANE_JOB_MAX_COUNT",
    help: "most command-status entries kept",
    default: "10000",
  },
  jobConcurrency: {
    flag: "job-concurrency",
    env: "BLOCKPLANE_JOB_CONCURRENCY",
    help: "jobs run at once by one instance",
    default: "4",
  },
  maxSessions: {
    flag: "max-sessions",
    env: "BLOCKPLANE_MAX_SESSIONS",
    help: "live sessions per storage system",
    default: "64",
  },
  maxSessionsPerUser: {
    flag: "max-sessions-per-user",
    env: "BLOCKPLANE_MAX_SESSIONS_PER_USER",
    help: "live sessions one user may hold (the next gets 503); at most --max-sessions",
    default: "16",
  },
  adminPassword: {
    flag: "admin-password",
    env: "BLOCKPLANE_ADMIN_PASSWORD",
    help: "password of the initial administrator (else generated and printed once)",
  },
  seed: {
    flag: "seed",
    env: "BLOCKPLANE_SEED",
    help: "array export (JSON) a new store starts from, instead of the factory state",
  },
  requestTimeoutMs: {
    flag: "request-timeout-ms",
    env: "BLOCKPLANE_REQUEST_TIMEOUT_MS",
    help: "time allowed to receive a whole request, headers and body (then 408)",
    default: "30000",
  },
  keepAliveTimeoutMs: {
    flag: "keep-alive-timeout-ms",
    env: "BLOCKPLANE_KEEP_ALIVE_TIMEOUT_MS",
    help: "idle time after which a keep-alive connection is closed",
    default: "5000",
  },
  bodyLimitBytes: {
    flag: "body-limit-bytes",
    env: "BLOCKPLANE_BODY_LIMIT_BYTES",
    help: "largest request body",
    default: "1048576",
  },
  model: {
    flag: "array-model",
    env: "BLOCKPLANE_ARRAY_MODEL",
    help: `model of the simulated array: ${MODEL_NAMES.join(", ")}`,
    default: DEFAULT_MODEL,
  },
  serial: {
    flag: "array-serial",
    env: "BLOCKPLANE_ARRAY_SERIAL",
    help: "serial number of the simulated array",
    default: "700001",
  },
  nickname: {
    flag: "array-nickname",
    env: "BLOCKPLANE_ARRAY_NICKNAME",
    help: "nickname of the simulated array",
    default: "blockplane",
  },
  gumVersion: {
    flag: "array-gum-version",
    env: "BLOCKPLANE_ARRAY_GUM_VERSION",
    help: "GUM firmware version (default: the model's)",
  },
  dkcMicroVersion: {
    flag: "array-dkc-version",
    env: "BLOCKPLANE_ARRAY_DKC_VERSION",
    help: "controller microcode version (default: the model's)",
  },
  seedPool: {
    flag: "seed-pool",
    env: "BLOCKPLANE_SEED_POOL",
    help: "on: a first start creates a usable pool (pool 0) from the model's drives; off: an empty array",
    default: "on",
  },
  faults: {
    flag: "faults",
    env: "BLOCKPLANE_FAULTS",
    help: "on: enable the fault-injection API (/blockplane/v1/faults) for failure rehearsals",
    default: "off",
  },
  maxPendingJobs: {
    flag: "max-pending-jobs",
    env: "BLOCKPLANE_MAX_PENDING_JOBS",
    help: "most configuration operations queued or running at once; more answer 503",
    default: "256",
  },
  busyRetryAfterSeconds: {
    flag: "busy-retry-after-s",
    env: "BLOCKPLANE_BUSY_RETRY_AFTER_S",
    help: "Retry-After of a 503 when busy (queue full, overload, shutting down)",
    default: "5",
  },
  overloadEventLoopDelayMs: {
    flag: "overload-event-loop-delay-ms",
    env: "BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS",
    help: "mean event-loop delay past which requests answer 503 (0: off)",
    default: "1000",
  },
  overloadHeapBytes: {
    flag: "overload-heap-bytes",
    env: "BLOCKPLANE_OVERLOAD_HEAP_BYTES",
    help: "V8 heap in use past which requests answer 503 (0: off; default 90% of the heap limit)",
  },
  overloadRssBytes: {
    flag: "overload-rss-bytes",
    env: "BLOCKPLANE_OVERLOAD_RSS_BYTES",
    help: "resident memory past which requests answer 503 (0: off; default 90% of the memory available)",
  },
  overloadSampleMs: {
    flag: "overload-sample-ms",
    env: "BLOCKPLANE_OVERLOAD_SAMPLE_MS",
    help: "how often load is sampled for the overload thresholds",
    default: "1000",
  },
  dataPlane: {
    flag: "data-plane",
    env: "BLOCKPLANE_DATA_PLANE",
    help: "off, or iscsi: every volume gets a sparse backing file in the data dir and the iSCSI ports serve it through tgt",
    default: "off",
  },
  iscsiPortals: {
    flag: "iscsi-portal",
    env: "BLOCKPLANE_ISCSI_PORTALS",
    help: "portals of the data plane, PORTID=ADDR:PORT[,…] (default 127.0.0.1, port 3260 + the port's index)",
  },
} satisfies Record<string, Option>;

type Key = keyof typeof OPTIONS;

export class ConfigError extends Error {}

function int(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A switch: on/off, true/false, 1/0, yes/no. */
function flag(name: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (["on", "true", "1", "yes"].includes(v)) return true;
  if (["off", "false", "0", "no"].includes(v)) return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

/**
 * Default overload limits: near the V8 heap limit, a process spends its time collecting garbage
 * and then dies; near the memory of the machine (or of its cgroup) the OS kills it. Answering 503
 * before either lets clients back off while the process still serves the requests it has.
 */
function defaultHeapLimit(): number {
  return Math.floor(v8.getHeapStatistics().heap_size_limit * 0.9);
}
function defaultRssLimit(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const available =
    constrained && constrained > 0 && constrained < os.totalmem() ? constrained : os.totalmem();
  return Math.floor(available * 0.9);
}

/** Reads "CL1-C=127.0.0.1:3260,CL2-C=127.0.0.1:3261" into portals by port ID. */
function parsePortals(raw: string | undefined): Record<string, Portal> {
  const portals: Record<string, Portal> = {};
  if (raw === undefined) return portals;
  for (const part of raw
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")) {
    const m = /^([^=]+)=(.+):(\d+)$/.exec(part);
    if (!m || !PORT_ID.test(m[1] as string))
      throw new ConfigError(
        `an iSCSI portal must read PORTID=ADDR:PORT (e.g. CL1-C=127.0.0.1:3260), got "${part}"`,
      );
    const address = (m[2] as string).replace(/^\[(.*)\]$/, "$1");
    portals[m[1] as string] = { address, port: int("iSCSI portal port", m[3] as string, 1, 65535) };
  }
  return portals;
}

const LOG_LEVELS: LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Reads flags (argv) and variables (env); throws ConfigError with a message fit for a person. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.values(OPTIONS).map((o) => [o.flag, { type: "string" as const }])),
    strict: true,
    allowPositionals: false,
  });
  const raw = (key: Key): string | undefined => {
    const o: Option = OPTIONS[key];
    const v = (values[o.flag] as string | undefined) ?? env[o.env];
    return v === undefined || v === "" ? o.default : v;
  };
  const must = (key: Key): string => raw(key) as string;
  /** Whether the flag or its variable was set, rather than left to its default. */
  const given = (key: Key): boolean => {
    const o: Option = OPTIONS[key];
    const v = (values[o.flag] as string | undefined) ?? env[o.env];
    return v !== undefined && v !== "";
  };
  const optionalBytes = (key: Key, name: string, fallback: () => number): number => {
    const given = raw(key);
    return given === undefined ? fallback() : int(name, given, 0, Number.MAX_SAFE_INTEGER);
  };

  const logLevel = must("logLevel") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(", ")}`);

  const cert = raw("tlsCert");
  const key = raw("tlsKey");
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError("TLS needs both a certificate and a key (--tls-cert and --tls-key)");
  }
  const databaseUrl = raw("databaseUrl");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("database URL must start with postgres:// or postgresql://");
  }
  const adminPassword = raw("adminPassword");
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError("the initial administrator password must have at least 8 characters");
  }

  const profile = findProfile(must("model"));
  if (!profile) {
    throw new ConfigError(
      `unknown array model "${must("model")}"; the known models are: ${MODEL_NAMES.join(", ")}`,
    );
  }

  const store = must("store");
  if (store !== "persistent" && store !== "memory") {
    throw new ConfigError(`store must be persistent or memory, got "${store}"`);
  }
  if (store === "memory" && (given("dataDir") || databaseUrl !== undefined)) {
    throw new ConfigError(
      "--store memory keeps its store in a temporary directory of its own: leave out --data-dir and --database-url",
    );
  }
  const seedFile = raw("seed");
  const identityGiven: GivenIdentity = {};
  if (given("model")) identityGiven.model = profile.model;
  if (given("serial")) identityGiven.serial = must("serial");
  if (given("nickname")) identityGiven.nickname = must("nickname");
  if (given("gumVersion")) identityGiven.gumVersion = must("gumVersion");
  if (given("dkcMicroVersion")) identityGiven.dkcMicroVersion = must("dkcMicroVersion");

  const dataPlane = must("dataPlane");
  if (dataPlane !== "off" && dataPlane !== "iscsi") {
    throw new ConfigError(`data plane must be off or iscsi, got "${dataPlane}"`);
  }

  const maxSessions = int("max sessions", must("maxSessions"), 1, 10_000);
  return {
    host: must("host"),
    port: int("port", must("port"), 0, 65535),
    store,
    dataDir: path.resolve(must("dataDir")),
    databaseUrl,
    tls: cert !== undefined && key !== undefined ? { cert, key } : undefined,
    logLevel,
    deviceTimeoutMs: int("device timeout", must("deviceTimeoutMs"), 1, 600_000),
    jobLeaseMs: int("job lease", must("jobLeaseMs"), 100, 3_600_000),
    jobTtlMs: int("job TTL", must("jobTtlMs"), 1000, 365 * 86_400_000),
    jobMaxCount: int("job max count", must("jobMaxCount"), 1, 10_000_000),
    jobConcurrency: int("job concurrency", must("jobConcurrency"), 1, 64),
    maxSessions,
    // A share larger than the whole is the whole: --max-sessions alone still works as it did.
    maxSessionsPerUser: Math.min(
      maxSessions,
      int("max sessions per user", must("maxSessionsPerUser"), 1, 10_000),
    ),
    adminPassword,
    seed: seedFile === undefined ? undefined : { file: path.resolve(seedFile), given: identityGiven },
    requestTimeoutMs: int("request timeout", must("requestTimeoutMs"), 100, 600_000),
    keepAliveTimeoutMs: int("keep-alive timeout", must("keepAliveTimeoutMs"), 100, 600_000),
    bodyLimitBytes: int("body limit", must("bodyLimitBytes"), 1024, 256 * 1024 * 1024),
    array: {
      model: profile.model,
      serial: must("serial"),
      nickname: must("nickname"),
      gumVersion: raw("gumVersion") ?? profile.gumVersion,
      dkcMicroVersion: raw("dkcMicroVersion") ?? profile.dkcMicroVersion,
      profile,
      seedPool: flag("seed pool", must("seedPool")),
    },
    faults: flag("faults", must("faults")),
    maxPendingJobs: int("max pending jobs", must("maxPendingJobs"), 1, 10_000_000),
    busyRetryAfterSeconds: int("busy Retry-After", must("busyRetryAfterSeconds"), 1, 86_400),
    overload: {
      maxEventLoopDelayMs: int("overload event-loop delay", must("overloadEventLoopDelayMs"), 0, 600_000),
      maxHeapUsedBytes: optionalBytes("overloadHeapBytes", "overload heap", defaultHeapLimit),
      maxRssBytes: optionalBytes("overloadRssBytes", "overload RSS", defaultRssLimit),
      // Well above the 10 ms resolution of the delay histogram, so that each sample holds several.
      sampleIntervalMs: int("overload sample interval", must("overloadSampleMs"), 50, 60_000),
    },
    dataPlane: { mode: dataPlane, portals: parsePortals(raw("iscsiPortals")) },
  };
}

/** A usage text listing every option with its variable and default. */
export function usage(): string {
  return Object.values(OPTIONS as Record<string, Option>)
    .map(
      (o) =>
        `  --${o.flag.padEnd(20)} ${o.env.padEnd(32)} ${o.help}${o.default ? ` (default ${o.default})` : ""}`,
    )
    .join("\n");
}
