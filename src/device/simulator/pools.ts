/**
 * Pools of the simulated array and the drives they are built from.
 *
 * Capacity model (MiB):
 * - a pool takes whole free drives of ONE drive type (mixing types needs a Dynamic Tiering license
 *   the simulated array does not have) and keeps ONE RAID level;
 * - usable capacity of n drives of capacity c: RAID1 n/2 × c (mirrored pairs), RAID5 (n−1) × c,
 *   RAID6 (n−2) × c (one or two drives' worth of distributed parity), rounded down;
 * - used capacity is the sum of the pool's volumes' provisioned capacity: the simulator reserves a
 *   volume's full capacity when it is created, so a pool never overcommits (and never runs out
 *   under a volume that was accepted);
 * - status comes from domain/capacity.ts (Normal, ExceededThreshold past the warning threshold,
 *   Error when full).
 *
 * Refusals of the array (messageId KART30000-E; SSB codes Blockplane chose, except where noted):
 * | rule                                              | SSB1 | SSB2 |
 * |---------------------------------------------------|------|------|
 * | pool has volumes or snapshots (delete; the doc's) | 2e11 | 001f |
 * | pool name already used                            | 2e13 | 0003 |
 * | drive type not installed                          | 2e13 | 0010 |
 * | not enough free drives of the type                | 2e13 | 0011 |
 * | mixed drive types / RAID levels in one pool       | 2e13 | 0012 |
 * | RAID layout impossible for the drive count        | 2e13 | 0013 |
 * | no free pool ID (the model's pool limit)          | 2e13 | 0014 |
 * | depletion threshold not above warning threshold   | 2e13 | 0015 |
 * | distributed parity (DDP) on a model without it    | 2e13 | 0016 |
 *
 * Parity groups: `parityGroupType: "DDP"` (VSP One only) makes a distributed-parity pool, which
 * grows by any number of drives; without it the drives form a fixed RAID layout ("DEFAULT"), and an
 * expansion adds a whole layout. A pool keeps one parity group type.
 */
import { type Expression, type SqlBool, sql } from "kysely";
import { poolStatus, usedCapacityRate } from "../../domain/capacity.ts";
import { NotFound, type SsbCode } from "../../domain/errors.ts";
import { type Db, forUpdate, type Store } from "../../store/db.ts";
import {
  type Drive,
  type DriveFilter,
  MAX_POOL_ID,
  type ParityGroupType,
  type Pool,
  type PoolChange,
  type PoolConfiguration,
  type PoolCreate,
  type PoolDriveSpec,
  type PoolFilter,
  type PoolsPort,
  RAID_RULES,
  type RaidLevel,
  raidLayoutProblem,
} from "../port/pools.ts";
import type { CallOptions } from "../port.ts";
import { checkDeadline, refused, type SimContext, transact } from "./context.ts";
import { noSavingEffects } from "./system.ts";

const DEFAULT_THRESHOLD_WARNING = 70;
const DEFAULT_THRESHOLD_DEPLETION = 80;

const SSB = {
  inUse: { SSB1: "2e11", SSB2: "001f" },
  duplicateName: { SSB1: "2e13", SSB2: "0003" },
  unknownDriveType: { SSB1: "2e13", SSB2: "0010" },
  notEnoughDrives: { SSB1: "2e13", SSB2: "0011" },
  mixed: { SSB1: "2e13", SSB2: "0012" },
  layout: { SSB1: "2e13", SSB2: "0013" },
  noFreeId: { SSB1: "2e13", SSB2: "0014" },
  thresholds: { SSB1: "2e13", SSB2: "0015" },
  noDdp: { SSB1: "2e13", SSB2: "0016" },
} satisfies Record<string, SsbCode>;

/**
 * A case-sensitive substring test in portable SQL (SQLite's LIKE ignores case, PostgreSQL's does
 * not, and neither needs its wildcards escaped this way).
 */
export function containsText(
  store: Pick<Store, "dialect">,
  column: string,
  part: string,
): Expression<SqlBool> {
  return store.dialect === "postgres"
    ? sql<SqlBool>`strpos(${sql.ref(column)}, ${part}) > 0`
    : sql<SqlBool>`instr(${sql.ref(column)}, ${part}) > 0`;
}

/** Usable MiB of `count` drives of `capacity` MiB each in a RAID layout. */
export function usableCapacity(raidLevel: RaidLevel, count: number, capacity: number): number {
  const dataDrives = raidLevel === "RAID1" ? count / 2 : raidLevel === "RAID5" ? count - 1 : count - 2;
  return Math.floor(dataDrives * capacity);
}

/** The drive's size as sold: decimal GB, rounded down to 10 GB (915,715 MiB is a "960 GB" drive). */
function soldGb(capacityMib: number): number {
  return Math.floor((capacityMib * 1_048_576) / 1e10) * 10;
}

function displayGb(gb: number): string {
  return gb < 1000 ? `${gb} GB` : `${(gb / 1000).toFixed(2)} TB`;
}

/** Drive locations "box-slot" in numeric order. */
function byLocation(a: string, b: string): number {
  const [ab = 0, as = 0] = a.split("-").map(Number);
  const [bb = 0, bs = 0] = b.split("-").map(Number);
  return ab - bb || as - bs;
}

const RPM_OF_SSD = "-";

type DriveRow = {
  location: string;
  drive_type_code: string;
  drive_type: string;
  drive_interface: string;
  capacity_mib: number;
  pool_id: number | null;
};

function toDrive(r: DriveRow): Drive {
  const gb = soldGb(Number(r.capacity_mib));
  const drive: Drive = {
    driveLocationId: r.location,
    driveTypeCode: r.drive_type_code,
    driveType: r.drive_type,
    driveInterface: r.drive_interface,
    driveRpm: RPM_OF_SSD,
    driveCapacity: gb,
    displayDriveCapacity: displayGb(gb),
    totalCapacity: Number(r.capacity_mib),
    status: "Normal",
    usageType: r.pool_id === null ? "FREE" : "DATA",
  };
  if (r.pool_id !== null) drive.poolId = Number(r.pool_id);
  return drive;
}

const parityOf = (s: PoolDriveSpec): ParityGroupType => (s.parityGroupType === "DDP" ? "DDP" : "DEFAULT");

/** Checks the drive specs of a create or expand against each other and against `pool`, if given. */
function checkSpecs(
  ctx: SimContext,
  specs: PoolDriveSpec[],
  pool?: { drive_type_code: string; raid_level: string; parity_group_type: string },
): void {
  const first = specs[0];
  if (!first) throw refused("No drives were specified.", SSB.layout);
  const { profile, model } = ctx.identity;
  for (const s of specs) {
    const parity = parityOf(s);
    if (parity === "DDP" && !profile.features.ddp) {
      throw refused(
        `The ${model} has no distributed-parity (DDP) pools: leave parityGroupType out.`,
        SSB.noDdp,
      );
    }
    const problem = raidLayoutProblem(s.raidLevel, s.dataDriveCount, {
      ddp: parity === "DDP",
      expanding: pool !== undefined,
    });
    if (problem) throw refused(problem, SSB.layout);
    const type = pool?.drive_type_code ?? first.driveTypeCode;
    const raid = pool?.raid_level ?? first.raidLevel;
    const parityWanted = (pool?.parity_group_type as ParityGroupType | undefined) ?? parityOf(first);
    if (s.driveTypeCode !== type) {
      throw refused(
        "A pool cannot mix drive types: that needs a Dynamic Tiering license, which is not installed.",
        SSB.mixed,
      );
    }
    if (s.raidLevel !== raid)
      throw refused(`All drives of a pool must use the same RAID level (${raid}).`, SSB.mixed);
    if (parity !== parityWanted) {
      throw refused(
        parityWanted === "DDP"
          ? 'The pool uses distributed parity: give parityGroupType "DDP".'
          : "The pool uses a fixed RAID layout: leave parityGroupType out.",
        SSB.mixed,
      );
    }
  }
}

/**
 * Takes free drives for the specs and answers their locations and the usable capacity they add.
 * Each spec is its own parity group, so its parity is counted on its own drives.
 */
async function takeDrives(ctx: SimContext, tx: Db, specs: PoolDriveSpec[], expandingDdp = false) {
  const code = (specs[0] as PoolDriveSpec).driveTypeCode;
  const wanted = specs.reduce((n, s) => n + s.dataDriveCount, 0);
  const free = await forUpdate(
    ctx.store,
    tx
      .selectFrom("drives")
      .select(["location", "capacity_mib"])
      .where("drive_type_code", "=", code)
      .where("pool_id", "is", null),
  ).execute();
  if (free.length === 0) {
    const installed = await tx
      .selectFrom("drives")
      .select("location")
      .where("drive_type_code", "=", code)
      .executeTakeFirst();
    if (!installed) throw refused(`No drives of type ${code} are installed.`, SSB.unknownDriveType);
  }
  if (free.length < wanted) {
    throw refused(
      `Not enough free drives of type ${code}: ${wanted} needed, ${free.length} free.`,
      SSB.notEnoughDrives,
    );
  }
  free.sort((a, b) => byLocation(a.location, b.location));
  let next = 0;
  let capacity = 0;
  for (const s of specs) {
    const group = free.slice(next, next + s.dataDriveCount);
    next += s.dataDriveCount;
    const each = Number((group[0] as { capacity_mib: number }).capacity_mib);
    // Drives added to a distributed-parity pool spread its parity: they add their whole capacity.
    capacity += expandingDdp ? group.length * each : usableCapacity(s.raidLevel, group.length, each);
  }
  return { locations: free.slice(0, wanted).map((d) => d.location), capacity };
}

async function assignDrives(tx: Db, locations: string[], poolId: number | null): Promise<void> {
  for (let i = 0; i < locations.length; i += 500) {
    await tx
      .updateTable("drives")
      .set({ pool_id: poolId })
      .where("location", "in", locations.slice(i, i + 500))
      .execute();
  }
}

async function checkNameFree(tx: Db, name: string, except?: number): Promise<void> {
  let q = tx.selectFrom("pools").select("id").where("name", "=", name);
  if (except !== undefined) q = q.where("id", "!=", except);
  if (await q.executeTakeFirst()) throw refused(`A pool named "${name}" already exists.`, SSB.duplicateName);
}

async function lockPool(ctx: SimContext, tx: Db, id: number) {
  const pool = await forUpdate(
    ctx.store,
    tx.selectFrom("pools").selectAll().where("id", "=", id),
  ).executeTakeFirst();
  if (!pool) throw new NotFound(`The pool ${id} does not exist.`);
  return pool;
}

export function poolsOps(ctx: SimContext): PoolsPort {
  const db = ctx.store.db;

  /** Pools with their usage and drives, in ID order: one aggregate query and one drive query. */
  async function readPools(where: { id?: number; name?: string }): Promise<Pool[]> {
    let q = db
      .selectFrom("pools")
      .leftJoin(
        (eb) =>
          eb
            .selectFrom("volumes")
            .select((e) => [
              "volumes.pool_id",
              e.fn.sum<number>(ctx.thinUsage ? "volumes.used_capacity" : "volumes.total_capacity").as("used"),
              e.fn.countAll<number>().as("volumes"),
              e.fn
                .sum<number>(e.case().when("volumes.saving_setting", "!=", "DISABLE").then(1).else(0).end())
                .as("saving"),
            ])
            .groupBy("volumes.pool_id")
            .as("u"),
        (join) => join.onRef("u.pool_id", "=", "pools.id"),
      )
      .selectAll("pools")
      .select(["u.used", "u.volumes", "u.saving"])
      .orderBy("pools.id");
    if (where.id !== undefined) q = q.where("pools.id", "=", where.id);
    if (where.name !== undefined) q = q.where(containsText(ctx.store, "pools.name", where.name));
    const rows = await q.execute();
    if (rows.length === 0) return [];
    let dq = db.selectFrom("drives").selectAll().where("pool_id", "is not", null);
    if (where.id !== undefined) dq = dq.where("pool_id", "=", where.id);
    const drives = new Map<number, DriveRow[]>();
    for (const d of await dq.execute()) {
      const list = drives.get(Number(d.pool_id)) ?? [];
      list.push(d);
      drives.set(Number(d.pool_id), list);
    }
    const savingEffects = noSavingEffects(ctx.now());
    return rows.map((r) => {
      const total = Number(r.total_capacity);
      const used = Number(r.used ?? 0);
      const own = (drives.get(Number(r.id)) ?? []).sort((a, b) => byLocation(a.location, b.location));
      const sample = own[0];
      const gb = sample ? soldGb(Number(sample.capacity_mib)) : 0;
      return {
        id: Number(r.id),
        name: r.name,
        status: poolStatus(total, used, r.threshold_warning),
        encryption: r.is_encryption_enabled ? "Enabled" : "Disabled",
        totalCapacity: total,
        effectiveCapacity: total,
        usedCapacity: used,
        freeCapacity: Math.max(0, total - used),
        capacityManage: {
          usedCapacityRate: usedCapacityRate(total, used),
          thresholdWarning: r.threshold_warning,
          thresholdDepletion: r.threshold_depletion,
        },
        savingEffects,
        configStatus: [],
        numberOfVolumes: Number(r.volumes ?? 0),
        numberOfTiers: 1,
        tiers: [],
        numberOfDriveTypes: sample ? 1 : 0,
        drives: sample
          ? [
              {
                driveType: sample.drive_type,
                driveInterface: sample.drive_interface,
                driveRpm: RPM_OF_SSD,
                driveCapacity: gb,
                displayDriveCapacity: displayGb(gb),
                totalCapacity: total,
                numberOfDrives: own.length,
                locations: own.map((d) => d.location),
                raidLevel: r.raid_level as RaidLevel,
                parityGroupType: r.parity_group_type,
              },
            ]
          : [],
        subscriptionLimit: { isEnabled: true, currentRate: usedCapacityRate(total, used) },
        containsCapacitySavingVolume: Number(r.saving ?? 0) > 0,
      } satisfies Pool;
    });
  }

  return {
    async listPools(filter: PoolFilter, opts: CallOptions): Promise<Pool[]> {
      checkDeadline(opts);
      const pools = await readPools(filter.name === undefined ? {} : { name: filter.name });
      return pools.filter(
        (p) =>
          (filter.status === undefined || p.status === filter.status) &&
          (filter.configStatus === undefined || p.configStatus.includes(filter.configStatus)),
      );
    },

    async getPool(id: number, opts: CallOptions): Promise<Pool> {
      checkDeadline(opts);
      const [pool] = await readPools({ id });
      if (!pool) throw new NotFound(`The pool ${id} does not exist.`);
      return pool;
    },

    createPool(spec: PoolCreate, opts: CallOptions): Promise<number> {
      return transact(ctx, opts, async (tx) => {
        checkSpecs(ctx, spec.drives);
        await checkNameFree(tx, spec.name);
        const taken = new Set((await tx.selectFrom("pools").select("id").execute()).map((p) => Number(p.id)));
        let id = 0;
        while (taken.has(id)) id++;
        const limit = Math.min(MAX_POOL_ID + 1, ctx.identity.profile.limits.maxPools);
        if (id >= limit)
          throw refused(
            `No more pools can be created: the ${ctx.identity.model} holds ${limit}.`,
            SSB.noFreeId,
          );
        const { locations, capacity } = await takeDrives(ctx, tx, spec.drives);
        const first = spec.drives[0] as PoolDriveSpec;
        await tx
          .insertInto("pools")
          .values({
            id,
            name: spec.name,
            raid_level: first.raidLevel,
            drive_type_code: first.driveTypeCode,
            total_capacity: capacity,
            threshold_warning: DEFAULT_THRESHOLD_WARNING,
            threshold_depletion: DEFAULT_THRESHOLD_DEPLETION,
            is_encryption_enabled: spec.isEncryptionEnabled ? 1 : 0,
            created_at: ctx.now(),
            parity_group_type: parityOf(first),
          })
          .execute();
        await assignDrives(tx, locations, id);
        return id;
      });
    },

    updatePool(id: number, change: PoolChange, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        const pool = await lockPool(ctx, tx, id);
        if (change.name !== undefined) await checkNameFree(tx, change.name, id);
        const warning = change.thresholdWarning ?? pool.threshold_warning;
        const depletion = change.thresholdDepletion ?? pool.threshold_depletion;
        if (depletion <= warning) {
          throw refused(
            `The depletion threshold (${depletion}%) must be greater than the warning threshold (${warning}%).`,
            SSB.thresholds,
          );
        }
        await tx
          .updateTable("pools")
          .set({ name: change.name ?? pool.name, threshold_warning: warning, threshold_depletion: depletion })
          .where("id", "=", id)
          .execute();
      });
    },

    expandPool(id: number, additionalDrives: PoolDriveSpec[], opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        const pool = await lockPool(ctx, tx, id);
        checkSpecs(ctx, additionalDrives, pool);
        const { locations, capacity } = await takeDrives(
          ctx,
          tx,
          additionalDrives,
          pool.parity_group_type === "DDP",
        );
        await tx
          .updateTable("pools")
          .set({ total_capacity: Number(pool.total_capacity) + capacity })
          .where("id", "=", id)
          .execute();
        await assignDrives(tx, locations, id);
      });
    },

    deletePool(id: number, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        await lockPool(ctx, tx, id);
        const volume = await tx
          .selectFrom("volumes")
          .select("id")
          .where("pool_id", "=", id)
          .limit(1)
          .executeTakeFirst();
        const snapshot = await tx
          .selectFrom("snapshots")
          .select("master_volume_id")
          .where("pool_id", "=", id)
          .limit(1)
          .executeTakeFirst();
        if (volume || snapshot) {
          throw refused(
            `Snapshot or volume exists in the pool ${id}. Delete the volumes and snapshots of the pool, and then try again.`,
            SSB.inUse,
            false,
          );
        }
        await tx.updateTable("drives").set({ pool_id: null }).where("pool_id", "=", id).execute();
        await tx.deleteFrom("pools").where("id", "=", id).execute();
      });
    },

    async listDrives(filter: DriveFilter, opts: CallOptions): Promise<Drive[]> {
      checkDeadline(opts);
      let q = db.selectFrom("drives").selectAll();
      if (filter.driveTypeCode !== undefined) q = q.where("drive_type_code", "=", filter.driveTypeCode);
      if (filter.usageType === "FREE") q = q.where("pool_id", "is", null);
      if (filter.usageType === "DATA") q = q.where("pool_id", "is not", null);
      const rows = await q.execute();
      return rows.sort((a, b) => byLocation(a.location, b.location)).map(toDrive);
    },

    async getDrive(location: string, opts: CallOptions): Promise<Drive> {
      checkDeadline(opts);
      const row = await db
        .selectFrom("drives")
        .selectAll()
        .where("location", "=", location)
        .executeTakeFirst();
      if (!row) throw new NotFound(`The drive ${location} does not exist.`);
      return toDrive(row);
    },

    async recommendedPoolConfigurations(poolId, opts): Promise<PoolConfiguration[]> {
      checkDeadline(opts);
      const { profile, model } = ctx.identity;
      if (!profile.features.recommendedPoolConfigurations) {
        throw new NotFound(`The ${model} does not recommend pool configurations.`);
      }
      const drives = await db.selectFrom("drives").selectAll().execute();
      const freeOf = (code: string) =>
        drives.filter((d) => d.drive_type_code === code && d.pool_id === null).length;
      const capacityOf = (code: string) =>
        Number(drives.find((d) => d.drive_type_code === code)?.capacity_mib ?? 0);
      if (poolId === undefined) {
        // A new pool: every free drive of a type, in each distributed-parity layout it can make.
        const codes = [...new Set(drives.map((d) => d.drive_type_code))].sort();
        return codes.flatMap((code) =>
          (["RAID6", "RAID5"] as const).map((raidLevel) => {
            const n = freeOf(code);
            const add = n >= RAID_RULES[raidLevel].minDrives ? n : 0;
            return {
              driveTypeCode: code,
              raidLevel,
              parityGroupType: "DDP" as const,
              numberOfCurrentDataDrives: 0,
              numberOfCurrentFreeDrives: n,
              numberOfRecommendedAddDataDrives: add,
              numberOfRecommendedRemainedFreeDrives: n - add,
              currentPoolCapacity: 0,
              afterOperationPoolCapacity: add > 0 ? usableCapacity(raidLevel, add, capacityOf(code)) : 0,
            };
          }),
        );
      }
      const pool = await db.selectFrom("pools").selectAll().where("id", "=", poolId).executeTakeFirst();
      if (!pool) throw new NotFound(`The pool ${poolId} does not exist.`);
      const code = pool.drive_type_code;
      const ddp = pool.parity_group_type === "DDP";
      const n = freeOf(code);
      const current = Number(pool.total_capacity);
      const each = capacityOf(code);
      const inPool = drives.filter((d) => d.pool_id !== null && Number(d.pool_id) === poolId).length;
      // Drives join a distributed-parity pool at either level, and clients look for RAID6 first; a
      // fixed layout grows only by whole parity groups of its own level.
      const levels: RaidLevel[] = ddp ? ["RAID6", "RAID5"] : [pool.raid_level as RaidLevel];
      return levels.map((raidLevel) => {
        // A distributed-parity pool takes any number of drives; a fixed layout a whole one at least.
        const add = ddp || n >= RAID_RULES[raidLevel].minDrives ? n : 0;
        return {
          driveTypeCode: code,
          raidLevel,
          parityGroupType: ddp ? ("DDP" as const) : ("DEFAULT" as const),
          numberOfCurrentDataDrives: inPool,
          numberOfCurrentFreeDrives: n,
          numberOfRecommendedAddDataDrives: add,
          numberOfRecommendedRemainedFreeDrives: n - add,
          currentPoolCapacity: current,
          afterOperationPoolCapacity:
            current + (ddp ? add * each : add > 0 ? usableCapacity(raidLevel, add, each) : 0),
        };
      });
    },
  };
}
