/**
 * The blockplane server process: reads the config, starts the server, prints the initial
 * administrator's password once, and shuts down gracefully on SIGTERM/SIGINT.
 */
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { ConfigError, loadConfig, usage } from "./config.ts";
import { loggerOptions } from "./http/observability.ts";
import { start } from "./server.ts";
import { SeedRefused } from "./services/array-state.ts";
import { StoreUnusable } from "./store/integrity.ts";

/** Runs the server with the given flags until a signal stops it; `command` names it in the usage text. */
export async function serve(argv: string[], command = "npm start --"): Promise<void> {
  try {
    await run(argv, command);
  } catch (err) {
    if (err instanceof StoreUnusable || err instanceof SeedRefused) {
      // The operator's problem, said in one line: a stack trace would bury it.
      process.stderr.write(`blockplane: cannot start: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`blockplane: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
}

async function run(argv: string[], command: string): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      `Usage: ${command} [options]\n\nOptions (flag, environment variable):\n${usage()}\n`,
    );
    return;
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
  const logger = pino(loggerOptions(config.logLevel));
  const server = await start(config, { logger });
  if (server.initialAdmin?.password) {
    // Printed once, on the first start of an empty store, to the terminal rather than the log.
    process.stdout.write(
      `\nInitial administrator created.\n  user:     ${server.initialAdmin.name}\n  password: ${server.initialAdmin.password}\nKeep it safe: it is not shown again.\n\n`,
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
    await server.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
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
