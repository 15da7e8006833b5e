/**
 * Servers (hosts): operations of the device port (see device/port.ts).
 *
 * A server is a set of HBAs (FC WWNs or iSCSI initiator names) that see the array through host
 * groups: one host group per (server, port), created with the server's first path through that
 * port and removed with its last. A reserved server is a shell without protocol or OS type that
 * existing host groups are added to.
 */
import type { OsType } from "../../domain/os-types.ts";
import type { CallOptions } from "../port.ts";

export { OS_TYPES, type OsType } from "../../domain/os-types.ts";

/** Server IDs the array hands out: 0–4095, lowest free first. */
export const MAX_SERVER_ID = 4095;

/** Host group numbers of a port: 0 is the port's default group, servers get 1–254. */
export const MAX_HOST_GROUP_NUMBER = 254;

/** Host group names are at most 64 characters: a longer server nickname is cut to fit. */
export const HOST_GROUP_NAME_MAX = 64;

/** The protocol of a server; "Undefined" while a reserved server has no host group. */
export type ServerProtocol = "FC" | "iSCSI" | "Undefined";

/** The array's constant compatibility level of every server. */
export const SERVER_COMPATIBILITY = "DKCMAIN_8802010000";

export interface ServerSummary {
  id: number;
  nickname: string;
  protocol: ServerProtocol;
  /** An OS type, or "Undefined" for a reserved server without host groups. */
  osType: string;
  /** Provisioned capacity of the connected volumes, MiB. */
  totalCapacity: number;
  /** Used capacity of the connected volumes, MiB. */
  usedCapacity: number;
  numberOfPaths: number;
  isInconsistent: boolean;
  modificationInProgress: boolean;
  compatibility: string;
  isReserved: boolean;
  hasUnalignedOsTypes: boolean;
}

/** The paths of one HBA: the ports it reaches the array through. */
export interface ServerHbaPaths {
  hbaWwn: string | null;
  iscsiName: string | null;
  portIds: string[];
}

export interface ServerDetail extends ServerSummary {
  osTypeOptions: number[];
  numberOfVolumes: number;
  /** One entry per HBA of the server, also those without a path yet. */
  paths: ServerHbaPaths[];
  hasNonFullmeshLuPaths: boolean;
  hasUnalignedOsTypeOptions: boolean;
}

export interface Hba extends ServerHbaPaths {
  serverId: number;
}

/** A path: one HBA of a server reaching the array through one port. */
export interface ServerPath {
  /** "<hbaWwn or iscsiName>,<portId>" */
  id: string;
  serverId: number;
  hbaWwn: string | null;
  iscsiName: string | null;
  portId: string;
}

export interface TargetIscsiPort {
  portId: string;
  /** The iSCSI target name of the server's host group on the port; null for FC. */
  targetIscsiName: string | null;
}

/** Exact-match filters of the server list; all given ones must match. */
export interface ServerFilter {
  nickname?: string;
  /** 16 lowercase hex characters. */
  hbaWwn?: string;
  iscsiName?: string;
}

export interface ServerCreate {
  nickname: string;
  /** "Undefined" for a reserved server. */
  protocol: ServerProtocol;
  /** An OS type, "Undefined" for a reserved server. */
  osType: string;
  osTypeOptions: number[];
  isReserved: boolean;
}

/** Either a new nickname, or a new OS type and/or options: never both kinds at once. */
/** A change of a server: its nickname, its OS type and options, or both at once (one transaction). */
export interface ServerChange {
  nickname?: string;
  osType?: OsType;
  osTypeOptions?: number[];
}

/** An HBA by its identity: a WWN (16 lowercase hex) for FC, an initiator name for iSCSI. */
export interface HbaId {
  kind: "wwn" | "iscsi";
  name: string;
}

/** A host group on a port, by its number or its name. */
export interface HostGroupRef {
  portId: string;
  hostGroupId?: number;
  hostGroupName?: string;
}

export interface ServersPort {
  listServers(filter: ServerFilter, opts: CallOptions): Promise<ServerSummary[]>;
  /** NotFound when absent. */
  getServer(id: number, opts: CallOptions): Promise<ServerDetail>;
  /** Registers a server at the lowest free ID; refused when the nickname is taken or no ID is free. */
  createServer(spec: ServerCreate, opts: CallOptions): Promise<number>;
  updateServer(id: number, change: ServerChange, opts: CallOptions): Promise<void>;
  /**
   * Deletes the server with its HBAs, paths and volume connections, and its host groups, unless
   * `keepLunConfig`: then they stay, with their initiators and LUN paths, as groups of no server.
   */
  deleteServer(id: number, keepLunConfig: boolean, opts: CallOptions): Promise<void>;

  listHbas(serverId: number, opts: CallOptions): Promise<Hba[]>;
  /** NotFound when the server has no such HBA. */
  getHba(serverId: number, name: string, opts: CallOptions): Promise<Hba>;
  /** Refused when the name is registered anywhere in the array or does not fit the server's protocol. */
  addHba(serverId: number, hba: HbaId, opts: CallOptions): Promise<Hba>;
  /** Removes the HBA and its paths, and host groups left without a path. */
  deleteHba(serverId: number, name: string, opts: CallOptions): Promise<void>;

  /** Adds a path from the HBA through each port, creating host groups as needed; all or nothing. */
  addServerPaths(serverId: number, hba: HbaId, portIds: string[], opts: CallOptions): Promise<ServerPath[]>;
  getServerPath(serverId: number, hbaName: string, portId: string, opts: CallOptions): Promise<ServerPath>;
  /** Removes the path, and the host group when it was its last path. */
  deleteServerPath(serverId: number, hbaName: string, portId: string, opts: CallOptions): Promise<void>;

  listTargetIscsiPorts(serverId: number, opts: CallOptions): Promise<TargetIscsiPort[]>;
  /** NotFound when the server has no host group on the port. */
  getTargetIscsiPort(serverId: number, portId: string, opts: CallOptions): Promise<TargetIscsiPort>;
  setTargetIscsiName(
    serverId: number,
    portId: string,
    targetIscsiName: string,
    opts: CallOptions,
  ): Promise<void>;

  /** Moves existing host groups, with the HBAs and paths they hold, into the server; all or nothing. */
  addHostGroups(serverId: number, hostGroups: HostGroupRef[], opts: CallOptions): Promise<void>;
  /** Renames every host group of the server after the server's nickname. */
  syncHostGroupNames(serverId: number, opts: CallOptions): Promise<void>;
}
