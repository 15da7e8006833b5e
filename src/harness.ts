/**
 * Blockplane inside a test suite: `startBlockplane()` starts a real server in the calling process
 * (the same start as `blockplane serve`: config → store → array → HTTP, listening on a free port
 * by default) on a throw-away store, and answers where it listens and how to log in. See docs/ci.md.
 *
 *   const bp = await startBlockplane({ model: "VSP E1090" });
 *   // … point the code under test at bp.simpleApiUrl with bp.credentials …
 *   await bp.reset();   // between tests: the array as it left the factory
 *   await bp.close();
 *
 * Settings come from the options only, never from the process's BLOCKPLANE_* variables, so that a
 * suite's server does not change with the shell it runs in.
 */
import { randomBytes } from "node:crypto";
import pino from "pino";
import { type LogLevel, loadConfig } from "./config.ts";
import { loggerOptions } from "./http/observability.ts";
import { storageDeviceIdOf } from "./http/v1/contract.ts";
import { start } from "./server.ts";
import type { ArrayDocument } from "./services/array-document.ts";
import type { ExportOptions } from "./services/array-state.ts";

export type { ArrayDocument } from "./services/array-document.ts";

export interface BlockplaneOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on; 127.0.0.1 by default. */
  host?: string;
  /**
   * "memory" (the default): a new store, removed by close(); `{ dataDir }`: the SQLite store of
   * that directory; `{ databaseUrl }`: a PostgreSQL database (postgres://…).
   */
  store?: "memory" | { dataDir: string } | { databaseUrl: string };
  /** Model of the simulated array (docs/array-profiles.md); the server's default otherwise. */
  model?: string;
  /** Whether a new array has its usable pool 0 (true by default, as the server). */
  seedPool?: boolean;
  /** The fault-injection API (docs/faults.md); off by default. */
  faults?: boolean;
  /** An array export (JSON file) a new store starts from. */
  seed?: string;
  /** Password of the initial administrator `admin`; a random one when absent. */
  adminPassword?: string;
  /** The server's log level, on stdout; "silent" by default. */
  logLevel?: LogLevel;
  /**
   * Any other server flag, by its name without the dashes: `{ "job-concurrency": "2" }`. Given
   * after the options above, so a flag here wins over the option of the same setting.
   */
  flags?: Record<string, string>;
}

export interface RunningBlockplane {
  /** The server's base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** The simple API: `${url}/ConfigurationManager/simple/v1`. */
  simpleApiUrl: string;
  /** The full Configuration Manager API: `${url}/ConfigurationManager/v1`. */
  fullApiUrl: string;
  /** The initial administrator's, valid on a new store (memory, an empty data dir or database). */
  credentials: { user: string; password: string };
  /** The array's model and serial, and its storage device ID in the full API's paths. */
  array: { model: string; serial: string; storageDeviceId: string };
  /** Returns the array to its factory state (as POST /blockplane/v1/array/actions/reset/invoke). */
  reset(): Promise<void>;
  /** The array's export (as GET /blockplane/v1/array/export). */
  exportArray(options?: ExportOptions): Promise<ArrayDocument>;
  /** Stops the server; a memory store is removed. */
  close(): Promise<void>;
}

function storeFlags(store: BlockplaneOptions["store"]): string[] {
  if (store === undefined || store === "memory") return ["--store", "memory"];
  if ("databaseUrl" in store) return ["--database-url", store.databaseUrl];
  return ["--data-dir", store.dataDir];
}

/** Starts Blockplane in this process; resolves once it listens. */
export async function startBlockplane(options: BlockplaneOptions = {}): Promise<RunningBlockplane> {
  const password = options.adminPassword ?? `bp-${randomBytes(12).toString("base64url")}`;
  const argv = [
    "--port",
    String(options.port ?? 0),
    "--host",
    options.host ?? "127.0.0.1",
    ...storeFlags(options.store),
    "--admin-password",
    password,
    "--log-level",
    options.logLevel ?? "silent",
    // The suite's own work shares this event loop: it would read as overload of the server.
    "--overload-event-loop-delay-ms",
    "0",
    ...(options.model !== undefined ? ["--array-model", options.model] : []),
    ...(options.seedPool !== undefined ? ["--seed-pool", options.seedPool ? "on" : "off"] : []),
    ...(options.faults !== undefined ? ["--faults", options.faults ? "on" : "off"] : []),
    ...(options.seed !== undefined ? ["--seed", options.seed] : []),
    ...Object.entries(options.flags ?? {}).flatMap(([flag, value]) => [`--${flag}`, value]),
  ];
  const config = loadConfig(argv, {});
  const logger = config.logLevel === "silent" ? false : pino(loggerOptions(config.logLevel));
  const server = await start(config, { logger });
  const { model, serial } = server.config.array;
  return {
    url: server.url,
    simpleApiUrl: `${server.url}/ConfigurationManager/simple/v1`,
    fullApiUrl: `${server.url}/ConfigurationManager/v1`,
    credentials: { user: "admin", password: config.adminPassword ?? password },
    array: { model, serial, storageDeviceId: storageDeviceIdOf(serial) },
    reset: () => server.arrayState.reset(),
    exportArray: (exportOptions) => server.arrayState.export(exportOptions),
    close: () => server.close(),
  };
}
