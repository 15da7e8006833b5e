/**
 * Assembles Blockplane from a config: store → device → services → HTTP app, and the job worker.
 * main.ts runs it as a process; tests build it in-process and talk to it with app.inject or HTTP.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Config } from "./config.ts";
import { withDeadline } from "./device/deadline.ts";
import { createSimulator } from "./device/simulator/index.ts";
import { type App, buildApp } from "./http/app.ts";
import { AccountsService } from "./services/accounts.ts";
import { registerJobHandlers } from "./services/index.ts";
import { JobsService, JobWorker } from "./services/jobs.ts";
import { AccountsStore } from "./store/accounts.ts";
import { openStore, type Store } from "./store/db.ts";
import { JobsStore } from "./store/jobs.ts";

export interface Blockplane {
  app: App;
  store: Store;
  accounts: AccountsService;
  jobs: JobsService;
  worker: JobWorker;
  /** Set when this start created the initial administrator. */
  initialAdmin: { name: string; password?: string } | undefined;
  close(): Promise<void>;
}

export interface AssembleOptions {
  logger?: FastifyBaseLogger | boolean;
  now?: () => number;
}

export async function assemble(config: Config, options: AssembleOptions = {}): Promise<Blockplane> {
  const now = options.now ?? Date.now;
  const store = await openStore(config);
  try {
    const device = withDeadline(
      await createSimulator(store, { identity: config.array, now }),
      config.deviceTimeoutMs,
    );
    const accounts = new AccountsService(new AccountsStore(store), store.dialect, {
      maxSessions: config.maxSessions,
      now,
    });
    const jobsStore = new JobsStore(store);
    const jobs = new JobsService(jobsStore, { now, ttlMs: config.jobTtlMs, maxCount: config.jobMaxCount });
    registerJobHandlers(jobs);
    const initialAdmin = await accounts.ensureAdministrator(config.adminPassword);
    const app = await buildApp({ config, accounts, jobs, device, now }, options.logger ?? false);
    const worker = new JobWorker(
      jobsStore,
      jobs,
      device,
      { concurrency: config.jobConcurrency, leaseMs: config.jobLeaseMs, maxAttempts: 5, pollMs: 1000, now },
      app.log,
    );
    worker.start();
    let closing: Promise<void> | undefined;
    return {
      app,
      store,
      accounts,
      jobs,
      worker,
      initialAdmin,
      close() {
        closing ??= (async () => {
          await app.close();
          await worker.stop();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
