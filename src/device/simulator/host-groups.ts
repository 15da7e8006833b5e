/**
 * The simulated array's host groups, initiators and LUN paths, as the full API manages them (the
 * rules both faces share are in lun-paths.ts). A change through a server's group is a change of
 * the server: an initiator added there becomes its HBA, a LUN path added or removed there is a
 * connection of the server, presented in or withdrawn from all its groups.
 *
 * Refusals carry the SSB code a real array gives where one is public (the LUN path ones, which
 * clients branch on), else one of Blockplane's in 2e11/a0xx (see servers.ts):
 * | rule                                                   | SSB1 | SSB2 |
 * |--------------------------------------------------------|------|------|
 * | the volume already has a LUN path in the host group    | b958 | 015a |
 * | the LUN is another volume's in the host group          | b958 | 0947 |
 * | the port has no host groups (NVMe/TCP) or is absent    | 2e11 | a006 |
 * | the host group name or number is taken on the port    | 2e11 | a00c |
 * | the port holds 255 host groups                         | 2e11 | a009 |
 * | the iSCSI target name is taken in the array            | 2e11 | a00a |
 * | the initiator is in another host group of the port, or | 2e11 | a003 |
 * |   is another server's HBA                              |      |      |
 * | the initiator or setting does not fit the port         | 2e11 | a005 |
 */
import { NotFound, type SsbCode } from "../../domain/errors.ts";
import type { Db } from "../../store/db.ts";
import { MAX_LUN } from "../port/connections.ts";
import type {
  HostGroup,
  HostGroupChange,
  HostGroupCreate,
  HostGroupInitiator,
  HostGroupKey,
  HostGroupsPort,
  LunPath,
  LunPathFilter,
} from "../port/host-groups.ts";
import { MAX_HOST_GROUP_NUMBER } from "../port/servers.ts";
import type { CallOptions } from "../port.ts";
import { connectVolume, disconnectVolume, lowestFree } from "./connections.ts";
import { checkDeadline, refused, type SimContext, transact } from "./context.ts";
import {
  defaultGroupName,
  defaultTargetName,
  dropGroup,
  freeHostGroupNumber,
  insertGroup,
} from "./lun-paths.ts";
import { REFUSED as SERVER_REFUSED } from "./servers.ts";

export const LUN_PATH_REFUSALS = {
  pathDefined: { SSB1: "b958", SSB2: "015a" },
  lunTaken: { SSB1: "b958", SSB2: "0947" },
} as const satisfies Record<string, SsbCode>;

const DEFAULT_HOST_MODE = "LINUX/IRIX";

type GroupRow = {
  port_id: string;
  host_group_number: number;
  host_group_name: string;
  target_iscsi_name: string | null;
  host_mode: string;
  host_mode_options: string;
  server_id: number | null;
};

function toGroup(r: GroupRow): HostGroup {
  return {
    portId: r.port_id,
    hostGroupNumber: Number(r.host_group_number),
    hostGroupName: r.host_group_name,
    hostMode: r.host_mode,
    hostModeOptions: JSON.parse(r.host_mode_options) as number[],
    iscsiName: r.target_iscsi_name,
    serverId: r.server_id === null ? null : Number(r.server_id),
  };
}

function toLunPath(r: {
  port_id: string;
  host_group_number: number;
  host_group_name: string;
  lun: number;
  volume_id: number;
}): LunPath {
  return {
    portId: r.port_id,
    hostGroupNumber: Number(r.host_group_number),
    hostGroupName: r.host_group_name,
    lun: Number(r.lun),
    volumeId: Number(r.volume_id),
  };
}

const sorted = (options: number[]) => JSON.stringify([...new Set(options)].sort((a, b) => a - b));

/** A port that has host groups; NotFound when absent, refused for NVMe/TCP. */
async function groupPort(tx: Db, portId: string) {
  const port = await tx
    .selectFrom("ports")
    .select(["id", "protocol", "iscsi_name"])
    .where("id", "=", portId)
    .executeTakeFirst();
  if (!port) throw new NotFound(`The port ${portId} does not exist.`);
  if (port.protocol === "NVME_TCP") {
    throw refused(
      `The port ${portId} is an NVMe/TCP port: it has no host groups.`,
      SERVER_REFUSED.portAbsent,
    );
  }
  return port;
}

/** A host group and its port; NotFound when either is absent. */
async function groupAndPort(tx: Db, portId: string, n: number) {
  const port = await groupPort(tx, portId);
  const group: GroupRow | undefined = await tx
    .selectFrom("host_groups")
    .selectAll()
    .where("port_id", "=", portId)
    .where("host_group_number", "=", n)
    .executeTakeFirst();
  if (!group) throw new NotFound(`The host group ${portId},${n} does not exist.`);
  return { group, port };
}

async function groupRow(tx: Db, portId: string, n: number): Promise<GroupRow> {
  return (await groupAndPort(tx, portId, n)).group;
}

async function checkNameFree(tx: Db, portId: string, name: string, except?: number): Promise<void> {
  let q = tx
    .selectFrom("host_groups")
    .select("host_group_number")
    .where("port_id", "=", portId)
    .where("host_group_name", "=", name);
  if (except !== undefined) q = q.where("host_group_number", "<>", except);
  const taken = await q.executeTakeFirst();
  if (taken) {
    throw refused(
      `The host group name "${name}" is already used by host group ${taken.host_group_number} of port ${portId}.`,
      SERVER_REFUSED.hostGroupConflict,
    );
  }
}

async function checkTargetNameFree(tx: Db, name: string): Promise<void> {
  const group = await tx
    .selectFrom("host_groups")
    .select("port_id")
    .where("target_iscsi_name", "=", name)
    .executeTakeFirst();
  const port = await tx.selectFrom("ports").select("id").where("iscsi_name", "=", name).executeTakeFirst();
  if (group || port) {
    throw refused(`The iSCSI name ${name} is already used in the array.`, SERVER_REFUSED.targetNameInUse);
  }
}

export function hostGroupsOps(ctx: SimContext): HostGroupsPort {
  const db = ctx.store.db;

  /** Initiators, and LUN paths, with the name of their group. */
  const initiatorsInGroups = () =>
    db
      .selectFrom("host_group_initiators as x")
      .innerJoin("host_groups as g", (j) =>
        j.onRef("g.port_id", "=", "x.port_id").onRef("g.host_group_number", "=", "x.host_group_number"),
      );
  const lunPathsInGroups = () =>
    db
      .selectFrom("lun_paths as x")
      .innerJoin("host_groups as g", (j) =>
        j.onRef("g.port_id", "=", "x.port_id").onRef("g.host_group_number", "=", "x.host_group_number"),
      );

  return {
    async listHostGroups(portId, opts) {
      checkDeadline(opts);
      let q = db.selectFrom("host_groups").selectAll();
      if (portId !== undefined) {
        await groupPort(db, portId);
        q = q.where("port_id", "=", portId);
      }
      const rows = await q.orderBy("port_id").orderBy("host_group_number").execute();
      return rows.map(toGroup);
    },

    async getHostGroup(portId, n, opts) {
      checkDeadline(opts);
      return toGroup(await groupRow(db, portId, n));
    },

    createHostGroup(spec: HostGroupCreate, opts: CallOptions): Promise<number> {
      return transact(ctx, opts, async (tx) => {
        const port = await groupPort(tx, spec.portId);
        await checkNameFree(tx, spec.portId, spec.hostGroupName);
        let n = spec.hostGroupNumber;
        if (n !== undefined) {
          const taken = await tx
            .selectFrom("host_groups")
            .select("host_group_name")
            .where("port_id", "=", spec.portId)
            .where("host_group_number", "=", n)
            .executeTakeFirst();
          if (taken) {
            throw refused(
              `The host group ${spec.portId},${n} already exists ("${taken.host_group_name}").`,
              SERVER_REFUSED.hostGroupConflict,
            );
          }
        } else {
          n = await freeHostGroupNumber(tx, spec.portId);
          if (n === undefined) {
            throw refused(
              `The port ${spec.portId} holds ${MAX_HOST_GROUP_NUMBER + 1} host groups, its maximum: no host group can be added.`,
              SERVER_REFUSED.hostGroupLimit,
            );
          }
        }
        let target: string | null = null;
        if (port.protocol === "iSCSI") {
          target = spec.iscsiName ?? defaultTargetName(port.iscsi_name ?? "", n);
          await checkTargetNameFree(tx, target);
        } else if (spec.iscsiName !== undefined) {
          throw refused(
            `The port ${spec.portId} is an FC port: its host groups have no iSCSI name.`,
            SERVER_REFUSED.protocolMismatch,
          );
        }
        await insertGroup(tx, {
          portId: spec.portId,
          number: n,
          name: spec.hostGroupName,
          targetIscsiName: target,
          hostMode: spec.hostMode ?? DEFAULT_HOST_MODE,
          hostModeOptions: spec.hostModeOptions ?? [],
          serverId: null,
        });
        return n;
      });
    },

    async updateHostGroup(portId, n, change: HostGroupChange, opts) {
      await transact(ctx, opts, async (tx) => {
        const { group, port } = await groupAndPort(tx, portId, n);
        if (change.hostGroupName !== undefined) await checkNameFree(tx, portId, change.hostGroupName, n);
        if (change.iscsiName !== undefined && change.iscsiName !== group.target_iscsi_name) {
          if (port.protocol !== "iSCSI") {
            throw refused(
              `The port ${portId} is an FC port: its host groups have no iSCSI name.`,
              SERVER_REFUSED.protocolMismatch,
            );
          }
          await checkTargetNameFree(tx, change.iscsiName);
        }
        await tx
          .updateTable("host_groups")
          .set({
            ...(change.hostGroupName !== undefined ? { host_group_name: change.hostGroupName } : {}),
            ...(change.hostMode !== undefined ? { host_mode: change.hostMode } : {}),
            ...(change.hostModeOptions !== undefined
              ? { host_mode_options: sorted(change.hostModeOptions) }
              : {}),
            ...(change.iscsiName !== undefined ? { target_iscsi_name: change.iscsiName } : {}),
          })
          .where("port_id", "=", portId)
          .where("host_group_number", "=", n)
          .execute();
      });
    },

    async deleteHostGroup(portId, n, opts) {
      await transact(ctx, opts, async (tx) => {
        const { group, port } = await groupAndPort(tx, portId, n);
        // A server's group goes (its connections stay: its other groups still present them), as
        // does any other but a port's default group 0, which is reset, never removed.
        await dropGroup(tx, portId, n);
        if (group.server_id !== null || n !== 0) return;
        await insertGroup(tx, {
          portId,
          number: 0,
          name: defaultGroupName(portId),
          targetIscsiName: port.protocol === "iSCSI" ? port.iscsi_name : null,
          hostMode: DEFAULT_HOST_MODE,
          hostModeOptions: [],
          serverId: null,
        });
      });
    },

    async listInitiators(key: HostGroupKey, kind, opts): Promise<HostGroupInitiator[]> {
      checkDeadline(opts);
      await groupPort(db, key.portId);
      let q = initiatorsInGroups()
        .select(["x.port_id", "x.host_group_number", "g.host_group_name", "x.name", "x.kind"])
        .where("x.port_id", "=", key.portId)
        .where("x.kind", "=", kind);
      if (key.hostGroupNumber !== undefined) q = q.where("x.host_group_number", "=", key.hostGroupNumber);
      if (key.hostGroupName !== undefined) q = q.where("g.host_group_name", "=", key.hostGroupName);
      const rows = await q.orderBy("x.host_group_number").orderBy("x.name").execute();
      return rows.map((r) => ({
        portId: r.port_id,
        hostGroupNumber: Number(r.host_group_number),
        hostGroupName: r.host_group_name,
        kind: r.kind,
        name: r.name,
      }));
    },

    async addInitiator(portId, n, kind, name, opts) {
      await transact(ctx, opts, async (tx) => {
        const { group, port } = await groupAndPort(tx, portId, n);
        const fits = kind === "wwn" ? port.protocol === "FC" : port.protocol === "iSCSI";
        if (!fits) {
          throw refused(
            `The ${kind === "wwn" ? "WWN" : "iSCSI name"} ${name} cannot be registered on the ${port.protocol} port ${portId}.`,
            SERVER_REFUSED.protocolMismatch,
          );
        }
        const there = await tx
          .selectFrom("host_group_initiators")
          .select("host_group_number")
          .where("port_id", "=", portId)
          .where("name", "=", name)
          .executeTakeFirst();
        if (there) {
          throw refused(
            `The initiator ${name} is already registered in host group ${portId},${there.host_group_number}.`,
            SERVER_REFUSED.hbaInUse,
          );
        }
        if (group.server_id !== null) {
          // Registered in a server's group, it is the server's HBA (a path through this port).
          const serverId = Number(group.server_id);
          const owner = await tx
            .selectFrom("hbas")
            .select("server_id")
            .where("name", "=", name)
            .executeTakeFirst();
          if (owner && Number(owner.server_id) !== serverId) {
            throw refused(
              `The HBA ${name} is already registered to server ${owner.server_id}.`,
              SERVER_REFUSED.hbaInUse,
            );
          }
          if (!owner) await tx.insertInto("hbas").values({ name, server_id: serverId, kind }).execute();
        }
        await tx
          .insertInto("host_group_initiators")
          .values({ port_id: portId, host_group_number: n, name, kind })
          .execute();
      });
    },

    async removeInitiator(portId, n, name, opts) {
      await transact(ctx, opts, async (tx) => {
        await groupRow(tx, portId, n);
        const removed = await tx
          .deleteFrom("host_group_initiators")
          .where("port_id", "=", portId)
          .where("host_group_number", "=", n)
          .where("name", "=", name)
          .executeTakeFirst();
        if (Number(removed.numDeletedRows) === 0) {
          throw new NotFound(`The initiator ${name} is not registered in host group ${portId},${n}.`);
        }
      });
    },

    async listLunPaths(filter: LunPathFilter, opts): Promise<LunPath[]> {
      checkDeadline(opts);
      if (filter.portId !== undefined) await groupPort(db, filter.portId);
      let q = lunPathsInGroups().select([
        "x.port_id",
        "x.host_group_number",
        "g.host_group_name",
        "x.lun",
        "x.volume_id",
      ]);
      if (filter.portId !== undefined) q = q.where("x.port_id", "=", filter.portId);
      if (filter.hostGroupNumber !== undefined)
        q = q.where("x.host_group_number", "=", filter.hostGroupNumber);
      if (filter.volumeId !== undefined) q = q.where("x.volume_id", "=", filter.volumeId);
      if (filter.volumeIds !== undefined)
        q = q
          .where("x.volume_id", ">=", filter.volumeIds.min)
          .where("x.volume_id", "<=", filter.volumeIds.max);
      const rows = await q.orderBy("x.port_id").orderBy("x.host_group_number").orderBy("x.lun").execute();
      return rows.map(toLunPath);
    },

    async getLunPath(portId, n, lun, opts) {
      checkDeadline(opts);
      await groupRow(db, portId, n);
      const row = await lunPathsInGroups()
        .select(["x.port_id", "x.host_group_number", "g.host_group_name", "x.lun", "x.volume_id"])
        .where("x.port_id", "=", portId)
        .where("x.host_group_number", "=", n)
        .where("x.lun", "=", lun)
        .executeTakeFirst();
      if (!row) throw new NotFound(`The LUN path ${portId},${n},${lun} does not exist.`);
      const path = toLunPath(row);
      return path;
    },

    createLunPath(portId, n, volumeId, lun, opts): Promise<number> {
      return transact(ctx, opts, async (tx) => {
        const group = await groupRow(tx, portId, n);
        const volume = await tx
          .selectFrom("volumes")
          .select("id")
          .where("id", "=", volumeId)
          .executeTakeFirst();
        if (!volume) throw new NotFound(`The volume ${volumeId} does not exist.`);
        const paths = await tx
          .selectFrom("lun_paths")
          .select(["lun", "volume_id"])
          .where("port_id", "=", portId)
          .where("host_group_number", "=", n)
          .orderBy("lun")
          .execute();
        const mine = paths.find((p) => Number(p.volume_id) === volumeId);
        if (mine) {
          throw refused(
            `The volume ${volumeId} already has LUN ${mine.lun} in host group ${portId},${n}.`,
            LUN_PATH_REFUSALS.pathDefined,
          );
        }
        if (lun !== undefined && paths.some((p) => Number(p.lun) === lun)) {
          throw refused(
            `LUN ${lun} of host group ${portId},${n} is another volume's.`,
            LUN_PATH_REFUSALS.lunTaken,
          );
        }
        if (group.server_id !== null) {
          // Through a server's group: a connection of the server, presented in all its groups.
          const serverId = Number(group.server_id);
          const taken = await tx
            .selectFrom("connections")
            .select("volume_id")
            .where("server_id", "=", serverId)
            .where("lun", "=", lun ?? -1)
            .executeTakeFirst();
          if (taken) {
            throw refused(
              `LUN ${lun} of server ${serverId} is another volume's.`,
              LUN_PATH_REFUSALS.lunTaken,
            );
          }
          return (await connectVolume(ctx, tx, volumeId, serverId, lun)).lun;
        }
        const chosen =
          lun ??
          lowestFree(
            paths.map((p) => Number(p.lun)),
            ctx.firstLun ?? 0,
            MAX_LUN,
          );
        if (chosen === undefined) {
          throw refused(
            `The host group ${portId},${n} has no free LUN: all ${MAX_LUN + 1} are in use.`,
            LUN_PATH_REFUSALS.lunTaken,
          );
        }
        await tx
          .insertInto("lun_paths")
          .values({ port_id: portId, host_group_number: n, lun: chosen, volume_id: volumeId })
          .execute();
        return chosen;
      });
    },

    async deleteLunPath(portId, n, lun, opts) {
      await transact(ctx, opts, async (tx) => {
        const group = await groupRow(tx, portId, n);
        const path = await tx
          .selectFrom("lun_paths")
          .select("volume_id")
          .where("port_id", "=", portId)
          .where("host_group_number", "=", n)
          .where("lun", "=", lun)
          .executeTakeFirst();
        if (!path) throw new NotFound(`The LUN path ${portId},${n},${lun} does not exist.`);
        if (group.server_id !== null) {
          await disconnectVolume(tx, Number(path.volume_id), Number(group.server_id));
          return;
        }
        await tx
          .deleteFrom("lun_paths")
          .where("port_id", "=", portId)
          .where("host_group_number", "=", n)
          .where("lun", "=", lun)
          .execute();
      });
    },
  };
}
