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
  usedPoolCapacity: number;
  freePoolCapacity: number;
  totalPoolCapacityWithTiPool: number;
  usedPoolCapacityWithTiPool: number;
  freePoolCapacityWithTiPool: number;
  savingEffects: SavingEffects;
  gumVersion: string;
  dkcMicroVersion: string;
  warningLedStatus: string;
  ipAddressIpv4Ctl1: string;
  ipAddressIpv4Ctl2: string;
  ipAddressIpv6Ctl1: string;
  ipAddressIpv6Ctl2: string;
}

export interface HealthStatus {
  poolStatus: { summary: string; abnormalItems: { status: string; poolIds: number[] }[] };
  snapshotStatus: { summary: string; abnormalItems: { status: string; masterVolumeIds: number[] }[] };
}

export interface SystemPort {
  storage(opts: CallOptions): Promise<StorageInfo>;
  health(opts: CallOptions): Promise<HealthStatus>;
}
