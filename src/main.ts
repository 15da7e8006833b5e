/**
 * The blockplane server process: reads the config, starts the server, listens, prints the initial
 * administrator's password once, and shuts down gracefully on SIGTERM/SIGINT.
 */
import fs from "node:fs";
import net from "node:net";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { ConfigError, loadConfig, usage } from "./config.ts";
import { loggerOptions } from "./http/observability.ts";
import { type Running, start } from "./server.ts";
import { SeedRefused } from "./services/array-state.ts";
import { StoreUnusable } from "./store/integrity.ts";

/** The server cannot take the address it was given: the operator's problem, said in one line. */
class CannotListen extends Error {}

/** What to tell the operator when listening on host:port failed, or undefined if it is no such failure. */
export function listenProblem(err: unknown, host: string, port: number): string | undefined {
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch ((err as { code?: unknown }).code) {
    case "EADDRINUSE":
      return `the address ${address} is already in use: another process (perhaps another blockplane) listens on it. Stop that process, or choose another port with --port (BLOCKPLANE_PORT).`;
    case "EACCES":
      return `no permission to listen on ${address} (ports below 1024 need privileges): choose another port with --port (BLOCKPLANE_PORT).`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${address}: ${host} is not an address of this host. Choose another with --host (BLOCKPLANE_HOST).`;
    default:
      return undefined;
  }
}

/**
 * Runs the server with the given flags until a signal stops it; `command` names it in the usage
 * text. Resolves once the server listens (true), or when there was nothing to serve (`--help`).
 */
export async function serve(argv: string[], command = "npm start --"): Promise<boolean> {
  try {
    return await run(argv, command);
  } catch (err) {
    if (err instanceof StoreUnusable || err instanceof SeedRefused || err instanceof CannotListen) {
      // The operator's problem, said in one line: a stack trace would bury it.
      process.stderr.write(`blockplane: cannot start: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`blockplane: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
}

async function run(argv: string[], command: string): Promise<boolean> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      `Usage: ${command} [options]\n\nOptions (flag, environment variable):\n${usage()}\n`,
    );
    return false;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(argv, process.env);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`blockplane: ${(err as Error).message}\nRun with --help for the options.\n`);
      process.exit(2);
    }
    throw err;
  }
  // Before the store opens: a second `npm start` in one checkout would otherwise open the store
  // of the server that holds the port, and run its jobs, before it failed.
  await checkCanListen(config.host, config.port);
  const logger = pino(loggerOptions(config.logLevel));
  let server: Running;
  try {
    // start() closes what it assembled when it cannot listen.
    server = await start(config, { logger, deferInitialAdmin: true });
  } catch (err) {
    const problem = listenProblem(err, config.host, config.port);
    throw problem === undefined ? err : new CannotListen(problem);
  }
  // Only once the server listens: a start that fails before would print a password that the
  // store keeps, and the next start, finding the administrator made, would not print it again.
  // (A login in the moment between listening and this answers 401.)
  const adminMade = server.createInitialAdmin();
  // A signal from now on stops the server gracefully (its exit work, the code cache among it,
  // done): /readyz answers as soon as it listens, before the administrator is made.
  stopOnSignals(server, logger, adminMade);
  const admin = await adminMade;
  if (admin?.password) {
    // Printed once, on the first start of an empty store, to the terminal rather than the log.
    process.stdout.write(
      `\nInitial administrator created.\n  user:     ${admin.name}\n  password: ${admin.password}\nKeep it safe: it is not shown again.\n\n`,
    );
  }
  logger.info(
    {
      address: server.url,
      store: config.store === "memory" ? "memory" : server.store.dialect,
      dataDir: config.databaseUrl || config.store === "memory" ? undefined : config.dataDir,
      ...(config.seed ? { seed: config.seed.file } : {}),
      integrityCheckMs: server.store.integrityCheckMs,
    },
    "blockplane is listening",
  );
  return true;
}

/** Closes the server on SIGTERM or SIGINT, after the initial administrator is made, then exits. */
function stopOnSignals(server: Running, logger: pino.Logger, adminMade: Promise<unknown>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, 10_000);
    force.unref();
    // The store stays open until the administrator's row is written (or its writing failed).
    await adminMade.catch(() => undefined);
    await server.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** Throws CannotListen when host:port cannot be listened on now (taken, forbidden, not ours). */
function checkCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err) => {
      const problem = listenProblem(err, host, port);
      // Anything else is left to the real listen, which reports it.
      if (problem === undefined) resolve();
      else reject(new CannotListen(problem));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** True when this file is the program node was asked to run, not a module imported by the CLI. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  return (
    script !== undefined &&
    fs.existsSync(script) &&
    pathToFileURL(fs.realpathSync(script)).href === import.meta.url
  );
}

if (isEntryPoint()) void serve(process.argv.slice(2));
