/**
 * Pools: the asynchronous operations (create, change, expand, delete), each one job of one item.
 * The route validates the request; the array's own rules (free drives, names, pool in use) are
 * checked by the device when the job runs and end up in the command-status.
 */

import type { PoolChange, PoolCreate, PoolDriveSpec } from "../device/port/pools.ts";
import { type JobsService, oneItem, SIMPLE_OBJECTS, succeeded } from "./jobs.ts";

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

export function registerPoolJobs(jobs: JobsService): void {
  jobs.register<PoolCreateParams>(POOL_JOBS.create, (p, ctx) =>
    oneItem(ctx, `${SIMPLE_OBJECTS}/pools`, async (opts) => {
      const id = await ctx.device.createPool(p.spec, opts);
      return succeeded("CREATE", "Pool", id, poolUrl(id));
    }),
  );
  jobs.register<PoolUpdateParams>(POOL_JOBS.update, (p, ctx) =>
    oneItem(ctx, poolUrl(p.id), async (opts) => {
      await ctx.device.updatePool(p.id, p.change, opts);
      return succeeded("UPDATE", "Pool", p.id, poolUrl(p.id));
    }),
  );
  jobs.register<PoolExpandParams>(POOL_JOBS.expand, (p, ctx) =>
    oneItem(ctx, poolUrl(p.id), async (opts) => {
      await ctx.device.expandPool(p.id, p.additionalDrives, opts);
      return succeeded("UPDATE", "Pool", p.id, poolUrl(p.id));
    }),
  );
  jobs.register<PoolDeleteParams>(POOL_JOBS.delete, (p, ctx) =>
    oneItem(ctx, poolUrl(p.id), async (opts) => {
      await ctx.device.deletePool(p.id, opts);
      return succeeded("DELETE", "Pool", p.id, poolUrl(p.id));
    }),
  );
}
