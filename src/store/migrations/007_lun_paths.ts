/**
 * Host groups and LUN paths as the array holds them, so that both API faces see one array.
 *
 * Until now a host group existed only as a server's view through a port, and a server's LUNs only
 * as (volume, server, lun). An array holds more: host groups that belong to no server (every port's
 * default group 0, those a server deleted with keepLunConfig leaves behind, those made through the
 * full API), each with a host mode and options, the initiators (WWNs / iSCSI names) registered in
 * it, and its LUN paths (port, host group, LUN → volume).
 *
 * - `host_groups` is keyed by (port, number); `server_id` is null for a group of no server.
 * - `host_group_initiators` replaces `paths`: a server's path through a port is its HBA registered
 *   in its host group on that port. An initiator is registered in at most one group of a port.
 * - `lun_paths` holds every LUN path. A server's connections (`connections`, its LUN per volume)
 *   are presented in each of its host groups, so the paths of a server's groups mirror them.
 */
import type { Kysely } from "kysely";

/** How a server's OS type is set on its host groups. */
const HOST_MODE_OF_OS: Record<string, string> = {
  Linux: "LINUX/IRIX",
  "HP-UX": "HP-UX",
  OpenVMS: "OVMS",
  Tru64: "TRU64",
  Solaris: "SOLARIS",
  NetWare: "NETWARE",
  AIX: "AIX",
  VMware: "VMWARE_EX",
  Windows: "WIN_EX",
};

/** The name of a port's default host group: CL1-A's is "1A-G00". */
function defaultGroupName(portId: string): string {
  const m = /^CL(\w+)-(\w)$/.exec(portId);
  return m ? `${m[1]}${m[2]}-G00` : `${portId}-G00`;
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("host_groups_v2")
    .addColumn("port_id", "text", (c) => c.notNull().references("ports.id"))
    .addColumn("host_group_number", "integer", (c) => c.notNull())
    .addColumn("host_group_name", "text", (c) => c.notNull())
    .addColumn("target_iscsi_name", "text")
    .addColumn("host_mode", "text", (c) => c.notNull())
    .addColumn("host_mode_options", "text", (c) => c.notNull())
    .addColumn("server_id", "integer", (c) => c.references("servers.id"))
    .addPrimaryKeyConstraint("host_groups_v2_pk", ["port_id", "host_group_number"])
    .execute();

  await db.schema
    .createTable("host_group_initiators")
    .addColumn("port_id", "text", (c) => c.notNull())
    .addColumn("host_group_number", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("host_group_initiators_pk", ["port_id", "name"])
    .execute();
  await db.schema
    .createIndex("host_group_initiators_group")
    .on("host_group_initiators")
    .columns(["port_id", "host_group_number"])
    .execute();
  await db.schema
    .createIndex("host_group_initiators_name")
    .on("host_group_initiators")
    .column("name")
    .execute();

  await db.schema
    .createTable("lun_paths")
    .addColumn("port_id", "text", (c) => c.notNull())
    .addColumn("host_group_number", "integer", (c) => c.notNull())
    .addColumn("lun", "integer", (c) => c.notNull())
    .addColumn("volume_id", "integer", (c) => c.notNull().references("volumes.id"))
    .addPrimaryKeyConstraint("lun_paths_pk", ["port_id", "host_group_number", "lun"])
    .addUniqueConstraint("lun_paths_volume", ["port_id", "host_group_number", "volume_id"])
    .execute();
  await db.schema.createIndex("lun_paths_by_volume").on("lun_paths").column("volume_id").execute();

  // The existing state, carried over.
  const servers = await db.selectFrom("servers").select(["id", "os_type", "os_type_options"]).execute();
  const serverById = new Map(servers.map((s) => [Number(s.id), s]));
  const groups = await db.selectFrom("host_groups").selectAll().execute();
  for (const g of groups) {
    const server = serverById.get(Number(g.server_id));
    await db
      .insertInto("host_groups_v2")
      .values({
        port_id: g.port_id,
        host_group_number: g.host_group_number,
        host_group_name: g.host_group_name,
        target_iscsi_name: g.target_iscsi_name,
        host_mode: HOST_MODE_OF_OS[server?.os_type ?? ""] ?? "LINUX/IRIX",
        host_mode_options: server?.os_type_options ?? "[]",
        server_id: g.server_id,
      })
      .execute();
  }
  const groupOf = new Map(groups.map((g) => [`${g.server_id}|${g.port_id}`, Number(g.host_group_number)]));
  const paths = await db
    .selectFrom("paths")
    .innerJoin("hbas", "hbas.name", "paths.hba_name")
    .select(["paths.server_id", "paths.port_id", "paths.hba_name", "hbas.kind"])
    .execute();
  for (const p of paths) {
    const n = groupOf.get(`${p.server_id}|${p.port_id}`);
    if (n === undefined) continue;
    await db
      .insertInto("host_group_initiators")
      .values({ port_id: p.port_id, host_group_number: n, name: p.hba_name, kind: p.kind })
      .execute();
  }
  const connections = await db.selectFrom("connections").selectAll().execute();
  for (const c of connections) {
    for (const g of groups.filter((x) => Number(x.server_id) === Number(c.server_id))) {
      await db
        .insertInto("lun_paths")
        .values({
          port_id: g.port_id,
          host_group_number: g.host_group_number,
          lun: c.lun,
          volume_id: c.volume_id,
        })
        .execute();
    }
  }
  // Every FC and iSCSI port has its default host group 0, of no server.
  const ports = await db
    .selectFrom("ports")
    .select(["id", "protocol", "iscsi_name"])
    .where("protocol", "in", ["FC", "iSCSI"])
    .execute();
  for (const port of ports) {
    await db
      .insertInto("host_groups_v2")
      .values({
        port_id: port.id,
        host_group_number: 0,
        host_group_name: defaultGroupName(port.id),
        target_iscsi_name: port.protocol === "iSCSI" ? port.iscsi_name : null,
        host_mode: "LINUX/IRIX",
        host_mode_options: "[]",
        server_id: null,
      })
      .execute();
  }

  await db.schema.dropTable("paths").execute();
  await db.schema.dropTable("host_groups").execute();
  await db.schema.alterTable("host_groups_v2").renameTo("host_groups").execute();
  // A server has at most one host group on a port; groups of no server are any number.
  await db.schema
    .createIndex("host_groups_server")
    .on("host_groups")
    .columns(["server_id", "port_id"])
    .unique()
    .execute();
  await db.schema
    .createIndex("host_groups_target_name")
    .on("host_groups")
    .column("target_iscsi_name")
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("this migration cannot be rolled back");
}
