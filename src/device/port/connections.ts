/**
 * Volume-server connections (LUN paths): operations of the device port (see device/port.ts).
 *
 * A connection gives one volume one LUN number on one server. The array keeps that LUN per
 * (server, volume) and presents it on every port where the server has a host group, so the
 * connection answers one `{lun, portId}` per such port (none while the server has no path).
 */
import type { CallOptions } from "../port.ts";

/** LUN numbers a server can see: 0–2047. */
export const MAX_LUN = 2047;

export interface ConnectionLun {
  lun: number;
  portId: string;
}

export interface Connection {
  /** "volumeId,serverId" */
  id: string;
  volumeId: number;
  serverId: number;
  luns: ConnectionLun[];
}

export interface ConnectionFilter {
  serverId?: number;
  /** Partial match, as the volume list's server filter. */
  serverNickname?: string;
  /** Lowest volume ID to return. */
  startVolumeId: number;
  count: number;
}

export interface ConnectionList {
  data: Connection[];
  /** Connections in the system that match the filter, whatever the page. */
  totalCount: number;
  /** More matching connections lie beyond this page. */
  hasNext: boolean;
}

export interface ConnectionsPort {
  /**
   * Connections ordered by volume ID, then server ID. A page never ends part-way through one
   * volume's connections unless that volume alone fills it, so `startVolumeId` = last volume ID + 1
   * continues the listing without a gap.
   */
  listConnections(filter: ConnectionFilter, opts: CallOptions): Promise<ConnectionList>;
  /** NotFound when the volume is not connected to the server. */
  getConnection(volumeId: number, serverId: number, opts: CallOptions): Promise<Connection>;
  /**
   * Connects a volume to a server at the server's lowest free LUN. NotFound when the volume or the
   * server does not exist; DeviceRefused when they are already connected or the server has no free LUN.
   */
  createConnection(volumeId: number, serverId: number, opts: CallOptions): Promise<Connection>;
  /** Removes the LUN of the volume from every port of the server. NotFound when not connected. */
  deleteConnection(volumeId: number, serverId: number, opts: CallOptions): Promise<void>;
}
