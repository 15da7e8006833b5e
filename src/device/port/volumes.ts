/** Volumes: operations of the device port (see device/port.ts). */
import type { CallOptions, ItemResult } from "../port.ts";

/** Volume IDs (LDEV numbers) of the array. */
export const MAX_VOLUME_ID = 65279;
/** Capacity of a volume, MiB: 47 MiB to 256 TiB. */
export const MIN_VOLUME_CAPACITY = 47;
export const MAX_VOLUME_CAPACITY = 268_435_456;
/** Longest volume nickname. */
export const MAX_NICKNAME_LENGTH = 32;

export type SavingSetting = "DISABLE" | "COMPRESSION" | "DEDUPLICATION_AND_COMPRESSION";

/** The volume IDs a new volume may take, both ends included; min = max names one ID. */
export interface VolumeIdRange {
  min: number;
  max: number;
}

/** One volume to create. */
export interface VolumeCreate {
  poolId: number;
  capacity: number;
  nickname: string;
  savingSetting: SavingSetting;
  isDataReductionShareEnabled: boolean;
  /** Where the new volume's ID may lie; the lowest free ID of the array by default. */
  idRange?: VolumeIdRange;
}

/**
 * A change of a volume's capacity saving, with its nickname when a client changes both in one
 * request: what is absent stays as it is.
 */
export interface VolumeSavingChange {
  nickname?: string;
  savingSetting?: SavingSetting;
  /** Whether the compression accelerator serves the capacity saving; needs a saving other than DISABLE. */
  compressionAcceleration?: boolean;
}

export interface VolumeFilter {
  poolId?: number;
  /** Partial match; ignored when poolId is given. */
  poolName?: string;
  serverId?: number;
  /** Partial match; ignored when serverId is given. */
  serverNickname?: string;
  /** Partial match. */
  nickname?: string;
  minTotalCapacity?: number;
  maxTotalCapacity?: number;
  minUsedCapacity?: number;
  maxUsedCapacity?: number;
}

export interface VolumePage {
  /** Lowest volume ID to return. */
  startVolumeId: number;
  count: number;
}

export interface Volume {
  id: number;
  nickname: string;
  poolId: number;
  poolName: string;
  totalCapacity: number;
  usedCapacity: number;
  freeCapacity: number;
  reservedCapacity: number;
  savingSetting: SavingSetting;
  isDataReductionShareEnabled: boolean;
  compressionAcceleration: boolean;
  capacitySavingStatus: "Disabled" | "Enabled";
  numberOfConnectingServers: number;
  numberOfSnapshots: number;
  volumeTypes: string[];
}

export interface VolumeLun {
  lun: number;
  serverId: number;
  portId: string;
}

export interface VolumeDetail extends Volume {
  /** "Enabled" while the compression accelerator serves the volume, else "Disabled". */
  compressionAccelerationStatus: "Enabled" | "Disabled";
  capacitySavingProgress: number;
  luns: VolumeLun[];
}

export interface VolumeList {
  data: Volume[];
  /** Volumes in the whole system that match the filter. */
  totalCount: number;
  /** More matching volumes lie beyond this page. */
  hasNext: boolean;
}

export interface VolumesPort {
  listVolumes(filter: VolumeFilter, page: VolumePage, opts: CallOptions): Promise<VolumeList>;
  /** NotFound when absent. */
  getVolume(id: number, opts: CallOptions): Promise<VolumeDetail>;
  /**
   * Creates volumes at the lowest free IDs (within each item's `idRange`), in one transaction: an
   * item the array refuses (pool full, no free ID, its one ID taken) fails alone and the others are
   * created. Answers one result per item, in
   * order, with the new volume's ID. `opts.opKey` covers the whole batch. Throws when the batch as
   * a whole is refused (its pool does not exist).
   */
  createVolumes(items: VolumeCreate[], opts: CallOptions): Promise<ItemResult<number>[]>;
  setVolumeNickname(id: number, nickname: string, opts: CallOptions): Promise<void>;
  /**
   * Changes the capacity saving and the compression acceleration together (and the nickname, when
   * given), in one transaction. Turning the saving off
   * turns acceleration off; acceleration without a saving is refused.
   */
  setVolumeSavings(id: number, change: VolumeSavingChange, opts: CallOptions): Promise<void>;
  /** Adds `additional` MiB to the volume's capacity. */
  expandVolume(id: number, additional: number, opts: CallOptions): Promise<void>;
  deleteVolume(id: number, opts: CallOptions): Promise<void>;
}
