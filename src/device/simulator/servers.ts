/**
 * The simulated array's servers: HBAs, paths and the host groups they imply, iSCSI target names,
 * and the adoption of host groups into another server.
 *
 * Array rules (each refusal carries the SSB code in REFUSED):
 * - server IDs 0–4095, lowest free; nicknames unique in the array;
 * - an HBA name (WWN or iSCSI name) is registered once in the whole array, and fits the server's
 *   protocol; paths go through existing ports of the server's protocol;
 * - a server has one host group per port it has paths through, numbered lowest free from 1 to 254
 *   on that port; the last path through a port takes the host group with it;
 * - a path is the server's HBA registered in its host group on the port (`host_group_initiators`),
 *   and an initiator is in at most one host group of a port (see lun-paths.ts for the host group
 *   rules both API faces share);
 * - iSCSI target names are unique in the array.
 * Every change runs under the array's configuration lock (`transact` takes it), so that checks and
 * writes of concurrent changes (on PostgreSQL, several instances) never interleave.
 */
import { NotFound, type SsbCode } from "../../domain/errors.ts";
import { osTypeOf } from "../../domain/os-types.ts";
import type { Db } from "../../store/db.ts";
import {
  type Hba,
  type HbaId,
  HOST_GROUP_NAME_MAX,
  type HostGroupRef,
  MAX_HOST_GROUP_NUMBER,
  MAX_SERVER_ID,
  SERVER_COMPATIBILITY,
  type ServerChange,
  type ServerCreate,
  type ServerDetail,
  type ServerFilter,
  type ServerHbaPaths,
  type ServerPath,
  type ServerProtocol,
  type ServerSummary,
  type ServersPort,
  type TargetIscsiPort,
} from "../port/servers.ts";
import type { CallOptions } from "../port.ts";
import { checkDeadline, refused, type SimContext, transact } from "./context.ts";
import {
  defaultTargetName,
  dropGroup,
  freeHostGroupNumber,
  insertGroup,
  meshServer,
  serverGroupMode,
  serverGroups,
} from "./lun-paths.ts";

/** SSB codes of the refusals of this area (SSB1 2e11: configuration change refused). */
export const REFUSED = {
  serverLimit: { SSB1: "2e11", SSB2: "a001" },
  nicknameInUse: { SSB1: "2e11", SSB2: "a002" },
  hbaInUse: { SSB1: "2e11", SSB2: "a003" },
  protocolMismatch: { SSB1: "2e11", SSB2: "a005" },
  portAbsent: { SSB1: "2e11", SSB2: "a006" },
  hbaNotOfServer: { SSB1: "2e11", SSB2: "a007" },
  pathExists: { SSB1: "2e11", SSB2: "a008" },
  hostGroupLimit: { SSB1: "2e11", SSB2: "a009" },
  targetNameInUse: { SSB1: "2e11", SSB2: "a00a" },
  hostGroupAbsent: { SSB1: "2e11", SSB2: "a00b" },
  hostGroupConflict: { SSB1: "2e11", SSB2: "a00c" },
  noProtocol: { SSB1: "2e11", SSB2: "a00d" },
  lunConflict: { SSB1: "2e11", SSB2: "a00e" },
} as const satisfies Record<string, SsbCode>;

type ServerRow = {
  id: number;
  nickname: string;
  protocol: ServerProtocol;
  os_type: string;
  os_type_options: string;
  is_reserved: number;
};

/** The name a host group of a server gets: its nickname, cut to the host group name limit. */
export function hostGroupName(nickname: string): string {
  return nickname.slice(0, HOST_GROUP_NAME_MAX);
}

function hbaNames(kind: string, name: string): Pick<ServerHbaPaths, "hbaWwn" | "iscsiName"> {
  return kind === "wwn" ? { hbaWwn: name, iscsiName: null } : { hbaWwn: null, iscsiName: name };
}

function toPath(serverId: number, kind: string, name: string, portId: string): ServerPath {
  return { id: `${name},${portId}`, serverId, ...hbaNames(kind, name), portId };
}

async function serverRow(tx: Db, id: number): Promise<ServerRow> {
  const row = await tx
    .selectFrom("servers")
    .select(["id", "nickname", "protocol", "os_type", "os_type_options", "is_reserved"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new NotFound(`The server ${id} does not exist.`);
  return { ...row, id: Number(row.id) };
}

/** Removes the server's host groups through which no path of it runs any more. */
async function dropEmptyHostGroups(tx: Db, serverId: number): Promise<void> {
  const empty = await tx
    .selectFrom("host_groups")
    .select(["port_id", "host_group_number"])
    .where("server_id", "=", serverId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("host_group_initiators as i")
            .select("i.name")
            .whereRef("i.port_id", "=", "host_groups.port_id")
            .whereRef("i.host_group_number", "=", "host_groups.host_group_number"),
        ),
      ),
    )
    .execute();
  for (const g of empty) await dropGroup(tx, g.port_id, Number(g.host_group_number));
}

/** The paths of servers: their HBAs registered in their host groups. */
function serverPaths(tx: Db) {
  return tx
    .selectFrom("host_group_initiators as i")
    .innerJoin("host_groups as g", (j) =>
      j.onRef("g.port_id", "=", "i.port_id").onRef("g.host_group_number", "=", "i.host_group_number"),
    );
}

export function serversOps(ctx: SimContext): ServersPort {
  const db = ctx.store.db;

  /** The list form of servers: their rows with path counts and the capacities of their volumes. */
  async function summaries(rows: ServerRow[]): Promise<ServerSummary[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [paths, capacity] = await Promise.all([
      serverPaths(db)
        .select((e) => ["g.server_id", e.fn.countAll<number>().as("n")])
        .where("g.server_id", "in", ids)
        .groupBy("g.server_id")
        .execute(),
      db
        .selectFrom("connections")
        .innerJoin("volumes", "volumes.id", "connections.volume_id")
        .select((e) => [
          "connections.server_id",
          e.fn.countAll<number>().as("volumes"),
          e.fn.sum<number>("volumes.total_capacity").as("total"),
          e.fn.sum<number>("volumes.used_capacity").as("used"),
        ])
        .where("connections.server_id", "in", ids)
        .groupBy("connections.server_id")
        .execute(),
    ]);
    const pathCount = new Map(paths.map((p) => [Number(p.server_id), Number(p.n)]));
    const cap = new Map(capacity.map((c) => [Number(c.server_id), c]));
    return rows.map((r) => {
      const c = cap.get(r.id);
      return {
        id: r.id,
        nickname: r.nickname,
        protocol: r.protocol,
        osType: r.os_type,
        totalCapacity: Number(c?.total ?? 0),
        usedCapacity: Number(c?.used ?? 0),
        numberOfPaths: pathCount.get(r.id) ?? 0,
        isInconsistent: false,
        modificationInProgress: false,
        compatibility: SERVER_COMPATIBILITY,
        isReserved: r.is_reserved === 1,
        hasUnalignedOsTypes: false,
      };
    });
  }

  async function hbasOf(serverId: number, name?: string): Promise<Hba[]> {
    let q = db.selectFrom("hbas").select(["name", "kind"]).where("server_id", "=", serverId);
    if (name !== undefined) q = q.where("name", "=", name);
    const hbas = await q.orderBy("name").execute();
    if (hbas.length === 0) return [];
    const paths = await serverPaths(db)
      .select(["i.name", "i.port_id"])
      .where("g.server_id", "=", serverId)
      .where(
        "i.name",
        "in",
        hbas.map((h) => h.name),
      )
      .orderBy("i.port_id")
      .execute();
    return hbas.map((h) => ({
      serverId,
      ...hbaNames(h.kind, h.name),
      portIds: paths.filter((p) => p.name === h.name).map((p) => p.port_id),
    }));
  }

  async function hostGroupOf(serverId: number, portId: string) {
    return db
      .selectFrom("host_groups")
      .select(["port_id", "target_iscsi_name"])
      .where("server_id", "=", serverId)
      .where("port_id", "=", portId)
      .executeTakeFirst();
  }

  return {
    async listServers(filter: ServerFilter, opts: CallOptions): Promise<ServerSummary[]> {
      checkDeadline(opts);
      let q = db
        .selectFrom("servers")
        .select(["id", "nickname", "protocol", "os_type", "os_type_options", "is_reserved"]);
      if (filter.nickname !== undefined) q = q.where("nickname", "=", filter.nickname);
      for (const [kind, name] of [
        ["wwn", filter.hbaWwn],
        ["iscsi", filter.iscsiName],
      ] as const) {
        if (name === undefined) continue;
        q = q.where(
          "id",
          "in",
          db.selectFrom("hbas").select("server_id").where("name", "=", name).where("kind", "=", kind),
        );
      }
      const rows = await q.orderBy("id").execute();
      return summaries(rows.map((r) => ({ ...r, id: Number(r.id) })));
    },

    async getServer(id: number, opts: CallOptions): Promise<ServerDetail> {
      checkDeadline(opts);
      const row = await serverRow(db, id);
      const [summary] = await summaries([row]);
      const [volumes, hbas] = await Promise.all([
        db
          .selectFrom("connections")
          .select((e) => e.fn.countAll<number>().as("n"))
          .where("server_id", "=", id)
          .executeTakeFirstOrThrow(),
        hbasOf(id),
      ]);
      const s = summary as ServerSummary;
      return {
        id: s.id,
        nickname: s.nickname,
        protocol: s.protocol,
        osType: s.osType,
        osTypeOptions: JSON.parse(row.os_type_options) as number[],
        totalCapacity: s.totalCapacity,
        usedCapacity: s.usedCapacity,
        numberOfVolumes: Number(volumes.n),
        numberOfPaths: s.numberOfPaths,
        paths: hbas.map(({ hbaWwn, iscsiName, portIds }) => ({ hbaWwn, iscsiName, portIds })),
        isInconsistent: s.isInconsistent,
        modificationInProgress: s.modificationInProgress,
        compatibility: s.compatibility,
        isReserved: s.isReserved,
        hasUnalignedOsTypes: s.hasUnalignedOsTypes,
        hasNonFullmeshLuPaths: false,
        hasUnalignedOsTypeOptions: false,
      };
    },

    async createServer(spec: ServerCreate, opts: CallOptions): Promise<number> {
      return transact(ctx, opts, async (tx) => {
        const taken = await tx
          .selectFrom("servers")
          .select("id")
          .where("nickname", "=", spec.nickname)
          .executeTakeFirst();
        if (taken) {
          throw refused(
            `The server nickname "${spec.nickname}" is already used by server ${taken.id}.`,
            REFUSED.nicknameInUse,
          );
        }
        const ids = (await tx.selectFrom("servers").select("id").orderBy("id").execute()).map((r) =>
          Number(r.id),
        );
        let id = 0;
        for (const used of ids) {
          if (used !== id) break;
          id++;
        }
        if (id > MAX_SERVER_ID) {
          throw refused(
            `No server can be added: the array holds ${MAX_SERVER_ID + 1} servers, its maximum.`,
            REFUSED.serverLimit,
          );
        }
        await tx
          .insertInto("servers")
          .values({
            id,
            nickname: spec.nickname,
            protocol: spec.protocol,
            os_type: spec.osType,
            os_type_options: JSON.stringify([...spec.osTypeOptions].sort((a, b) => a - b)),
            is_reserved: spec.isReserved ? 1 : 0,
            created_at: ctx.now(),
          })
          .execute();
        return id;
      });
    },

    async updateServer(id: number, change: ServerChange, opts: CallOptions): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        const server = await serverRow(tx, id);
        if (change.nickname !== undefined) {
          const taken = await tx
            .selectFrom("servers")
            .select("id")
            .where("nickname", "=", change.nickname)
            .where("id", "<>", id)
            .executeTakeFirst();
          if (taken) {
            throw refused(
              `The server nickname "${change.nickname}" is already used by server ${taken.id}.`,
              REFUSED.nicknameInUse,
            );
          }
        }
        const osChange = change.osType !== undefined || change.osTypeOptions !== undefined;
        // The OS type is a setting of the host groups: a server without protocol has none to set.
        if (osChange && server.protocol === "Undefined") {
          throw refused(
            `The OS type of server ${id} cannot be set: it is reserved and has no host group yet.`,
            REFUSED.noProtocol,
          );
        }
        await tx
          .updateTable("servers")
          .set({
            ...(change.nickname !== undefined ? { nickname: change.nickname } : {}),
            ...(change.osType !== undefined ? { os_type: change.osType } : {}),
            ...(change.osTypeOptions !== undefined
              ? { os_type_options: JSON.stringify([...change.osTypeOptions].sort((a, b) => a - b)) }
              : {}),
          })
          .where("id", "=", id)
          .execute();
        if (osChange) {
          // The OS type is the host mode of the server's host groups.
          const updated = await serverRow(tx, id);
          const mode = serverGroupMode(updated.os_type, updated.os_type_options);
          await tx
            .updateTable("host_groups")
            .set({ host_mode: mode.hostMode, host_mode_options: JSON.stringify(mode.hostModeOptions) })
            .where("server_id", "=", id)
            .execute();
        }
      });
    },

    async deleteServer(id: number, keepLunConfig: boolean, opts: CallOptions): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        await serverRow(tx, id);
        // Children first, explicitly, so that no dialect's foreign-key settings decide what is
        // left behind.
        if (keepLunConfig) {
          // The host groups stay on their ports, with their initiators and LUN paths, as groups
          // of no server (which another server can take over with add-host-groups).
          await tx.updateTable("host_groups").set({ server_id: null }).where("server_id", "=", id).execute();
        } else {
          for (const g of await serverGroups(tx, id))
            await dropGroup(tx, g.port_id, Number(g.host_group_number));
        }
        await tx.deleteFrom("connections").where("server_id", "=", id).execute();
        await tx.deleteFrom("hbas").where("server_id", "=", id).execute();
        await tx.deleteFrom("servers").where("id", "=", id).execute();
      });
    },

    async listHbas(serverId: number, opts: CallOptions): Promise<Hba[]> {
      checkDeadline(opts);
      await serverRow(db, serverId);
      return hbasOf(serverId);
    },

    async getHba(serverId: number, name: string, opts: CallOptions): Promise<Hba> {
      checkDeadline(opts);
      await serverRow(db, serverId);
      const [hba] = await hbasOf(serverId, name);
      if (!hba) throw new NotFound(`The server ${serverId} has no HBA ${name}.`);
      return hba;
    },

    async addHba(serverId: number, hba: HbaId, opts: CallOptions): Promise<Hba> {
      return transact(ctx, opts, async (tx) => {
        const server = await serverRow(tx, serverId);
        const wanted = hba.kind === "wwn" ? "FC" : "iSCSI";
        if (server.protocol !== wanted) {
          throw refused(
            `The ${hba.kind === "wwn" ? "WWN" : "iSCSI name"} ${hba.name} cannot be added to server ${serverId}, whose protocol is ${server.protocol}.`,
            server.protocol === "Undefined" ? REFUSED.noProtocol : REFUSED.protocolMismatch,
          );
        }
        const owner = await tx
          .selectFrom("hbas")
          .select("server_id")
          .where("name", "=", hba.name)
          .executeTakeFirst();
        if (owner) {
          throw refused(
            `The HBA ${hba.name} is already registered to server ${owner.server_id}.`,
            REFUSED.hbaInUse,
          );
        }
        await tx.insertInto("hbas").values({ server_id: serverId, name: hba.name, kind: hba.kind }).execute();
        return { serverId, ...hbaNames(hba.kind, hba.name), portIds: [] };
      });
    },

    async deleteHba(serverId: number, name: string, opts: CallOptions): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        await serverRow(tx, serverId);
        const found = await tx
          .selectFrom("hbas")
          .select("name")
          .where("server_id", "=", serverId)
          .where("name", "=", name)
          .executeTakeFirst();
        if (!found) throw new NotFound(`The server ${serverId} has no HBA ${name}.`);
        await tx
          .deleteFrom("host_group_initiators")
          .where("name", "=", name)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom("host_groups as g")
                .select("g.port_id")
                .whereRef("g.port_id", "=", "host_group_initiators.port_id")
                .whereRef("g.host_group_number", "=", "host_group_initiators.host_group_number")
                .where("g.server_id", "=", serverId),
            ),
          )
          .execute();
        await tx.deleteFrom("hbas").where("name", "=", name).execute();
        await dropEmptyHostGroups(tx, serverId);
      });
    },

    async addServerPaths(
      serverId: number,
      hba: HbaId,
      portIds: string[],
      opts: CallOptions,
    ): Promise<ServerPath[]> {
      return transact(ctx, opts, async (tx) => {
        const server = await serverRow(tx, serverId);
        const owned = await tx
          .selectFrom("hbas")
          .select(["name", "kind"])
          .where("name", "=", hba.name)
          .where("server_id", "=", serverId)
          .executeTakeFirst();
        if (!owned || owned.kind !== hba.kind) {
          throw refused(
            `The HBA ${hba.name} is not registered to server ${serverId}.`,
            REFUSED.hbaNotOfServer,
          );
        }
        const ports = await tx
          .selectFrom("ports")
          .select(["id", "protocol", "iscsi_name"])
          .where("id", "in", portIds)
          .execute();
        // Where the initiator is registered already: in this server's groups (a path that exists)
        // or in a group of no server on that port.
        const registered = await tx
          .selectFrom("host_group_initiators as i")
          .innerJoin("host_groups as g", (j) =>
            j.onRef("g.port_id", "=", "i.port_id").onRef("g.host_group_number", "=", "i.host_group_number"),
          )
          .select(["i.port_id", "g.server_id", "g.host_group_number"])
          .where("i.name", "=", hba.name)
          .execute();
        // Every rule is checked for every port before anything is written.
        for (const portId of portIds) {
          const port = ports.find((p) => p.id === portId);
          if (!port) throw refused(`The port ${portId} does not exist.`, REFUSED.portAbsent);
          if (port.protocol !== server.protocol) {
            throw refused(
              `The port ${portId} is an ${port.protocol} port; server ${serverId} connects by ${server.protocol}.`,
              REFUSED.protocolMismatch,
            );
          }
          const there = registered.find((r) => r.port_id === portId);
          if (there && Number(there.server_id) === serverId) {
            throw refused(
              `The path from ${hba.name} through port ${portId} already exists.`,
              REFUSED.pathExists,
            );
          }
          if (there) {
            throw refused(
              `The HBA ${hba.name} is registered in host group ${there.host_group_number} of port ${portId}, which belongs to no server: add that host group to the server instead.`,
              REFUSED.hbaInUse,
            );
          }
        }
        const groups = new Map(
          (await serverGroups(tx, serverId)).map((g) => [g.port_id, Number(g.host_group_number)]),
        );
        // Host groups are numbered in the order the request names the ports.
        for (const portId of portIds) {
          const port = ports.find((p) => p.id === portId);
          if (!port || groups.has(port.id)) continue;
          const n = await freeHostGroupNumber(tx, port.id);
          if (n === undefined) {
            throw refused(
              `The port ${port.id} holds ${MAX_HOST_GROUP_NUMBER} host groups, its maximum: no host group can be added.`,
              REFUSED.hostGroupLimit,
            );
          }
          await insertGroup(tx, {
            portId: port.id,
            number: n,
            name: hostGroupName(server.nickname),
            targetIscsiName: port.protocol === "iSCSI" ? defaultTargetName(port.iscsi_name ?? "", n) : null,
            ...serverGroupMode(server.os_type, server.os_type_options),
            serverId,
          });
          groups.set(port.id, n);
        }
        await tx
          .insertInto("host_group_initiators")
          .values(
            portIds.map((port_id) => ({
              port_id,
              host_group_number: groups.get(port_id) as number,
              name: hba.name,
              kind: hba.kind,
            })),
          )
          .execute();
        return portIds.map((portId) => toPath(serverId, hba.kind, hba.name, portId));
      });
    },

    async getServerPath(
      serverId: number,
      hbaName: string,
      portId: string,
      opts: CallOptions,
    ): Promise<ServerPath> {
      checkDeadline(opts);
      await serverRow(db, serverId);
      const row = await serverPaths(db)
        .select(["i.kind", "i.name", "i.port_id"])
        .where("g.server_id", "=", serverId)
        .where("i.name", "=", hbaName)
        .where("i.port_id", "=", portId)
        .executeTakeFirst();
      if (!row)
        throw new NotFound(`The server ${serverId} has no path from ${hbaName} through port ${portId}.`);
      return toPath(serverId, row.kind, row.name, row.port_id);
    },

    async deleteServerPath(
      serverId: number,
      hbaName: string,
      portId: string,
      opts: CallOptions,
    ): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        await serverRow(tx, serverId);
        const group = await tx
          .selectFrom("host_groups")
          .select("host_group_number")
          .where("server_id", "=", serverId)
          .where("port_id", "=", portId)
          .executeTakeFirst();
        const removed = await tx
          .deleteFrom("host_group_initiators")
          .where("port_id", "=", portId)
          .where("host_group_number", "=", group ? Number(group.host_group_number) : -1)
          .where("name", "=", hbaName)
          .executeTakeFirst();
        if (Number(removed.numDeletedRows) === 0) {
          throw new NotFound(`The server ${serverId} has no path from ${hbaName} through port ${portId}.`);
        }
        await dropEmptyHostGroups(tx, serverId);
      });
    },

    async listTargetIscsiPorts(serverId: number, opts: CallOptions): Promise<TargetIscsiPort[]> {
      checkDeadline(opts);
      await serverRow(db, serverId);
      const rows = await db
        .selectFrom("host_groups")
        .select(["port_id", "target_iscsi_name"])
        .where("server_id", "=", serverId)
        .orderBy("port_id")
        .execute();
      return rows.map((r) => ({ portId: r.port_id, targetIscsiName: r.target_iscsi_name }));
    },

    async getTargetIscsiPort(serverId: number, portId: string, opts: CallOptions): Promise<TargetIscsiPort> {
      checkDeadline(opts);
      await serverRow(db, serverId);
      const row = await hostGroupOf(serverId, portId);
      if (!row) throw new NotFound(`The server ${serverId} has no host group on port ${portId}.`);
      return { portId: row.port_id, targetIscsiName: row.target_iscsi_name };
    },

    async setTargetIscsiName(
      serverId: number,
      portId: string,
      targetIscsiName: string,
      opts: CallOptions,
    ): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        const server = await serverRow(tx, serverId);
        const group = await tx
          .selectFrom("host_groups")
          .select("target_iscsi_name")
          .where("server_id", "=", serverId)
          .where("port_id", "=", portId)
          .executeTakeFirst();
        if (!group) throw new NotFound(`The server ${serverId} has no host group on port ${portId}.`);
        if (server.protocol !== "iSCSI") {
          throw refused(
            `Server ${serverId} connects by ${server.protocol}: it has no iSCSI target.`,
            REFUSED.protocolMismatch,
          );
        }
        if (group.target_iscsi_name === targetIscsiName) return;
        const clash = await tx
          .selectFrom("host_groups")
          .select(["server_id", "port_id"])
          .where("target_iscsi_name", "=", targetIscsiName)
          .executeTakeFirst();
        const portClash = await tx
          .selectFrom("ports")
          .select("id")
          .where("iscsi_name", "=", targetIscsiName)
          .executeTakeFirst();
        if (clash || portClash) {
          throw refused(
            `The iSCSI name ${targetIscsiName} is already used in the array.`,
            REFUSED.targetNameInUse,
          );
        }
        await tx
          .updateTable("host_groups")
          .set({ target_iscsi_name: targetIscsiName })
          .where("server_id", "=", serverId)
          .where("port_id", "=", portId)
          .execute();
      });
    },

    async addHostGroups(serverId: number, refs: HostGroupRef[], opts: CallOptions): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        const target = await serverRow(tx, serverId);
        const own = new Set((await serverGroups(tx, serverId)).map((g) => g.port_id));
        let protocol = target.protocol;
        const moving: {
          serverId: number | null;
          portId: string;
          number: number;
          hostMode: string;
          options: string;
        }[] = [];
        for (const ref of refs) {
          const port = await tx
            .selectFrom("ports")
            .select(["id", "protocol"])
            .where("id", "=", ref.portId)
            .executeTakeFirst();
          if (!port) throw refused(`The port ${ref.portId} does not exist.`, REFUSED.portAbsent);
          if (port.protocol === "NVME_TCP") {
            throw refused(
              `The port ${ref.portId} is an NVMe/TCP port: it has no host groups.`,
              REFUSED.portAbsent,
            );
          }
          let q = tx
            .selectFrom("host_groups")
            .select(["server_id", "host_group_number", "host_mode", "host_mode_options"])
            .where("port_id", "=", ref.portId);
          q =
            ref.hostGroupId !== undefined
              ? q.where("host_group_number", "=", ref.hostGroupId)
              : q.where("host_group_name", "=", ref.hostGroupName ?? "");
          const found = await q.execute();
          const what = `${ref.portId} ${ref.hostGroupId !== undefined ? `#${ref.hostGroupId}` : `"${ref.hostGroupName}"`}`;
          if (found.length === 0)
            throw refused(`The host group ${what} does not exist.`, REFUSED.hostGroupAbsent);
          if (found.length > 1) {
            throw refused(
              `The name of host group ${what} is not unique on the port: name it by number.`,
              REFUSED.hostGroupConflict,
            );
          }
          const group = found[0] as (typeof found)[number];
          const source = group.server_id === null ? null : Number(group.server_id);
          if (source === serverId) {
            throw refused(
              `The host group ${what} already belongs to server ${serverId}.`,
              REFUSED.hostGroupConflict,
            );
          }
          if (own.has(ref.portId)) {
            throw refused(
              `Server ${serverId} already has a host group on port ${ref.portId}.`,
              REFUSED.hostGroupConflict,
            );
          }
          if (protocol !== "Undefined" && protocol !== port.protocol) {
            throw refused(
              `The host group ${what} is on an ${port.protocol} port; server ${serverId} connects by ${protocol}.`,
              REFUSED.protocolMismatch,
            );
          }
          protocol = port.protocol as ServerProtocol;
          own.add(ref.portId);
          moving.push({
            serverId: source,
            portId: ref.portId,
            number: Number(group.host_group_number),
            hostMode: group.host_mode,
            options: group.host_mode_options,
          });
        }

        // Initiators move with the host groups they are in and become HBAs of the server. One of
        // another server that also reaches the array through a host group that stays behind would
        // be split between two servers.
        const movingKey = new Set(moving.map((m) => `${m.portId}|${m.number}`));
        const registered = await serverPaths(tx)
          .select(["i.name", "i.kind", "i.port_id", "i.host_group_number", "g.server_id"])
          .where(
            "i.name",
            "in",
            tx
              .selectFrom("host_group_initiators as m")
              .select("m.name")
              .where((eb) =>
                eb.or(
                  moving.map((m) =>
                    eb.and([eb("m.port_id", "=", m.portId), eb("m.host_group_number", "=", m.number)]),
                  ),
                ),
              ),
          )
          .execute();
        const movingInitiators = registered.filter((r) =>
          movingKey.has(`${r.port_id}|${r.host_group_number}`),
        );
        for (const r of registered) {
          const staying = !movingKey.has(`${r.port_id}|${r.host_group_number}`);
          if (staying && r.server_id !== null && Number(r.server_id) !== serverId) {
            throw refused(
              `The HBA ${r.name} also reaches the array through port ${r.port_id} of server ${r.server_id}: add that host group too.`,
              REFUSED.hostGroupConflict,
            );
          }
        }
        const wanted = protocol === "FC" ? "wwn" : "iscsi";
        const names = [...new Set(movingInitiators.map((r) => r.name))];
        const owners =
          names.length === 0
            ? []
            : await tx.selectFrom("hbas").select(["name", "server_id"]).where("name", "in", names).execute();
        const ownerOf = new Map(owners.map((o) => [o.name, Number(o.server_id)]));
        const sources = new Set(moving.flatMap((m) => (m.serverId === null ? [] : [m.serverId])));
        for (const name of names) {
          const owner = ownerOf.get(name);
          if (owner !== undefined && owner !== serverId && !sources.has(owner)) {
            throw refused(`The HBA ${name} is already registered to server ${owner}.`, REFUSED.hbaInUse);
          }
        }

        for (const r of movingInitiators) {
          if (r.kind !== wanted) {
            throw refused(
              `The initiator ${r.name} of host group ${r.port_id} #${r.host_group_number} does not fit server ${serverId}'s protocol.`,
              REFUSED.protocolMismatch,
            );
          }
        }

        // The LUNs of a host group go with it: the target sees the volumes its sources see. A
        // server's group carries the server's connections; a group of no server, its LUN paths.
        const targetLuns = await tx
          .selectFrom("connections")
          .select(["volume_id", "lun"])
          .where("server_id", "=", serverId)
          .execute();
        const fromServers =
          sources.size === 0
            ? []
            : await tx
                .selectFrom("connections")
                .select(["volume_id", "lun"])
                .where("server_id", "in", [...sources])
                .orderBy("volume_id")
                .execute();
        const freeGroups = moving.filter((m) => m.serverId === null);
        const fromFreeGroups =
          freeGroups.length === 0
            ? []
            : await tx
                .selectFrom("lun_paths")
                .select(["volume_id", "lun"])
                .where((eb) =>
                  eb.or(
                    freeGroups.map((m) =>
                      eb.and([eb("port_id", "=", m.portId), eb("host_group_number", "=", m.number)]),
                    ),
                  ),
                )
                .orderBy("volume_id")
                .execute();
        const byVolume = new Map(targetLuns.map((c) => [Number(c.volume_id), Number(c.lun)]));
        const usedLuns = new Set(targetLuns.map((c) => Number(c.lun)));
        const newLuns: { volume_id: number; server_id: number; lun: number }[] = [];
        for (const c of [...fromServers, ...fromFreeGroups]) {
          const volume = Number(c.volume_id);
          const lun = Number(c.lun);
          if (byVolume.has(volume)) continue;
          if (usedLuns.has(lun)) {
            throw refused(
              `LUN ${lun} of volume ${volume} is already used by another volume on server ${serverId}.`,
              REFUSED.lunConflict,
            );
          }
          byVolume.set(volume, lun);
          usedLuns.add(lun);
          newLuns.push({ volume_id: volume, server_id: serverId, lun });
        }

        // A reserved shell takes its protocol and OS settings from the first host group it gets;
        // a server with an OS type sets it on the groups it takes.
        const first = moving[0];
        const settings =
          target.protocol === "Undefined" && first
            ? { os_type: osTypeOf(first.hostMode), os_type_options: first.options }
            : { os_type: target.os_type, os_type_options: target.os_type_options };
        const mode = serverGroupMode(settings.os_type, settings.os_type_options);
        for (const m of moving) {
          await tx
            .updateTable("host_groups")
            .set({
              server_id: serverId,
              host_mode: mode.hostMode,
              host_mode_options: JSON.stringify(mode.hostModeOptions),
            })
            .where("port_id", "=", m.portId)
            .where("host_group_number", "=", m.number)
            .execute();
        }
        for (const name of names) {
          const kind = movingInitiators.find((r) => r.name === name)?.kind ?? wanted;
          if (ownerOf.has(name)) {
            await tx.updateTable("hbas").set({ server_id: serverId }).where("name", "=", name).execute();
          } else {
            await tx.insertInto("hbas").values({ name, server_id: serverId, kind }).execute();
          }
        }
        if (newLuns.length > 0) await tx.insertInto("connections").values(newLuns).execute();
        if (target.protocol === "Undefined" && protocol !== "Undefined") {
          await tx
            .updateTable("servers")
            .set({ protocol, ...settings, is_reserved: 0 })
            .where("id", "=", serverId)
            .execute();
        }
        // Every group the server now has presents every one of its connections.
        await meshServer(tx, serverId);
      });
    },

    async syncHostGroupNames(serverId: number, opts: CallOptions): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        const server = await serverRow(tx, serverId);
        await tx
          .updateTable("host_groups")
          .set({ host_group_name: hostGroupName(server.nickname) })
          .where("server_id", "=", serverId)
          .execute();
      });
    },
  };
}
