/**
 * Host groups, their initiators and their LUN paths, as the array holds them: operations of the
 * device port (see device/port.ts), which the full API's host-groups, host-wwns, host-iscsis and
 * luns resources are views of.
 *
 * A host group is (port, number): number 0 is the port's default group; a group may belong to a
 * server (the simple API's view: one group per server and port, all presenting the server's
 * connections) or to none. A change through a server's group is a change of the server: an
 * initiator added there becomes the server's HBA, a LUN path added there is a connection of the
 * server, presented in all its groups.
 */
import type { CallOptions } from "../port.ts";

/** Host mode option numbers: 0–127. */
export const MAX_HOST_MODE_OPTION = 127;

export interface HostGroup {
  portId: string;
  hostGroupNumber: number;
  hostGroupName: string;
  hostMode: string;
  hostModeOptions: number[];
  /** The iSCSI target name of a group on an iSCSI port; null on FC. */
  iscsiName: string | null;
  /** The server the group belongs to, or null. */
  serverId: number | null;
}

export interface HostGroupInitiator {
  portId: string;
  hostGroupNumber: number;
  hostGroupName: string;
  kind: "wwn" | "iscsi";
  /** A WWN (16 lowercase hex) or an iSCSI name. */
  name: string;
}

export interface LunPath {
  portId: string;
  hostGroupNumber: number;
  hostGroupName: string;
  lun: number;
  volumeId: number;
}

export interface HostGroupCreate {
  portId: string;
  hostGroupName: string;
  /** The lowest free number from 1 when absent. */
  hostGroupNumber?: number;
  /** iSCSI ports only; the port's default target name for the number when absent. */
  iscsiName?: string;
  hostMode?: string;
  hostModeOptions?: number[];
}

export interface HostGroupChange {
  hostGroupName?: string;
  hostMode?: string;
  hostModeOptions?: number[];
  iscsiName?: string;
}

/** A host group named by number, or by name (names are unique on a port). */
export interface HostGroupKey {
  portId: string;
  hostGroupNumber?: number;
  hostGroupName?: string;
}

export interface LunPathFilter {
  portId?: string;
  hostGroupNumber?: number;
  volumeId?: number;
  /** The paths of every volume whose ID is in this range: one read for a page of LDEVs. */
  volumeIds?: { min: number; max: number };
}

export interface HostGroupsPort {
  /** The host groups of one port, or of every FC and iSCSI port, by port then number. */
  listHostGroups(portId: string | undefined, opts: CallOptions): Promise<HostGroup[]>;
  /** NotFound when the port or the group does not exist. */
  getHostGroup(portId: string, hostGroupNumber: number, opts: CallOptions): Promise<HostGroup>;
  /** Makes a group of no server; answers its number. */
  createHostGroup(spec: HostGroupCreate, opts: CallOptions): Promise<number>;
  updateHostGroup(
    portId: string,
    hostGroupNumber: number,
    change: HostGroupChange,
    opts: CallOptions,
  ): Promise<void>;
  /**
   * Removes a group with its initiators and LUN paths (a server's group: the server no longer
   * sees the array through that port). Group 0 cannot be removed: it is reset to its defaults.
   */
  deleteHostGroup(portId: string, hostGroupNumber: number, opts: CallOptions): Promise<void>;

  /** The initiators of a kind in one group, or in every group of a port when the key names none. */
  listInitiators(key: HostGroupKey, kind: "wwn" | "iscsi", opts: CallOptions): Promise<HostGroupInitiator[]>;
  /** Registers an initiator in a group; refused when it is in another group of the port. */
  addInitiator(
    portId: string,
    hostGroupNumber: number,
    kind: "wwn" | "iscsi",
    name: string,
    opts: CallOptions,
  ): Promise<void>;
  removeInitiator(portId: string, hostGroupNumber: number, name: string, opts: CallOptions): Promise<void>;

  listLunPaths(filter: LunPathFilter, opts: CallOptions): Promise<LunPath[]>;
  getLunPath(portId: string, hostGroupNumber: number, lun: number, opts: CallOptions): Promise<LunPath>;
  /**
   * Gives a volume a LUN in a group: `lun` when given, else the lowest free. Refused when the
   * volume has a LUN in the group already, or another volume has that LUN. Answers the LUN.
   */
  createLunPath(
    portId: string,
    hostGroupNumber: number,
    volumeId: number,
    lun: number | undefined,
    opts: CallOptions,
  ): Promise<number>;
  deleteLunPath(portId: string, hostGroupNumber: number, lun: number, opts: CallOptions): Promise<void>;
}
