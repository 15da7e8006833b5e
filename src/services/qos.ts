/**
 * Volumes' quality of service: a change runs as a job of one item, one device call under the
 * job's idempotency key; the route has checked the change against the state it read, and the
 * array checks it again against the state it locks.
 */
import type { QosChange } from "../domain/qos.ts";
import { type JobsService, oneItem, succeeded } from "./jobs.ts";
import { volumeUrl } from "./volumes.ts";

export const QOS_JOBS = { set: "volumes.set-qos" } as const;

export const qosUrl = (volumeId: number) => `${volumeUrl(volumeId)}/qos-setting`;

export interface QosSetParams {
  id: number;
  change: QosChange;
}

export function registerQosJobs(jobs: JobsService): void {
  jobs.register<QosSetParams>(QOS_JOBS.set, (p, ctx) =>
    oneItem(ctx, volumeUrl(p.id), async (opts) => {
      await ctx.device.setVolumeQos(p.id, p.change, opts);
      return succeeded("UPDATE", "Volume", p.id, volumeUrl(p.id));
    }),
  );
}
