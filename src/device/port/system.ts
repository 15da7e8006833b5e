/** The storage system itself: identity, capacities, health. */
import type { CallOptions } from "../port.ts";

export interface SavingEffects {
  efficiencyDataReduction: number;
  preCapacityDataReduction: number;
  postCapacityDataReduction: number;
  efficiencyFmdSaving: number;
  preCapacityFmdSaving: number;
  postCapacityFmdSaving: number;
  isTotalEfficiencySupport: boolean;
  totalEfficiencyStatus: string;
  dataReductionWithoutSystemDataStatus: string;
  softwareSavingWithoutSystemDataStatus: string;
  totalEfficiency: number;
  dataReductionWithoutSystemData: number;
  preCapacityDataReductionWithoutSystemData: number;
  postCapacityDataReductionWithoutSystemData: number;
  softwareSavingWithoutSystemData: number;
  calculationStartTime: string;
  calculationEndTime: string;
}

export interface StorageInfo {
  modelName: string;
  serial: string;
  nickname: string;
  numberOfTotalVolumes: number;
  numberOfFreeDrives: number;
  numberOfTotalServers: number;
  totalPhysicalCapacity: number;
  totalPoolCapacity: number;
  /** Raw capacity of the drives in pools, MiB. */
  totalPoolPhysicalCapacity: number;
  usedPoolCapacity: number;
  freePoolCapacity: number;
  totalPoolCapacityWithTiPool: number;
  totalPoolPhysicalCapacityWithTiPool: number;
  usedPoolCapacityWithTiPool: number;
  freePoolCapacityWithTiPool: number;
  /**
   * With `estimatedCapacities` on a model that estimates them (VSP One): the pool capacity the free
   * drives could still make, and the volume capacity that pool and the free pool capacity allow, MiB.
   */
  estimatedConfigurablePoolCapacity?: number;
  estimatedConfigurableVolumeCapacity?: number;
  savingEffects: SavingEffects;
  gumVersion: string;
  /** VSP One: the embedded management software's version and status. */
  esmOsVersion?: string;
  dkcMicroVersion: string;
  warningLedStatus: string;
  esmStatus?: string;
  /** VSP One: the address the management service answers on, beside each controller's. */
  ipAddressIpv4Service?: string;
  ipAddressIpv4Ctl1: string;
  ipAddressIpv4Ctl2: string;
  ipAddressIpv6Service?: string;
  ipAddressIpv6Ctl1: string;
  ipAddressIpv6Ctl2: string;
}

/** What else a read of the storage system should answer. */
export interface StorageDetail {
  estimatedCapacities?: boolean;
}

/** The model's features a client may ask about (the full API's storage object). */
export interface StorageFeatures {
  isCompressionAccelerationAvailable: boolean;
}

export interface HealthStatus {
  poolStatus: { summary: string; abnormalItems: { status: string; poolIds: number[] }[] };
  snapshotStatus: { summary: string; abnormalItems: { status: string; masterVolumeIds: number[] }[] };
}

export interface SystemPort {
  storage(detail: StorageDetail, opts: CallOptions): Promise<StorageInfo>;
  /** Features of the model, as the full API reports them. */
  storageFeatures(opts: CallOptions): Promise<StorageFeatures>;
  health(opts: CallOptions): Promise<HealthStatus>;
}
