/**
 * sessions discard-offline: ends sessions straight in the store, with no session and no server
 * needed, for the operator on the server's host when nobody can log in any more (every session
 * held, a Security Administrator's password lost with its sessions). It opens the store the
 * server's flags or environment name (--data-dir or --database-url), never a new one. Over the API,
 * a Security Administrator lists everyone's sessions and discards any of them (GET and DELETE
 * sessions, docs/api.md).
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { ApiError, UsageError } from "../errors.ts";

interface OfflineOptions {
  user?: string;
  allUsers?: boolean;
  dataDir?: string;
  databaseUrl?: string;
}

export function sessionsCommands(program: Command, ctx: CliContext): void {
  const sessions = program.command("sessions").description("sessions kept in the store");
  sessions
    .command("discard-offline")
    .description(
      "discard a user's sessions (or everyone's) directly in the store, on the server's host, with no session",
    )
    .option("--user <name>", "the user whose sessions are discarded")
    .option("--all-users", "discard every session of every user")
    .option("--data-dir <dir>", "the server's data directory (else $BLOCKPLANE_DATA_DIR, else ./data)")
    .option("--database-url <url>", "the server's PostgreSQL URL (else $BLOCKPLANE_DATABASE_URL)")
    .action(async (options: OfflineOptions) => {
      if ((options.user === undefined) === (options.allUsers !== true)) {
        throw new UsageError("Name one user (--user <name>) or --all-users.");
      }
      const databaseUrl = options.databaseUrl ?? (ctx.env.BLOCKPLANE_DATABASE_URL || undefined);
      const dataDir = path.resolve(options.dataDir ?? (ctx.env.BLOCKPLANE_DATA_DIR || "./data"));
      if (databaseUrl === undefined && !fs.existsSync(path.join(dataDir, "blockplane.db"))) {
        throw new UsageError(
          `There is no store in ${dataDir}: give the server's --data-dir or --database-url.`,
        );
      }
      // Loaded only here: the client commands need none of the server's modules.
      const { openStore } = await import("../../store/db.ts");
      const { AccountsStore } = await import("../../store/accounts.ts");
      const { StoreUnusable } = await import("../../store/integrity.ts");
      let store: Awaited<ReturnType<typeof openStore>>;
      try {
        store = await openStore({ dataDir, databaseUrl });
      } catch (err) {
        if (err instanceof StoreUnusable) throw new ApiError(`cannot open the store: ${err.message}`);
        throw err;
      }
      try {
        const accounts = new AccountsStore(store);
        let userId: number | undefined;
        if (options.user !== undefined) {
          const user = await accounts.userByName(options.user);
          if (!user) throw new ApiError(`There is no user named "${options.user}".`);
          userId = user.id;
        }
        const n = await accounts.deleteSessionsOf(userId);
        const whose = options.user === undefined ? "of every user" : `of user ${options.user}`;
        // Servers sharing the store trust a session they checked within the last second.
        ctx.out(
          `Discarded ${n} session${n === 1 ? "" : "s"} ${whose}; servers refuse them within a second.\n`,
        );
      } finally {
        await store.close();
      }
    });
}
