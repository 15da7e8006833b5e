/**
 * The `blockplane` command: `serve` runs the server; the other commands are a client of a running
 * server (login, logout, users, and one command per resource of the API). Exit codes: 0 success,
 * 1 the server refused, could not be reached or a job failed, 2 the command was used wrongly,
 * 3 an operation over several resources did only part of its work, 124 a wait for a job timed out,
 * 130 a wait was interrupted (Ctrl-C); the job goes on in both.
 */
import { Command, CommanderError, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import type { Failure } from "../client/index.ts";
import { keepRenewedSession } from "./client.ts";
import { arrayCommands } from "./commands/array.ts";
import { completionCommand } from "./commands/completion.ts";
import { connectionsCommands } from "./commands/connections.ts";
import { faultsCommands } from "./commands/faults.ts";
import { jobsCommands } from "./commands/jobs.ts";
import { maintenanceCommands } from "./commands/maintenance.ts";
import { poolsCommands } from "./commands/pools.ts";
import { portsCommands } from "./commands/ports.ts";
import { profileCommands } from "./commands/profiles.ts";
import { serversCommands } from "./commands/servers.ts";
import { sessionCommands } from "./commands/session.ts";
import { sessionsCommands } from "./commands/sessions.ts";
import { snapshotsCommands } from "./commands/snapshots.ts";
import { usersCommands } from "./commands/users.ts";
import { volumesCommands } from "./commands/volumes.ts";
import type { CliContext } from "./context.ts";
import { ApiError, CliError, PartialSuccess, WaitStopped } from "./errors.ts";
import { FORMATS, loadYaml, type OutputMode, serialise, setTableWidth, terminalWidth } from "./output.ts";
import { configDir } from "./session-file.ts";
import { type GlobalOptions, outputMode, resolveSettings } from "./settings.ts";

export const EXIT = { ok: 0, api: 1, usage: 2, partial: 3 } as const;

/** Commands that need neither the profile nor an output mode: they must run whatever the config says. */
const STANDALONE = new Set(["serve", "completion"]);

function program(ctx: CliContext): Command {
  const cli = new Command("blockplane")
    .description("Blockplane: a block storage management API server and its client")
    .version(packageJson.version, "-V, --version", "print the version")
    .option(
      "--profile <name>",
      'the profile of the config file to use (else $BLOCKPLANE_PROFILE, else "default")',
    )
    .addOption(
      new Option(
        "-o, --output <format>",
        "print results as a table, JSON or YAML (else $BLOCKPLANE_OUTPUT, else the profile's output, else table)",
      ).choices(FORMATS),
    )
    .option("--json", "the same as --output json")
    .option(
      "-q, --quiet",
      "print only IDs: of a list's items, of what a change created, of a job not waited for; else nothing",
    )
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run "blockplane help" for usage)');

  // Settled once the command line is parsed, before any action: a bad profile or output is a usage error.
  cli.hook("preAction", async (_program, action) => {
    if (STANDALONE.has(topLevelName(action))) return;
    ctx.settings = await resolveSettings(cli.opts<GlobalOptions>(), ctx.env, ctx.configDir);
    ctx.output = ctx.settings.output;
    if (ctx.output.format === "yaml") await loadYaml();
    setTableWidth(terminalWidth(ctx.env, process.stdout));
  });

  cli
    .command("serve")
    .description('run the server (flags as in "blockplane serve --help")')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[flags...]", "server flags")
    .action(async (flags: string[]) => {
      // Loaded only here: the client commands need none of the server's modules.
      const { serve } = await import("../main.ts");
      await serve(flags, "blockplane serve");
    });

  sessionCommands(cli, ctx);
  profileCommands(cli, ctx);
  sessionsCommands(cli, ctx);
  usersCommands(cli, ctx);
  poolsCommands(cli, ctx);
  volumesCommands(cli, ctx);
  serversCommands(cli, ctx);
  portsCommands(cli, ctx);
  connectionsCommands(cli, ctx);
  snapshotsCommands(cli, ctx);
  jobsCommands(cli, ctx);
  maintenanceCommands(cli, ctx);
  faultsCommands(cli, ctx);
  arrayCommands(cli, ctx);
  completionCommand(cli, ctx);
  return cli;
}

function topLevelName(command: Command): string {
  let top = command;
  while (top.parent?.parent) top = top.parent;
  return top.name();
}

/** Runs one command line and answers its exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const ctx: CliContext = {
    env,
    configDir: configDir(env),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    output: { format: "table", quiet: false },
  };
  const cli = program(ctx);
  try {
    await cli.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return EXIT.ok;
    if (!(err instanceof CommanderError || err instanceof CliError)) throw err;
    const mode = ctx.settings?.output ?? outputModeOf(cli, env);
    if (mode && !mode.quiet && mode.format !== "table" && !(err instanceof CliError && err.shown)) {
      if (mode.format === "yaml") await loadYaml();
      ctx.out(serialise(errorObject(err), mode.format));
    }
    // Commander printed its own usage errors already.
    if (err instanceof CommanderError) return EXIT.usage;
    const hint = err instanceof ApiError && err.status === 401 ? ' Run "blockplane login" again.' : "";
    ctx.err(`blockplane: ${err.message}${hint}\n`);
    return err.exitCode;
  } finally {
    keepRenewedSession(ctx);
  }
}

/** The output mode from the flags and environment alone, for an error met before it was settled. */
function outputModeOf(cli: Command, env: NodeJS.ProcessEnv): OutputMode | undefined {
  try {
    return outputMode(cli.opts<GlobalOptions>(), env);
  } catch {
    return undefined;
  }
}

/**
 * The error for programs: the API's error object when the server answered one (or, of an operation
 * over several resources, its errorResponses and partialSuccessResponses); otherwise one of the same
 * shape with errorSource "blockplane", for errors the CLI met itself (usage, no answer, a wait that
 * stopped, with the jobs that go on and the command that waits for them).
 */
function errorObject(err: CliError | CommanderError): unknown {
  const failure = (err instanceof ApiError || err instanceof PartialSuccess ? err.body : undefined) as
    | Failure
    | undefined;
  if (failure?.errorResponses) {
    return {
      errorResponses: failure.errorResponses,
      partialSuccessResponses: failure.partialSuccessResponses ?? [],
    };
  }
  if (failure?.error) return failure.error;
  const own: Record<string, unknown> = { errorSource: "blockplane", message: plainMessage(err) };
  if (err instanceof WaitStopped) {
    own.jobIds = err.jobIds;
    own.waitCommand = err.waitCommand;
  }
  return own;
}

function plainMessage(err: Error): string {
  return err instanceof CommanderError ? err.message.replace(/^error: /, "") : err.message;
}
