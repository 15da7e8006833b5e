/** Registers the job handler of every asynchronous operation. */
import type { JobsService } from "./jobs.ts";

export function registerJobHandlers(_jobs: JobsService): void {}
