/**
 * Assembles Blockplane from a config: store → device → services → HTTP app, and the job worker.
 * main.ts runs it as a process; tests build it in-process and talk to it with app.inject or HTTP.
 */
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import type { FastifyBaseLogger } from "fastify";
import type { Config } from "./config.ts";
import type { DataFaults, DataPlane } from "./dataplane/index.ts";
import { withDeadline } from "./device/deadline.ts";
import { FaultRules } from "./device/fault-rules.ts";
import { FaultInjector, withFaults } from "./device/faults.ts";
import { withMetrics } from "./device/metrics.ts";
import { createSimulator } from "./device/simulator/index.ts";
import { type App, buildApp } from "./http/app.ts";
import { Metrics } from "./metrics.ts";
import { AccountsService } from "./services/accounts.ts";
import {
  ArrayStateService,
  loadSeed,
  readSeed,
  type SeedOutcome,
  seedIdentity,
} from "./services/array-state.ts";
import { registerJobHandlers } from "./services/index.ts";
import { MeasuredJobsService } from "./services/job-metrics.ts";
import { type JobsService, JobWorker } from "./services/jobs.ts";
import { MaintenanceService } from "./services/maintenance.ts";
import { AccountsStore } from "./store/accounts.ts";
import { openStore, type Store } from "./store/db.ts";
import { JobsStore } from "./store/jobs.ts";

export interface Blockplane {
  app: App;
  store: Store;
  accounts: AccountsService;
  jobs: JobsService;
  worker: JobWorker;
  maintenance: MaintenanceService;
  arrayState: ArrayStateService;
  /** The config the server runs with: the given one, with the array identity of its seed file. */
  config: Config;
  /** Present when fault injection is enabled. */
  faults: FaultInjector | undefined;
  /** Present with `--data-plane iscsi`: the backing files and the iSCSI portals. */
  dataPlane: DataPlane | undefined;
  /** Set when this start created the initial administrator. */
  initialAdmin: InitialAdmin | undefined;
  /**
   * Creates the initial administrator if the store has no user yet (once per store, whichever
   * instance comes first) and answers the one this start made (or loaded from a seed file), with
   * its password when it was generated. `assemble` calls it unless told to leave it to its caller
   * (`deferInitialAdmin`).
   */
  createInitialAdmin(): Promise<InitialAdmin | undefined>;
  close(): Promise<void>;
}

export type InitialAdmin = { name: string; password?: string };

export interface AssembleOptions {
  logger?: FastifyBaseLogger | boolean;
  now?: () => number;
  /** How a fault rule's crash point ends the process; by default SIGKILL, as abrupt as a power cut. */
  crash?: (point: string) => void;
  /**
   * Leave the initial administrator to `createInitialAdmin`: the process creates it only once it
   * listens, so that a start that cannot listen neither prints a password nor uses one up.
   */
  deferInitialAdmin?: boolean;
}

/** Dies at once, with no cleanup and no flush: what a crash rehearsal needs. Exit status 137. */
function crashNow(point: string): void {
  fs.writeSync(2, `blockplane: injected crash at ${point}\n`);
  process.kill(process.pid, "SIGKILL");
}

/**
 * Says once that the store cannot write, and once that it can again (not once per request that
 * meets it); the jobs held back meanwhile start as soon as it can.
 */
function watchStoreHealth(store: Store, log: FastifyBaseLogger, resume: () => void): void {
  store.health.onChange((state) => {
    if (state.writable) {
      log.warn("the store can write again: changes are accepted");
      resume();
    } else {
      log.error(
        { cause: state.cause },
        `the store cannot write: its disk is full (${state.cause}); changes answer 503, reads and logins go on, until space is freed`,
      );
    }
  });
}

export async function assemble(given: Config, options: AssembleOptions = {}): Promise<Blockplane> {
  const now = options.now ?? Date.now;
  // A seed file is read and checked before the store is touched, and names the array's identity.
  const seed = given.seed ? readSeed(given.seed) : undefined;
  const config = seed ? { ...given, array: seedIdentity(given, seed) } : given;
  const store = await openStore(config);
  let dataPlane: DataPlane | undefined;
  let dataPlaneLog: FastifyBaseLogger | undefined;
  /** What the data plane said before the app's logger existed. */
  const early: ["info" | "warn", string][] = [];
  try {
    const seeded: SeedOutcome | undefined = seed
      ? await loadSeed(store, seed, config.adminPassword, now)
      : undefined;
    const withData = config.dataPlane.mode === "iscsi";
    // Loaded only by a start that serves data: its modules (child processes, tgt) cost every other
    // start a few milliseconds.
    const data = withData ? await import("./dataplane/index.ts") : undefined;
    const simulator = await createSimulator(store, {
      identity: config.array,
      now,
      ...(data ? { firstLun: data.FIRST_DATA_LUN, thinUsage: true } : {}),
    });
    const maintenance = new MaintenanceService(store, now);
    if (data) {
      const rules = new FaultRules(store, now);
      dataPlane = new data.DataPlane({
        store,
        settings: config.dataPlane,
        dataDir: config.store === "memory" ? undefined : config.dataDir,
        iscsiPorts: config.array.profile.ports.iscsi,
        serial: config.array.serial,
        log: {
          info: (m) => (dataPlaneLog ? dataPlaneLog.info(m) : early.push(["info", m])),
          warn: (m) => (dataPlaneLog ? dataPlaneLog.warn(m) : early.push(["warn", m])),
        },
        faults: () => dataFaults(maintenance, config.faults ? rules : undefined, now),
      });
      await dataPlane.start();
    }
    const arrayDevice = dataPlane ? dataPlane.wrap(simulator) : simulator;
    const faults = config.faults
      ? new FaultInjector(store, {
          identity: config.array,
          now,
          deviceTimeoutMs: config.deviceTimeoutMs,
          crash: options.crash ?? crashNow,
        })
      : undefined;
    const metrics = new Metrics();
    // Faults inside the deadline: a faulted call that never answers is ended by the deadline.
    // Metrics outside it: a timed-out call counts with the time its caller waited.
    const device = withMetrics(
      withDeadline(faults ? withFaults(arrayDevice, faults) : arrayDevice, config.deviceTimeoutMs),
      metrics,
    );
    const accounts = new AccountsService(new AccountsStore(store), store.dialect, {
      maxSessions: config.maxSessions,
      maxSessionsPerUser: config.maxSessionsPerUser,
      now,
    });
    const jobsStore = new JobsStore(store);
    const jobs = new MeasuredJobsService(
      jobsStore,
      {
        now,
        ttlMs: config.jobTtlMs,
        maxCount: config.jobMaxCount,
        maxPending: config.maxPendingJobs,
        busyRetryAfterSeconds: config.busyRetryAfterSeconds,
      },
      metrics,
    );
    registerJobHandlers(jobs);
    const createInitialAdmin = () => accounts.ensureAdministrator(config.adminPassword);
    // A seed file's users are loaded with the array, in its transaction (loadSeed).
    const initialAdmin = seeded?.loaded
      ? seeded.initialAdmin
      : options.deferInitialAdmin
        ? undefined
        : await createInitialAdmin();
    const arrayState = new ArrayStateService(store, config.array, now);
    const app = await buildApp(
      { config, accounts, jobs, device, now, maintenance, faults, store, metrics, arrayState },
      options.logger ?? false,
    );
    dataPlaneLog = app.log;
    for (const [level, message] of early) app.log[level](message);
    const worker = new JobWorker(
      jobsStore,
      jobs,
      device,
      {
        concurrency: config.jobConcurrency,
        leaseMs: config.jobLeaseMs,
        maxAttempts: 5,
        pollMs: 1000,
        now,
        // No job starts while the store cannot write: its claim and its outcome are writes.
        paused: async () => !store.health.writable || (await maintenance.active()),
        ...(faults ? { beforeComplete: () => faults.beforeJobComplete() } : {}),
      },
      app.log,
    );
    worker.start();
    // Jobs held back by maintenance start as soon as it ends, not at the next poll.
    maintenance.onEnd(() => jobs.wake());
    watchStoreHealth(store, app.log, () => jobs.wake());
    let closing: Promise<void> | undefined;
    const blockplane: Blockplane = {
      app,
      store,
      accounts,
      jobs,
      worker,
      maintenance,
      arrayState,
      config,
      faults,
      dataPlane,
      initialAdmin,
      async createInitialAdmin() {
        blockplane.initialAdmin ??= await createInitialAdmin();
        return blockplane.initialAdmin;
      },
      close() {
        closing ??= (async () => {
          // Each part is closed even when one before it fails (an app that never finished
          // booting): a memory store must still remove its directory.
          try {
            await app.close();
          } finally {
            try {
              await worker.stop();
            } finally {
              try {
                await dataPlane?.close();
              } finally {
                await store.close();
              }
            }
          }
        })();
        return closing;
      },
    };
    return blockplane;
  } catch (err) {
    await dataPlane?.close().catch(() => {});
    await store.close();
    throw err;
  }
}

/**
 * What the faults ask of the data plane. Portals refuse logins: all of them during maintenance (the
 * API's, or a fault rule's window over the whole array), and those of the ports `port-down` rules
 * name. Volumes that `io-latency` rules name are slowed (the largest latency when several do).
 */
async function dataFaults(
  maintenance: MaintenanceService,
  rules: FaultRules | undefined,
  now: () => number,
): Promise<DataFaults> {
  let all = await maintenance.active();
  const down = new Set<string>();
  const latencies = new Map<number, number>();
  for (const rule of rules ? await rules.active() : []) {
    const m = rule.match;
    if (rule.action === "maintenance" && m.operation === undefined && m.resourceType === undefined) {
      if (rule.scope === "device" && now() >= rule.createdAt) all = true;
    }
    if (rule.action === "port-down" && rule.portId !== undefined) down.add(rule.portId);
    if (rule.action === "io-latency" && rule.volumeId !== undefined && rule.latencyMs !== undefined) {
      latencies.set(rule.volumeId, Math.max(latencies.get(rule.volumeId) ?? 0, rule.latencyMs));
    }
  }
  return { outage: all ? "all" : down, latencies };
}

/** A server assembled and listening. */
export interface Running extends Blockplane {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  url: string;
}

/**
 * Assembles the server and listens on the config's host and port (0 picks a free one): the start
 * of the process (main.ts) and of the in-process harness (harness.ts). A failure to listen closes
 * what was assembled.
 */
export async function start(config: Config, options: AssembleOptions = {}): Promise<Running> {
  const server = await assemble(config, options);
  let url: string;
  try {
    await server.app.listen({ host: config.host, port: config.port });
    const { port } = server.app.server.address() as AddressInfo;
    // A server listening on every address is reached on loopback.
    const reach = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "::1" : config.host;
    const host = reach.includes(":") ? `[${reach}]` : reach;
    url = `${config.tls ? "https" : "http"}://${host}:${port}`;
  } catch (err) {
    await server.close();
    throw err;
  }
  return Object.assign(server, { url });
}
