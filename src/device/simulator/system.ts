/** The storage system as a whole: identity and totals, and the health of pools and snapshots. */
import { poolStatus } from "../../domain/capacity.ts";
import type { HealthStatus, SavingEffects, StorageInfo, SystemPort } from "../port/system.ts";
import type { CallOptions } from "../port.ts";
import { checkDeadline, type SimContext } from "./context.ts";

/** Pools with their used capacity: the sum of their volumes' provisioned capacity. */
export async function poolUsage(ctx: SimContext) {
  const rows = await ctx.store.db
    .selectFrom("pools")
    .leftJoin("volumes", "volumes.pool_id", "pools.id")
    .select((e) => [
      "pools.id",
      "pools.total_capacity",
      "pools.threshold_warning",
      e.fn.coalesce(e.fn.sum<number>("volumes.total_capacity"), e.lit(0)).as("used"),
    ])
    .groupBy(["pools.id", "pools.total_capacity", "pools.threshold_warning"])
    .orderBy("pools.id")
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    total: Number(r.total_capacity),
    used: Number(r.used),
    thresholdWarning: r.threshold_warning,
  }));
}

export function noSavingEffects(now: number): SavingEffects {
  const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    efficiencyDataReduction: 100,
    preCapacityDataReduction: 0,
    postCapacityDataReduction: 0,
    efficiencyFmdSaving: 100,
    preCapacityFmdSaving: 0,
    postCapacityFmdSaving: 0,
    isTotalEfficiencySupport: true,
    totalEfficiencyStatus: "Valid",
    dataReductionWithoutSystemDataStatus: "Valid",
    softwareSavingWithoutSystemDataStatus: "Valid",
    totalEfficiency: 100,
    dataReductionWithoutSystemData: 100,
    preCapacityDataReductionWithoutSystemData: 0,
    postCapacityDataReductionWithoutSystemData: 0,
    softwareSavingWithoutSystemData: 100,
    calculationStartTime: at,
    calculationEndTime: at,
  };
}

export function systemOps(ctx: SimContext): SystemPort {
  const db = ctx.store.db;
  return {
    async storage(opts: CallOptions): Promise<StorageInfo> {
      checkDeadline(opts);
      const [pools, volumes, servers, drives] = await Promise.all([
        poolUsage(ctx),
        db
          .selectFrom("volumes")
          .select((e) => e.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow(),
        db
          .selectFrom("servers")
          .select((e) => e.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow(),
        db
          .selectFrom("drives")
          .select((e) => [
            e.fn.sum<number>("capacity_mib").as("capacity"),
            e.fn.count<number>("location").as("n"),
            e.fn.sum<number>(e.case().when("pool_id", "is", null).then(1).else(0).end()).as("free"),
          ])
          .executeTakeFirstOrThrow(),
      ]);
      const total = pools.reduce((s, p) => s + p.total, 0);
      const used = pools.reduce((s, p) => s + Math.min(p.used, p.total), 0);
      const { identity } = ctx;
      return {
        modelName: identity.model,
        serial: identity.serial,
        nickname: identity.nickname,
        numberOfTotalVolumes: Number(volumes.n),
        numberOfFreeDrives: Number(drives.free ?? 0),
        numberOfTotalServers: Number(servers.n),
        totalPhysicalCapacity: Number(drives.capacity ?? 0),
        totalPoolCapacity: total,
        usedPoolCapacity: used,
        freePoolCapacity: total - used,
        totalPoolCapacityWithTiPool: total,
        usedPoolCapacityWithTiPool: used,
        freePoolCapacityWithTiPool: total - used,
        savingEffects: noSavingEffects(ctx.now()),
        gumVersion: identity.gumVersion,
        dkcMicroVersion: identity.dkcMicroVersion,
        warningLedStatus: pools.some((p) => poolStatus(p.total, p.used, p.thresholdWarning) !== "Normal")
          ? "ON"
          : "OFF",
        ipAddressIpv4Ctl1: "192.168.0.16",
        ipAddressIpv4Ctl2: "192.168.0.17",
        ipAddressIpv6Ctl1: "fe80::16",
        ipAddressIpv6Ctl2: "fe80::17",
      };
    },

    async health(opts: CallOptions): Promise<HealthStatus> {
      checkDeadline(opts);
      const byStatus = new Map<string, number[]>();
      for (const p of await poolUsage(ctx)) {
        const status = poolStatus(p.total, p.used, p.thresholdWarning);
        if (status !== "Normal") byStatus.set(status, [...(byStatus.get(status) ?? []), p.id]);
      }
      const broken = await db
        .selectFrom("snapshots")
        .select("master_volume_id")
        .distinct()
        .where("status", "=", "PSUE")
        .orderBy("master_volume_id")
        .execute();
      const worst = byStatus.has("Error")
        ? "Error"
        : byStatus.has("ExceededThreshold")
          ? "ExceededThreshold"
          : "Normal";
      return {
        poolStatus: {
          summary: worst,
          abnormalItems: [...byStatus].map(([status, poolIds]) => ({ status, poolIds })),
        },
        snapshotStatus: {
          summary: broken.length > 0 ? "Error" : "Normal",
          abnormalItems:
            broken.length > 0
              ? [{ status: "Error", masterVolumeIds: broken.map((b) => Number(b.master_volume_id)) }]
              : [],
        },
      };
    },
  };
}
