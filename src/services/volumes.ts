/**
 * Volumes: the asynchronous operations. Creating N volumes is ONE job whose items are created by
 * one batch call of the device (one transaction): items the array refuses fail alone, the others
 * are created, and each volume's own command-status reports its outcome.
 */

import type {
  SavingSetting,
  VolumeCreate,
  VolumeIdRange,
  VolumeSavingChange,
} from "../device/port/volumes.ts";
import { BlockplaneError } from "../domain/errors.ts";
import { fromItems, type JobsService, oneItem, SIMPLE_OBJECTS, succeeded } from "./jobs.ts";
import { poolUrl } from "./pools.ts";

export const VOLUME_JOBS = {
  create: "volumes.create",
  setSaving: "volumes.set-saving-setting",
  expand: "volumes.expand",
  discardZeroPages: "volumes.discard-zero-pages",
  delete: "volumes.delete",
} as const;

export const VOLUMES_URL = `${SIMPLE_OBJECTS}/volumes`;
export const volumeUrl = (id: number) => `${VOLUMES_URL}/${id}`;

export interface NicknameParam {
  baseName: string;
  /** Without it, no number is appended and every volume gets the base name. */
  startNumber?: number;
  /** Zero-padding of the number; only with startNumber. */
  numberOfDigits?: number;
}

export interface VolumeCreateParams {
  poolId: number;
  capacity: number;
  number: number;
  nicknameParam?: NicknameParam;
  savingSetting: SavingSetting;
  isDataReductionShareEnabled: boolean;
  /** Where the new volumes' IDs may lie (the full API's ldevId, or startLdevId–endLdevId). */
  idRange?: VolumeIdRange;
}

/** The nicknames of `number` volumes created with `param`: base name plus zero-padded number. */
export function volumeNicknames(param: NicknameParam | undefined, number: number): string[] {
  if (!param) return Array.from({ length: number }, () => "");
  const { baseName, startNumber, numberOfDigits = 1 } = param;
  if (startNumber === undefined) return Array.from({ length: number }, () => baseName);
  return Array.from(
    { length: number },
    (_, i) => `${baseName}${String(startNumber + i).padStart(numberOfDigits, "0")}`,
  );
}

export interface VolumeIdParams {
  id: number;
}
export interface VolumeSavingParams extends VolumeIdParams {
  nickname?: string;
  savingSetting?: SavingSetting;
  compressionAcceleration?: boolean;
}
export interface VolumeExpandParams extends VolumeIdParams {
  capacity: number;
}

export function registerVolumeJobs(jobs: JobsService): void {
  jobs.register<VolumeCreateParams>(VOLUME_JOBS.create, async (p, ctx) => {
    const items: VolumeCreate[] = volumeNicknames(p.nicknameParam, p.number).map((nickname) => ({
      poolId: p.poolId,
      capacity: p.capacity,
      nickname,
      savingSetting: p.savingSetting,
      isDataReductionShareEnabled: p.isDataReductionShareEnabled,
      ...(p.idRange ? { idRange: p.idRange } : {}),
    }));
    let results: Awaited<ReturnType<typeof ctx.device.createVolumes>>;
    try {
      results = await ctx.device.createVolumes(items, { signal: ctx.signal, opKey: ctx.opKey(0) });
    } catch (err) {
      // The batch as a whole was refused (its pool does not exist): every volume fails, naming the pool.
      if (!(err instanceof BlockplaneError)) throw err;
      const failure = { error: err, resource: poolUrl(p.poolId) };
      return fromItems(items.map(() => ({ ok: false, failure })));
    }
    // One outcome per volume, in order: each volume's own command-status reports it.
    return fromItems(
      results.map((r) =>
        r.ok
          ? { ok: true, result: succeeded("CREATE", "Volume", r.value, volumeUrl(r.value)) }
          : { ok: false, failure: { error: r.error, resource: VOLUMES_URL } },
      ),
    );
  });

  jobs.register<VolumeSavingParams>(VOLUME_JOBS.setSaving, (p, ctx) =>
    oneItem(ctx, volumeUrl(p.id), async (opts) => {
      const change: VolumeSavingChange = {};
      if (p.nickname !== undefined) change.nickname = p.nickname;
      if (p.savingSetting !== undefined) change.savingSetting = p.savingSetting;
      if (p.compressionAcceleration !== undefined) change.compressionAcceleration = p.compressionAcceleration;
      await ctx.device.setVolumeSavings(p.id, change, opts);
      return succeeded("UPDATE", "Volume", p.id, volumeUrl(p.id));
    }),
  );
  jobs.register<VolumeExpandParams>(VOLUME_JOBS.expand, (p, ctx) =>
    oneItem(ctx, volumeUrl(p.id), async (opts) => {
      await ctx.device.expandVolume(p.id, p.capacity, opts);
      return succeeded("UPDATE", "Volume", p.id, volumeUrl(p.id));
    }),
  );
  // The simulated array keeps no zero pages apart (a volume's used capacity is what was written):
  // returning them to the pool finds none, once the volume is known to exist.
  jobs.register<VolumeIdParams>(VOLUME_JOBS.discardZeroPages, (p, ctx) =>
    oneItem(ctx, volumeUrl(p.id), async (opts) => {
      await ctx.device.getVolume(p.id, opts);
      return succeeded("UPDATE", "Volume", p.id, volumeUrl(p.id));
    }),
  );
  jobs.register<VolumeIdParams>(VOLUME_JOBS.delete, (p, ctx) =>
    oneItem(ctx, volumeUrl(p.id), async (opts) => {
      await ctx.device.deleteVolume(p.id, opts);
      return succeeded("DELETE", "Volume", p.id, volumeUrl(p.id));
    }),
  );
}
