/**
 * The jobs table: asynchronous operations as rows, claimed by workers with leases so that a job
 * survives a crash and any instance can finish it. On PostgreSQL the claim skips rows another
 * instance holds (FOR UPDATE SKIP LOCKED); on SQLite the single writer makes the claim atomic.
 */
import { sql } from "kysely";
import type { Db, JobsTable, Store } from "./db.ts";

export interface JobRow {
  id: number;
  kind: string;
  params: unknown;
  userId: number | null;
  progress: JobsTable["progress"];
  status: JobsTable["status"];
  result: unknown;
  leaseOwner: string | null;
  leaseUntil: number | null;
  attempts: number;
  createdAt: number;
  updatedAt: number;
}

type Row = {
  id: number;
  kind: string;
  params: string;
  user_id: number | null;
  progress: JobsTable["progress"];
  status: JobsTable["status"];
  result: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
};

function toJob(r: Row): JobRow {
  return {
    id: Number(r.id),
    kind: r.kind,
    params: JSON.parse(r.params),
    userId: r.user_id === null ? null : Number(r.user_id),
    progress: r.progress,
    status: r.status,
    result: r.result === null ? null : JSON.parse(r.result),
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until === null ? null : Number(r.lease_until),
    attempts: r.attempts,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export class JobsStore {
  private readonly db: Db;
  constructor(private readonly store: Store) {
    this.db = store.db;
  }

  async insert(kind: string, params: unknown, userId: number | null, now: number): Promise<number> {
    const r = await this.db
      .insertInto("jobs")
      .values({
        kind,
        params: JSON.stringify(params),
        user_id: userId,
        progress: "unexecuted",
        status: null,
        result: null,
        lease_owner: null,
        lease_until: null,
        attempts: 0,
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async get(id: number): Promise<JobRow | undefined> {
    const r = await this.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toJob(r) : undefined;
  }

  /**
   * Takes the oldest job of one of `kinds` that is waiting, or whose holder's lease ran out, for
   * `owner` until `now + leaseMs`. Answers undefined when there is none. Only the kinds the caller
   * can run: a job of another kind waits for an instance that knows it.
   */
  async claim(owner: string, now: number, leaseMs: number, kinds: string[]): Promise<JobRow | undefined> {
    if (kinds.length === 0) return undefined;
    const skipLocked = this.store.dialect === "postgres" ? sql`for update skip locked` : sql``;
    const r = await sql<Row>`
      update jobs
         set lease_owner = ${owner}, lease_until = ${now + leaseMs}, progress = 'processing',
             attempts = attempts + 1, updated_at = ${now}
       where id = (select id from jobs
                    where progress <> 'completed' and (lease_until is null or lease_until < ${now})
                      and kind in (${sql.join(kinds)})
                    order by id limit 1 ${skipLocked})
         and progress <> 'completed' and (lease_until is null or lease_until < ${now})
      returning *`.execute(this.db);
    const row = r.rows[0];
    return row ? toJob(row) : undefined;
  }

  /** Extends the lease of a job this owner still holds; false when it was lost. */
  async renew(id: number, owner: string, until: number): Promise<boolean> {
    const r = await this.db
      .updateTable("jobs")
      .set({ lease_until: until })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .where("progress", "=", "processing")
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Records the outcome of a job this owner holds; false when the lease was lost to another worker. */
  async complete(
    id: number,
    owner: string,
    status: "normal" | "error",
    result: unknown,
    now: number,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable("jobs")
      .set({
        progress: "completed",
        status,
        result: JSON.stringify(result),
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .where("progress", "=", "processing")
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Gives a job back to the queue, e.g. at shutdown, so another worker takes it at once. The claim
   * is not counted as an attempt: only interruptions that were not graceful (crashes) count.
   */
  async release(id: number, owner: string, now: number): Promise<void> {
    await this.db
      .updateTable("jobs")
      .set((eb) => ({
        lease_owner: null,
        lease_until: null,
        attempts: eb("attempts", "-", 1),
        updated_at: now,
      }))
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .where("progress", "=", "processing")
      .execute();
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom("jobs").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Deletes a job only once it has completed; false when it is absent or still unfinished. */
  async deleteCompleted(id: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom("jobs")
      .where("id", "=", id)
      .where("progress", "=", "completed")
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * Removes completed jobs older than `olderThan`, then every completed job older than the newest
   * `maxCount` jobs. Unfinished jobs are never removed: only an old unfinished one can leave more
   * than `maxCount`. Answers how many were removed and how many remain.
   */
  async prune(olderThan: number, maxCount: number): Promise<{ removed: number; remaining: number }> {
    const aged = await this.db
      .deleteFrom("jobs")
      .where("progress", "=", "completed")
      .where("updated_at", "<", olderThan)
      .executeTakeFirst();
    // A cut-off by position, not by a count of completed jobs: a job that completes meanwhile keeps
    // its place, so the statement removes the same rows whenever it runs, and two instances pruning
    // at once agree. One statement whatever the excess.
    let excess = this.db.deleteFrom("jobs").where("progress", "=", "completed");
    if (maxCount > 0) {
      const cutoff = this.db
        .selectFrom("jobs")
        .select("id")
        .orderBy("id", "desc")
        .limit(1)
        .offset(maxCount - 1);
      excess = excess.where("id", "<", cutoff);
    }
    const over = await excess.executeTakeFirst();
    // Idempotency records matter only while their job can still run again; past the job TTL the
    // job has completed (or was abandoned after its attempts), so its records go with it.
    await this.db.deleteFrom("array_ops").where("created_at", "<", olderThan).execute();
    const { n } = await this.db
      .selectFrom("jobs")
      .select((e) => e.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return { removed: Number(aged.numDeletedRows) + Number(over.numDeletedRows), remaining: Number(n) };
  }

  async countActive(): Promise<number> {
    const { n } = await this.db
      .selectFrom("jobs")
      .select((e) => e.fn.countAll<number>().as("n"))
      .where("progress", "<>", "completed")
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}
