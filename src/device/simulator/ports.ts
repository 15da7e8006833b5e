/**
 * The simulated array's front-end ports: the seeded FC and iSCSI ports and their settings, kept as
 * JSON in the ports table (fcInformation for FC, iscsiInformation for iSCSI).
 */
import { InvalidRequest, NotFound } from "../../domain/errors.ts";
import { forUpdate, type PortsTable } from "../../store/db.ts";
import {
  FC_LINK_RATES,
  type FcInformation,
  type FcInformationChange,
  type Ipv6Information,
  type Ipv6InformationChange,
  ISCSI_PORT_SPEED,
  type IscsiInformation,
  type IscsiInformationChange,
  type NvmeTcpInformation,
  type PortChange,
  type PortFilter,
  type PortInfo,
  type PortSpeed,
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

/** The speeds an FC port takes: auto-negotiation, its SFP's rate and the two rates below it. */
function fcSpeeds(sfpRate: string): PortSpeed[] {
  const top = FC_LINK_RATES.indexOf(sfpRate as PortSpeed);
  return ["NUMBER_0", ...(top < 0 ? [] : FC_LINK_RATES.slice(Math.max(0, top - 2), top + 1))];
}

const gbps = (speed: string) => speed.replace("NUMBER_", "");

/**
 * The speed a port is set to by a change: an FC port takes only what its SFP runs at; an iSCSI
 * (10 Gbps optical) or NVMe/TCP port keeps its fixed speed whatever is given, as the API documents.
 */
function changedSpeed(row: PortsTable, requested: PortSpeed): string {
  if (row.protocol === "FC") {
    const sfp = (JSON.parse(row.settings) as FcInformation).sfpDataTransferRate;
    const allowed = fcSpeeds(sfp);
    if (!allowed.includes(requested)) {
      throw new InvalidRequest(
        `The port speed ${requested} is not available on port ${row.id}, an FC port with a ${gbps(sfp)} Gbps SFP: ` +
          `give one of ${allowed.join(", ")} (NUMBER_0 is auto-negotiation).`,
      );
    }
    return requested;
  }
  // NVMe/TCP ports, like iSCSI ones, run at the fixed speed of their optics.
  return row.protocol === "NVME_TCP" ? row.port_speed : ISCSI_PORT_SPEED;
}

/** The speed the link runs at: an auto-negotiating FC link comes up at its SFP's rate. */
function actualSpeed(row: PortsTable, settings: { sfpDataTransferRate?: string }): string {
  if (row.protocol === "FC" && row.port_speed === "NUMBER_0")
    return settings.sfpDataTransferRate ?? row.port_speed;
  return row.port_speed;
}

function toPort(row: PortsTable): PortInfo {
  const settings = JSON.parse(row.settings);
  const common = {
    portSpeed: row.port_speed,
    actualPortSpeed: actualSpeed(row, settings),
    portSecurity: row.port_security === 1,
  };
  if (row.protocol === "FC") {
    return {
      id: row.id,
      protocol: "FC",
      portWwn: row.wwn ?? "",
      ...common,
      fcInformation: settings as FcInformation,
    };
  }
  if (row.protocol === "NVME_TCP") return toNvmeTcpPort(row, common);
  const { vlanId, ...rest } = settings as StoredIscsi;
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
function toNvmeTcpPort(
  row: PortsTable,
  common: { portSpeed: string; actualPortSpeed: string; portSecurity: boolean },
): PortInfo {
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

/** The settings actually given: an empty string stands for one left as it is. */
function given<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== "")) as Partial<T>;
}

/**
 * How one IPv6 address of a port changes: "Manual" or an address sets it by hand; "Auto" leaves
 * it to the array, so an address given with "Auto" must be the one the port has.
 */
function addressing(
  portId: string,
  at: string,
  field: string,
  mode: string | undefined,
  address: string | undefined,
  current: string,
): { mode?: "Auto" | "Manual"; address?: string } {
  if (mode === "Auto") {
    if (address !== undefined && address !== current) {
      throw new InvalidRequest(
        `The field "${at}.${field}" cannot be set while the address is assigned ` +
          `automatically: give "Manual" with it, or leave it out (port ${portId} has "${current}").`,
      );
    }
    return { mode: "Auto" };
  }
  if (mode !== undefined && mode !== "Manual") return { mode: "Manual", address: mode };
  if (mode === "Manual" || address !== undefined) return { mode: "Manual", ...(address ? { address } : {}) };
  return {};
}

/**
 * Applies IPv6 settings; a manual address is VALID ("::" is no global address, INVALID). The
 * statuses are the array's: they may be sent back as reported (before or after the change),
 * never set.
 */
function changeIpv6(
  portId: string,
  current: Ipv6Information,
  change: Ipv6InformationChange,
  at = "iscsiInformation.ipv6Information",
): Ipv6Information {
  const c = given(change);
  const next = { ...current };
  const ll = addressing(
    portId,
    at,
    "linklocalAddress",
    c.linklocal,
    c.linklocalAddress,
    current.linklocalAddress,
  );
  if (ll.mode) next.linklocal = ll.mode;
  if (ll.address !== undefined) {
    next.linklocalAddress = ll.address;
    next.linklocalAddressStatus = "VALID";
  }
  const gl = addressing(portId, at, "globalAddress", c.global, c.globalAddress, current.globalAddress);
  if (gl.mode) next.global = gl.mode;
  if (gl.address !== undefined) {
    next.globalAddress = gl.address;
    next.globalAddressStatus = gl.address === "::" ? "INVALID" : "VALID";
  }
  if (c.defaultGateway !== undefined) next.defaultGateway = c.defaultGateway;
  // A status sent back may be the one reported or the one this change brings about.
  for (const key of ["linklocalAddressStatus", "globalAddressStatus"] as const) {
    const sent = c[key];
    if (sent !== undefined && sent !== current[key] && sent !== next[key]) {
      throw new InvalidRequest(
        `The field "${at}.${key}" is reported by the array and cannot be set: ` +
          `port ${portId} reports "${current[key]}", not "${sent}".`,
      );
    }
  }
  return next;
}

function changeIscsi(portId: string, current: StoredIscsi, change: IscsiInformationChange): StoredIscsi {
  const next: StoredIscsi = {
    ...current,
    ipv4Information: { ...current.ipv4Information, ...given(change.ipv4Information ?? {}) },
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
  if (change.ipv6Information) {
    next.ipv6Information = changeIpv6(portId, next.ipv6Information, change.ipv6Information);
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
    "isnsServerPort",
    "virtualPortEnabled",
  ] as const;
  for (const key of scalar) {
    if (change[key] !== undefined) (next as Record<string, unknown>)[key] = change[key];
  }
  if (change.isnsServerIpAddress) next.isnsServerIpAddress = change.isnsServerIpAddress;
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
        const portSpeed =
          change.portSpeed === undefined ? row.port_speed : changedSpeed(row, change.portSpeed);
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
