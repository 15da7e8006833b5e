/**
 * Snapshots (Thin Image pairs) and snapshot groups: operations of the device port (see device/port.ts).
 *
 * A snapshot is identified by its master volume and its snapshot ID, the pair's MU number. MU
 * numbers 0–2 are kept for full-copy pairs, so snapshots take 3–1023: at most 1021 per master
 * volume. A snapshot group is a name shared by snapshots; it exists while it has a member, and one
 * master volume has at most one snapshot in a group.
 */
import type { CallOptions } from "../port.ts";

export const MIN_SNAPSHOT_ID = 3;
export const MAX_SNAPSHOT_ID = 1023;
/** Pool IDs the snapshot operations accept. */
export const MAX_SNAPSHOT_POOL_ID = 127;
export const MAX_GROUP_NAME_LENGTH = 32;

export const SNAPSHOT_TYPES = ["Snapshot", "Mapped Snapshot", "Snap Clone"] as const;
export type SnapshotType = (typeof SNAPSHOT_TYPES)[number];

/** The nickname of the volume a snapshot is mapped to. */
export function mappedVolumeNickname(masterVolumeId: number): string {
  return `Snapshot of ID:${masterVolumeId}`;
}

export interface SnapshotCreate {
  masterVolumeId: number;
  poolId: number;
  snapshotGroupName: string;
  type: SnapshotType;
}

export interface Snapshot {
  /** "masterVolumeId,snapshotId" */
  id: string;
  masterVolumeId: number;
  snapshotId: number;
  /** Pair status: "PSUS" once taken (split), "PSUE" when broken. */
  status: string;
  /** YYYY-MM-DDThh:mm:ssZ */
  snapshotDate: string;
  snapshotGroupName: string;
  /** The volume the snapshot is mapped to; absent while unmapped. */
  mappedVolumeId?: number;
  rootVolumeId: number;
  poolId: number;
  usedCapacityPerRootVolume: number;
  isVolumeCapacityExpanding: boolean;
  type: SnapshotType;
  /** Hours the snapshot is still protected from deletion; 0 when no retention is set. */
  retentionPeriod: number;
}

/** A snapshot's key: [masterVolumeId, snapshotId]. */
export type SnapshotKey = [number, number];

export interface SnapshotFilter {
  masterVolumeId?: number;
  /** Inclusive bounds on the snapshot date, ms since the epoch. */
  snapshotDateFrom?: number;
  snapshotDateTo?: number;
  /** Exact match. */
  snapshotGroupName?: string;
  /** The first key to return, in (masterVolumeId, snapshotId) order. */
  startId: SnapshotKey;
  count: number;
}

export interface SnapshotList {
  data: Snapshot[];
  /** Snapshots in the system that match the filter, whatever the page. */
  totalCount: number;
  hasNext: boolean;
}

export interface SnapshotGroupMember {
  masterVolumeId: number;
  snapshotId: number;
}

export interface SnapshotGroup {
  name: string;
  snapshots: SnapshotGroupMember[];
  totalCount: number;
  hasNext: boolean;
}

export interface SnapshotsPort {
  listSnapshots(filter: SnapshotFilter, opts: CallOptions): Promise<SnapshotList>;
  /** NotFound when absent. */
  getSnapshot(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<Snapshot>;
  /**
   * Takes a snapshot at the master volume's lowest free snapshot ID, in status PSUS. A "Mapped
   * Snapshot" or "Snap Clone" is also mapped to a new volume in the pool, as `mapSnapshot` does.
   * NotFound when the master volume or the pool does not exist; DeviceRefused when the master
   * volume has no free snapshot ID, already has a snapshot in the group, or no volume ID is free.
   */
  createSnapshot(spec: SnapshotCreate, opts: CallOptions): Promise<Snapshot>;
  /**
   * Maps the snapshot to a new volume (lowest free volume ID, the master volume's capacity,
   * nickname `mappedVolumeNickname`) in the pool. DeviceRefused when already mapped.
   */
  mapSnapshot(
    masterVolumeId: number,
    snapshotId: number,
    poolId: number,
    opts: CallOptions,
  ): Promise<Snapshot>;
  /** Writes the snapshot's data back to its master volume; the pair ends in PSUS. */
  restoreSnapshot(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<Snapshot>;
  /** Deletes the pair. A mapped volume stays, as an ordinary volume. NotFound when absent. */
  deleteSnapshot(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<void>;
  /** Names of every snapshot group, in name order. */
  listSnapshotGroups(opts: CallOptions): Promise<string[]>;
  /** A page of the group's members from `startId`. NotFound when the group has no member. */
  getSnapshotGroup(
    name: string,
    page: { startId: SnapshotKey; count: number },
    opts: CallOptions,
  ): Promise<SnapshotGroup>;
}
