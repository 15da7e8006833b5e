/**
 * Asynchronous operations. A service that runs asynchronously enqueues a job (a row) and answers
 * its command-status id; the worker claims jobs with a lease, runs the handler registered for the
 * job's kind, and records the outcome. A job whose worker died is claimed again when its lease runs
 * out and re-run: handlers pass an idempotency key per item to the device, so nothing acts twice.
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import {
  BlockplaneError,
  bySeverity,
  InternalError,
  NotFound,
  restoreError,
  type SsbCode,
  type StoredError,
  storeError,
} from "../domain/errors.ts";
import type { Device } from "../device/port.ts";
import type { JobRow, JobsStore } from "../store/jobs.ts";

export const SIMPLE_OBJECTS = "/ConfigurationManager/simple/v1/objects";

export type OperationType = "CREATE" | "UPDATE" | "DELETE";

export interface OperationDetail {
  operationType: OperationType;
  resourceType: string;
  resourceId: string;
}

/** What one successful item did: the shape a synchronous change answers with 200. */
export interface ExecutionResult {
  affectedResources: string[];
  operationDetails: OperationDetail[];
}

/** One failed item: its error and the URL of the resource it was about. */
export interface ItemFailure {
  error: BlockplaneError;
  resource: string;
}

export interface JobOutcome {
  done: ExecutionResult[];
  failures: ItemFailure[];
}

export interface JobContext {
  jobId: number;
  device: Device;
  /** Aborts when the worker stops; device calls also carry their own deadline. */
  signal: AbortSignal;
  /** The idempotency key of the job's `item`-th device call. */
  opKey(item: number | string): string;
}

export type JobHandler<P = unknown> = (params: P, ctx: JobContext) => Promise<JobOutcome>;

/** The command-status object of the API. */
export interface CommandStatus {
  id: number;
  progress: "unexecuted" | "processing" | "completed";
  status?: "normal" | "error";
  affectedResources?: string[];
  operationDetails?: OperationDetail[];
  errorResource?: string;
  errorCode?: SsbCode;
  errorMessage?: string;
  errorResponses?: { errorSource: string; messageId?: string; message: string; errorCode?: SsbCode }[];
  partialSuccessResponses?: ExecutionResult[];
}

interface StoredOutcome {
  done: ExecutionResult[];
  failures: { error: StoredError; resource: string }[];
}

export function statusResource(id: number): string {
  return `${SIMPLE_OBJECTS}/command-status/${id}`;
}

/** Builds the one-item outcome helpers handlers use. */
export function succeeded(operationType: OperationType, resourceType: string, resourceId: string | number, url: string): ExecutionResult {
  return { affectedResources: [url], operationDetails: [{ operationType, resourceType, resourceId: String(resourceId) }] };
}

export class JobsService {
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly jobs: JobsStore,
    private readonly options: { now: () => number; ttlMs: number; maxCount: number },
  ) {}

  register<P>(kind: string, handler: JobHandler<P>): void {
    if (this.handlers.has(kind)) throw new Error(`job kind ${kind} registered twice`);
    this.handlers.set(kind, handler as JobHandler<never>);
  }

  handler(kind: string): JobHandler<unknown> | undefined {
    return this.handlers.get(kind) as JobHandler<unknown> | undefined;
  }

  /** Records a job for the worker and answers its id. */
  async enqueue(kind: string, params: unknown, userId: number | null): Promise<number> {
    if (!this.handlers.has(kind)) throw new InternalError(`no handler for job kind ${kind}`);
    const id = await this.jobs.insert(kind, params, userId, this.options.now());
    for (const wake of this.listeners) wake();
    return id;
  }

  /** Called with no argument whenever a job is enqueued on this instance. */
  onEnqueue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The command-status of a job that `userId` started (or any job, for `userId` undefined). */
  async status(id: number, userId: number | undefined): Promise<CommandStatus> {
    const job = await this.jobs.get(id);
    if (!job || (userId !== undefined && job.userId !== userId)) {
      throw new NotFound(`The command status ${id} does not exist.`);
    }
    return toCommandStatus(job);
  }

  async delete(id: number, userId: number | undefined): Promise<ExecutionResult> {
    const job = await this.jobs.get(id);
    if (!job || (userId !== undefined && job.userId !== userId)) {
      throw new NotFound(`The command status ${id} does not exist.`);
    }
    await this.jobs.delete(id);
    return {
      affectedResources: [statusResource(id)],
      operationDetails: [{ operationType: "DELETE", resourceType: "CommandStatus", resourceId: String(id) }],
    };
  }

  prune(): Promise<number> {
    const now = this.options.now();
    return this.jobs.prune(now - this.options.ttlMs, this.options.maxCount);
  }
}

export function toCommandStatus(job: JobRow): CommandStatus {
  if (job.progress !== "completed") return { id: job.id, progress: job.progress };
  const outcome = job.result as StoredOutcome;
  const status: CommandStatus = {
    id: job.id,
    progress: "completed",
    status: job.status ?? "error",
    affectedResources: outcome.done.flatMap((d) => d.affectedResources),
    operationDetails: outcome.done.flatMap((d) => d.operationDetails),
  };
  const failures = outcome.failures.map((f) => ({ error: restoreError(f.error), resource: f.resource }));
  const lead = failures[0];
  if (lead) {
    status.errorResource = lead.resource;
    if (lead.error.detail.errorCode) status.errorCode = lead.error.detail.errorCode;
    status.errorMessage = lead.error.message;
    // Several items: name every failure and what did succeed, as a multi-resource error does.
    if (failures.length + outcome.done.length > 1) {
      status.errorResponses = failures.map((f) => ({
        errorSource: f.resource,
        ...(f.error.detail.messageId ? { messageId: f.error.detail.messageId } : {}),
        message: f.error.message,
        ...(f.error.detail.errorCode ? { errorCode: f.error.detail.errorCode } : {}),
      }));
      status.partialSuccessResponses = outcome.done;
    }
  }
  return status;
}

/** Orders failures most severe first and makes the outcome storable. */
function storable(outcome: JobOutcome): StoredOutcome {
  const failures = [...outcome.failures].sort((a, b) => bySeverity(a.error, b.error));
  return { done: outcome.done, failures: failures.map((f) => ({ error: storeError(f.error), resource: f.resource })) };
}

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  /** A job claimed this many times without finishing is ended with an error. */
  maxAttempts: number;
  /** How often the worker looks for jobs enqueued elsewhere or left by a dead worker. */
  pollMs: number;
  now: () => number;
}

/**
 * Runs jobs: claims one whenever a slot is free, keeps its lease alive while it runs, records the
 * outcome, and gives unfinished jobs back at shutdown.
 */
export class JobWorker {
  readonly owner = `worker-${randomUUID()}`;
  private running = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    private readonly jobs: JobsStore,
    private readonly service: JobsService,
    private readonly device: Device,
    private readonly options: WorkerOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.unsubscribe = this.service.onEnqueue(() => this.pump());
    this.timer = setInterval(() => {
      this.pump();
      this.service.prune().catch((err) => this.log.error({ err }, "pruning command statuses failed"));
    }, this.options.pollMs);
    this.timer.unref();
    this.pump();
  }

  /** Stops claiming, aborts what runs, waits for it, and gives unfinished jobs back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves when no job is running on this worker (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.fill().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.running < this.options.concurrency) {
      let job: JobRow | undefined;
      try {
        job = await this.jobs.claim(this.owner, this.options.now(), this.options.leaseMs);
      } catch (err) {
        this.log.error({ err }, "claiming a job failed");
        return;
      }
      if (!job) return;
      this.running++;
      const run = this.run(job).finally(() => {
        this.running--;
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  private async run(job: JobRow): Promise<void> {
    const { leaseMs, now } = this.options;
    const renew = setInterval(() => {
      this.jobs.renew(job.id, this.owner, now() + leaseMs).catch((err) => this.log.warn({ err, job: job.id }, "lease renewal failed"));
    }, Math.max(50, Math.floor(leaseMs / 3)));
    try {
      const outcome = await this.execute(job);
      if (this.stopped && this.abort.signal.aborted && outcome === undefined) {
        await this.jobs.release(job.id, this.owner, now());
        return;
      }
      if (outcome === undefined) return;
      const stored = storable(outcome);
      const status = stored.failures.length > 0 ? "error" : "normal";
      const recorded = await this.jobs.complete(job.id, this.owner, status, stored, now());
      if (!recorded) this.log.warn({ job: job.id }, "job lease was lost before completion; another worker finishes it");
    } catch (err) {
      this.log.error({ err, job: job.id }, "recording a job outcome failed");
    } finally {
      clearInterval(renew);
    }
  }

  /** Runs the handler; answers undefined when the job must be left for another attempt. */
  private async execute(job: JobRow): Promise<JobOutcome | undefined> {
    const handler = this.service.handler(job.kind);
    if (!handler) {
      return { done: [], failures: [{ error: new InternalError(`Unknown operation ${job.kind}.`), resource: statusResource(job.id) }] };
    }
    if (job.attempts > this.options.maxAttempts) {
      return {
        done: [],
        failures: [
          {
            error: new InternalError(`The operation was interrupted ${job.attempts - 1} times and was abandoned.`),
            resource: statusResource(job.id),
          },
        ],
      };
    }
    try {
      return await handler(job.params, {
        jobId: job.id,
        device: this.device,
        signal: this.abort.signal,
        opKey: (item) => `job:${job.id}:${item}`,
      });
    } catch (err) {
      if (this.abort.signal.aborted) return undefined;
      if (err instanceof BlockplaneError && err.kind !== "internal") {
        return { done: [], failures: [{ error: err, resource: statusResource(job.id) }] };
      }
      this.log.error({ err, job: job.id }, "job handler failed");
      return {
        done: [],
        failures: [{ error: new InternalError("The operation failed because of an internal error."), resource: statusResource(job.id) }],
      };
    }
  }
}
