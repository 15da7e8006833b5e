/**
 * Array profiles: a pool records its parity group type, distributed parity ("DDP", VSP One) or a
 * fixed RAID layout ("DEFAULT"). Pools made before answered "DDP", and keep that answer.
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("pools")
    .addColumn("parity_group_type", "text", (c) => c.notNull().defaultTo("DDP"))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("pools").dropColumn("parity_group_type").execute();
}
