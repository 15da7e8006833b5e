/**
 * A job keeps the request that started it (JSON `{method, url, body}`), which the full API's job
 * object reports (`request.requestUrl`, `requestMethod`, `requestBody`). Null for jobs recorded
 * before this column, and for the item statuses of a multi-resource job (their job's row has it).
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("jobs").addColumn("request", "text").execute();
}

export async function down(): Promise<void> {
  throw new Error("this migration cannot be rolled back");
}
