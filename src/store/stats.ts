/**
 * Reads of the store for monitoring: whether it answers at all, and the counts the metrics report
 * at each scrape. Each is one small query on an index or a small table.
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
