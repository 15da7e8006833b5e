/**
 * Pools: the asynchronous operations (create, change, expand, delete), each one job of one item.
 * The route validates the request; the array's own rules (free drives, names, pool in use) are
 * checked by the device when the job runs and end up in the command-status.
 */

import type { PoolChange, PoolCreate, PoolDriveSpec } from "../device/port/pools.ts";
import { BlockplaneError } from "../domain/errors.ts";
import {
  type JobContext,
  type JobOutcome,
  type JobsService,
  type OperationType,
  SIMPLE_OBJECTS,
  succeeded,
} from "./jobs.ts";

export const POOL_JOBS = {
  create: "pools.create",
  update: "pools.update",
  expand: "pools.expand",
  delete: "pools.delete",
} as const;

export const poolUrl = (id: number) => `${SIMPLE_OBJECTS}/pools/${id}`;

export interface PoolCreateParams {
  spec: PoolCreate;
}
export interface PoolUpdateParams {
  id: number;
  change: PoolChange;
}
export interface PoolExpandParams {
  id: number;
  additionalDrives: PoolDriveSpec[];
}
export interface PoolDeleteParams {
  id: number;
}

/** Runs one device call as the job's only item; a refusal becomes the job's failure on `resource`. */
export async function oneItem(
  resource: string,
  act: () => Promise<{
    operationType: OperationType;
    resourceType: string;
    id: number | string;
    url: string;
  }>,
): Promise<JobOutcome> {
  try {
    const r = await act();
    return { done: [succeeded(r.operationType, r.resourceType, r.id, r.url)], failures: [] };
  } catch (err) {
    if (!(err instanceof BlockplaneError)) throw err;
    return { done: [], failures: [{ error: err, resource }] };
  }
}

const opts = (ctx: JobContext) => ({ signal: ctx.signal, opKey: ctx.opKey(0) });

export function registerPoolJobs(jobs: JobsService): void {
  jobs.register<PoolCreateParams>(POOL_JOBS.create, (p, ctx) =>
    oneItem(`${SIMPLE_OBJECTS}/pools`, async () => {
      const id = await ctx.device.createPool(p.spec, opts(ctx));
      return { operationType: "CREATE", resourceType: "Pool", id, url: poolUrl(id) };
    }),
  );
  jobs.register<PoolUpdateParams>(POOL_JOBS.update, (p, ctx) =>
    oneItem(poolUrl(p.id), async () => {
      await ctx.device.updatePool(p.id, p.change, opts(ctx));
      return { operationType: "UPDATE", resourceType: "Pool", id: p.id, url: poolUrl(p.id) };
    }),
  );
  jobs.register<PoolExpandParams>(POOL_JOBS.expand, (p, ctx) =>
    oneItem(poolUrl(p.id), async () => {
      await ctx.device.expandPool(p.id, p.additionalDrives, opts(ctx));
      return { operationType: "UPDATE", resourceType: "Pool", id: p.id, url: poolUrl(p.id) };
    }),
  );
  jobs.register<PoolDeleteParams>(POOL_JOBS.delete, (p, ctx) =>
    oneItem(poolUrl(p.id), async () => {
      await ctx.device.deletePool(p.id, opts(ctx));
      return { operationType: "DELETE", resourceType: "Pool", id: p.id, url: poolUrl(p.id) };
    }),
  );
}
