/**
 * The `blockplane` command: `serve` runs the server; the other commands are a client of a running
 * server (login, logout, users, and one command per resource of the API). Exit codes: 0 success,
 * 1 the server refused, could not be reached or a job failed, 2 the command was used wrongly,
 * 3 an operation over several resources did only part of its work.
 */
import { Command, CommanderError } from "commander";
import { keepRenewedSession } from "./client.ts";
import { arrayCommands } from "./commands/array.ts";
import { connectionsCommands } from "./commands/connections.ts";
import { faultsCommands } from "./commands/faults.ts";
import { jobsCommands } from "./commands/jobs.ts";
import { maintenanceCommands } from "./commands/maintenance.ts";
import { poolsCommands } from "./commands/pools.ts";
import { portsCommands } from "./commands/ports.ts";
import { serversCommands } from "./commands/servers.ts";
import { sessionCommands } from "./commands/session.ts";
import { sessionsCommands } from "./commands/sessions.ts";
import { snapshotsCommands } from "./commands/snapshots.ts";
import { usersCommands } from "./commands/users.ts";
import { volumesCommands } from "./commands/volumes.ts";
import type { CliContext } from "./context.ts";
import { ApiError, PartialSuccess, UsageError } from "./errors.ts";
import { configDir } from "./session-file.ts";

export const EXIT = { ok: 0, api: 1, usage: 2, partial: 3 } as const;

function program(ctx: CliContext): Command {
  const cli = new Command("blockplane")
    .description("Blockplane: a block storage management API server and its client")
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err })
    .showHelpAfterError('(run "blockplane help" for usage)');

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
  return cli;
}

/** Runs one command line and answers its exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const ctx: CliContext = {
    env,
    configDir: configDir(env),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  try {
    await program(ctx).parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof PartialSuccess) {
      ctx.err(`blockplane: ${err.message}\n`);
      return EXIT.partial;
    }
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof UsageError) {
      ctx.err(`blockplane: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ApiError) {
      const hint = err.status === 401 ? ' Run "blockplane login" again.' : "";
      ctx.err(`blockplane: ${err.message}${hint}\n`);
      return EXIT.api;
    }
    throw err;
  } finally {
    await keepRenewedSession(ctx);
  }
}
