/**
 * The storage systems of the full API: the list (this one array), and the array by its storage
 * device ID or as `storages/instance`. The server-edition paths of every other v1 resource hang
 * below `storages/{storageDeviceId}`.
 */
import { Type } from "typebox";
import type { StorageInfo } from "../../device/port/system.ts";
import { call, errorResponses, ListOf, Query, type RouteModule } from "../routes/common.ts";
import { StorageDeviceIdSchema, storageDeviceIdOf, V1_OBJECTS } from "./contract.ts";

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

function summary(s: StorageInfo) {
  return {
    storageDeviceId: storageDeviceIdOf(s.serial),
    model: s.modelName,
    serialNumber: Number(s.serial.replace(/\D/g, "")),
    svpIp: s.ipAddressIpv4Service ?? s.ipAddressIpv4Ctl1,
    ctl1Ip: s.ipAddressIpv4Ctl1,
    ctl2Ip: s.ipAddressIpv4Ctl2,
  };
}

export const storageRoutes: RouteModule = (app, { device }) => {
  // Clients read this before they use either face, and check `model`.
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
    `${V1_OBJECTS}/storages/instance`,
    {
      schema: {
        tags: ["v1 storages"],
        summary: "Get the storage system (full API form)",
        querystring: DetailQuery,
        response: { 200: StorageInstance, ...errorResponses() },
      },
    },
    async (request) => instance(request.query.detailInfoType),
  );

  app.get(
    `${V1_OBJECTS}/storages`,
    {
      schema: {
        tags: ["v1 storages"],
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
    `${V1_OBJECTS}/storages/:storageDeviceId`,
    {
      schema: {
        tags: ["v1 storages"],
        summary: "Get a storage system by its storage device ID (full API form)",
        params: Type.Object({ storageDeviceId: StorageDeviceIdSchema }, { additionalProperties: false }),
        querystring: DetailQuery,
        response: { 200: StorageInstance, ...errorResponses() },
      },
    },
    // Another array's ID was answered 404 by the v1 contract before this runs.
    async (request) => instance(request.query.detailInfoType),
  );
};
