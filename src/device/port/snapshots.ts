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
  /** Pair status: "PAIR" until split, "PSUS" once taken (split), "PSUE" when broken. */
  status: PairStatus;
  /** YYYY-MM-DDThh:mm:ssZ: when the snapshot data was fixed (the split), or the pair made. */
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
  /** Whether the pair may be the base of a cascade (a snapshot of its mapped volume). */
  canCascade: boolean;
}

/** Statuses a pair of the simulated array takes. */
export type PairStatus = "PAIR" | "PSUS" | "PSUE";

/** A snapshot's key: [masterVolumeId, snapshotId]. */
export type SnapshotKey = [number, number];

export interface SnapshotFilter {
  masterVolumeId?: number;
  /** The snapshot mapped to this volume (the pair whose S-VOL it is). */
  mappedVolumeId?: number;
  /** Inclusive bounds on the snapshot date, ms since the epoch. */
  snapshotDateFrom?: number;
  snapshotDateTo?: number;
  /** Exact match. */
  snapshotGroupName?: string;
  /** The first key to return, in (masterVolumeId, snapshotId) order. */
  startId: SnapshotKey;
  count: number;
}

/**
 * A Thin Image pair as the full API makes it: onto an S-VOL the client made (or none yet), split at
 * once or left in PAIR, a snapshot or a clone.
 */
export interface PairCreate {
  pvolId: number;
  /** The S-VOL: a volume of the P-VOL's capacity in no other pair. Absent: assigned later. */
  svolId?: number;
  /** Where the snapshot data goes. */
  poolId: number;
  snapshotGroupName: string;
  /** true: the data is fixed at once (PSUS); false: the pair stays in PAIR until split. */
  autoSplit: boolean;
  canCascade: boolean;
  /**
   * A clone: the P-VOL's data is copied whole to the S-VOL. `automatic`: the pair ends once the
   * copy is done, leaving the S-VOL an independent volume; otherwise it waits for `clonePair`.
   */
  clone?: { automatic: boolean };
}

/** How a volume takes part in pairs: as a P-VOL of some, as the S-VOL of one. */
export interface PairRole {
  isPrimary: boolean;
  /** The snapshot pool of the pair whose S-VOL the volume is. */
  secondaryOf?: { masterVolumeId: number; snapshotId: number; poolId: number };
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
  /**
   * Writes the snapshot's data back to its master volume. The pair ends in PSUS, or in PAIR when
   * `autoSplit` is false (the full API's choice; the simple face always splits).
   */
  restoreSnapshot(
    masterVolumeId: number,
    snapshotId: number,
    autoSplit: boolean,
    opts: CallOptions,
  ): Promise<Snapshot>;
  /**
   * Makes a Thin Image pair (see PairCreate) at the P-VOL's lowest free MU number. NotFound when
   * the P-VOL or S-VOL does not exist; DeviceRefused when the snapshot pool does not exist, the
   * S-VOL cannot be one (capacity, already in a pair, the P-VOL itself), the P-VOL has a pair in
   * the group or no free MU number. An automatic clone answers the pair as it ended: status PSUS,
   * already gone from the array.
   */
  createPair(spec: PairCreate, opts: CallOptions): Promise<Snapshot>;
  /** Fixes the snapshot data of a pair in PAIR (now PSUS). DeviceRefused when not in PAIR. */
  splitPair(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<Snapshot>;
  /** Makes `volumeId` the pair's S-VOL. DeviceRefused when it has one or the volume cannot be one. */
  assignPairVolume(
    masterVolumeId: number,
    snapshotId: number,
    volumeId: number,
    opts: CallOptions,
  ): Promise<Snapshot>;
  /** Releases the pair's S-VOL, which stays as an ordinary volume. DeviceRefused when it has none. */
  unassignPairVolume(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<Snapshot>;
  /** Copies a clone pair's data to its S-VOL and ends the pair. DeviceRefused when not a clone. */
  clonePair(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<void>;
  /** The pair roles of the given volumes; a volume in no pair is absent from the map. */
  pairRolesOf(volumeIds: number[], opts: CallOptions): Promise<Map<number, PairRole>>;
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
