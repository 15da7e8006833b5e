/**
 * Returns the simulated array to the state it leaves the factory in (for failure rehearsals and
 * test suites that need a known array): every pool, volume, server, HBA, path, host group,
 * connection, snapshot and idempotency record removed, every drive free, every port at its default
 * settings. Accounts, sessions and command statuses are not the array's and stay.
 */
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Database, DrivesTable, PortsTable } from "../../store/db.ts";
import { migrate } from "../../store/migrations/index.ts";
import { type SimContext, transact } from "./context.ts";
import { seedArray } from "./seed.ts";

/**
 * The factory rows, made by the seeding itself on a throw-away in-memory store, so that a reset
 * cannot drift from what a first start writes.
 */
async function factoryRows(ctx: SimContext): Promise<{ drives: DrivesTable[]; ports: PortsTable[] }> {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(":memory:") }) });
  try {
    await migrate(db);
    await seedArray({ ...ctx, store: { db, dialect: "sqlite", close: () => db.destroy() } });
    return {
      drives: await db.selectFrom("drives").selectAll().orderBy("location").execute(),
      ports: await db.selectFrom("ports").selectAll().orderBy("id").execute(),
    };
  } finally {
    await db.destroy();
  }
}

/** Children before parents, so that no foreign key is left dangling on the way. */
const ARRAY_TABLES = [
  "snapshots",
  "connections",
  "host_groups",
  "paths",
  "hbas",
  "servers",
  "volumes",
  "pools",
  "drives",
  "ports",
  "array_ops",
] as const;

export async function resetArray(ctx: SimContext): Promise<void> {
  const factory = await factoryRows(ctx);
  // One change of the array, under its configuration lock: no other change interleaves with it.
  await transact(ctx, { signal: new AbortController().signal }, async (tx) => {
    for (const table of ARRAY_TABLES) await tx.deleteFrom(table).execute();
    await tx.insertInto("drives").values(factory.drives).execute();
    await tx.insertInto("ports").values(factory.ports).execute();
  });
}
