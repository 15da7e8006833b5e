/**
 * What the reliability suite (test/reliability/) shares: its size, scaled by
 * BLOCKPLANE_RELIABILITY_SCALE (1 in CI: fits the time budget; 10 for a long run), a keep-alive HTTP
 * client for real server processes, and a look at the array's state for "nothing changed" checks.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { Db } from "../../src/store/db.ts";
import { ADMIN_PASSWORD, basic, type JobRef, mergedStatuses, SIMPLE } from "./server.ts";

/** The factor every size of the suite is multiplied by; a positive number, 1 by default. */
export function reliabilityScale(): number {
  const raw = process.env.BLOCKPLANE_RELIABILITY_SCALE;
  if (raw === undefined || raw === "") return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`BLOCKPLANE_RELIABILITY_SCALE must be > 0, got "${raw}"`);
  return n;
}

/** `n` at the suite's scale, at least 1. */
export function scaled(n: number): number {
  return Math.max(1, Math.round(n * reliabilityScale()));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  body: any;
}

/**
 * A small HTTP client of one server process over one keep-alive agent (loopback only). Every
 * request either answers or rejects: a socket error or no answer within `timeoutMs` rejects.
 * Like a well-behaved client it retries a 503 after its Retry-After (capped at `maxRetryWaitMs`
 * to keep tests short), unless `retryBusy` is off.
 */
export class Client {
  readonly agent: http.Agent;
  token = "";
  retryBusy = true;
  /** 503 answers retried so far. */
  retried = 0;
  private readonly maxRetryWaitMs = 1000;
  private readonly maxRetries = 30;

  constructor(
    readonly baseUrl: string,
    maxSockets = 16,
    private readonly timeoutMs = 60_000,
  ) {
    const host = new URL(baseUrl).hostname;
    if (host !== "127.0.0.1" && host !== "localhost" && host !== "::1") {
      throw new Error(`the reliability client talks to loopback only, not ${host}`);
    }
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.once(method, path, body, headers);
      if (answer.status !== 503 || !this.retryBusy || attempt >= this.maxRetries) return answer;
      this.retried++;
      const seconds = Number(answer.headers["retry-after"] ?? 1);
      await sleep(Math.min(this.maxRetryWaitMs, (Number.isFinite(seconds) ? seconds : 1) * 1000));
    }
  }

  /** One request, one answer (or a rejection). */
  once(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            accept: "application/json",
            ...(this.token ? { authorization: `Session ${this.token}` } : {}),
            ...(payload !== undefined ? { "content-type": "application/json" } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d: Buffer) => chunks.push(d));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = text === "" ? undefined : JSON.parse(text);
            } catch {
              parsed = text;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer to ${method} ${path}`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Opens an admin session and uses its token from now on. */
  async login(): Promise<string> {
    const r = await this.request("POST", `${SIMPLE}/sessions`, undefined, {
      authorization: basic("admin", ADMIN_PASSWORD),
    });
    if (r.status !== 200) throw new Error(`login: ${r.status} ${JSON.stringify(r.body)}`);
    this.token = r.body.token;
    return this.token;
  }

  /**
   * Polls a command-status until it completes. Given several (a multi-resource answer), waits for
   * each and answers them merged, as the in-process server's `waitJob` does.
   */
  // biome-ignore lint/suspicious/noExplicitAny: a command-status read by tests
  async waitJob(ref: JobRef, timeoutMs = 60_000): Promise<any> {
    if (Array.isArray(ref)) {
      const statuses = [];
      for (const r of ref) statuses.push(await this.waitJob(r, timeoutMs));
      return mergedStatuses(statuses);
    }
    const statusResource = typeof ref === "string" ? ref : ref.statusResource;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.request("GET", statusResource);
      if (r.status !== 200)
        throw new Error(`polling ${statusResource}: ${r.status} ${JSON.stringify(r.body)}`);
      if (r.body.progress === "completed") return r.body;
      if (Date.now() > deadline)
        throw new Error(`${statusResource} did not complete: ${JSON.stringify(r.body)}`);
      await sleep(20);
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Makes a pool of six drives (the tests' array has no pool) and answers its ID. */
export async function makePool(client: Client, name = "load"): Promise<number> {
  const pool = await client.request("POST", `${SIMPLE}/pools`, {
    name,
    drives: [{ driveTypeCode: "SNB5A-R1R9NC", dataDriveCount: 6, raidLevel: "RAID5" }],
  });
  if (pool.status !== 202) throw new Error(`pool: ${pool.status} ${JSON.stringify(pool.body)}`);
  const job = await client.waitJob(pool.body);
  if (job.status !== "normal") throw new Error(`pool: ${JSON.stringify(job)}`);
  return Number(job.operationDetails[0].resourceId);
}

/** The tables that hold the array's configuration and the accounts: what a refused request must not change. */
export const STATE_TABLES = [
  "pools",
  "drives",
  "volumes",
  "ports",
  "servers",
  "hbas",
  "host_groups",
  "host_group_initiators",
  "lun_paths",
  "connections",
  "snapshots",
  "users",
  // Maintenance mode and fault rules live here.
  "array_meta",
] as const;

export interface StateSnapshot {
  /** Rows per table, plus the counts of sessions and jobs (whose rows change with every use). */
  counts: Record<string, number>;
  /** SHA-256 over every row of STATE_TABLES, in a fixed order. */
  hash: string;
}

/**
 * The array's state as rows: counts and one hash of the array tables. Sessions and jobs are
 * counted only: a session's last use and a job's lease move as the server works.
 */
export async function stateSnapshot(db: Db): Promise<StateSnapshot> {
  const hash = createHash("sha256");
  const counts: Record<string, number> = {};
  for (const table of STATE_TABLES) {
    const rows = (await db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
    const lines = rows
      .map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1))))
      .sort();
    counts[table] = rows.length;
    hash.update(`${table}\n${lines.join("\n")}\n`);
  }
  for (const table of ["sessions", "jobs"] as const) {
    const row = await db
      .selectFrom(table)
      .select((e) => e.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return { counts, hash: hash.digest("hex") };
}
