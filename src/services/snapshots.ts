/**
 * Snapshots and snapshot groups: the asynchronous operations. Taking snapshots (one item per
 * param) and deleting a snapshot group (one item per member) are multi-resource: an item the array
 * refuses fails alone. Map, restore and delete act on one snapshot, and so do the full API's
 * operations on a Thin Image pair (the same snapshot, named by P-VOL and MU number).
 */
import type { PairCreate, SnapshotCreate, SnapshotKey } from "../device/port/snapshots.ts";
import type { CallOptions, Device } from "../device/port.ts";
import {
  type ExecutionResult,
  eachItem,
  type JobsService,
  oneItem,
  SIMPLE_OBJECTS,
  succeeded,
} from "./jobs.ts";
import { volumeUrl } from "./volumes.ts";

export const SNAPSHOT_JOBS = {
  create: "snapshots.create",
  map: "snapshots.map",
  restore: "snapshots.restore",
  delete: "snapshots.delete",
  deleteGroup: "snapshot-groups.delete",
  createPair: "pairs.create",
  split: "pairs.split",
  assignVolume: "pairs.assignVolume",
  unassignVolume: "pairs.unassignVolume",
  clone: "pairs.clone",
} as const;

export const SNAPSHOTS_URL = `${SIMPLE_OBJECTS}/snapshots`;
export const snapshotId = (masterVolumeId: number, snapshotId: number) => `${masterVolumeId},${snapshotId}`;
export const snapshotUrl = (masterVolumeId: number, id: number) =>
  `${SNAPSHOTS_URL}/${snapshotId(masterVolumeId, id)}`;

export interface SnapshotsCreateParams {
  params: SnapshotCreate[];
}
export interface SnapshotParams {
  masterVolumeId: number;
  snapshotId: number;
}
export interface SnapshotMapParams extends SnapshotParams {
  poolId: number;
}
export interface SnapshotRestoreParams extends SnapshotParams {
  /** false: the pair stays in PAIR after the copy back (the full API's choice). */
  autoSplit?: boolean;
}
export interface PairAssignParams extends SnapshotParams {
  volumeId: number;
}
export interface SnapshotGroupDeleteParams {
  name: string;
  /** The group's members when the deletion was requested. */
  members: SnapshotKey[];
}

/** A snapshot item's result, followed by the volume it was mapped to when that volume is new. */
function snapshotResult(
  operationType: "CREATE" | "UPDATE",
  s: { masterVolumeId: number; snapshotId: number },
  newVolumeId: number | undefined,
): ExecutionResult {
  const result = succeeded(
    operationType,
    "Snapshot",
    snapshotId(s.masterVolumeId, s.snapshotId),
    snapshotUrl(s.masterVolumeId, s.snapshotId),
  );
  if (newVolumeId === undefined) return result;
  const volume = succeeded("CREATE", "Volume", newVolumeId, volumeUrl(newVolumeId));
  return {
    affectedResources: [...result.affectedResources, ...volume.affectedResources],
    operationDetails: [...result.operationDetails, ...volume.operationDetails],
  };
}

const deleted = (s: SnapshotParams) =>
  succeeded(
    "DELETE",
    "Snapshot",
    snapshotId(s.masterVolumeId, s.snapshotId),
    snapshotUrl(s.masterVolumeId, s.snapshotId),
  );

const urlOf = (s: SnapshotParams) => snapshotUrl(s.masterVolumeId, s.snapshotId);

export function registerSnapshotJobs(jobs: JobsService): void {
  jobs.register<SnapshotsCreateParams>(SNAPSHOT_JOBS.create, (p, ctx) =>
    eachItem(
      ctx,
      p.params,
      () => SNAPSHOTS_URL,
      async (spec, opts) => {
        const s = await ctx.device.createSnapshot(spec, opts);
        return snapshotResult("CREATE", s, s.mappedVolumeId);
      },
    ),
  );

  jobs.register<SnapshotMapParams>(SNAPSHOT_JOBS.map, (p, ctx) =>
    eachItem(ctx, [p], urlOf, async (s, opts) => {
      const mapped = await ctx.device.mapSnapshot(s.masterVolumeId, s.snapshotId, s.poolId, opts);
      return snapshotResult("UPDATE", mapped, mapped.mappedVolumeId);
    }),
  );

  jobs.register<SnapshotRestoreParams>(SNAPSHOT_JOBS.restore, (p, ctx) =>
    eachItem(ctx, [p], urlOf, async (s, opts) => {
      await ctx.device.restoreSnapshot(s.masterVolumeId, s.snapshotId, s.autoSplit ?? true, opts);
      return snapshotResult("UPDATE", s, undefined);
    }),
  );

  jobs.register<PairCreate>(SNAPSHOT_JOBS.createPair, (p, ctx) =>
    oneItem(ctx, SNAPSHOTS_URL, async (opts) =>
      snapshotResult("CREATE", await ctx.device.createPair(p, opts), undefined),
    ),
  );

  /** A job of one pair operation that answers the pair as updated. */
  const onePair = <P extends SnapshotParams>(
    kind: string,
    act: (p: P, opts: CallOptions, device: Device) => Promise<unknown>,
  ) =>
    jobs.register<P>(kind, (p, ctx) =>
      oneItem(ctx, urlOf(p), async (opts) => {
        await act(p, opts, ctx.device);
        return snapshotResult("UPDATE", p, undefined);
      }),
    );
  onePair(SNAPSHOT_JOBS.split, (p, opts, d) => d.splitPair(p.masterVolumeId, p.snapshotId, opts));
  onePair<PairAssignParams>(SNAPSHOT_JOBS.assignVolume, (p, opts, d) =>
    d.assignPairVolume(p.masterVolumeId, p.snapshotId, p.volumeId, opts),
  );
  onePair(SNAPSHOT_JOBS.unassignVolume, (p, opts, d) =>
    d.unassignPairVolume(p.masterVolumeId, p.snapshotId, opts),
  );
  onePair(SNAPSHOT_JOBS.clone, (p, opts, d) => d.clonePair(p.masterVolumeId, p.snapshotId, opts));

  jobs.register<SnapshotParams>(SNAPSHOT_JOBS.delete, (p, ctx) =>
    eachItem(ctx, [p], urlOf, async (s, opts) => {
      await ctx.device.deleteSnapshot(s.masterVolumeId, s.snapshotId, opts);
      return deleted(s);
    }),
  );

  jobs.register<SnapshotGroupDeleteParams>(SNAPSHOT_JOBS.deleteGroup, (p, ctx) => {
    const members = p.members.map(([masterVolumeId, snapshotId]) => ({ masterVolumeId, snapshotId }));
    return eachItem(ctx, members, urlOf, async (s, opts) => {
      await ctx.device.deleteSnapshot(s.masterVolumeId, s.snapshotId, opts);
      return deleted(s);
    });
  });
}
