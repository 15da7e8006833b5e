/**
 * Returns the simulated array to the state it leaves the factory in (for failure rehearsals and
 * test suites that need a known array): every pool, volume, server, HBA, path, host group (but
 * each port's default group 0, made afresh), LUN path, connection, snapshot and idempotency record removed, every drive free, every port at its default
 * settings, and the seeded pool made again when --seed-pool is on (as a first start makes it). Accounts, sessions and command statuses are not the array's and stay.
 */
import { type SimContext, transact } from "./context.ts";
import { factoryRows } from "./seed.ts";

/** Children before parents, so that no foreign key is left dangling on the way. */
const ARRAY_TABLES = [
  "snapshots",
  "lun_paths",
  "connections",
  "host_group_initiators",
  "host_groups",
  "hbas",
  "servers",
  "volumes",
  "pools",
  "drives",
  "ports",
  "array_ops",
] as const;

export async function resetArray(ctx: SimContext): Promise<void> {
  const { identity } = ctx;
  const factory = factoryRows(identity.profile, identity.serial, identity.seedPool, ctx.now());
  // One change of the array, under its configuration lock: no other change interleaves with it.
  await transact(ctx, { signal: new AbortController().signal }, async (tx) => {
    for (const table of ARRAY_TABLES) await tx.deleteFrom(table).execute();
    if (factory.pools.length > 0) await tx.insertInto("pools").values(factory.pools).execute();
    await tx.insertInto("drives").values(factory.drives).execute();
    await tx.insertInto("ports").values(factory.ports).execute();
    await tx.insertInto("host_groups").values(factory.hostGroups).execute();
  });
}
