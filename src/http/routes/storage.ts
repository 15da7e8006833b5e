/** The storage system: its identity and totals, its health, and the full API's view of it. */
import { Type } from "typebox";
import type { StorageInfo } from "../../device/port/system.ts";
import { NotFound } from "../../domain/errors.ts";
import {
  call,
  errorResponses,
  FULL_OBJECTS,
  ListOf,
  Query,
  type RouteModule,
  SIMPLE_OBJECTS,
} from "./common.ts";
import { SavingEffectsSchema } from "./pools.ts";

const Storage = Type.Object({
  modelName: Type.String(),
  serial: Type.String(),
  nickname: Type.String(),
  numberOfTotalVolumes: Type.Integer(),
  numberOfFreeDrives: Type.Integer(),
  numberOfTotalServers: Type.Integer(),
  totalPhysicalCapacity: Type.Integer(),
  totalPoolCapacity: Type.Integer(),
  totalPoolPhysicalCapacity: Type.Integer({ description: "raw MiB of the drives in pools" }),
  usedPoolCapacity: Type.Integer(),
  freePoolCapacity: Type.Integer(),
  totalPoolCapacityWithTiPool: Type.Integer(),
  totalPoolPhysicalCapacityWithTiPool: Type.Integer(),
  usedPoolCapacityWithTiPool: Type.Integer(),
  freePoolCapacityWithTiPool: Type.Integer(),
  estimatedConfigurablePoolCapacity: Type.Optional(
    Type.Integer({ description: "MiB; VSP One, with withEstimatedConfigurableCapacities=true" }),
  ),
  estimatedConfigurableVolumeCapacity: Type.Optional(
    Type.Integer({ description: "MiB; VSP One, with withEstimatedConfigurableCapacities=true" }),
  ),
  savingEffects: SavingEffectsSchema,
  gumVersion: Type.String(),
  esmOsVersion: Type.Optional(Type.String({ description: "VSP One" })),
  dkcMicroVersion: Type.String(),
  warningLedStatus: Type.String(),
  esmStatus: Type.Optional(Type.String({ description: "VSP One" })),
  ipAddressIpv4Service: Type.Optional(Type.String({ description: "VSP One" })),
  ipAddressIpv4Ctl1: Type.String(),
  ipAddressIpv4Ctl2: Type.String(),
  ipAddressIpv6Service: Type.Optional(Type.String({ description: "VSP One" })),
  ipAddressIpv6Ctl1: Type.String(),
  ipAddressIpv6Ctl2: Type.String(),
});

const Health = Type.Object({
  poolStatus: Type.Object({
    summary: Type.String(),
    abnormalItems: Type.Array(Type.Object({ status: Type.String(), poolIds: Type.Array(Type.Integer()) })),
  }),
  snapshotStatus: Type.Object({
    summary: Type.String(),
    abnormalItems: Type.Array(
      Type.Object({ status: Type.String(), masterVolumeIds: Type.Array(Type.Integer()) }),
    ),
  }),
});

/** One storage system in the full API's list of them. */
const StorageSummary = Type.Object({
  storageDeviceId: Type.String(),
  model: Type.String(),
  serialNumber: Type.Integer(),
  svpIp: Type.String(),
  ctl1Ip: Type.String(),
  ctl2Ip: Type.String(),
});

/** The full Configuration Manager API's storage object, as much of it as clients read. */
const StorageInstance = Type.Object({
  storageDeviceId: Type.String(),
  model: Type.String(),
  serialNumber: Type.Integer(),
  svpIp: Type.String({ description: "the management service's address" }),
  ctl1Ip: Type.String(),
  ctl2Ip: Type.String(),
  dkcMicroVersion: Type.String(),
  detailDkcMicroVersion: Type.String(),
  ctl1MicroVersion: Type.String(),
  ctl2MicroVersion: Type.String(),
  communicationModes: Type.Array(Type.Object({ communicationMode: Type.String() })),
  isSecure: Type.Boolean(),
  isCompressionAccelerationAvailable: Type.Optional(
    Type.Boolean({ description: "with detailInfoType=compressionAcceleration" }),
  ),
});

/** Details the full API's storage object adds on request; several may be given, comma-separated. */
const DETAIL_INFO_TYPES = ["version", "compressionAcceleration"] as const;
const DetailQuery = Query({
  detailInfoType: Type.Optional(
    Type.String({
      pattern: `^(${DETAIL_INFO_TYPES.join("|")})(,(${DETAIL_INFO_TYPES.join("|")}))*$`,
      description: "version, compressionAcceleration, or both comma-separated",
    }),
  ),
});

/** The full API names a storage system by model code and serial: "9" + 11 digits. */
function storageDeviceId(s: StorageInfo): string {
  return `9${s.serial.replace(/\D/g, "").padStart(11, "0")}`;
}

function summary(s: StorageInfo) {
  return {
    storageDeviceId: storageDeviceId(s),
    model: s.modelName,
    serialNumber: Number(s.serial.replace(/\D/g, "")),
    svpIp: s.ipAddressIpv4Service ?? s.ipAddressIpv4Ctl1,
    ctl1Ip: s.ipAddressIpv4Ctl1,
    ctl2Ip: s.ipAddressIpv4Ctl2,
  };
}

export const storageRoutes: RouteModule = (app, { device }) => {
  const tags = ["storage"];
  app.get(
    `${SIMPLE_OBJECTS}/storage`,
    {
      schema: {
        tags,
        summary: "Get the storage system",
        querystring: Query({
          withEstimatedConfigurableCapacities: Type.Optional(
            Type.Boolean({ description: "add the estimatedConfigurable* capacities (VSP One)" }),
          ),
        }),
        response: { 200: Storage, ...errorResponses() },
      },
    },
    async (request) =>
      device.storage(
        { estimatedCapacities: request.query.withEstimatedConfigurableCapacities === true },
        call(),
      ),
  );

  app.get(
    `${SIMPLE_OBJECTS}/health-status`,
    {
      schema: {
        tags,
        summary: "Get the operating status of pools and snapshots",
        response: { 200: Health, ...errorResponses() },
      },
    },
    async () => device.health(call()),
  );

  // Clients of the real API read this before they use the simple API, and check `model`.
  const instance = async (detailInfoType: string | undefined) => {
    const s = await device.storage({}, call());
    const details = new Set(detailInfoType?.split(",") ?? []);
    const compression = details.has("compressionAcceleration")
      ? await device.storageFeatures(call())
      : undefined;
    return {
      ...summary(s),
      dkcMicroVersion: s.dkcMicroVersion,
      detailDkcMicroVersion: s.dkcMicroVersion,
      ctl1MicroVersion: s.dkcMicroVersion,
      ctl2MicroVersion: s.dkcMicroVersion,
      communicationModes: [{ communicationMode: "lanConnectionMode" }],
      isSecure: true,
      ...(compression ?? {}),
    };
  };

  app.get(
    `${FULL_OBJECTS}/storages/instance`,
    {
      schema: {
        tags,
        summary: "Get the storage system (full API form)",
        querystring: DetailQuery,
        response: { 200: StorageInstance, ...errorResponses() },
      },
    },
    async (request) => instance(request.query.detailInfoType),
  );

  app.get(
    `${FULL_OBJECTS}/storages`,
    {
      schema: {
        tags,
        summary: "List the storage systems (full API form): this one",
        response: { 200: ListOf(StorageSummary), ...errorResponses() },
      },
    },
    async () => {
      const data = [summary(await device.storage({}, call()))];
      return { data, count: data.length };
    },
  );

  app.get(
    `${FULL_OBJECTS}/storages/:storageDeviceId`,
    {
      schema: {
        tags,
        summary: "Get a storage system by its storage device ID (full API form)",
        params: Type.Object(
          { storageDeviceId: Type.String({ pattern: "^\\d{12}$", description: '"9" and 11 digits' }) },
          { additionalProperties: false },
        ),
        querystring: DetailQuery,
        response: { 200: StorageInstance, ...errorResponses() },
      },
    },
    async (request) => {
      const found = await instance(request.query.detailInfoType);
      if (found.storageDeviceId !== request.params.storageDeviceId) {
        throw new NotFound(`The storage system ${request.params.storageDeviceId} does not exist.`);
      }
      return found;
    },
  );
};
