/**
 * Ports: the array's front-end FC and iSCSI ports, read and changed in place (see device/port.ts).
 * Port IDs have the form "CL<cluster>-<letter>", e.g. "CL1-A".
 */
import type { CallOptions } from "../port.ts";

/** The form of a port ID; a well-formed ID the array does not have is NotFound. */
export const PORT_ID = /^CL[1-9]-[A-Z]$/;

export type PortProtocol = "FC" | "iSCSI" | "NVME_TCP";

/** Port speeds the API names; NUMBER_0 is auto-negotiation. */
export const PORT_SPEEDS = [
  "NUMBER_0",
  "NUMBER_1",
  "NUMBER_2",
  "NUMBER_4",
  "NUMBER_8",
  "NUMBER_10",
  "NUMBER_16",
  "NUMBER_32",
] as const;
export type PortSpeed = (typeof PORT_SPEEDS)[number];

/** Speeds an FC port can be set to: 1 and 10 Gbps are Ethernet speeds. */
export const FC_PORT_SPEEDS: readonly PortSpeed[] = [
  "NUMBER_0",
  "NUMBER_2",
  "NUMBER_4",
  "NUMBER_8",
  "NUMBER_16",
  "NUMBER_32",
];

/** The only speed of an iSCSI (optical) port: other values given for it are ignored. */
export const ISCSI_PORT_SPEED: PortSpeed = "NUMBER_10";

export const FC_CONNECTION_TYPES = ["FC_AL", "Point_To_Point"] as const;
export const WINDOW_SIZES = [
  "NUMBER_64K",
  "NUMBER_128K",
  "NUMBER_256K",
  "NUMBER_512K",
  "NUMBER_1024K",
] as const;
export const MTU_SIZES = ["NUMBER_1500", "NUMBER_4500", "NUMBER_9000"] as const;
export const IP_MODES = ["ipv4", "ipv4v6"] as const;
export const ADDRESSING = ["Auto", "Manual"] as const;

export interface FcInformation {
  /** Arbitrated-loop physical address, two uppercase hex digits 01–EF. */
  alPa: string;
  fabricSwitchSetting: boolean;
  connectionType: (typeof FC_CONNECTION_TYPES)[number];
  sfpDataTransferRate: string;
  portMode: string;
}

export interface Ipv4Information {
  address: string;
  subnetMask: string;
  defaultGateway: string;
}

export interface Ipv6Information {
  linklocal: string;
  linklocalAddress: string;
  linklocalAddressStatus: string;
  global: string;
  globalAddress: string;
  globalAddressStatus: string;
  defaultGateway: string;
}

export interface IscsiInformation {
  vlanUse: boolean;
  /** The first VLAN ID set on the port; absent while none is set. */
  vlanId?: number;
  /** Every VLAN ID set on the port, ascending. */
  vlanIds: number[];
  ipMode: string;
  ipv4Information: Ipv4Information;
  ipv6Information: Ipv6Information;
  isIpv6Updating: boolean;
  tcpPort: number;
  selectiveAck: boolean;
  delayedAck: boolean;
  windowSize: string;
  mtuSize: string;
  linkMtuSize: string;
  keepAliveTimer: number;
  isnsServerMode: boolean;
  isnsServerIpAddress: string;
  isnsServerPort: number;
  virtualPortEnabled: boolean;
}

/** An NVMe/TCP port's settings (VSP One): the IP settings of an iSCSI port, and its discovery port. */
export interface NvmeTcpInformation {
  vlanUse: boolean;
  vlanId?: number;
  vlanIds: number[];
  ipMode: string;
  ipv4Information: Ipv4Information;
  ipv6Information: Ipv6Information;
  isIpv6Updating: boolean;
  tcpPort: number;
  discoveryTcpPort: number;
  selectiveAck: boolean;
  delayedAck: boolean;
  windowSize: string;
  mtuSize: string;
  linkMtuSize: string;
  virtualPortEnabled: boolean;
}

export interface PortInfo {
  id: string;
  protocol: PortProtocol;
  /** FC: 16 lowercase hex characters. */
  portWwn?: string;
  /** iSCSI: the port's iSCSI name. */
  portIscsiName?: string;
  portSpeed: string;
  portSecurity: boolean;
  fcInformation?: FcInformation;
  iscsiInformation?: IscsiInformation;
  nvmeTcpInformation?: NvmeTcpInformation;
}

export interface FcInformationChange {
  alPa?: string;
  fabricSwitchSetting?: boolean;
  connectionType?: FcInformation["connectionType"];
}

export interface IscsiInformationChange {
  vlanUse?: boolean;
  addVlanId?: number;
  deleteVlanId?: number;
  ipMode?: (typeof IP_MODES)[number];
  ipv4Information?: Partial<Ipv4Information>;
  ipv6Information?: {
    linklocal?: (typeof ADDRESSING)[number];
    linklocalAddress?: string;
    global?: (typeof ADDRESSING)[number];
    globalAddress?: string;
    defaultGateway?: string;
  };
  tcpPort?: number;
  selectiveAck?: boolean;
  delayedAck?: boolean;
  windowSize?: (typeof WINDOW_SIZES)[number];
  mtuSize?: (typeof MTU_SIZES)[number];
  keepAliveTimer?: number;
  isnsServerMode?: boolean;
  isnsServerIpAddress?: string;
  isnsServerPort?: number;
}

/** Only the given settings change. */
export interface PortChange {
  portSpeed?: PortSpeed;
  portSecurity?: boolean;
  fcInformation?: FcInformationChange;
  iscsiInformation?: IscsiInformationChange;
}

export interface PortFilter {
  protocol?: PortProtocol;
}

export interface PortsPort {
  listPorts(filter: PortFilter, opts: CallOptions): Promise<PortInfo[]>;
  /** NotFound when the array has no such port. */
  getPort(id: string, opts: CallOptions): Promise<PortInfo>;
  /**
   * Changes the given settings at once. InvalidRequest when the change does not fit the port's
   * protocol (FC settings on an iSCSI port and the reverse); DeviceRefused for VLAN rules.
   */
  updatePort(id: string, change: PortChange, opts: CallOptions): Promise<PortInfo>;
}
