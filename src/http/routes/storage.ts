/** The storage system: its identity and totals, its health, and the full API's view of it. */
import { Type } from "typebox";
import { call, errorResponses, FULL_OBJECTS, type RouteModule, SIMPLE_OBJECTS } from "./common.ts";
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
  usedPoolCapacity: Type.Integer(),
  freePoolCapacity: Type.Integer(),
  totalPoolCapacityWithTiPool: Type.Integer(),
  usedPoolCapacityWithTiPool: Type.Integer(),
  freePoolCapacityWithTiPool: Type.Integer(),
  savingEffects: SavingEffectsSchema,
  gumVersion: Type.String(),
  dkcMicroVersion: Type.String(),
  warningLedStatus: Type.String(),
  ipAddressIpv4Ctl1: Type.String(),
  ipAddressIpv4Ctl2: Type.String(),
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

/** The full Configuration Manager API's storage object, as much of it as clients read. */
const StorageInstance = Type.Object({
  storageDeviceId: Type.String(),
  model: Type.String(),
  serialNumber: Type.Integer(),
  ctl1Ip: Type.String(),
  ctl2Ip: Type.String(),
  dkcMicroVersion: Type.String(),
  communicationModes: Type.Array(Type.Object({ communicationMode: Type.String() })),
  isSecure: Type.Boolean(),
});

export const storageRoutes: RouteModule = (app, { device }) => {
  const tags = ["storage"];
  app.get(
    `${SIMPLE_OBJECTS}/storage`,
    { schema: { tags, summary: "Get the storage system", response: { 200: Storage, ...errorResponses() } } },
    async () => device.storage(call()),
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
  app.get(
    `${FULL_OBJECTS}/storages/instance`,
    {
      schema: {
        tags,
        summary: "Get the storage system (full API form)",
        response: { 200: StorageInstance, ...errorResponses() },
      },
    },
    async () => {
      const s = await device.storage(call());
      return {
        // The full API names a storage system by model code and serial: "9" + 11 digits.
        storageDeviceId: `9${s.serial.replace(/\D/g, "").padStart(11, "0")}`,
        model: s.modelName,
        serialNumber: Number(s.serial.replace(/\D/g, "")),
        ctl1Ip: s.ipAddressIpv4Ctl1,
        ctl2Ip: s.ipAddressIpv4Ctl2,
        dkcMicroVersion: s.dkcMicroVersion,
        communicationModes: [{ communicationMode: "lanConnectionMode" }],
        isSecure: true,
      };
    },
  );
};
