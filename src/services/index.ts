/** Registers the job handler of every asynchronous operation. */
import { registerConnectionJobs } from "./connections.ts";
import { registerHostGroupJobs } from "./host-groups.ts";
import type { JobsService } from "./jobs.ts";
import { registerPoolJobs } from "./pools.ts";
import { registerQosJobs } from "./qos.ts";
import { registerServerJobs } from "./servers.ts";
import { registerSnapshotJobs } from "./snapshots.ts";
import { registerVolumeJobs } from "./volumes.ts";

export function registerJobHandlers(jobs: JobsService): void {
  registerPoolJobs(jobs);
  registerServerJobs(jobs);
  registerHostGroupJobs(jobs);
  registerVolumeJobs(jobs);
  registerConnectionJobs(jobs);
  registerSnapshotJobs(jobs);
  registerQosJobs(jobs);
}
