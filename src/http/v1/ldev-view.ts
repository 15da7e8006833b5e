/**
 * A volume as the full API shows it: an LDEV. Pure translation of the volume the device answers;
 * an LDEV number no volume has is the API's undefined LDEV (`emulationType` "NOT DEFINED"), which
 * clients read to learn that a number is free or a volume gone.
 */

import { type Static, Type } from "typebox";
import type { LunPath } from "../../device/port/host-groups.ts";
import type { VolumeQos } from "../../device/port/qos.ts";
import type { PairRole } from "../../device/port/snapshots.ts";
import type { SavingSetting, Volume } from "../../device/port/volumes.ts";
import { BLOCKS_PER_MIB, byteFormatOf } from "./capacity.ts";

/** The full API's names of a volume's capacity saving. */
export const DATA_REDUCTION_MODES = {
  disabled: "DISABLE",
  compression: "COMPRESSION",
  compression_deduplication: "DEDUPLICATION_AND_COMPRESSION",
} as const satisfies Record<string, SavingSetting>;
export type DataReductionMode = keyof typeof DATA_REDUCTION_MODES;

function modeOf(saving: SavingSetting): DataReductionMode {
  const found = Object.entries(DATA_REDUCTION_MODES).find(([, s]) => s === saving);
  return (found?.[0] ?? "disabled") as DataReductionMode;
}

export const LdevPortSchema = Type.Object({
  portId: Type.String(),
  hostGroupNumber: Type.Integer(),
  hostGroupName: Type.String(),
  lun: Type.Integer(),
});

const QosSchema = Type.Object(
  {
    upperIops: Type.Optional(Type.Integer()),
    upperTransferRate: Type.Optional(Type.Integer()),
    lowerIops: Type.Optional(Type.Integer()),
    lowerTransferRate: Type.Optional(Type.Integer()),
    responsePriority: Type.Optional(Type.Integer()),
    upperAlertAllowableTime: Type.Optional(Type.Integer()),
    lowerAlertAllowableTime: Type.Optional(Type.Integer()),
    responseAlertAllowableTime: Type.Optional(Type.Integer()),
  },
  { description: "with detailInfoType=qos: the limits and alert times that are enabled" },
);

export const LdevSchema = Type.Object({
  ldevId: Type.Integer(),
  emulationType: Type.String({ description: 'OPEN-V-CVS, or "NOT DEFINED" for a free LDEV number' }),
  clprId: Type.Optional(Type.Integer()),
  byteFormatCapacity: Type.Optional(Type.String()),
  blockCapacity: Type.Optional(Type.Integer({ description: "512-byte blocks" })),
  numOfUsedBlock: Type.Optional(Type.Integer()),
  numOfPorts: Type.Optional(Type.Integer()),
  ports: Type.Optional(Type.Array(LdevPortSchema)),
  attributes: Type.Optional(Type.Array(Type.String())),
  label: Type.Optional(Type.String({ description: "the volume's nickname; absent when it has none" })),
  status: Type.Optional(Type.String()),
  mpBladeId: Type.Optional(Type.Integer()),
  resourceGroupId: Type.Integer(),
  poolId: Type.Optional(Type.Integer()),
  snapshotPoolId: Type.Optional(
    Type.Integer({ description: "the snapshot pool of the Thin Image pair whose S-VOL this LDEV is" }),
  ),
  isFullAllocationEnabled: Type.Optional(Type.Boolean()),
  isAluaEnabled: Type.Boolean(),
  dataReductionMode: Type.Optional(Type.String()),
  dataReductionStatus: Type.Optional(Type.String()),
  isDataReductionSharedVolumeEnabled: Type.Optional(Type.Boolean()),
  qos: Type.Optional(QosSchema),
});

export type Ldev = Static<typeof LdevSchema>;
export type LdevPort = Static<typeof LdevPortSchema>;

/** The LUN paths of a volume as LDEV `ports` ({portId, hostGroupNumber, hostGroupName, lun}). */
export function ldevPortsOf(paths: LunPath[]): LdevPort[] {
  return paths.map(({ portId, hostGroupNumber, hostGroupName, lun }) => ({
    portId,
    hostGroupNumber,
    hostGroupName,
    lun,
  }));
}

/**
 * A volume as an LDEV, with its LUN paths and its part in Thin Image pairs: a P-VOL or S-VOL has
 * the attribute HTI (clients wait for it to go after deleting a pair), an S-VOL its snapshot pool.
 */
export function ldevOf(volume: Volume, paths: LunPath[], role: PairRole | undefined): Ldev {
  const ports = ldevPortsOf(paths);
  const saving = volume.savingSetting;
  const attributes = ["CVS", "HDP"];
  if (role) attributes.push("HTI");
  if (volume.isDataReductionShareEnabled) attributes.push("DRS");
  return {
    ldevId: volume.id,
    clprId: 0,
    emulationType: "OPEN-V-CVS",
    byteFormatCapacity: byteFormatOf(volume.totalCapacity),
    blockCapacity: volume.totalCapacity * BLOCKS_PER_MIB,
    numOfUsedBlock: volume.usedCapacity * BLOCKS_PER_MIB,
    numOfPorts: ports.length,
    ports,
    attributes,
    ...(volume.nickname !== "" ? { label: volume.nickname } : {}),
    status: "NML",
    mpBladeId: 0,
    resourceGroupId: 0,
    poolId: volume.poolId,
    ...(role?.secondaryOf ? { snapshotPoolId: role.secondaryOf.poolId } : {}),
    isFullAllocationEnabled: false,
    isAluaEnabled: false,
    dataReductionMode: modeOf(saving),
    dataReductionStatus: saving === "DISABLE" ? "DISABLED" : "ENABLED",
    isDataReductionSharedVolumeEnabled: volume.isDataReductionShareEnabled,
  };
}

/** An LDEV number no volume has. */
export function undefinedLdev(ldevId: number): Ldev {
  return { ldevId, emulationType: "NOT DEFINED", resourceGroupId: 0, isAluaEnabled: false };
}

/** The `qos` of an LDEV with detailInfoType=qos: the enabled limits and alert times. */
export function ldevQosOf(q: VolumeQos): NonNullable<Ldev["qos"]> {
  const { threshold: t, alertSetting: a } = q;
  const all = {
    upperIops: t.upperIops,
    upperTransferRate: t.upperTransferRate,
    lowerIops: t.lowerIops,
    lowerTransferRate: t.lowerTransferRate,
    responsePriority: t.responsePriority,
    upperAlertAllowableTime: a.upperAlertAllowableTime,
    lowerAlertAllowableTime: a.lowerAlertAllowableTime,
    responseAlertAllowableTime: a.responseAlertAllowableTime,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}
