/**
 * The first schema: accounts, sessions, jobs, and the simulated array's state.
 * Portable SQL only (see store/db.ts): bigint for times, integer 0/1 for booleans, text for JSON.
 */
import { type CreateTableBuilder, type Kysely, PostgresAdapter } from "kysely";

// A migration sees the schema as it was when written, not today's types.
// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  // An auto-increment key, spelled for each dialect.
  const serial = (t: CreateTableBuilder<string, never>, name: string) =>
    isPg
      ? t.addColumn(name, "bigserial", (c) => c.primaryKey())
      : t.addColumn(name, "integer", (c) => c.primaryKey().autoIncrement());

  await serial(db.schema.createTable("users"), "id")
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("roles", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await serial(db.schema.createTable("sessions"), "id")
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("user_id", "bigint", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("alive_time_s", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint", (c) => c.notNull())
    .execute();

  await serial(db.schema.createTable("jobs"), "id")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("params", "text", (c) => c.notNull())
    .addColumn("user_id", "bigint")
    .addColumn("progress", "text", (c) => c.notNull())
    .addColumn("status", "text")
    .addColumn("result", "text")
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("jobs_progress").on("jobs").columns(["progress", "id"]).execute();

  await db.schema
    .createTable("array_meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("drives")
    .addColumn("location", "text", (c) => c.primaryKey())
    .addColumn("drive_type_code", "text", (c) => c.notNull())
    .addColumn("drive_type", "text", (c) => c.notNull())
    .addColumn("drive_interface", "text", (c) => c.notNull())
    .addColumn("capacity_mib", "bigint", (c) => c.notNull())
    .addColumn("pool_id", "integer")
    .execute();

  await db.schema
    .createTable("pools")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("raid_level", "text", (c) => c.notNull())
    .addColumn("drive_type_code", "text", (c) => c.notNull())
    .addColumn("total_capacity", "bigint", (c) => c.notNull())
    .addColumn("threshold_warning", "integer", (c) => c.notNull())
    .addColumn("threshold_depletion", "integer", (c) => c.notNull())
    .addColumn("is_encryption_enabled", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("volumes")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("nickname", "text", (c) => c.notNull())
    .addColumn("pool_id", "integer", (c) => c.notNull().references("pools.id"))
    .addColumn("total_capacity", "bigint", (c) => c.notNull())
    .addColumn("used_capacity", "bigint", (c) => c.notNull())
    .addColumn("saving_setting", "text", (c) => c.notNull())
    .addColumn("is_data_reduction_share_enabled", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("volumes_pool").on("volumes").column("pool_id").execute();

  await db.schema
    .createTable("ports")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("protocol", "text", (c) => c.notNull())
    .addColumn("wwn", "text")
    .addColumn("iscsi_name", "text")
    .addColumn("port_speed", "text", (c) => c.notNull())
    .addColumn("port_security", "integer", (c) => c.notNull())
    .addColumn("settings", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("servers")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("nickname", "text", (c) => c.notNull().unique())
    .addColumn("protocol", "text", (c) => c.notNull())
    .addColumn("os_type", "text", (c) => c.notNull())
    .addColumn("os_type_options", "text", (c) => c.notNull())
    .addColumn("is_reserved", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("hbas")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("server_id", "integer", (c) => c.notNull().references("servers.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("hbas_server").on("hbas").column("server_id").execute();

  await db.schema
    .createTable("paths")
    .addColumn("server_id", "integer", (c) => c.notNull().references("servers.id").onDelete("cascade"))
    .addColumn("hba_name", "text", (c) => c.notNull().references("hbas.name").onDelete("cascade"))
    .addColumn("port_id", "text", (c) => c.notNull().references("ports.id"))
    .addPrimaryKeyConstraint("paths_pk", ["server_id", "hba_name", "port_id"])
    .execute();

  await db.schema
    .createTable("host_groups")
    .addColumn("server_id", "integer", (c) => c.notNull().references("servers.id").onDelete("cascade"))
    .addColumn("port_id", "text", (c) => c.notNull().references("ports.id"))
    .addColumn("host_group_number", "integer", (c) => c.notNull())
    .addColumn("host_group_name", "text", (c) => c.notNull())
    .addColumn("target_iscsi_name", "text")
    .addPrimaryKeyConstraint("host_groups_pk", ["server_id", "port_id"])
    .addUniqueConstraint("host_groups_number", ["port_id", "host_group_number"])
    .execute();

  await db.schema
    .createTable("connections")
    .addColumn("volume_id", "integer", (c) => c.notNull().references("volumes.id"))
    .addColumn("server_id", "integer", (c) => c.notNull().references("servers.id"))
    .addColumn("lun", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("connections_pk", ["volume_id", "server_id"])
    .addUniqueConstraint("connections_lun", ["server_id", "lun"])
    .execute();
  await db.schema.createIndex("connections_server").on("connections").column("server_id").execute();

  await db.schema
    .createTable("snapshots")
    .addColumn("master_volume_id", "integer", (c) => c.notNull().references("volumes.id"))
    .addColumn("snapshot_id", "integer", (c) => c.notNull())
    .addColumn("pool_id", "integer", (c) => c.notNull().references("pools.id"))
    .addColumn("snapshot_group_name", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("snapshot_date", "bigint", (c) => c.notNull())
    .addColumn("mapped_volume_id", "integer")
    .addColumn("root_volume_id", "integer", (c) => c.notNull())
    .addColumn("used_capacity", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("snapshots_pk", ["master_volume_id", "snapshot_id"])
    .execute();
  await db.schema.createIndex("snapshots_group").on("snapshots").column("snapshot_group_name").execute();

  await db.schema
    .createTable("array_ops")
    .addColumn("op_key", "text", (c) => c.primaryKey())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("the initial schema cannot be rolled back");
}
