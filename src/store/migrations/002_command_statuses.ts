/**
 * Command statuses of the items of a multi-resource job. Such a job stays one row that workers
 * claim and run; each further item gets a row of its own that no worker claims (`leader_id` names
 * the job, `item` its index), so that every created resource has a command-status id of its own.
 * The job's row is the status of item 0.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("jobs").addColumn("leader_id", "bigint").execute();
  await db.schema.alterTable("jobs").addColumn("item", "integer").execute();
  await db.schema.createIndex("jobs_leader").on("jobs").columns(["leader_id", "item"]).execute();
  // What a worker may claim and what the bound on pending jobs counts: unfinished jobs, not their
  // items' statuses, however many a job has.
  await db.schema
    .createIndex("jobs_runnable")
    .on("jobs")
    .column("id")
    .where(sql.ref("leader_id"), "is", null)
    .where(sql.ref("progress"), "<>", "completed")
    .execute();
}
