/**
 * The `blockplane` command: `serve` runs the server; the other commands are a client of a running
 * server (login, logout, users). Exit codes: 0 success, 1 the server refused or could not be
 * reached, 2 the command was used wrongly.
 */
import { Command, CommanderError } from "commander";
import { sessionCommands } from "./commands/session.ts";
import { usersCommands } from "./commands/users.ts";
import type { CliContext } from "./context.ts";
import { ApiError, UsageError } from "./errors.ts";
import { configDir } from "./session-file.ts";

export const EXIT = { ok: 0, api: 1, usage: 2 } as const;

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
  usersCommands(cli, ctx);
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
  }
}
