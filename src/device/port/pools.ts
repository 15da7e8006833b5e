/** Pools and drives: operations of the device port (see device/port.ts). */
import type { PoolStatus } from "../../domain/capacity.ts";
import type { CallOptions } from "../port.ts";
import type { SavingEffects } from "./system.ts";

/** Pool IDs of the array. */
export const MAX_POOL_ID = 127;

export type RaidLevel = "RAID1" | "RAID5" | "RAID6";
export const RAID_LEVELS: readonly RaidLevel[] = ["RAID1", "RAID5", "RAID6"];

/**
 * The smallest number of drives of a RAID layout, and whether the count must be even. RAID5 and
 * RAID6 follow the distributed-parity (DDP) minimums VSP One documents (5 and 9 drives), for DDP
 * and fixed layouts alike; RAID1 mirrors pairs of drives and is never distributed.
 */
export const RAID_RULES: Record<RaidLevel, { minDrives: number; even: boolean }> = {
  RAID1: { minDrives: 2, even: true },
  RAID5: { minDrives: 5, even: false },
  RAID6: { minDrives: 9, even: false },
};

/** Most drives one request may name for one drive type. */
export const MAX_DATA_DRIVE_COUNT = 1440;

/** "DDP": distributed parity (VSP One); "DEFAULT": a fixed RAID layout. */
export type ParityGroupType = "DDP" | "DEFAULT";

/**
 * Why a drive count does not make the RAID layout, or undefined when it does. A distributed-parity
 * pool grows by any number of drives, so an expansion of one is checked only for its RAID level.
 */
export function raidLayoutProblem(
  raidLevel: RaidLevel,
  dataDriveCount: number,
  options: { ddp?: boolean; expanding?: boolean } = {},
): string | undefined {
  if (options.ddp && raidLevel === "RAID1") return "a distributed-parity (DDP) pool is RAID5 or RAID6.";
  if (options.ddp && options.expanding) return undefined;
  const rule = RAID_RULES[raidLevel];
  if (dataDriveCount < rule.minDrives) return `${raidLevel} needs at least ${rule.minDrives} drives.`;
  if (rule.even && dataDriveCount % 2 !== 0) return `${raidLevel} needs an even number of drives.`;
  return undefined;
}

/** Drives of one type taken into a pool; without `parityGroupType` they form a fixed RAID layout. */
export interface PoolDriveSpec {
  driveTypeCode: string;
  dataDriveCount: number;
  raidLevel: RaidLevel;
  parityGroupType?: "DDP";
}

/**
 * What the array recommends adding for one drive type and RAID layout: to a new pool (no pool
 * given) or to a given pool.
 */
export interface PoolConfiguration {
  driveTypeCode: string;
  raidLevel: RaidLevel;
  parityGroupType: ParityGroupType;
  numberOfCurrentDataDrives: number;
  numberOfCurrentFreeDrives: number;
  numberOfRecommendedAddDataDrives: number;
  numberOfRecommendedRemainedFreeDrives: number;
  /** MiB. */
  currentPoolCapacity: number;
  /** MiB, once the recommended drives are added. */
  afterOperationPoolCapacity: number;
}

export interface PoolCreate {
  name: string;
  isEncryptionEnabled: boolean;
  drives: PoolDriveSpec[];
}

export interface PoolChange {
  name?: string;
  thresholdWarning?: number;
  thresholdDepletion?: number;
}

export interface PoolFilter {
  /** Partial, case-sensitive match. */
  name?: string;
  status?: PoolStatus;
  configStatus?: "PartiallyBlocked";
}

/** The drives of one type in a pool (VSP One's `drives[]`). */
export interface PoolDrives {
  driveType: string;
  driveInterface: string;
  driveRpm: string;
  /** Capacity of one drive in GB (decimal), as the drive is sold. */
  driveCapacity: number;
  displayDriveCapacity: string;
  /** Usable capacity these drives give the pool, MiB. */
  totalCapacity: number;
  numberOfDrives: number;
  locations: string[];
  raidLevel: RaidLevel;
  parityGroupType: string;
}

export interface Pool {
  id: number;
  name: string;
  status: PoolStatus;
  encryption: "Enabled" | "Disabled";
  totalCapacity: number;
  effectiveCapacity: number;
  usedCapacity: number;
  freeCapacity: number;
  capacityManage: { usedCapacityRate: number; thresholdWarning: number; thresholdDepletion: number };
  savingEffects: SavingEffects;
  configStatus: string[];
  numberOfVolumes: number;
  numberOfTiers: number;
  tiers: unknown[];
  numberOfDriveTypes: number;
  drives: PoolDrives[];
  /** Provisioning limit as a percentage of the pool's capacity; the simulator does not overcommit. */
  subscriptionLimit: { isEnabled: boolean; currentRate: number };
  containsCapacitySavingVolume: boolean;
}

export type DriveUsage = "DATA" | "FREE";

export interface Drive {
  driveLocationId: string;
  driveTypeCode: string;
  driveType: string;
  driveInterface: string;
  driveRpm: string;
  driveCapacity: number;
  displayDriveCapacity: string;
  /** Raw capacity of the drive, MiB. */
  totalCapacity: number;
  status: "Normal";
  usageType: DriveUsage;
  /** The pool the drive belongs to; absent for a free drive. */
  poolId?: number;
}

export interface DriveFilter {
  driveTypeCode?: string;
  usageType?: DriveUsage;
}

export interface PoolsPort {
  listPools(filter: PoolFilter, opts: CallOptions): Promise<Pool[]>;
  /** NotFound when absent. */
  getPool(id: number, opts: CallOptions): Promise<Pool>;
  /** Creates a pool from free drives at the lowest free pool ID and answers that ID. */
  createPool(spec: PoolCreate, opts: CallOptions): Promise<number>;
  updatePool(id: number, change: PoolChange, opts: CallOptions): Promise<void>;
  /** Adds free drives to a pool. */
  expandPool(id: number, additionalDrives: PoolDriveSpec[], opts: CallOptions): Promise<void>;
  /** Deletes an empty pool and frees its drives. */
  deletePool(id: number, opts: CallOptions): Promise<void>;
  listDrives(filter: DriveFilter, opts: CallOptions): Promise<Drive[]>;
  /** NotFound when absent. */
  getDrive(location: string, opts: CallOptions): Promise<Drive>;
  /**
   * Recommended drive counts for a new pool, or for expanding `poolId` (NotFound when absent);
   * NotFound when the model has no such recommendations.
   */
  recommendedPoolConfigurations(poolId: number | undefined, opts: CallOptions): Promise<PoolConfiguration[]>;
}
