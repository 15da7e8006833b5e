/**
 * Snapshots (Thin Image pairs) and snapshot groups of the simulated array. A snapshot is taken and
 * split at once, so it is in PSUS from creation on; restoring copies back and ends in PSUS again.
 * Mapping creates an ordinary volume row that the snapshot points at; deleting the snapshot keeps it.
 */
import type { ExpressionBuilder } from "kysely";
import { NotFound, type SsbCode } from "../../domain/errors.ts";
import { type Database, type Db, forUpdate, type SnapshotsTable } from "../../store/db.ts";
import {
  MAX_SNAPSHOT_ID,
  MIN_SNAPSHOT_ID,
  mappedVolumeNickname,
  type PairCreate,
  type PairRole,
  type PairStatus,
  type Snapshot,
  type SnapshotCreate,
  type SnapshotFilter,
  type SnapshotGroup,
  type SnapshotKey,
  type SnapshotList,
  type SnapshotsPort,
  type SnapshotType,
} from "../port/snapshots.ts";
import { MAX_VOLUME_ID } from "../port/volumes.ts";
import type { CallOptions } from "../port.ts";
import { lowestFree } from "./connections.ts";
import { checkDeadline, refused, type SimContext, transact } from "./context.ts";
import { freeIds, usedByPool, VOLUME_REFUSALS } from "./volumes.ts";

/**
 * The array's refusals of this area (messageId KART30000-E; SSB codes Blockplane chose). Making
 * the mapped volume keeps the rules and codes of volume creation.
 * | rule                                                         | SSB1 | SSB2 |
 * |--------------------------------------------------------------|------|------|
 * | the pool does not exist                                      | 2e30 | 0001 |
 * | the pool capacity is insufficient for the mapped volume      | 2e30 | 0002 |
 * | no free volume ID for the mapped volume                      | 2e30 | 0003 |
 * | the master volume has 1021 snapshots (no free snapshot ID)   | 2e31 | 0010 |
 * | the master volume already has a snapshot in the group        | 2e31 | 0011 |
 * | the snapshot is already mapped (map, assign an S-VOL)        | 2e31 | 0012 |
 * | the S-VOL is the P-VOL itself                                | 2e31 | 0013 |
 * | the S-VOL's capacity is not the P-VOL's                      | 2e31 | 0014 |
 * | the S-VOL is already the S-VOL of a pair                     | 2e31 | 0015 |
 * | the pair's status does not allow it (split, restore)         | 2e31 | 0016 |
 * | the pair has no S-VOL (unassign, clone)                      | 2e31 | 0017 |
 * | the pair is not a clone (clone)                              | 2e31 | 0018 |
 *
 * A Thin Image pair of the full API whose snapshot pool does not exist is refused with SSB
 * 2e30/600e, the code Cinder's driver reads as an invalid snapshot pool.
 */
export const SNAPSHOT_REFUSALS = {
  noPool: VOLUME_REFUSALS.noPool,
  poolFull: VOLUME_REFUSALS.poolFull,
  noFreeVolumeId: VOLUME_REFUSALS.noFreeId,
  noFreeSnapshotId: { SSB1: "2e31", SSB2: "0010" },
  alreadyInGroup: { SSB1: "2e31", SSB2: "0011" },
  alreadyMapped: { SSB1: "2e31", SSB2: "0012" },
  svolIsPvol: { SSB1: "2e31", SSB2: "0013" },
  svolCapacity: { SSB1: "2e31", SSB2: "0014" },
  svolInPair: { SSB1: "2e31", SSB2: "0015" },
  pairStatus: { SSB1: "2e31", SSB2: "0016" },
  noSvol: { SSB1: "2e31", SSB2: "0017" },
  notClone: { SSB1: "2e31", SSB2: "0018" },
  invalidSnapshotPool: { SSB1: "2e30", SSB2: "600e" },
} as const satisfies Record<string, SsbCode>;

/** YYYY-MM-DDThh:mm:ssZ */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Snapshots whose key is `start` or after it, in (masterVolumeId, snapshotId) order. */
function atOrAfter([mv, snap]: SnapshotKey) {
  return (e: ExpressionBuilder<Database, "snapshots">) =>
    e.or([
      e("master_volume_id", ">", mv),
      e.and([e("master_volume_id", "=", mv), e("snapshot_id", ">=", snap)]),
    ]);
}

function toSnapshot(r: SnapshotsTable): Snapshot {
  const masterVolumeId = Number(r.master_volume_id);
  const snapshotId = Number(r.snapshot_id);
  return {
    id: `${masterVolumeId},${snapshotId}`,
    masterVolumeId,
    snapshotId,
    status: r.status as PairStatus,
    snapshotDate: isoSeconds(Number(r.snapshot_date)),
    snapshotGroupName: r.snapshot_group_name,
    ...(r.mapped_volume_id === null ? {} : { mappedVolumeId: Number(r.mapped_volume_id) }),
    rootVolumeId: Number(r.root_volume_id),
    poolId: Number(r.pool_id),
    usedCapacityPerRootVolume: Number(r.used_capacity),
    isVolumeCapacityExpanding: false,
    type: r.type as SnapshotType,
    // The simple API sets no retention: a snapshot it takes can be deleted at once.
    retentionPeriod: 0,
    canCascade: Number(r.can_cascade) === 1,
  };
}

/** Volume IDs per query of pairRolesOf, well under any engine's bound on parameters. */
const ROLE_CHUNK = 1000;

export function snapshotsOps(ctx: SimContext): SnapshotsPort {
  const db = ctx.store.db;

  const one = (tx: Db, masterVolumeId: number, snapshotId: number) =>
    tx
      .selectFrom("snapshots")
      .selectAll()
      .where("master_volume_id", "=", masterVolumeId)
      .where("snapshot_id", "=", snapshotId);

  const absent = (masterVolumeId: number, snapshotId: number) =>
    new NotFound(`The snapshot ${masterVolumeId},${snapshotId} does not exist.`);

  /** Locks the pool the snapshot data (and a mapped volume) goes to; refused when it does not exist. */
  async function lockPool(tx: Db, poolId: number) {
    const pool = await forUpdate(
      ctx.store,
      tx.selectFrom("pools").select(["id", "total_capacity"]).where("id", "=", poolId),
    ).executeTakeFirst();
    if (!pool) throw refused(`The pool ${poolId} does not exist.`, SNAPSHOT_REFUSALS.noPool);
    return pool;
  }

  /**
   * Checks that a volume of `capacity` MiB can be made in the pool, as volume creation does (a
   * volume reserves its whole capacity; no overcommit), and answers the lowest free volume ID.
   */
  async function roomForVolume(tx: Db, pool: { id: number; total_capacity: number }, capacity: number) {
    const used = (await usedByPool(tx, [pool.id])).get(pool.id) ?? 0;
    if (capacity > Number(pool.total_capacity) - used) {
      throw refused(
        "The pool capacity is insufficient to map the snapshot to a volume.",
        SNAPSHOT_REFUSALS.poolFull,
      );
    }
    const id = (await freeIds(tx))();
    if (id === undefined) {
      throw refused(
        `No volume ID is free to map the snapshot to: every volume ID (0-${MAX_VOLUME_ID}) is in use.`,
        SNAPSHOT_REFUSALS.noFreeVolumeId,
      );
    }
    return id;
  }

  /** Creates the volume a snapshot is mapped to: the master volume's size, empty, in the pool. */
  async function insertMappedVolume(
    tx: Db,
    id: number,
    master: { id: number; total_capacity: number },
    poolId: number,
  ) {
    await tx
      .insertInto("volumes")
      .values({
        id,
        nickname: mappedVolumeNickname(Number(master.id)),
        pool_id: poolId,
        total_capacity: Number(master.total_capacity),
        used_capacity: 0,
        saving_setting: "DISABLE",
        is_data_reduction_share_enabled: 0,
        created_at: ctx.now(),
      })
      .execute();
  }

  /** Locks the master volume (a P-VOL), which serialises its snapshot IDs; NotFound when absent. */
  async function lockMaster(tx: Db, id: number) {
    const master = await forUpdate(
      ctx.store,
      tx.selectFrom("volumes").select(["id", "total_capacity", "used_capacity"]).where("id", "=", id),
    ).executeTakeFirst();
    if (!master) throw new NotFound(`The volume ${id} does not exist.`);
    return master;
  }

  /**
   * The slot of a new pair of master volume `mv` in `group`: the lowest free snapshot ID (MU
   * number), refused when the volume has a pair in the group or no free ID; and the root of the
   * chain it continues (a snapshot of a mapped snapshot volume, a cascade, keeps its root).
   */
  async function nextPairSlot(tx: Db, mv: number, group: string) {
    const taken = await tx
      .selectFrom("snapshots")
      .select(["snapshot_id", "snapshot_group_name"])
      .where("master_volume_id", "=", mv)
      .orderBy("snapshot_id")
      .execute();
    if (taken.some((t) => t.snapshot_group_name === group)) {
      throw refused(
        `The volume ${mv} already has a snapshot in the snapshot group "${group}".`,
        SNAPSHOT_REFUSALS.alreadyInGroup,
      );
    }
    const snapshotId = lowestFree(
      taken.map((t) => Number(t.snapshot_id)),
      MIN_SNAPSHOT_ID,
      MAX_SNAPSHOT_ID,
    );
    if (snapshotId === undefined) {
      throw refused(
        `The volume ${mv} already has ${MAX_SNAPSHOT_ID - MIN_SNAPSHOT_ID + 1} snapshots, the most a volume can have.`,
        SNAPSHOT_REFUSALS.noFreeSnapshotId,
      );
    }
    const parent = await tx
      .selectFrom("snapshots")
      .select("root_volume_id")
      .where("mapped_volume_id", "=", mv)
      .executeTakeFirst();
    return { snapshotId, rootVolumeId: parent ? Number(parent.root_volume_id) : mv };
  }

  /**
   * Locks the volume that is to be the S-VOL of a pair of `master`: an existing volume other than
   * the master, of the same capacity, the S-VOL of no other pair.
   */
  async function lockSecondary(tx: Db, master: { id: number; total_capacity: number }, id: number) {
    const pvol = Number(master.id);
    if (id === pvol) {
      throw refused(`The volume ${id} cannot be the S-VOL of its own pair.`, SNAPSHOT_REFUSALS.svolIsPvol);
    }
    const svol = await forUpdate(
      ctx.store,
      tx.selectFrom("volumes").select(["id", "total_capacity"]).where("id", "=", id),
    ).executeTakeFirst();
    if (!svol) throw new NotFound(`The volume ${id} does not exist.`);
    if (Number(svol.total_capacity) !== Number(master.total_capacity)) {
      throw refused(
        `The volume ${id} (${svol.total_capacity} MiB) cannot be the S-VOL of the volume ${pvol} (${master.total_capacity} MiB): the capacities differ.`,
        SNAPSHOT_REFUSALS.svolCapacity,
      );
    }
    const pair = await tx
      .selectFrom("snapshots")
      .select(["master_volume_id", "snapshot_id"])
      .where("mapped_volume_id", "=", id)
      .executeTakeFirst();
    if (pair) {
      throw refused(
        `The volume ${id} is already the S-VOL of the pair ${pair.master_volume_id},${pair.snapshot_id}.`,
        SNAPSHOT_REFUSALS.svolInPair,
      );
    }
  }

  /** A clone's copy: the S-VOL holds what the P-VOL holds. */
  async function copyData(tx: Db, master: { used_capacity: number }, svolId: number) {
    await tx
      .updateTable("volumes")
      .set({ used_capacity: Number(master.used_capacity) })
      .where("id", "=", svolId)
      .execute();
  }

  async function lockPair(tx: Db, masterVolumeId: number, snapshotId: number) {
    const row = await forUpdate(ctx.store, one(tx, masterVolumeId, snapshotId)).executeTakeFirst();
    if (!row) throw absent(masterVolumeId, snapshotId);
    return row;
  }

  async function updatePair(tx: Db, row: SnapshotsTable, change: Partial<SnapshotsTable>) {
    await tx
      .updateTable("snapshots")
      .set(change)
      .where("master_volume_id", "=", row.master_volume_id)
      .where("snapshot_id", "=", row.snapshot_id)
      .execute();
  }

  async function deletePair(tx: Db, masterVolumeId: number, snapshotId: number) {
    await tx
      .deleteFrom("snapshots")
      .where("master_volume_id", "=", masterVolumeId)
      .where("snapshot_id", "=", snapshotId)
      .execute();
  }

  const pairName = (row: SnapshotsTable) => `${row.master_volume_id},${row.snapshot_id}`;
  const wrongStatus = (row: SnapshotsTable, action: string) =>
    refused(
      `The pair ${pairName(row)} is in ${row.status}, which does not allow it to ${action}.`,
      SNAPSHOT_REFUSALS.pairStatus,
    );
  const alreadyMapped = (row: SnapshotsTable) =>
    refused(
      `The snapshot ${pairName(row)} is already mapped to the volume ${row.mapped_volume_id}.`,
      SNAPSHOT_REFUSALS.alreadyMapped,
    );
  const noSecondary = (row: SnapshotsTable) =>
    refused(`The pair ${pairName(row)} has no S-VOL.`, SNAPSHOT_REFUSALS.noSvol);

  return {
    async listSnapshots(filter: SnapshotFilter, opts: CallOptions): Promise<SnapshotList> {
      checkDeadline(opts);
      const matching = db
        .selectFrom("snapshots")
        .$if(filter.masterVolumeId !== undefined, (q) =>
          q.where("master_volume_id", "=", filter.masterVolumeId as number),
        )
        .$if(filter.mappedVolumeId !== undefined, (q) =>
          q.where("mapped_volume_id", "=", filter.mappedVolumeId as number),
        )
        .$if(filter.snapshotGroupName !== undefined, (q) =>
          q.where("snapshot_group_name", "=", filter.snapshotGroupName as string),
        )
        .$if(filter.snapshotDateFrom !== undefined, (q) =>
          q.where("snapshot_date", ">=", filter.snapshotDateFrom as number),
        )
        .$if(filter.snapshotDateTo !== undefined, (q) =>
          q.where("snapshot_date", "<=", filter.snapshotDateTo as number),
        );
      const [total, rows] = await Promise.all([
        matching.select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
        matching
          .selectAll()
          .where(atOrAfter(filter.startId))
          .orderBy("master_volume_id")
          .orderBy("snapshot_id")
          .limit(filter.count + 1)
          .execute(),
      ]);
      return {
        data: rows.slice(0, filter.count).map(toSnapshot),
        totalCount: Number(total.n),
        hasNext: rows.length > filter.count,
      };
    },

    async getSnapshot(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<Snapshot> {
      checkDeadline(opts);
      const row = await one(db, masterVolumeId, snapshotId).executeTakeFirst();
      if (!row) throw absent(masterVolumeId, snapshotId);
      return toSnapshot(row);
    },

    createSnapshot(spec: SnapshotCreate, opts: CallOptions): Promise<Snapshot> {
      return transact(ctx, opts, async (tx) => {
        const mv = spec.masterVolumeId;
        const master = await lockMaster(tx, mv);
        const pool = await lockPool(tx, spec.poolId);
        const slot = await nextPairSlot(tx, mv, spec.snapshotGroupName);
        const mapped =
          spec.type === "Snapshot" ? null : await roomForVolume(tx, pool, Number(master.total_capacity));
        if (mapped !== null) await insertMappedVolume(tx, mapped, master, spec.poolId);
        const row: SnapshotsTable = {
          master_volume_id: mv,
          snapshot_id: slot.snapshotId,
          pool_id: spec.poolId,
          snapshot_group_name: spec.snapshotGroupName,
          type: spec.type,
          status: "PSUS",
          snapshot_date: ctx.now(),
          mapped_volume_id: mapped,
          root_volume_id: slot.rootVolumeId,
          used_capacity: 0,
          can_cascade: 1,
        };
        await tx.insertInto("snapshots").values(row).execute();
        return toSnapshot(row);
      });
    },

    createPair(spec: PairCreate, opts: CallOptions): Promise<Snapshot> {
      return transact(ctx, opts, async (tx) => {
        const mv = spec.pvolId;
        const master = await lockMaster(tx, mv);
        const pool = await forUpdate(
          ctx.store,
          tx.selectFrom("pools").select("id").where("id", "=", spec.poolId),
        ).executeTakeFirst();
        if (!pool) {
          throw refused(
            `The snapshot pool ${spec.poolId} does not exist.`,
            SNAPSHOT_REFUSALS.invalidSnapshotPool,
          );
        }
        if (spec.svolId !== undefined) await lockSecondary(tx, master, spec.svolId);
        const slot = await nextPairSlot(tx, mv, spec.snapshotGroupName);
        const row: SnapshotsTable = {
          master_volume_id: mv,
          snapshot_id: slot.snapshotId,
          pool_id: spec.poolId,
          snapshot_group_name: spec.snapshotGroupName,
          type: spec.clone ? "Snap Clone" : spec.svolId === undefined ? "Snapshot" : "Mapped Snapshot",
          status: spec.autoSplit ? "PSUS" : "PAIR",
          snapshot_date: ctx.now(),
          mapped_volume_id: spec.svolId ?? null,
          root_volume_id: slot.rootVolumeId,
          used_capacity: 0,
          can_cascade: spec.canCascade ? 1 : 0,
        };
        if (spec.clone?.automatic && spec.svolId !== undefined) {
          // The copy is instant here: the pair is made, copied and ended in one change.
          await copyData(tx, master, spec.svolId);
          return toSnapshot({ ...row, status: "PSUS" });
        }
        await tx.insertInto("snapshots").values(row).execute();
        return toSnapshot(row);
      });
    },

    splitPair(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<Snapshot> {
      return transact(ctx, opts, async (tx) => {
        const row = await lockPair(tx, masterVolumeId, snapshotId);
        if (row.status !== "PAIR") throw wrongStatus(row, "split");
        const change = { status: "PSUS", snapshot_date: ctx.now() };
        await updatePair(tx, row, change);
        return toSnapshot({ ...row, ...change });
      });
    },

    assignPairVolume(
      masterVolumeId: number,
      snapshotId: number,
      volumeId: number,
      opts: CallOptions,
    ): Promise<Snapshot> {
      return transact(ctx, opts, async (tx) => {
        const row = await lockPair(tx, masterVolumeId, snapshotId);
        if (row.mapped_volume_id !== null) throw alreadyMapped(row);
        const master = await lockMaster(tx, masterVolumeId);
        await lockSecondary(tx, master, volumeId);
        const change = {
          mapped_volume_id: volumeId,
          type: row.type === "Snapshot" ? "Mapped Snapshot" : row.type,
        };
        await updatePair(tx, row, change);
        return toSnapshot({ ...row, ...change });
      });
    },

    unassignPairVolume(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<Snapshot> {
      return transact(ctx, opts, async (tx) => {
        const row = await lockPair(tx, masterVolumeId, snapshotId);
        if (row.mapped_volume_id === null) throw noSecondary(row);
        const change = {
          mapped_volume_id: null,
          type: row.type === "Mapped Snapshot" ? "Snapshot" : row.type,
        };
        await updatePair(tx, row, change);
        return toSnapshot({ ...row, ...change });
      });
    },

    clonePair(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        const row = await lockPair(tx, masterVolumeId, snapshotId);
        if (row.type !== "Snap Clone") {
          throw refused(
            `The pair ${masterVolumeId},${snapshotId} is not a clone.`,
            SNAPSHOT_REFUSALS.notClone,
          );
        }
        if (row.mapped_volume_id === null) throw noSecondary(row);
        const master = await lockMaster(tx, masterVolumeId);
        await copyData(tx, master, Number(row.mapped_volume_id));
        await deletePair(tx, masterVolumeId, snapshotId);
      });
    },

    async pairRolesOf(volumeIds: number[], opts: CallOptions): Promise<Map<number, PairRole>> {
      checkDeadline(opts);
      const roles = new Map<number, PairRole>();
      const roleOf = (id: number) => {
        let role = roles.get(id);
        if (!role) {
          role = { isPrimary: false };
          roles.set(id, role);
        }
        return role;
      };
      for (let i = 0; i < volumeIds.length; i += ROLE_CHUNK) {
        const ids = volumeIds.slice(i, i + ROLE_CHUNK);
        const [primaries, secondaries] = await Promise.all([
          db
            .selectFrom("snapshots")
            .select("master_volume_id")
            .distinct()
            .where("master_volume_id", "in", ids)
            .execute(),
          db
            .selectFrom("snapshots")
            .select(["master_volume_id", "snapshot_id", "pool_id", "mapped_volume_id"])
            .where("mapped_volume_id", "in", ids)
            .execute(),
        ]);
        for (const p of primaries) roleOf(Number(p.master_volume_id)).isPrimary = true;
        for (const s of secondaries) {
          roleOf(Number(s.mapped_volume_id)).secondaryOf = {
            masterVolumeId: Number(s.master_volume_id),
            snapshotId: Number(s.snapshot_id),
            poolId: Number(s.pool_id),
          };
        }
      }
      return roles;
    },

    mapSnapshot(
      masterVolumeId: number,
      snapshotId: number,
      poolId: number,
      opts: CallOptions,
    ): Promise<Snapshot> {
      return transact(ctx, opts, async (tx) => {
        const row = await lockPair(tx, masterVolumeId, snapshotId);
        if (row.mapped_volume_id !== null) throw alreadyMapped(row);
        const pool = await lockPool(tx, poolId);
        const master = await tx
          .selectFrom("volumes")
          .select(["id", "total_capacity"])
          .where("id", "=", masterVolumeId)
          .executeTakeFirstOrThrow();
        const id = await roomForVolume(tx, pool, Number(master.total_capacity));
        await insertMappedVolume(tx, id, master, poolId);
        const type: SnapshotType = row.type === "Snapshot" ? "Mapped Snapshot" : (row.type as SnapshotType);
        await updatePair(tx, row, { mapped_volume_id: id, type });
        return toSnapshot({ ...row, mapped_volume_id: id, type });
      });
    },

    restoreSnapshot(
      masterVolumeId: number,
      snapshotId: number,
      autoSplit: boolean,
      opts: CallOptions,
    ): Promise<Snapshot> {
      return transact(ctx, opts, async (tx) => {
        const row = await lockPair(tx, masterVolumeId, snapshotId);
        // Only fixed snapshot data can be written back.
        if (row.status !== "PSUS") throw wrongStatus(row, "restore");
        // The copy back is instant here: the pair passes through RCPY and is split again at once,
        // or stays paired (PAIR) when the client asked for no split.
        const status = autoSplit ? "PSUS" : "PAIR";
        await updatePair(tx, row, { status });
        return toSnapshot({ ...row, status });
      });
    },

    deleteSnapshot(masterVolumeId: number, snapshotId: number, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        await lockPair(tx, masterVolumeId, snapshotId);
        await deletePair(tx, masterVolumeId, snapshotId);
      });
    },

    async listSnapshotGroups(opts: CallOptions): Promise<string[]> {
      checkDeadline(opts);
      const rows = await db
        .selectFrom("snapshots")
        .select("snapshot_group_name")
        .distinct()
        .orderBy("snapshot_group_name")
        .execute();
      return rows.map((r) => r.snapshot_group_name);
    },

    async getSnapshotGroup(
      name: string,
      page: { startId: SnapshotKey; count: number },
      opts: CallOptions,
    ): Promise<SnapshotGroup> {
      checkDeadline(opts);
      const members = db.selectFrom("snapshots").where("snapshot_group_name", "=", name);
      const [total, rows] = await Promise.all([
        members.select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
        members
          .select(["master_volume_id", "snapshot_id"])
          .where(atOrAfter(page.startId))
          .orderBy("master_volume_id")
          .orderBy("snapshot_id")
          .limit(page.count + 1)
          .execute(),
      ]);
      const totalCount = Number(total.n);
      if (totalCount === 0) throw new NotFound(`The snapshot group "${name}" does not exist.`);
      return {
        name,
        snapshots: rows
          .slice(0, page.count)
          .map((r) => ({ masterVolumeId: Number(r.master_volume_id), snapshotId: Number(r.snapshot_id) })),
        totalCount,
        hasNext: rows.length > page.count,
      };
    },
  };
}
