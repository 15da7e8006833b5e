/**
 * The jobs service with every handler's run measured: its duration by job kind and outcome
 * (normal, error: some item failed, aborted: stopped to be run again, failed: the handler threw).
 */
import type { Metrics } from "../metrics.ts";
import type { JobsStore } from "../store/jobs.ts";
import { type JobHandler, type JobsOptions, JobsService } from "./jobs.ts";

export class MeasuredJobsService extends JobsService {
  constructor(
    store: JobsStore,
    options: JobsOptions,
    private readonly metrics: Metrics,
  ) {
    super(store, options);
  }

  override register<P>(kind: string, handler: JobHandler<P>): void {
    const runs = this.metrics.jobRuns;
    super.register<P>(kind, async (params, ctx) => {
      const start = performance.now();
      let outcome: "normal" | "error" | "aborted" | "failed" = "failed";
      try {
        const result = await handler(params, ctx);
        outcome = ctx.signal.aborted ? "aborted" : result.failures.length > 0 ? "error" : "normal";
        return result;
      } catch (err) {
        if (ctx.signal.aborted) outcome = "aborted";
        throw err;
      } finally {
        runs.labels(kind, outcome).observe((performance.now() - start) / 1000);
      }
    });
  }
}
