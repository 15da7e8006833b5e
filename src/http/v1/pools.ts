/**
 * Pools as the full API shows them (capacities in MiB): a view of the same pools as the simple
 * face. The simulated array reserves a volume's whole capacity in its pool, so the capacity located
 * to volumes is the pool's used capacity.
 */
import { type Static, Type } from "typebox";
import { MAX_POOL_ID, type Pool } from "../../device/port/pools.ts";
import type { PoolStatus } from "../../domain/capacity.ts";
import { call, errorResponses, IntId, ListOf, type RouteModule } from "../routes/common.ts";
import { v1Forms } from "./contract.ts";

/** The full API's pool status: normal, past its warning threshold (or full), blocked. */
const POOL_STATUS: Record<PoolStatus, string> = {
  Normal: "POLN",
  ExceededThreshold: "POLF",
  Error: "POLE",
};

const V1PoolSchema = Type.Object({
  poolId: Type.Integer(),
  poolName: Type.String(),
  poolType: Type.String({ description: "HDP: a Dynamic Provisioning pool" }),
  poolStatus: Type.String({ description: "POLN normal, POLF past the warning threshold, POLE blocked" }),
  usedCapacityRate: Type.Integer(),
  availableVolumeCapacity: Type.Integer({ description: "MiB free for volumes" }),
  totalPoolCapacity: Type.Integer({ description: "MiB" }),
  totalLocatedCapacity: Type.Integer({ description: "MiB located to volumes" }),
  numOfLdevs: Type.Integer(),
  locatedVolumeCount: Type.Integer(),
  warningThreshold: Type.Integer(),
  depletionThreshold: Type.Integer(),
  virtualVolumeCapacityRate: Type.Integer({ description: "-1: no subscription limit" }),
  isMainframe: Type.Boolean(),
  isShrinking: Type.Boolean(),
  totalReservedCapacity: Type.Integer(),
  reservedVolumeCount: Type.Integer(),
});
type V1Pool = Static<typeof V1PoolSchema>;

function v1PoolOf(p: Pool): V1Pool {
  return {
    poolId: p.id,
    poolName: p.name,
    poolType: "HDP",
    poolStatus: POOL_STATUS[p.status],
    usedCapacityRate: p.capacityManage.usedCapacityRate,
    availableVolumeCapacity: p.freeCapacity,
    totalPoolCapacity: p.totalCapacity,
    totalLocatedCapacity: p.usedCapacity,
    numOfLdevs: p.numberOfVolumes,
    locatedVolumeCount: p.numberOfVolumes,
    warningThreshold: p.capacityManage.thresholdWarning,
    depletionThreshold: p.capacityManage.thresholdDepletion,
    virtualVolumeCapacityRate: p.subscriptionLimit.isEnabled ? p.subscriptionLimit.currentRate : -1,
    isMainframe: false,
    isShrinking: false,
    totalReservedCapacity: 0,
    reservedVolumeCount: 0,
  };
}

export const poolRoutes: RouteModule = (app, { device }) => {
  const tags = ["v1 pools"];
  for (const { url, params } of v1Forms("/pools")) {
    app.get(
      url,
      {
        schema: {
          tags,
          summary: "List pools",
          params,
          response: { 200: ListOf(V1PoolSchema), ...errorResponses() },
        },
      },
      async () => {
        const data = (await device.listPools({}, call())).map(v1PoolOf);
        return { data, count: data.length };
      },
    );
  }
  for (const { url, params } of v1Forms("/pools/:poolId", { poolId: IntId(0, MAX_POOL_ID) })) {
    app.get(
      url,
      {
        schema: { tags, summary: "Get a pool", params, response: { 200: V1PoolSchema, ...errorResponses() } },
      },
      async (request) => v1PoolOf(await device.getPool(request.params.poolId, call())),
    );
  }
};
