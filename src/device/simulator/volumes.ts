/**
 * Volumes of the simulated array: thin volumes in a pool, at the lowest free IDs 0–65279.
 *
 * A volume reserves its whole capacity in its pool when it is created or expanded (no overcommit,
 * see simulator/pools.ts); its used capacity starts at 0 because nothing has been written.
 *
 * Refusals of the array (messageId KART30000-E; SSB codes Blockplane chose, except the two of
 * volume IDs, which are the real array's as Cinder's Hitachi driver reads them):
 * | rule                                                   | SSB1 | SSB2 |
 * |--------------------------------------------------------|------|------|
 * | the pool does not exist                                | 2e30 | 0001 |
 * | the pool capacity is insufficient (create, expand)     | 2e30 | 0002 |
 * | no free volume ID (in the array, or in the range asked) | 2e11 | 2209 |
 * | the one volume ID asked for is in use                  | 2e22 | 0001 |
 * | capacity would exceed 268,435,456 MiB (expand)         | 2e30 | 0004 |
 * | the volume is connected to servers (LUN paths; delete) | 2e30 | 0005 |
 * | the volume has snapshots or is a mapped snapshot       | 2e30 | 0006 |
 * | compression acceleration without capacity saving       | 2e30 | 0007 |
 */
import type { ExpressionBuilder, Insertable } from "kysely";
import { NotFound, restoreError, type SsbCode, type StoredError, storeError } from "../../domain/errors.ts";
import { type Database, type Db, forUpdate } from "../../store/db.ts";
import { precompiledRead } from "../../store/precompiled.ts";
import {
  MAX_VOLUME_CAPACITY,
  MAX_VOLUME_ID,
  type SavingSetting,
  type Volume,
  type VolumeCreate,
  type VolumeDetail,
  type VolumeFilter,
  type VolumeIdRange,
  type VolumeList,
  type VolumePage,
  type VolumeSavingChange,
  type VolumesPort,
} from "../port/volumes.ts";
import type { CallOptions, ItemResult } from "../port.ts";
import { checkDeadline, refused, type SimContext, transact } from "./context.ts";
import { containsText } from "./pools.ts";

export const VOLUME_REFUSALS = {
  noPool: { SSB1: "2e30", SSB2: "0001" },
  poolFull: { SSB1: "2e30", SSB2: "0002" },
  noFreeId: { SSB1: "2e11", SSB2: "2209" },
  idInUse: { SSB1: "2e22", SSB2: "0001" },
  tooLarge: { SSB1: "2e30", SSB2: "0004" },
  connected: { SSB1: "2e30", SSB2: "0005" },
  hasSnapshots: { SSB1: "2e30", SSB2: "0006" },
  accelerationNeedsSaving: { SSB1: "2e30", SSB2: "0007" },
} satisfies Record<string, SsbCode>;

const POOL_FULL = "The pool capacity is insufficient.";

/** Rows per INSERT: well under the bound-parameter limits of SQLite and PostgreSQL. */
const INSERT_CHUNK = 500;

type Outcome = { ok: true; value: number } | { ok: false; error: StoredError };

/** The pools' used capacity (sum of their volumes' capacity), for the given pools. */
export async function usedByPool(tx: Db, poolIds: number[]): Promise<Map<number, number>> {
  const rows = await tx
    .selectFrom("volumes")
    .select((e) => ["pool_id", e.fn.sum<number>("total_capacity").as("used")])
    .where("pool_id", "in", poolIds)
    .groupBy("pool_id")
    .execute();
  return new Map(rows.map((r) => [Number(r.pool_id), Number(r.used)]));
}

/** Yields the free volume IDs in increasing order, from one read of the used ones. */
export async function freeIds(tx: Db): Promise<() => number | undefined> {
  const next = await freeIdsWithin(tx);
  return () => next({ min: 0, max: MAX_VOLUME_ID });
}

/**
 * Yields, for a range asked each time, the lowest free volume ID in it that was not yielded
 * before, from one read of the used ones; undefined when the range has none left.
 */
async function freeIdsWithin(tx: Db): Promise<(range: VolumeIdRange) => number | undefined> {
  const used = new Set((await tx.selectFrom("volumes").select("id").execute()).map((r) => Number(r.id)));
  // Where the search of each range start resumes: IDs below it are taken or yielded already.
  const resume = new Map<number, number>();
  return ({ min, max }) => {
    for (let id = Math.max(min, resume.get(min) ?? min); id <= Math.min(max, MAX_VOLUME_ID); id++) {
      if (used.has(id)) continue;
      used.add(id);
      resume.set(min, id + 1);
      return id;
    }
    return undefined;
  };
}

type VolumeRow = {
  id: number;
  nickname: string;
  pool_id: number;
  pool_name: string;
  total_capacity: number;
  used_capacity: number;
  saving_setting: string;
  is_data_reduction_share_enabled: number;
  compression_acceleration: number;
  servers: number | string | null;
  snapshots: number | string | null;
};

function toVolume(r: VolumeRow): Volume {
  const total = Number(r.total_capacity);
  const used = Number(r.used_capacity);
  const saving = r.saving_setting as SavingSetting;
  return {
    id: Number(r.id),
    nickname: r.nickname,
    poolId: Number(r.pool_id),
    poolName: r.pool_name,
    totalCapacity: total,
    usedCapacity: used,
    freeCapacity: Math.max(0, total - used),
    reservedCapacity: 0,
    savingSetting: saving,
    isDataReductionShareEnabled: r.is_data_reduction_share_enabled === 1,
    compressionAcceleration: Number(r.compression_acceleration) === 1,
    capacitySavingStatus: saving === "DISABLE" ? "Disabled" : "Enabled",
    numberOfConnectingServers: Number(r.servers ?? 0),
    numberOfSnapshots: Number(r.snapshots ?? 0),
    volumeTypes: [],
  };
}

/**
 * A volume with the fields of the single-volume answer. Written out rather than spread from
 * toVolume: spreading a 15-field object costs V8 more than the read of the row.
 */
function toVolumeDetail(r: VolumeRow, luns: VolumeDetail["luns"]): VolumeDetail {
  const v = toVolume(r);
  return {
    id: v.id,
    nickname: v.nickname,
    poolId: v.poolId,
    poolName: v.poolName,
    totalCapacity: v.totalCapacity,
    usedCapacity: v.usedCapacity,
    freeCapacity: v.freeCapacity,
    reservedCapacity: v.reservedCapacity,
    savingSetting: v.savingSetting,
    isDataReductionShareEnabled: v.isDataReductionShareEnabled,
    compressionAcceleration: v.compressionAcceleration,
    capacitySavingStatus: v.capacitySavingStatus,
    numberOfConnectingServers: v.numberOfConnectingServers,
    numberOfSnapshots: v.numberOfSnapshots,
    volumeTypes: v.volumeTypes,
    compressionAccelerationStatus: v.compressionAcceleration ? "Enabled" : "Disabled",
    capacitySavingProgress: 100,
    luns,
  };
}

export function volumesOps(ctx: SimContext): VolumesPort {
  const db = ctx.store.db;

  /** The filter as one condition on `volumes` joined with `pools`. */
  const matching = (f: VolumeFilter) => (eb: ExpressionBuilder<Database, "volumes" | "pools">) => {
    const all = [];
    if (f.poolId !== undefined) all.push(eb("volumes.pool_id", "=", f.poolId));
    else if (f.poolName !== undefined) all.push(containsText(ctx.store, "pools.name", f.poolName));
    if (f.serverId !== undefined) {
      all.push(
        eb.exists(
          eb
            .selectFrom("connections")
            .select("connections.volume_id")
            .whereRef("connections.volume_id", "=", "volumes.id")
            .where("connections.server_id", "=", f.serverId),
        ),
      );
    } else if (f.serverNickname !== undefined) {
      all.push(
        eb.exists(
          eb
            .selectFrom("connections")
            .innerJoin("servers", "servers.id", "connections.server_id")
            .select("connections.volume_id")
            .whereRef("connections.volume_id", "=", "volumes.id")
            .where(containsText(ctx.store, "servers.nickname", f.serverNickname)),
        ),
      );
    }
    if (f.nickname !== undefined) all.push(containsText(ctx.store, "volumes.nickname", f.nickname));
    if (f.minTotalCapacity !== undefined) all.push(eb("volumes.total_capacity", ">=", f.minTotalCapacity));
    if (f.maxTotalCapacity !== undefined) all.push(eb("volumes.total_capacity", "<=", f.maxTotalCapacity));
    if (f.minUsedCapacity !== undefined) all.push(eb("volumes.used_capacity", ">=", f.minUsedCapacity));
    if (f.maxUsedCapacity !== undefined) all.push(eb("volumes.used_capacity", "<=", f.maxUsedCapacity));
    return eb.and(all);
  };

  /** Volumes with their pool's name and their connection and snapshot counts, in ID order. */
  const volumeRows = () =>
    db
      .selectFrom("volumes")
      .innerJoin("pools", "pools.id", "volumes.pool_id")
      .selectAll("volumes")
      .select((eb) => [
        "pools.name as pool_name",
        eb
          .selectFrom("connections")
          .select((e) => e.fn.countAll<number>().as("n"))
          .whereRef("connections.volume_id", "=", "volumes.id")
          .as("servers"),
        eb
          .selectFrom("snapshots")
          .select((e) => e.fn.countAll<number>().as("n"))
          .whereRef("snapshots.master_volume_id", "=", "volumes.id")
          .as("snapshots"),
      ])
      .orderBy("volumes.id");

  // The reads behind GET of one volume, the API's most frequent request, compiled once.
  const volumeById = precompiledRead(ctx.store, 1, (id: number) => volumeRows().where("volumes.id", "=", id));
  /** A connection gives its LUN on every port through which the server is seen. */
  const lunsOf = precompiledRead(ctx.store, 1, (id: number) =>
    db
      .selectFrom("connections")
      .innerJoin("host_groups", "host_groups.server_id", "connections.server_id")
      .select(["connections.lun", "connections.server_id", "host_groups.port_id"])
      .where("connections.volume_id", "=", id)
      .orderBy("connections.server_id")
      .orderBy("host_groups.port_id"),
  );

  async function lockVolume(tx: Db, id: number) {
    const volume = await forUpdate(
      ctx.store,
      tx.selectFrom("volumes").selectAll().where("id", "=", id),
    ).executeTakeFirst();
    if (!volume) throw new NotFound(`The volume ${id} does not exist.`);
    return volume;
  }

  return {
    async listVolumes(filter: VolumeFilter, page: VolumePage, opts: CallOptions): Promise<VolumeList> {
      checkDeadline(opts);
      const where = matching(filter);
      const [rows, total] = await Promise.all([
        volumeRows()
          .where(where)
          .where("volumes.id", ">=", page.startVolumeId)
          .limit(page.count + 1)
          .execute(),
        db
          .selectFrom("volumes")
          .innerJoin("pools", "pools.id", "volumes.pool_id")
          .select((e) => e.fn.countAll<number>().as("n"))
          .where(where)
          .executeTakeFirstOrThrow(),
      ]);
      const hasNext = rows.length > page.count;
      return { data: rows.slice(0, page.count).map(toVolume), totalCount: Number(total.n), hasNext };
    },

    async getVolume(id: number, opts: CallOptions): Promise<VolumeDetail> {
      checkDeadline(opts);
      const row = (await volumeById(id))[0];
      if (!row) throw new NotFound(`The volume ${id} does not exist.`);
      // Most volumes are not connected: their LUNs need no second read.
      const luns = Number(row.servers ?? 0) === 0 ? [] : await lunsOf(id);
      return toVolumeDetail(
        row,
        luns.map((l) => ({ lun: Number(l.lun), serverId: Number(l.server_id), portId: l.port_id })),
      );
    },

    async createVolumes(items: VolumeCreate[], opts: CallOptions): Promise<ItemResult<number>[]> {
      const outcomes = await transact(ctx, opts, async (tx): Promise<Outcome[]> => {
        const poolIds = [...new Set(items.map((i) => i.poolId))];
        if (poolIds.length === 0) return [];
        const pools = await forUpdate(
          ctx.store,
          tx.selectFrom("pools").select(["id", "total_capacity"]).where("id", "in", poolIds),
        ).execute();
        const missing = poolIds.find((p) => !pools.some((r) => Number(r.id) === p));
        if (missing !== undefined)
          throw refused(`The pool ${missing} does not exist.`, VOLUME_REFUSALS.noPool);
        const used = await usedByPool(tx, poolIds);
        const free = new Map(
          pools.map((p) => [Number(p.id), Number(p.total_capacity) - (used.get(Number(p.id)) ?? 0)]),
        );
        const nextId = await freeIdsWithin(tx);
        const now = ctx.now();

        const outcomes: Outcome[] = [];
        const rows: Insertable<Database["volumes"]>[] = [];
        for (const item of items) {
          const room = free.get(item.poolId) ?? 0;
          if (item.capacity > room) {
            outcomes.push({ ok: false, error: storeError(refused(POOL_FULL, VOLUME_REFUSALS.poolFull)) });
            continue;
          }
          const range = item.idRange ?? { min: 0, max: MAX_VOLUME_ID };
          const id = nextId(range);
          if (id === undefined) {
            const err =
              range.min === range.max
                ? refused(`The volume ID ${range.min} is in use.`, VOLUME_REFUSALS.idInUse)
                : refused(
                    `No more volumes can be created: every volume ID (${range.min}-${range.max}) is in use.`,
                    VOLUME_REFUSALS.noFreeId,
                  );
            outcomes.push({ ok: false, error: storeError(err) });
            continue;
          }
          free.set(item.poolId, room - item.capacity);
          rows.push({
            id,
            nickname: item.nickname,
            pool_id: item.poolId,
            total_capacity: item.capacity,
            used_capacity: 0,
            saving_setting: item.savingSetting,
            is_data_reduction_share_enabled: item.isDataReductionShareEnabled ? 1 : 0,
            created_at: now,
          });
          outcomes.push({ ok: true, value: id });
        }
        checkDeadline(opts);
        for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
          await tx
            .insertInto("volumes")
            .values(rows.slice(i, i + INSERT_CHUNK))
            .execute();
        }
        return outcomes;
      });
      return outcomes.map((o) => (o.ok ? o : { ok: false, error: restoreError(o.error) }));
    },

    setVolumeNickname(id: number, nickname: string, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        await lockVolume(tx, id);
        await tx.updateTable("volumes").set({ nickname }).where("id", "=", id).execute();
      });
    },

    setVolumeSavings(id: number, change: VolumeSavingChange, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        const volume = await lockVolume(tx, id);
        const saving = change.savingSetting ?? (volume.saving_setting as SavingSetting);
        if (saving === "DISABLE" && change.compressionAcceleration === true) {
          throw refused(
            `Compression acceleration of volume ${id} needs capacity saving: set savingSetting to COMPRESSION or DEDUPLICATION_AND_COMPRESSION.`,
            VOLUME_REFUSALS.accelerationNeedsSaving,
          );
        }
        // Sharing data reduction and accelerating compression mean nothing without a saving.
        const off = saving === "DISABLE";
        const share = off ? 0 : volume.is_data_reduction_share_enabled;
        const accelerated = off
          ? 0
          : change.compressionAcceleration === undefined
            ? Number(volume.compression_acceleration)
            : change.compressionAcceleration
              ? 1
              : 0;
        await tx
          .updateTable("volumes")
          .set({
            ...(change.nickname !== undefined ? { nickname: change.nickname } : {}),
            saving_setting: saving,
            is_data_reduction_share_enabled: share,
            compression_acceleration: accelerated,
          })
          .where("id", "=", id)
          .execute();
      });
    },

    expandVolume(id: number, additional: number, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        const volume = await lockVolume(tx, id);
        const pool = await forUpdate(
          ctx.store,
          tx.selectFrom("pools").select("total_capacity").where("id", "=", volume.pool_id),
        ).executeTakeFirstOrThrow();
        const total = Number(volume.total_capacity) + additional;
        if (total > MAX_VOLUME_CAPACITY) {
          throw refused(
            `The capacity of a volume cannot exceed ${MAX_VOLUME_CAPACITY} MiB (it would be ${total} MiB).`,
            VOLUME_REFUSALS.tooLarge,
          );
        }
        const used = (await usedByPool(tx, [Number(volume.pool_id)])).get(Number(volume.pool_id)) ?? 0;
        if (additional > Number(pool.total_capacity) - used)
          throw refused(POOL_FULL, VOLUME_REFUSALS.poolFull);
        await tx.updateTable("volumes").set({ total_capacity: total }).where("id", "=", id).execute();
      });
    },

    deleteVolume(id: number, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        await lockVolume(tx, id);
        // A server's connection, or a LUN path in a host group of no server.
        const connected =
          (await tx
            .selectFrom("connections")
            .select("server_id")
            .where("volume_id", "=", id)
            .limit(1)
            .executeTakeFirst()) ??
          (await tx
            .selectFrom("lun_paths")
            .select("lun")
            .where("volume_id", "=", id)
            .limit(1)
            .executeTakeFirst());
        if (connected) {
          throw refused(
            `The volume ${id} is connected to a server or a host group. Remove its connections (LUN paths), and then try again.`,
            VOLUME_REFUSALS.connected,
          );
        }
        const snapshot = await tx
          .selectFrom("snapshots")
          .select("snapshot_id")
          .where((eb) => eb.or([eb("master_volume_id", "=", id), eb("mapped_volume_id", "=", id)]))
          .limit(1)
          .executeTakeFirst();
        if (snapshot) {
          throw refused(
            `The volume ${id} has snapshots or is a mapped snapshot. Delete the snapshots, and then try again.`,
            VOLUME_REFUSALS.hasSnapshots,
          );
        }
        await tx.deleteFrom("volumes").where("id", "=", id).execute();
      });
    },
  };
}
