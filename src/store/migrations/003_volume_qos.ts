/**
 * Volumes' quality of service: one row per volume whose QoS was ever set, removed with the volume
 * (ON DELETE CASCADE; SQLite enforces it with foreign_keys on, see store/db.ts).
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("volume_qos")
    .addColumn("volume_id", "integer", (c) => c.primaryKey().references("volumes.id").onDelete("cascade"))
    .addColumn("upper_iops", "bigint")
    .addColumn("upper_transfer_rate", "integer")
    .addColumn("lower_iops", "bigint")
    .addColumn("lower_transfer_rate", "integer")
    .addColumn("response_priority", "integer")
    .addColumn("upper_alert_allowable_time", "integer")
    .addColumn("lower_alert_allowable_time", "integer")
    .addColumn("response_alert_allowable_time", "integer")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("volume_qos").execute();
}
