/**
 * Reads of the store for monitoring: whether it answers at all, and the counts the metrics report
 * at each scrape. Each is one query on an index or a small table, or one aggregate of a table.
 */
import { sql } from "kysely";
import type { JobsTable, Store } from "./db.ts";

/** Answers when the store runs a trivial query; throws what the store threw otherwise. */
export async function pingStore(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}

export type JobState = "unexecuted" | "processing" | "completed_normal" | "completed_error";

/** How many jobs are in each state (every state present, 0 when none). */
export async function jobCountsByState(store: Store): Promise<Record<JobState, number>> {
  const rows = await store.db
    .selectFrom("jobs")
    .select((e) => ["progress", "status", e.fn.countAll<number>().as("n")])
    .groupBy(["progress", "status"])
    .execute();
  const counts: Record<JobState, number> = {
    unexecuted: 0,
    processing: 0,
    completed_normal: 0,
    completed_error: 0,
  };
  for (const r of rows) counts[stateOf(r.progress, r.status)] += Number(r.n);
  return counts;
}

function stateOf(progress: JobsTable["progress"], status: JobsTable["status"]): JobState {
  if (progress !== "completed") return progress;
  return status === "normal" ? "completed_normal" : "completed_error";
}

/** Sessions not yet expired at `now`. */
export async function countLiveSessions(store: Store, now: number): Promise<number> {
  const { n } = await store.db
    .selectFrom("sessions")
    .select((e) => e.fn.countAll<number>().as("n"))
    .where((e) => e(e("last_used_at", "+", e("alive_time_s", "*", 1000)), ">=", now))
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** How many of each resource the array holds. */
export interface ArrayCounts {
  volumes: number;
  servers: number;
  connections: number;
  snapshots: number;
}

/** Every count of ArrayCounts in one round trip: a scalar subquery each, counted on its table. */
export async function arrayCounts(store: Store): Promise<ArrayCounts> {
  const row = await store.db
    .selectNoFrom((eb) => [
      eb
        .selectFrom("volumes")
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("volumes"),
      eb
        .selectFrom("servers")
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("servers"),
      eb
        .selectFrom("connections")
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("connections"),
      eb
        .selectFrom("snapshots")
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("snapshots"),
    ])
    .executeTakeFirstOrThrow();
  return {
    volumes: Number(row.volumes ?? 0),
    servers: Number(row.servers ?? 0),
    connections: Number(row.connections ?? 0),
    snapshots: Number(row.snapshots ?? 0),
  };
}

/** A pool's capacity in MiB, as GET pools reports it. */
export interface PoolCapacity {
  id: number;
  name: string;
  totalMib: number;
  /** The capacity its volumes take: the array reserves a volume's whole capacity at creation. */
  usedMib: number;
}

/** Every pool's total and used capacity: one aggregate over the volumes, grouped by pool. */
export async function poolCapacities(store: Store): Promise<PoolCapacity[]> {
  const rows = await store.db
    .selectFrom("pools")
    .leftJoin(
      (eb) =>
        eb
          .selectFrom("volumes")
          .select((e) => ["volumes.pool_id", e.fn.sum<number>("volumes.total_capacity").as("used")])
          .groupBy("volumes.pool_id")
          .as("u"),
      (join) => join.onRef("u.pool_id", "=", "pools.id"),
    )
    .select(["pools.id", "pools.name", "pools.total_capacity", "u.used"])
    .orderBy("pools.id")
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    totalMib: Number(r.total_capacity),
    usedMib: Number(r.used ?? 0),
  }));
}
