/** The storage system as a whole: identity and totals, and the health of pools and snapshots. */
import { poolStatus } from "../../domain/capacity.ts";
import { RAID_RULES } from "../port/pools.ts";
import type {
  HealthStatus,
  SavingEffects,
  StorageDetail,
  StorageFeatures,
  StorageInfo,
  SystemPort,
} from "../port/system.ts";
import type { CallOptions } from "../port.ts";
import { checkDeadline, type SimContext } from "./context.ts";
import { usableCapacity } from "./pools.ts";

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

/** The management service's own addresses (VSP One), beside each controller's. */
export const SERVICE_IPV4 = "192.168.0.15";
export const SERVICE_IPV6 = "fe80::15";

export function systemOps(ctx: SimContext): SystemPort {
  const db = ctx.store.db;
  return {
    async storage(detail: StorageDetail, opts: CallOptions): Promise<StorageInfo> {
      checkDeadline(opts);
      const [pools, volumes, servers, drives, byType] = await Promise.all([
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
            e.fn
              .sum<number>(e.case().when("pool_id", "is", null).then(0).else(e.ref("capacity_mib")).end())
              .as("inPools"),
          ])
          .executeTakeFirstOrThrow(),
        db
          .selectFrom("drives")
          .select((e) => ["drive_type_code", "capacity_mib", e.fn.countAll<number>().as("n")])
          .where("pool_id", "is", null)
          .groupBy(["drive_type_code", "capacity_mib"])
          .execute(),
      ]);
      const total = pools.reduce((s, p) => s + p.total, 0);
      const used = pools.reduce((s, p) => s + Math.min(p.used, p.total), 0);
      const physical = Number(drives.inPools ?? 0);
      const { identity } = ctx;
      const { features } = identity.profile;
      // The free drives of each type as one distributed-parity pool: RAID6 where they are enough, else RAID5.
      const configurable = byType.reduce((sum, t) => {
        const n = Number(t.n);
        const raid =
          n >= RAID_RULES.RAID6.minDrives ? "RAID6" : n >= RAID_RULES.RAID5.minDrives ? "RAID5" : null;
        return sum + (raid ? usableCapacity(raid, n, Number(t.capacity_mib)) : 0);
      }, 0);
      const estimated =
        detail.estimatedCapacities && features.estimatedCapacities
          ? {
              estimatedConfigurablePoolCapacity: configurable,
              estimatedConfigurableVolumeCapacity: configurable + (total - used),
            }
          : {};
      return {
        modelName: identity.model,
        serial: identity.serial,
        nickname: identity.nickname,
        numberOfTotalVolumes: Number(volumes.n),
        numberOfFreeDrives: Number(drives.free ?? 0),
        numberOfTotalServers: Number(servers.n),
        totalPhysicalCapacity: Number(drives.capacity ?? 0),
        totalPoolCapacity: total,
        totalPoolPhysicalCapacity: physical,
        usedPoolCapacity: used,
        freePoolCapacity: total - used,
        totalPoolCapacityWithTiPool: total,
        totalPoolPhysicalCapacityWithTiPool: physical,
        usedPoolCapacityWithTiPool: used,
        freePoolCapacityWithTiPool: total - used,
        ...estimated,
        savingEffects: noSavingEffects(ctx.now()),
        gumVersion: identity.gumVersion,
        ...(features.esm ? { esmOsVersion: identity.gumVersion } : {}),
        dkcMicroVersion: identity.dkcMicroVersion,
        warningLedStatus: pools.some((p) => poolStatus(p.total, p.used, p.thresholdWarning) !== "Normal")
          ? "ON"
          : "OFF",
        ...(features.esm
          ? { esmStatus: "Normal", ipAddressIpv4Service: SERVICE_IPV4, ipAddressIpv6Service: SERVICE_IPV6 }
          : {}),
        ipAddressIpv4Ctl1: "192.168.0.16",
        ipAddressIpv4Ctl2: "192.168.0.17",
        ipAddressIpv6Ctl1: "fe80::16",
        ipAddressIpv6Ctl2: "fe80::17",
      };
    },

    async storageFeatures(opts: CallOptions): Promise<StorageFeatures> {
      checkDeadline(opts);
      return { isCompressionAccelerationAvailable: ctx.identity.profile.features.compressionAcceleration };
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
