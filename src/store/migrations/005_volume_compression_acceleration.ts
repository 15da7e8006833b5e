/** Volumes keep whether the compression accelerator serves their capacity saving (0/1). */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("volumes")
    .addColumn("compression_acceleration", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("this migration cannot be rolled back");
}
