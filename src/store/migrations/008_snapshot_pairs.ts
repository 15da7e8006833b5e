/**
 * Snapshots as the full API shows them: Thin Image pairs.
 *
 * A pair of the full API is the same row as a snapshot of the simple face: its P-VOL the master
 * volume, its MU number the snapshot ID, its S-VOL the volume the snapshot is mapped to. What the
 * simple face did not hold:
 * - `can_cascade`: whether the pair may be the base of a cascade (a snapshot of its S-VOL). The
 *   simple face's snapshots always can; the full API sets it per pair (`canCascade`).
 * - S-VOLs are looked up by volume (GET snapshots?svolLdevId, an LDEV's pair attributes), hence
 *   the index on `mapped_volume_id`.
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("snapshots")
    .addColumn("can_cascade", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex("snapshots_mapped").on("snapshots").column("mapped_volume_id").execute();
}

export async function down(): Promise<void> {
  throw new Error("the snapshot pair columns cannot be rolled back");
}
