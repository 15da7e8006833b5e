/**
 * Real processes for black-box tests: the server started as `node dist/main.js` (or as
 * `bin/blockplane.mjs serve`) on a free port and a temporary data dir, the CLI run to completion,
 * and small HTTP(S) requests against them. They run the compiled code the package ships, built
 * from the sources first when those are newer (scripts/build.mjs).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { isStale } from "../../scripts/build.mjs";
import { freshDatabase } from "./server.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const CLI = path.join(ROOT, "bin/blockplane.mjs");
const MAIN = path.join(ROOT, "dist/main.js");

let built = false;
/**
 * dist/ as the sources are, checked once per test file; built by the build script in a process of
 * its own, so that a test can start a command at once and signal it.
 */
function compiled(): void {
  if (built) return;
  if (isStale())
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build.mjs"), "--if-stale"], { stdio: "ignore" });
  built = true;
}

/**
 * Every server process spawned here and not yet exited. A test that fails before it keeps hold of
 * its server must not leave it running: a live child keeps the test file's process from ending.
 */
const live = new Set<ChildProcess>();

/** Kills every server spawned by this module that is still running, and waits for them to exit. */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** How long a start may take: generous, for machines busy with other test runs. */
const START_TIMEOUT_MS = 60_000;

/** A port that was free a moment ago: listen on 0, note the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = "blockplane-proc-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The array the tests assume unless they ask for another: a VSP E1090 with no pool (their pool IDs
 * and free drive counts start from an empty array). Flags and `extra` override it.
 */
export const TEST_ARRAY_ENV = { BLOCKPLANE_ARRAY_MODEL: "VSP E1090", BLOCKPLANE_SEED_POOL: "off" };

/**
 * The environment of a child: this one's, without any BLOCKPLANE_* setting that would change it,
 * with the tests' array (TEST_ARRAY_ENV) unless `testArray` is false (the server's own defaults).
 */
export function cleanEnv(extra: Record<string, string> = {}, testArray = true): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("BLOCKPLANE_")) env[k] = v;
  return { ...env, ...(testArray ? TEST_ARRAY_ENV : {}), ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  dataDir: string;
  /** The PostgreSQL database it uses, when the tests run on PostgreSQL. */
  databaseUrl: string | undefined;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Resolves when the output so far or to come matches `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends the signal and waits for the exit, at most `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

export interface SpawnOptions {
  /** Run through the CLI's `serve` command rather than dist/main.js. */
  viaCli?: boolean;
  dataDir?: string;
  port?: number;
  /** Extra flags after --port and --data-dir. */
  args?: string[];
  env?: Record<string, string>;
  /**
   * The PostgreSQL database to use. When the tests run on PostgreSQL (BLOCKPLANE_TEST_DATABASE_URL)
   * a fresh one is made by default; otherwise the SQLite store under the data dir is used.
   */
  databaseUrl?: string;
  /** Do not add --port, --data-dir and --database-url (to test flag handling itself). */
  rawArgs?: boolean;
}

/** Spawns the server; it may still be starting (or failing) when this returns. */
export async function spawnServer(options: SpawnOptions = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? tempDir();
  const testDatabase = process.env.BLOCKPLANE_TEST_DATABASE_URL;
  const databaseUrl =
    options.rawArgs || !testDatabase
      ? undefined
      : (options.databaseUrl ?? (await freshDatabase(testDatabase)));
  const flags = options.rawArgs
    ? (options.args ?? [])
    : [
        "--port",
        String(port),
        "--data-dir",
        dataDir,
        ...(databaseUrl ? ["--database-url", databaseUrl] : []),
        ...(options.args ?? []),
      ];
  compiled();
  const argv = options.viaCli ? [CLI, "serve", ...flags] : [MAIN, ...flags];
  const child = spawn(process.execPath, argv, { cwd: ROOT, env: cleanEnv(options.env), stdio: "pipe" });
  live.add(child);
  child.on("exit", () => live.delete(child));
  let out = "";
  let err = "";
  const watchers = new Set<() => void>();
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of watchers) w();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of watchers) w();
  });
  const exited = new Promise<Exit>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const tls = (options.args ?? []).includes("--tls-cert");
  const server: ServerProcess = {
    child,
    port,
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    dataDir,
    databaseUrl,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = START_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out) ?? pattern.exec(err);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        void exited.then((e) => {
          if (!watchers.has(check)) return;
          check();
          if (!watchers.has(check)) return;
          done();
          reject(
            new Error(`exited (${e.code ?? e.signal}) before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`),
          );
        });
        check();
      });
    },
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms of ${signal}`)), timeoutMs).unref();
      });
      try {
        return await Promise.race([exited, timer]);
      } catch (e) {
        child.kill("SIGKILL");
        throw e;
      }
    },
  };
  return server;
}

/** Spawns the server and waits until it listens. */
export async function startServerProcess(options: SpawnOptions = {}): Promise<ServerProcess> {
  const server = await spawnServer(options);
  try {
    await server.waitFor(/blockplane is listening/);
  } catch (err) {
    server.child.kill("SIGKILL");
    throw err;
  }
  return server;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves when the command has ended, with its exit code and output. */
  done: Promise<CliResult>;
}

/** Starts one `blockplane` command, for a test that signals it or writes to it while it runs. */
export function spawnCli(args: string[], env: Record<string, string> = {}, input?: string): CliProcess {
  compiled();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: "pipe" });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    // A command that hangs fails its test instead of holding the whole file.
    const timer = setTimeout(() => child.kill("SIGKILL"), START_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  if (input !== undefined) child.stdin?.end(input);
  return { child, done };
}

/** Runs one `blockplane` command to its end. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return spawnCli(args, env, input ?? "").done;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  body: any;
}

/** One request over real HTTP(S); certificates are not verified (tests use self-signed ones). */
export function httpRequest(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<HttpAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === "https:" ? https : http;
    const req = mod.request(
      u,
      {
        method,
        headers: {
          accept: "application/json",
          ...(payload ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        rejectUnauthorized: false,
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => {
          text += d.toString();
        });
        res.on("end", () => {
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
    req.setTimeout(START_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on("error", reject);
    req.end(payload);
  });
}
