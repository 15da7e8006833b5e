/**
 * array export|reset: the array as a whole (Security Administrator). `export` writes the array
 * document that `blockplane serve --seed FILE` starts a new store from; `reset` returns the array
 * to its factory state, asking first as `faults reset-array` does.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { check, connect } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { json } from "../output.ts";
import { confirm } from "../prompt.ts";
import { forPrograms, show } from "./common.ts";

const EXPORT = "/blockplane/v1/array/export";
const RESET = "/blockplane/v1/array/actions/reset/invoke";

interface ExportOptions {
  file?: string;
  passwordHashes?: boolean;
}

/** Writes the whole file or nothing: a temporary file beside it, renamed over it. */
function writeWhole(file: string, text: string, secret: boolean): void {
  const part = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.part`);
  try {
    // A document with password hashes is a secret: readable by its owner only.
    fs.writeFileSync(part, text, { mode: secret ? 0o600 : 0o644 });
    fs.renameSync(part, file);
  } catch (err) {
    fs.rmSync(part, { force: true });
    throw new UsageError(
      `Cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
}

export function arrayCommands(program: Command, ctx: CliContext): void {
  const array = program
    .command("array")
    .description("the array as a whole: export it for --seed, or reset it (Security Administrator)");

  array
    .command("export")
    .description('print the array\'s whole configuration as JSON, the file "blockplane serve --seed" takes')
    .option("--file <file>", "write it to this file instead of standard output")
    .option("--password-hashes", "include the users' password hashes (a secret), so that seeded users log in")
    .action(async (options: ExportOptions) => {
      const bp = connect(ctx);
      const doc = check(
        await bp.GET(EXPORT, {
          params: { query: options.passwordHashes ? { passwordHashes: true } : {} },
        }),
      );
      if (options.file === undefined) {
        ctx.out(json(doc));
        return;
      }
      writeWhole(options.file, json(doc), options.passwordHashes === true);
      if (forPrograms(ctx)) return;
      const counts = [
        `${doc.pools.length} pools`,
        `${doc.volumes.length} volumes`,
        `${doc.servers.length} servers`,
        `${doc.snapshots.length} snapshots`,
        `${doc.users.length} users`,
      ];
      ctx.out(
        `Exported the ${doc.array.model} of ${bp.baseUrl} (${counts.join(", ")}) to ${options.file}.\n`,
      );
    });

  array
    .command("reset")
    .description(
      "return the array to its factory state: every pool, volume, server, connection and snapshot is removed",
    )
    .option("--yes", "do not ask for confirmation")
    .action(async (options: { yes?: boolean }) => {
      if (!options.yes) {
        const answer = await confirm(
          `Reset the array of ${connect(ctx).baseUrl} to its factory state, removing every pool, ` +
            "volume, server, connection and snapshot?",
        );
        if (answer === undefined) {
          throw new UsageError("Resetting the array removes all its configuration: confirm with --yes.");
        }
        if (!answer) throw new UsageError("Not confirmed: the array was not reset.");
      }
      const done = check(await connect(ctx).POST(RESET));
      show(ctx, done, () => "The array is back to its factory state.\n");
    });
}
