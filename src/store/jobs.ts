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
  /** Of an item's own status: the job that runs it. */
  leaderId: number | null;
  /** Of a multi-resource job (0) and its items' statuses (1…): the item's index. */
  item: number | null;
  /** The request that started the job, when it was recorded (the job's own row only). */
  request: JobRequest | null;
}

/**
 * The key of a job's idempotency record for one of its device operations (the array's
 * `array_ops`): a job that runs again after a crash finds the outcome of what it did before.
 */
export function jobOpKey(jobId: number, item: number | string): string {
  return `job:${jobId}:${item}`;
}

/** The HTTP request that started a job, as the full API's job object reports it. */
export interface JobRequest {
  method: string;
  url: string;
  body: unknown;
}

/** Which status rows a list answers. */
export interface StatusFilter {
  userId?: number;
  progress?: JobsTable["progress"];
  status?: "normal" | "error";
}

export interface StatusPage {
  data: (JobRow & { leaderProgress?: JobsTable["progress"] })[];
  totalCount: number;
  hasNext: boolean;
}

/** The outcome recorded in a status row: its status and its result JSON. */
export interface RecordedOutcome {
  status: "normal" | "error";
  result: unknown;
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
  leader_id: number | null;
  item: number | null;
  request?: string | null;
};

/** Rows per statement when a job's item statuses are written (within every dialect's parameter limit). */
const CHUNK = 500;

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
    leaderId: r.leader_id === null || r.leader_id === undefined ? null : Number(r.leader_id),
    item: r.item ?? null,
    request: typeof r.request === "string" ? (JSON.parse(r.request) as JobRequest) : null,
  };
}

export class JobsStore {
  private readonly db: Db;
  constructor(private readonly store: Store) {
    this.db = store.db;
  }

  async insert(
    kind: string,
    params: unknown,
    userId: number | null,
    now: number,
    request?: JobRequest,
  ): Promise<number> {
    const r = await this.db
      .insertInto("jobs")
      .values(newRow(kind, JSON.stringify(params), userId, now, null, null, request))
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /**
   * Records a multi-resource job of `items` items and one status per item, in one transaction:
   * the job's own row is item 0's status, the others are rows no worker claims. Answers the status
   * ids in item order.
   */
  async insertItems(
    kind: string,
    params: unknown,
    userId: number | null,
    now: number,
    items: number,
    request?: JobRequest,
  ): Promise<number[]> {
    return this.db.transaction().execute(async (tx) => {
      const leader = await tx
        .insertInto("jobs")
        .values(newRow(kind, JSON.stringify(params), userId, now, null, 0, request))
        .returning("id")
        .executeTakeFirstOrThrow();
      const leaderId = Number(leader.id);
      if (items === 1) return [leaderId];
      // The other items' rows differ only in their index: one statement makes them all.
      const made = await sql<{ id: number; item: number }>`
        with recursive n(i) as (select 1 union all select i + 1 from n where i < ${items - 1})
        insert into jobs (kind, params, user_id, progress, attempts, created_at, updated_at, leader_id, item)
        select cast(${kind} as text), 'null', cast(${userId} as bigint), 'unexecuted', 0,
               cast(${now} as bigint), cast(${now} as bigint), cast(${leaderId} as bigint), i
          from n
        returning id, item`.execute(tx);
      const ids = new Array<number>(items);
      ids[0] = leaderId;
      for (const m of made.rows) ids[Number(m.item)] = Number(m.id);
      return ids;
    });
  }

  async get(id: number): Promise<JobRow | undefined> {
    const r = await this.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toJob(r) : undefined;
  }

  /**
   * A status row as the API reports it: an item's status that has not completed reports its job's
   * progress (`leaderProgress`; undefined when the row is a job or its job is gone).
   */
  async getStatus(id: number): Promise<(JobRow & { leaderProgress?: JobsTable["progress"] }) | undefined> {
    const r = await this.db
      .selectFrom("jobs as j")
      .leftJoin("jobs as l", "l.id", "j.leader_id")
      .selectAll("j")
      .select("l.progress as leader_progress")
      .where("j.id", "=", id)
      .executeTakeFirst();
    if (!r) return undefined;
    const job = toJob(r);
    return r.leader_progress ? { ...job, leaderProgress: r.leader_progress } : job;
  }

  /**
   * A page of status rows from `startId` on, in id order, as getStatus reads each one: only
   * `userId`'s when given, and only those whose progress (an item's follows its job's, as the API
   * reports it) and status match the filters. `totalCount` counts every match, from any start.
   */
  async listStatuses(filter: StatusFilter, startId: number, count: number): Promise<StatusPage> {
    // An item's status that has not completed reports its job's progress; "processing" while the
    // job records its items' outcomes.
    const progress = sql<string>`case when j.progress <> 'completed' and l.progress is not null
      then (case when l.progress = 'completed' then 'processing' else l.progress end)
      else j.progress end`;
    let query = this.db.selectFrom("jobs as j").leftJoin("jobs as l", "l.id", "j.leader_id");
    if (filter.userId !== undefined) query = query.where("j.user_id", "=", filter.userId);
    if (filter.progress !== undefined) query = query.where(progress, "=", filter.progress);
    if (filter.status !== undefined) query = query.where("j.status", "=", filter.status);
    const [rows, total] = await Promise.all([
      query
        .selectAll("j")
        .select("l.progress as leader_progress")
        .where("j.id", ">=", startId)
        .orderBy("j.id")
        .limit(count + 1)
        .execute(),
      query.select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    const data = rows.slice(0, count).map((r) => {
      const job = toJob(r);
      return r.leader_progress ? { ...job, leaderProgress: r.leader_progress } : job;
    });
    return { data, totalCount: Number(total.n), hasNext: rows.length > count };
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
                    where leader_id is null and progress <> 'completed'
                      and (lease_until is null or lease_until < ${now})
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

  /**
   * Records the outcome of a job this owner holds; false when the lease was lost to another worker.
   * Of a multi-resource job, `status` and `result` are item 0's. A multi-resource job's item statuses complete in the same transaction: item i (1…) records
   * `items[i - 1]`, and any item left without one records `rest`, so no status of a completed job
   * stays unfinished. The job's idempotency records go in the same transaction: a completed job
   * never runs again, and records kept to the job TTL were an eighth of a full array's store.
   */
  async complete(
    id: number,
    owner: string,
    status: "normal" | "error",
    result: unknown,
    now: number,
    items?: { each: RecordedOutcome[]; rest: RecordedOutcome },
  ): Promise<boolean> {
    const finish = async (db: Db) => {
      const r = await db
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
      if (Number(r.numUpdatedRows) === 0) return false;
      // Every key of the job (LIKE, not a range of keys: PostgreSQL's collation may not order
      // them by bytes). The table holds only the records of jobs still running.
      await db.deleteFrom("array_ops").where("op_key", "like", jobOpKey(id, "%")).execute();
      return true;
    };
    return this.db.transaction().execute(async (tx) => {
      if (!(await finish(tx))) return false;
      if (!items) return true;
      // By primary key, the list of values driving: a join on (leader_id, item) would make SQLite
      // scan the list once per row. One statement per chunk, not one per item.
      const rows = await tx
        .selectFrom("jobs")
        .select(["id", "item"])
        .where("leader_id", "=", id)
        .where("item", "<=", items.each.length)
        .execute();
      const values = rows.flatMap((r) => {
        const o = items.each[Number(r.item) - 1];
        return o ? [sql`(cast(${Number(r.id)} as bigint), ${o.status}, ${JSON.stringify(o.result)})`] : [];
      });
      for (let from = 0; from < values.length; from += CHUNK) {
        await sql`
          update jobs set progress = 'completed', status = v.column2, result = v.column3, updated_at = ${now}
            from (values ${sql.join(values.slice(from, from + CHUNK))}) as v
           where jobs.id = v.column1`.execute(tx);
      }
      await tx
        .updateTable("jobs")
        .set({
          progress: "completed",
          status: items.rest.status,
          result: JSON.stringify(items.rest.result),
          updated_at: now,
        })
        .where("leader_id", "=", id)
        .where("progress", "<>", "completed")
        .execute();
      return true;
    });
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
    // Idempotency records matter only while their job can still run again. A job's completion
    // removes its own; past the job TTL, any record left (of a job completed by an older version,
    // which kept them) belongs to no job that can still run.
    await this.db.deleteFrom("array_ops").where("created_at", "<", olderThan).execute();
    const { n } = await this.db
      .selectFrom("jobs")
      .select((e) => e.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return { removed: Number(aged.numDeletedRows) + Number(over.numDeletedRows), remaining: Number(n) };
  }

  /** Unfinished jobs: what workers have still to run, however many item statuses each has. */
  async countActive(): Promise<number> {
    const { n } = await this.db
      .selectFrom("jobs")
      .select((e) => e.fn.countAll<number>().as("n"))
      .where("leader_id", "is", null)
      .where("progress", "<>", "completed")
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}

function newRow(
  kind: string,
  params: string,
  userId: number | null,
  now: number,
  leaderId: number | null,
  item: number | null,
  request?: JobRequest,
) {
  return {
    ...(request ? { request: JSON.stringify(request) } : {}),
    kind,
    params,
    user_id: userId,
    progress: "unexecuted" as const,
    status: null,
    result: null,
    lease_owner: null,
    lease_until: null,
    attempts: 0,
    created_at: now,
    updated_at: now,
    leader_id: leaderId,
    item,
  };
}
