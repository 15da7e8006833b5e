/**
 * The simulated array's front-end ports: the seeded FC and iSCSI ports and their settings, kept as
 * JSON in the ports table (fcInformation for FC, iscsiInformation for iSCSI).
 */
import { InvalidRequest, NotFound } from "../../domain/errors.ts";
import { forUpdate, type PortsTable } from "../../store/db.ts";
import {
  FC_PORT_SPEEDS,
  type FcInformation,
  type FcInformationChange,
  ISCSI_PORT_SPEED,
  type IscsiInformation,
  type IscsiInformationChange,
  type NvmeTcpInformation,
  type PortChange,
  type PortFilter,
  type PortInfo,
  type PortsPort,
} from "../port/ports.ts";
import type { CallOptions } from "../port.ts";
import { checkDeadline, refused, type SimContext, transact } from "./context.ts";

/** VLAN IDs a port can carry at once (one virtual port each). */
const MAX_VLAN_IDS = 16;

const REFUSED = {
  vlanLimit: { SSB1: "2e11", SSB2: "b301" },
  vlanAbsent: { SSB1: "2e11", SSB2: "b302" },
} as const;

/** iSCSI settings as stored: the seed's shape, with every VLAN ID in `vlanId`. */
type StoredIscsi = Omit<IscsiInformation, "vlanId" | "vlanIds"> & { vlanId: number[] };

function toPort(row: PortsTable): PortInfo {
  const common = { portSpeed: row.port_speed, portSecurity: row.port_security === 1 };
  if (row.protocol === "FC") {
    return {
      id: row.id,
      protocol: "FC",
      portWwn: row.wwn ?? "",
      ...common,
      fcInformation: JSON.parse(row.settings) as FcInformation,
    };
  }
  if (row.protocol === "NVME_TCP") return toNvmeTcpPort(row, common);
  const { vlanId, ...rest } = JSON.parse(row.settings) as StoredIscsi;
  const vlanIds = [...vlanId].sort((a, b) => a - b);
  return {
    id: row.id,
    protocol: "iSCSI",
    portIscsiName: row.iscsi_name ?? "",
    ...common,
    // One VLAN ID as an integer, as clients read it; all of them in vlanIds.
    iscsiInformation: {
      vlanUse: rest.vlanUse,
      ...(vlanIds.length > 0 ? { vlanId: vlanIds[0] } : {}),
      vlanIds,
      ...withoutVlan(rest),
    },
  };
}

/** An NVMe/TCP port: no WWN, no iSCSI name; its settings in nvmeTcpInformation. */
function toNvmeTcpPort(row: PortsTable, common: { portSpeed: string; portSecurity: boolean }): PortInfo {
  const { vlanId, vlanUse, ...rest } = JSON.parse(row.settings) as Omit<
    NvmeTcpInformation,
    "vlanId" | "vlanIds"
  > & { vlanId: number[] };
  const vlanIds = [...vlanId].sort((a, b) => a - b);
  return {
    id: row.id,
    protocol: "NVME_TCP",
    ...common,
    nvmeTcpInformation: { vlanUse, ...(vlanIds.length > 0 ? { vlanId: vlanIds[0] } : {}), vlanIds, ...rest },
  };
}

function withoutVlan(
  s: Omit<StoredIscsi, "vlanId">,
): Omit<IscsiInformation, "vlanUse" | "vlanId" | "vlanIds"> {
  const { vlanUse: _, ...rest } = s;
  return rest;
}

function changeFc(current: FcInformation, change: FcInformationChange): FcInformation {
  return {
    ...current,
    ...(change.alPa !== undefined ? { alPa: change.alPa.toUpperCase() } : {}),
    ...(change.fabricSwitchSetting !== undefined ? { fabricSwitchSetting: change.fabricSwitchSetting } : {}),
    ...(change.connectionType !== undefined ? { connectionType: change.connectionType } : {}),
  };
}

function changeIscsi(portId: string, current: StoredIscsi, change: IscsiInformationChange): StoredIscsi {
  const next: StoredIscsi = {
    ...current,
    ipv4Information: { ...current.ipv4Information, ...change.ipv4Information },
    vlanId: [...current.vlanId],
  };
  if (change.deleteVlanId !== undefined) {
    if (!next.vlanId.includes(change.deleteVlanId)) {
      throw refused(`The VLAN ID ${change.deleteVlanId} is not set on port ${portId}.`, REFUSED.vlanAbsent);
    }
    next.vlanId = next.vlanId.filter((v) => v !== change.deleteVlanId);
  }
  if (change.addVlanId !== undefined && !next.vlanId.includes(change.addVlanId)) {
    if (next.vlanId.length >= MAX_VLAN_IDS) {
      throw refused(
        `Port ${portId} already carries ${MAX_VLAN_IDS} VLAN IDs, the most it can.`,
        REFUSED.vlanLimit,
      );
    }
    next.vlanId.push(change.addVlanId);
  }
  const v6 = change.ipv6Information;
  if (v6) {
    const cur = next.ipv6Information;
    next.ipv6Information = {
      ...cur,
      ...(v6.linklocal !== undefined ? { linklocal: v6.linklocal } : {}),
      ...(v6.linklocalAddress !== undefined
        ? { linklocalAddress: v6.linklocalAddress, linklocalAddressStatus: "VALID" }
        : {}),
      ...(v6.global !== undefined ? { global: v6.global } : {}),
      ...(v6.globalAddress !== undefined
        ? {
            globalAddress: v6.globalAddress,
            globalAddressStatus: v6.globalAddress === "::" ? "INVALID" : "VALID",
          }
        : {}),
      ...(v6.defaultGateway !== undefined ? { defaultGateway: v6.defaultGateway } : {}),
    };
  }
  const scalar = [
    "vlanUse",
    "ipMode",
    "tcpPort",
    "selectiveAck",
    "delayedAck",
    "windowSize",
    "keepAliveTimer",
    "isnsServerMode",
    "isnsServerIpAddress",
    "isnsServerPort",
  ] as const;
  for (const key of scalar) {
    if (change[key] !== undefined) (next as Record<string, unknown>)[key] = change[key];
  }
  if (change.mtuSize !== undefined) {
    // The link MTU follows the configured one: the simulated network takes any frame size.
    next.mtuSize = change.mtuSize;
    next.linkMtuSize = change.mtuSize;
  }
  return next;
}

export function portsOps(ctx: SimContext): PortsPort {
  const db = ctx.store.db;
  return {
    async listPorts(filter: PortFilter, opts: CallOptions): Promise<PortInfo[]> {
      checkDeadline(opts);
      let q = db.selectFrom("ports").selectAll();
      if (filter.protocol) q = q.where("protocol", "=", filter.protocol);
      const rows = await q.orderBy("id").execute();
      return rows.map(toPort);
    },

    async getPort(id: string, opts: CallOptions): Promise<PortInfo> {
      checkDeadline(opts);
      const row = await db.selectFrom("ports").selectAll().where("id", "=", id).executeTakeFirst();
      if (!row) throw new NotFound(`The port ${id} does not exist.`);
      return toPort(row);
    },

    async updatePort(id: string, change: PortChange, opts: CallOptions): Promise<PortInfo> {
      return transact(ctx, opts, async (tx) => {
        const row = await forUpdate(
          ctx.store,
          tx.selectFrom("ports").selectAll().where("id", "=", id),
        ).executeTakeFirst();
        if (!row) throw new NotFound(`The port ${id} does not exist.`);
        if (row.protocol === "NVME_TCP" && (change.fcInformation || change.iscsiInformation)) {
          throw new InvalidRequest(
            `Port ${id} is an NVMe/TCP port: fcInformation and iscsiInformation cannot be set on it.`,
          );
        }
        const isFc = row.protocol === "FC";
        if (isFc && change.iscsiInformation) {
          throw new InvalidRequest(`Port ${id} is an FC port: iscsiInformation cannot be set on it.`);
        }
        if (!isFc && change.fcInformation) {
          throw new InvalidRequest(`Port ${id} is an iSCSI port: fcInformation cannot be set on it.`);
        }
        let portSpeed = row.port_speed;
        if (change.portSpeed !== undefined) {
          if (isFc && !FC_PORT_SPEEDS.includes(change.portSpeed)) {
            throw new InvalidRequest(`The port speed ${change.portSpeed} is not available on FC port ${id}.`);
          }
          // An iSCSI (optical) port runs at its fixed speed; another value is ignored, as documented.
          portSpeed = isFc
            ? change.portSpeed
            : row.protocol === "NVME_TCP"
              ? row.port_speed
              : ISCSI_PORT_SPEED;
        }
        const settings = isFc
          ? changeFc(JSON.parse(row.settings) as FcInformation, change.fcInformation ?? {})
          : changeIscsi(id, JSON.parse(row.settings) as StoredIscsi, change.iscsiInformation ?? {});
        const updated: PortsTable = {
          ...row,
          port_speed: portSpeed,
          port_security: change.portSecurity === undefined ? row.port_security : change.portSecurity ? 1 : 0,
          settings: JSON.stringify(settings),
        };
        await tx
          .updateTable("ports")
          .set({
            port_speed: updated.port_speed,
            port_security: updated.port_security,
            settings: updated.settings,
          })
          .where("id", "=", id)
          .execute();
        return toPort(updated);
      });
    },
  };
}
