/**
 * Ports: the array's front-end FC and iSCSI ports, read and changed in place (see device/port.ts).
 * Port IDs have the form "CL<cluster>-<letter>", e.g. "CL1-A".
 */
import type { CallOptions } from "../port.ts";

/** The form of a port ID; a well-formed ID the array does not have is NotFound. */
export const PORT_ID = /^CL[1-9]-[A-Z]$/;

/** The protocols of the array's front-end ports, in the order a full list reads them. */
export const PORT_PROTOCOLS = ["FC", "iSCSI", "NVME_TCP"] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];

/**
 * Every port speed the API names, in Gbps; NUMBER_0 is auto-negotiation. Which of them a port
 * takes depends on its hardware (see the simulator's speed rules).
 */
export const PORT_SPEEDS = [
  "NUMBER_0",
  "NUMBER_1",
  "NUMBER_2",
  "NUMBER_4",
  "NUMBER_8",
  "NUMBER_10",
  "NUMBER_16",
  "NUMBER_25",
  "NUMBER_32",
  "NUMBER_64",
  "NUMBER_100",
] as const;
export type PortSpeed = (typeof PORT_SPEEDS)[number];

/** FC link rates, ascending: an FC SFP runs at its own rate and the two below it. */
export const FC_LINK_RATES: readonly PortSpeed[] = [
  "NUMBER_4",
  "NUMBER_8",
  "NUMBER_16",
  "NUMBER_32",
  "NUMBER_64",
];

/** The only speed of an iSCSI (10 Gbps optical) port: other values given for it are ignored. */
export const ISCSI_PORT_SPEED: PortSpeed = "NUMBER_10";

export const FC_CONNECTION_TYPES = ["FC_AL", "Point_To_Point"] as const;
/** TCP window sizes of an iSCSI port. */
export const ISCSI_WINDOW_SIZES = [
  "NUMBER_16K",
  "NUMBER_32K",
  "NUMBER_64K",
  "NUMBER_128K",
  "NUMBER_256K",
  "NUMBER_512K",
  "NUMBER_1024K",
] as const;
export const MTU_SIZES = ["NUMBER_1500", "NUMBER_4500", "NUMBER_9000"] as const;
export const IP_MODES = ["ipv4", "ipv4v6"] as const;
/**
 * How an IPv6 address of a port is set, as reported. A change may also give the address itself
 * in place of "Manual".
 */
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
  /** The configured speed (NUMBER_0: auto-negotiation). */
  portSpeed: string;
  /** The speed the link runs at. */
  actualPortSpeed: string;
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

/**
 * IPv6 settings to change. The empty string stands for a setting not given; the statuses are
 * the array's to report, accepted only when they repeat what it reports.
 */
export interface Ipv6InformationChange {
  /** "Auto", "Manual" (keeping or taking linklocalAddress) or a link-local address. */
  linklocal?: string;
  linklocalAddress?: string;
  linklocalAddressStatus?: string;
  /** "Auto", "Manual" (keeping or taking globalAddress) or a global address. */
  global?: string;
  globalAddress?: string;
  globalAddressStatus?: string;
  defaultGateway?: string;
}

/** IPv4 settings to change; the empty string stands for a setting not given. */
export type Ipv4InformationChange = Partial<Ipv4Information>;

export interface IscsiInformationChange {
  vlanUse?: boolean;
  addVlanId?: number;
  deleteVlanId?: number;
  ipMode?: (typeof IP_MODES)[number];
  ipv4Information?: Ipv4InformationChange;
  ipv6Information?: Ipv6InformationChange;
  tcpPort?: number;
  selectiveAck?: boolean;
  delayedAck?: boolean;
  windowSize?: (typeof ISCSI_WINDOW_SIZES)[number];
  mtuSize?: (typeof MTU_SIZES)[number];
  keepAliveTimer?: number;
  isnsServerMode?: boolean;
  isnsServerIpAddress?: string;
  isnsServerPort?: number;
  virtualPortEnabled?: boolean;
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
   * protocol (FC settings on an iSCSI port and the reverse), a speed its hardware cannot run at
   * or a changed status; DeviceRefused for VLAN rules. A refused change changes nothing.
   */
  updatePort(id: string, change: PortChange, opts: CallOptions): Promise<PortInfo>;
}
