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
 * - iSCSI target names are unique in the array.
 * Every change runs under the array's configuration lock (`transact` takes it), so that checks and
 * writes of concurrent changes (on PostgreSQL, several instances) never interleave.
 */
import { NotFound, type SsbCode } from "../../domain/errors.ts";
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

/**
 * The default iSCSI target name of host group `n` on a port: the port's own name ends in the
 * three hex digits of host group 0, which are replaced by those of `n`.
 */
export function defaultTargetName(portIscsiName: string, n: number): string {
  const suffix = n.toString(16).padStart(3, "0");
  return /[0-9a-f]{3}$/.test(portIscsiName)
    ? `${portIscsiName.slice(0, -3)}${suffix}`
    : `${portIscsiName}.${suffix}`;
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
  const used = await tx
    .selectFrom("paths")
    .select("port_id")
    .distinct()
    .where("server_id", "=", serverId)
    .execute();
  let q = tx.deleteFrom("host_groups").where("server_id", "=", serverId);
  if (used.length > 0)
    q = q.where(
      "port_id",
      "not in",
      used.map((u) => u.port_id),
    );
  await q.execute();
}

/** The lowest host group number free on a port, or undefined when the port is full. */
async function freeHostGroupNumber(tx: Db, portId: string): Promise<number | undefined> {
  const taken = new Set(
    (
      await tx.selectFrom("host_groups").select("host_group_number").where("port_id", "=", portId).execute()
    ).map((r) => Number(r.host_group_number)),
  );
  for (let n = 1; n <= MAX_HOST_GROUP_NUMBER; n++) if (!taken.has(n)) return n;
  return undefined;
}

export function serversOps(ctx: SimContext): ServersPort {
  const db = ctx.store.db;

  /** The list form of servers: their rows with path counts and the capacities of their volumes. */
  async function summaries(rows: ServerRow[]): Promise<ServerSummary[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [paths, capacity] = await Promise.all([
      db
        .selectFrom("paths")
        .select((e) => ["server_id", e.fn.countAll<number>().as("n")])
        .where("server_id", "in", ids)
        .groupBy("server_id")
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
    const paths = await db
      .selectFrom("paths")
      .select(["hba_name", "port_id"])
      .where("server_id", "=", serverId)
      .where(
        "hba_name",
        "in",
        hbas.map((h) => h.name),
      )
      .orderBy("port_id")
      .execute();
    return hbas.map((h) => ({
      serverId,
      ...hbaNames(h.kind, h.name),
      portIds: paths.filter((p) => p.hba_name === h.name).map((p) => p.port_id),
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
      });
    },

    async deleteServer(id: number, opts: CallOptions): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        await serverRow(tx, id);
        // Children first: connections hold no cascading key, and the others are removed explicitly
        // so that no dialect's foreign-key settings decide what is left behind.
        await tx.deleteFrom("connections").where("server_id", "=", id).execute();
        await tx.deleteFrom("paths").where("server_id", "=", id).execute();
        await tx.deleteFrom("host_groups").where("server_id", "=", id).execute();
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
        await tx.deleteFrom("paths").where("server_id", "=", serverId).where("hba_name", "=", name).execute();
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
        const existing = new Set(
          (
            await tx
              .selectFrom("paths")
              .select("port_id")
              .where("server_id", "=", serverId)
              .where("hba_name", "=", hba.name)
              .execute()
          ).map((p) => p.port_id),
        );
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
          if (existing.has(portId)) {
            throw refused(
              `The path from ${hba.name} through port ${portId} already exists.`,
              REFUSED.pathExists,
            );
          }
        }
        const groups = new Set(
          (
            await tx.selectFrom("host_groups").select("port_id").where("server_id", "=", serverId).execute()
          ).map((g) => g.port_id),
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
          await tx
            .insertInto("host_groups")
            .values({
              server_id: serverId,
              port_id: port.id,
              host_group_number: n,
              host_group_name: hostGroupName(server.nickname),
              target_iscsi_name:
                port.protocol === "iSCSI" ? defaultTargetName(port.iscsi_name ?? "", n) : null,
            })
            .execute();
        }
        await tx
          .insertInto("paths")
          .values(portIds.map((port_id) => ({ server_id: serverId, hba_name: hba.name, port_id })))
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
      const row = await db
        .selectFrom("paths")
        .innerJoin("hbas", "hbas.name", "paths.hba_name")
        .select(["hbas.kind", "paths.hba_name", "paths.port_id"])
        .where("paths.server_id", "=", serverId)
        .where("paths.hba_name", "=", hbaName)
        .where("paths.port_id", "=", portId)
        .executeTakeFirst();
      if (!row)
        throw new NotFound(`The server ${serverId} has no path from ${hbaName} through port ${portId}.`);
      return toPath(serverId, row.kind, row.hba_name, row.port_id);
    },

    async deleteServerPath(
      serverId: number,
      hbaName: string,
      portId: string,
      opts: CallOptions,
    ): Promise<void> {
      await transact(ctx, opts, async (tx) => {
        await serverRow(tx, serverId);
        const removed = await tx
          .deleteFrom("paths")
          .where("server_id", "=", serverId)
          .where("hba_name", "=", hbaName)
          .where("port_id", "=", portId)
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
        const own = new Set(
          (
            await tx.selectFrom("host_groups").select("port_id").where("server_id", "=", serverId).execute()
          ).map((g) => g.port_id),
        );
        let protocol = target.protocol;
        const moving: { serverId: number; portId: string }[] = [];
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
            .select(["server_id", "host_group_number"])
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
          const source = Number((found[0] as { server_id: number }).server_id);
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
          protocol = port.protocol;
          own.add(ref.portId);
          moving.push({ serverId: source, portId: ref.portId });
        }

        // HBAs move with the host groups they are in; one that also reaches the array through a
        // host group that stays behind would be split between two servers.
        const movingKey = new Set(moving.map((m) => `${m.serverId}|${m.portId}`));
        const sources = [...new Set(moving.map((m) => m.serverId))];
        const sourcePaths = await tx
          .selectFrom("paths")
          .select(["server_id", "hba_name", "port_id"])
          .where("server_id", "in", sources)
          .execute();
        const movingHbas = new Set(
          sourcePaths.filter((p) => movingKey.has(`${p.server_id}|${p.port_id}`)).map((p) => p.hba_name),
        );
        for (const p of sourcePaths) {
          if (movingHbas.has(p.hba_name) && !movingKey.has(`${p.server_id}|${p.port_id}`)) {
            throw refused(
              `The HBA ${p.hba_name} also reaches the array through port ${p.port_id} of server ${p.server_id}: add that host group too.`,
              REFUSED.hostGroupConflict,
            );
          }
        }

        // The LUNs of a host group go with it: the target sees the volumes its sources see.
        const targetLuns = await tx
          .selectFrom("connections")
          .select(["volume_id", "lun"])
          .where("server_id", "=", serverId)
          .execute();
        const sourceLuns = await tx
          .selectFrom("connections")
          .select(["volume_id", "lun"])
          .where("server_id", "in", sources)
          .orderBy("volume_id")
          .execute();
        const byVolume = new Map(targetLuns.map((c) => [Number(c.volume_id), Number(c.lun)]));
        const usedLuns = new Set(targetLuns.map((c) => Number(c.lun)));
        const newLuns: { volume_id: number; server_id: number; lun: number }[] = [];
        for (const c of sourceLuns) {
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

        for (const m of moving) {
          await tx
            .updateTable("host_groups")
            .set({ server_id: serverId })
            .where("server_id", "=", m.serverId)
            .where("port_id", "=", m.portId)
            .execute();
          await tx
            .updateTable("paths")
            .set({ server_id: serverId })
            .where("server_id", "=", m.serverId)
            .where("port_id", "=", m.portId)
            .execute();
        }
        if (movingHbas.size > 0) {
          await tx
            .updateTable("hbas")
            .set({ server_id: serverId })
            .where("name", "in", [...movingHbas])
            .execute();
        }
        if (newLuns.length > 0) await tx.insertInto("connections").values(newLuns).execute();
        if (target.protocol === "Undefined" && protocol !== "Undefined") {
          // A reserved shell takes its protocol and OS settings from the first host groups it gets.
          const first = await serverRow(tx, moving[0]?.serverId ?? serverId);
          await tx
            .updateTable("servers")
            .set({
              protocol,
              os_type: first.os_type === "Undefined" ? "Linux" : first.os_type,
              os_type_options: first.os_type_options,
              is_reserved: 0,
            })
            .where("id", "=", serverId)
            .execute();
        }
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
