/** The storage system of the simple API: its identity and totals, and its health. */
import { Type } from "typebox";
import { call, errorResponses, Query, type RouteModule, SIMPLE_OBJECTS } from "./common.ts";
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
};
