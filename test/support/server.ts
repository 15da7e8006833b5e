/**
 * Starts a real Blockplane (store, simulated array, job worker, HTTP app) on a fresh SQLite data
 * dir, or on PostgreSQL when BLOCKPLANE_TEST_DATABASE_URL names a throw-away database, and gives
 * tests a small client over app.inject (or over real HTTP with `listen`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { type Config, loadConfig } from "../../src/config.ts";
import { assemble, type Blockplane } from "../../src/server.ts";

export const ADMIN_PASSWORD = "test-admin-password";
export const SIMPLE = "/ConfigurationManager/simple/v1/objects";
export const FULL = "/ConfigurationManager/v1/objects";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  body: any;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: unknown;
  /** A raw payload sent as-is (for malformed bodies). */
  payload?: string;
  /** Session token to use; defaults to the admin session. `null` sends no Authorization. */
  token?: string | null;
}

export interface TestServer {
  bp: Blockplane;
  config: Config;
  dataDir: string;
  adminToken: string;
  request(method: string, url: string, options?: RequestOptions): Promise<Reply>;
  get(url: string, options?: RequestOptions): Promise<Reply>;
  post(url: string, body?: unknown, options?: RequestOptions): Promise<Reply>;
  patch(url: string, body?: unknown, options?: RequestOptions): Promise<Reply>;
  delete(url: string, options?: RequestOptions): Promise<Reply>;
  /** Creates a user with the given roles and answers a session token of theirs. */
  userToken(name: string, roles: string[]): Promise<string>;
  /**
   * Polls a command-status until it completes and answers it. Given a 202 body that lists several
   * statusResources (a multi-resource operation), waits for every one and answers them merged:
   * `statuses` (each item's command-status, in order), `status` (error when any item failed),
   * `affectedResources` and `operationDetails` of every item, and `failures` (the failed items).
   */
  // biome-ignore lint/suspicious/noExplicitAny: a command-status read by tests
  waitJob(ref: JobRef, token?: string): Promise<any>;
  close(): Promise<void>;
}

export function basic(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString("base64")}`;
}

export interface StartOptions {
  /** The clock of the whole server (sessions, jobs, leases, the array); Date.now by default. */
  now?: () => number;
  /** The server's logger; none by default. */
  logger?: FastifyBaseLogger;
}

export async function startServer(
  overrides: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-test-"));
  const env: Record<string, string> = {
    BLOCKPLANE_DATA_DIR: dataDir,
    BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    BLOCKPLANE_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // The test runner shares this process's event loop: its own work would read as server overload.
    BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0",
    // The array the tests assume unless they ask for another: a VSP E1090 with no pool.
    BLOCKPLANE_ARRAY_MODEL: "VSP E1090",
    BLOCKPLANE_SEED_POOL: "off",
    ...overrides,
  };
  if (process.env.BLOCKPLANE_TEST_DATABASE_URL && !overrides.BLOCKPLANE_DATABASE_URL) {
    env.BLOCKPLANE_DATABASE_URL = await freshDatabase(process.env.BLOCKPLANE_TEST_DATABASE_URL);
  }
  const config = loadConfig([], env);
  const bp = await assemble(config, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  const request = async (method: string, url: string, options: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const token = options.token === undefined ? server.adminToken : options.token;
    if (
      token !== null &&
      token !== undefined &&
      headers.authorization === undefined &&
      headers.Authorization === undefined
    ) {
      headers.authorization = `Session ${token}`;
    }
    let payload: string | undefined = options.payload;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await bp.app.inject({
      method: method as "GET",
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    let body: unknown;
    try {
      body = res.body === "" ? undefined : JSON.parse(res.body);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  };

  const server: TestServer = {
    bp,
    config,
    dataDir,
    adminToken: "",
    request,
    get: (url, o) => request("GET", url, o),
    post: (url, body, o) => request("POST", url, { ...o, ...(body !== undefined ? { body } : {}) }),
    patch: (url, body, o) => request("PATCH", url, { ...o, ...(body !== undefined ? { body } : {}) }),
    delete: (url, o) => request("DELETE", url, o),
    async userToken(name, roles) {
      const password = `${name}-password`;
      const made = await request("POST", "/blockplane/v1/users", { body: { name, password, roles } });
      if (made.status !== 200) throw new Error(`creating user ${name}: ${made.status} ${made.text}`);
      return sessionToken(name, password);
    },
    async waitJob(ref, token) {
      if (Array.isArray(ref)) {
        // One after the other: the items of one job complete together, so once the first has, the
        // others answer at their first read.
        const statuses = [];
        for (const r of ref) statuses.push(await server.waitJob(r, token));
        return mergedStatuses(statuses);
      }
      const statusResource = typeof ref === "string" ? ref : ref.statusResource;
      // A deadline in time, not in polls: a loaded machine runs jobs slowly, never wrongly.
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const r = await request("GET", statusResource, { token: token ?? server.adminToken });
        if (r.status !== 200) throw new Error(`polling ${statusResource}: ${r.status} ${r.text}`);
        if (r.body.progress === "completed") return r.body;
        await new Promise((res) => setTimeout(res, 5));
      }
      throw new Error(`job ${statusResource} did not complete within 120 s`);
    },
    async close() {
      await bp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };

  async function sessionToken(name: string, password: string): Promise<string> {
    const r = await request("POST", `${SIMPLE}/sessions`, {
      token: null,
      headers: { authorization: basic(name, password) },
    });
    if (r.status !== 200) throw new Error(`session for ${name}: ${r.status} ${r.text}`);
    return r.body.token;
  }
  server.adminToken = await sessionToken("admin", ADMIN_PASSWORD);
  return server;
}

/** What names command-statuses: a statusResource URL, a 202 body, or a 202 body listing several. */
export type JobRef = string | { statusResource: string } | (string | { statusResource: string })[];

/** The item statuses of one multi-resource operation, read as one (see `waitJob`). */
// biome-ignore lint/suspicious/noExplicitAny: command-statuses read by tests
export function mergedStatuses(statuses: any[]) {
  const failures = statuses.filter((st) => st.status !== "normal");
  if (statuses.length === 1) return { ...statuses[0], statuses, failures };
  const lead = failures[0];
  return {
    progress: "completed",
    status: failures.length > 0 ? "error" : "normal",
    statuses,
    failures,
    ...(lead
      ? { errorResource: lead.errorResource, errorCode: lead.errorCode, errorMessage: lead.errorMessage }
      : {}),
    affectedResources: statuses.flatMap((st) => st.affectedResources ?? []),
    operationDetails: statuses.flatMap((st) => st.operationDetails ?? []),
  };
}

/** Creates an empty database on the PostgreSQL server of `baseUrl` and answers its URL. */
export async function freshDatabase(baseUrl: string): Promise<string> {
  const { default: pg } = await import("pg");
  const name = `bp_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
