/**
 * Asynchronous operations. A service that runs asynchronously enqueues a job (a row) and answers
 * its command-status id; the worker claims jobs with a lease, runs the handler registered for the
 * job's kind, and records the outcome. A job whose worker died is claimed again when its lease runs
 * out and re-run: handlers pass an idempotency key per item to the device, so nothing acts twice.
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { Device } from "../device/port.ts";
import {
  BlockplaneError,
  Busy,
  bySeverity,
  InternalError,
  InvalidRequest,
  NotFound,
  PHRASES,
  restoreError,
  type StoredError,
  StoreFull,
  storeError,
} from "../domain/errors.ts";
import { type JobRequest, type JobRow, type JobsStore, jobOpKey, type StatusFilter } from "../store/jobs.ts";

export type { JobRequest };

export const SIMPLE_OBJECTS = "/ConfigurationManager/simple/v1/objects";
/** Where the full Configuration Manager API (v1) names its objects. */
export const FULL_OBJECTS = "/ConfigurationManager/v1/objects";

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

/** One item's outcome, in item order: what it did, or why it failed. */
export type ItemOutcome = { ok: true; result: ExecutionResult } | { ok: false; failure: ItemFailure };

export interface JobOutcome {
  done: ExecutionResult[];
  failures: ItemFailure[];
  /**
   * Every item's outcome in item order, from handlers of multi-resource operations: each item has
   * a command-status of its own. Without it (the handler failed as a whole) every item reports
   * the job's failure.
   */
  items?: ItemOutcome[];
}

/** An outcome from its items' outcomes, in order. */
export function fromItems(items: ItemOutcome[]): JobOutcome {
  const outcome: JobOutcome = { done: [], failures: [], items };
  for (const item of items) {
    if (item.ok) outcome.done.push(item.result);
    else outcome.failures.push(item.failure);
  }
  return outcome;
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

/**
 * Where a job stands: what the command-status of the API reports, before http/ renders the errors
 * as the API's error objects. `failures` are ordered most severe first.
 */
export interface JobStatus {
  id: number;
  progress: "unexecuted" | "processing" | "completed";
  status?: "normal" | "error";
  done: ExecutionResult[];
  failures: ItemFailure[];
}

/** A job's status with who started it, when, and by which request. */
export interface JobDetails extends JobStatus {
  userId: number | null;
  createdAt: number;
  /** The last change of the job's row: its completion, once completed. */
  updatedAt: number;
  request: JobRequest | null;
}

interface StoredOutcome {
  done: ExecutionResult[];
  failures: { error: StoredError; resource: string }[];
}

export function statusResource(id: number): string {
  return `${SIMPLE_OBJECTS}/command-status/${id}`;
}

/** Builds the one-item outcome helpers handlers use. */
export function succeeded(
  operationType: OperationType,
  resourceType: string,
  resourceId: string | number,
  url: string,
): ExecutionResult {
  return {
    affectedResources: [url],
    operationDetails: [{ operationType, resourceType, resourceId: String(resourceId) }],
  };
}

/**
 * Runs a multi-resource job item by item (one device call each, idempotent under its own key) and
 * collects every item's outcome: a refused item fails alone, the others go on. A run that is
 * aborted stops at once; the job is run again and the items already done answer their recorded
 * outcome.
 */
export async function eachItem<T>(
  ctx: JobContext,
  items: readonly T[],
  resourceOf: (item: T) => string,
  act: (item: T, opts: { signal: AbortSignal; opKey: string }) => Promise<ExecutionResult>,
): Promise<JobOutcome> {
  const outcomes: ItemOutcome[] = [];
  for (const [i, item] of items.entries()) {
    try {
      outcomes.push({ ok: true, result: await act(item, { signal: ctx.signal, opKey: ctx.opKey(i) }) });
    } catch (err) {
      // A store that cannot write fails every item alike and says nothing of the item: the job
      // is run again once the store can write.
      if (ctx.signal.aborted || err instanceof StoreFull) throw err;
      const error =
        err instanceof BlockplaneError
          ? err
          : new InternalError("The operation failed because of an internal error.");
      outcomes.push({ ok: false, failure: { error, resource: resourceOf(item) } });
    }
  }
  return fromItems(outcomes);
}

/** What a run that met a store unable to write answers: nothing to record, run it again. */
const STORE_FULL = Symbol("store full");

/** Runs a job's only device call (item key 0); a refusal becomes the job's failure on `resource`. */
export function oneItem(
  ctx: JobContext,
  resource: string,
  act: (opts: { signal: AbortSignal; opKey: string }) => Promise<ExecutionResult>,
): Promise<JobOutcome> {
  return eachItem(
    ctx,
    [resource],
    (r) => r,
    (_r, opts) => act(opts),
  );
}

export interface JobsOptions {
  now: () => number;
  /** Completed jobs older than this are pruned. */
  ttlMs: number;
  /** At most about this many jobs are kept; the oldest completed ones are pruned first. */
  maxCount: number;
  /**
   * Unfinished jobs (queued or running, on every instance) past which enqueue answers Busy (503):
   * a queue without a bound only turns overload into timeouts. Unbounded when absent.
   */
  maxPending?: number;
  /** Retry-After of that Busy answer. */
  busyRetryAfterSeconds?: number;
}

/**
 * How long an instance trusts its count of unfinished jobs. Other instances' enqueues and every
 * completion show up at the next count; within the bound the count is only this instance's guess
 * (it adds its own enqueues), near the bound it is counted afresh at most every PENDING_RECOUNT_MS.
 */
const PENDING_TTL_MS = 1000;
const PENDING_RECOUNT_MS = 50;

export class JobsService {
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly listeners = new Set<() => void>();
  /** Rows in the table as of the last prune plus this instance's enqueues since (undefined: unknown). */
  private estimate: number | undefined;
  private enqueuedSincePrune = 0;
  private pruning: Promise<{ removed: number; remaining: number }> | undefined;
  /**
   * Enqueues past the bound between two prunes: pruning on every enqueue would cost a count per
   * request once the table is full, so the table may overshoot by this much until the next prune.
   */
  private readonly pruneStep: number;
  /** Unfinished jobs as last counted plus this instance's enqueues since, and when it was counted. */
  private pending: { count: number; at: number } | undefined;
  private counting: Promise<number> | undefined;

  constructor(
    private readonly jobs: JobsStore,
    private readonly options: JobsOptions,
  ) {
    this.pruneStep = Math.max(1, Math.ceil(options.maxCount / 100));
  }

  /** How often the periodic sweep should run: often enough to honour the TTL, rarely enough to cost nothing. */
  get sweepIntervalMs(): number {
    return Math.min(60_000, Math.max(1000, Math.floor(this.options.ttlMs / 10)));
  }

  register<P>(kind: string, handler: JobHandler<P>): void {
    if (this.handlers.has(kind)) throw new Error(`job kind ${kind} registered twice`);
    this.handlers.set(kind, handler as JobHandler<never>);
    // Jobs of this kind may be waiting already (left by a previous run of the server).
    for (const wake of this.listeners) wake();
  }

  /** The kinds of job this instance can run. */
  kinds(): string[] {
    return [...this.handlers.keys()];
  }

  handler(kind: string): JobHandler<unknown> | undefined {
    return this.handlers.get(kind) as JobHandler<unknown> | undefined;
  }

  /**
   * Records a job for the worker and answers its id. `request` is the HTTP request that started it,
   * kept for the full API's job object.
   */
  async enqueue(kind: string, params: unknown, userId: number | null, request?: JobRequest): Promise<number> {
    const [id] = await this.record(kind, 1, () =>
      this.jobs.insert(kind, params, userId, this.options.now(), request),
    );
    return id as number;
  }

  /**
   * Records a multi-resource job of `items` items (1 or more), run as one job, and answers one
   * command-status id per item, in item order: each reports its job's progress until the job
   * completes, then its own item's outcome. One transaction: all the statuses or none.
   */
  enqueueItems(
    kind: string,
    params: unknown,
    userId: number | null,
    items: number,
    request?: JobRequest,
  ): Promise<number[]> {
    if (!Number.isInteger(items) || items < 1) throw new InternalError(`a job of ${items} items`);
    return this.record(kind, items, () =>
      this.jobs.insertItems(kind, params, userId, this.options.now(), items, request),
    );
  }

  /** Admits one job to the bounded queue, inserts its `statuses` rows, wakes the workers. */
  private async record(
    kind: string,
    statuses: number,
    insert: () => Promise<number | number[]>,
  ): Promise<number[]> {
    if (!this.handlers.has(kind)) throw new InternalError(`no handler for job kind ${kind}`);
    await this.admit();
    let ids: number[];
    try {
      ids = [await insert()].flat();
    } catch (err) {
      if (this.pending) this.pending.count--;
      throw err;
    }
    if (this.estimate !== undefined) this.estimate += statuses;
    this.enqueuedSincePrune += statuses;
    for (const wake of this.listeners) wake();
    await this.keepBound();
    return ids;
  }

  /**
   * Takes a place in the bounded queue of configuration operations, or throws Busy when it is full.
   * The place is counted synchronously after the check, so concurrent enqueues on this instance
   * cannot all pass on one count.
   */
  private async admit(): Promise<void> {
    const max = this.options.maxPending;
    if (max === undefined) return;
    const now = this.options.now();
    const stale = !this.pending || now - this.pending.at >= PENDING_TTL_MS;
    const full = this.pending !== undefined && this.pending.count >= max;
    if (stale || (full && now - (this.pending?.at ?? 0) >= PENDING_RECOUNT_MS)) {
      this.counting ??= this.jobs.countActive().finally(() => {
        this.counting = undefined;
      });
      const count = await this.counting;
      this.pending = { count, at: this.options.now() };
    }
    const pending = this.pending as { count: number; at: number };
    if (pending.count >= max) {
      throw new Busy(
        `The storage system is busy: ${max} configuration operations are queued or running, the most it accepts. ${PHRASES.busy}. Please ${PHRASES.retry}.`,
        this.options.busyRetryAfterSeconds ?? 5,
      );
    }
    pending.count++;
  }

  /** Wakes this instance's workers, as an enqueue does: e.g. when maintenance ends and jobs may start. */
  wake(): void {
    for (const wake of this.listeners) wake();
  }

  /** Called with no argument whenever a job is enqueued on this instance. */
  onEnqueue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Where job `id` stands, if `userId` started it (any job, for `userId` undefined). */
  async status(id: number, userId: number | undefined): Promise<JobStatus> {
    return toJobStatus(await this.row(id, userId));
  }

  /**
   * Where job `id` stands with what the full API's job object reports besides: who started it,
   * when, by which request, and when it last changed (its completion, once completed).
   */
  async details(id: number, userId: number | undefined): Promise<JobDetails> {
    const job = await this.row(id, userId);
    return {
      ...toJobStatus(job),
      userId: job.userId,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      request: job.request,
    };
  }

  /**
   * A page of statuses from `startId` on, in id order: `filter.userId`'s (everyone's when
   * undefined) whose progress and status match.
   */
  async list(
    filter: StatusFilter,
    startId: number,
    count: number,
  ): Promise<{ data: JobStatus[]; totalCount: number; hasNext: boolean }> {
    const page = await this.jobs.listStatuses(filter, startId, count);
    return { ...page, data: page.data.map((job) => toJobStatus(followingLeader(job))) };
  }

  private async row(id: number, userId: number | undefined): Promise<JobRow> {
    const job = await this.jobs.getStatus(id);
    if (!job || (userId !== undefined && job.userId !== userId)) throw notFound(id);
    return followingLeader(job);
  }

  /**
   * Deletes the command-status of a completed job. An unfinished one stays: deleting it would
   * leave an operation running that nobody can follow.
   */
  async delete(id: number, userId: number | undefined): Promise<ExecutionResult> {
    const job = await this.jobs.get(id);
    if (!job || (userId !== undefined && job.userId !== userId)) throw notFound(id);
    if (!(await this.jobs.deleteCompleted(id))) {
      if (!(await this.jobs.get(id))) throw notFound(id);
      throw new InvalidRequest(
        `The command status ${id} cannot be deleted because the operation has not completed. Please wait for a while and try again.`,
      );
    }
    return {
      affectedResources: [statusResource(id)],
      operationDetails: [{ operationType: "DELETE", resourceType: "CommandStatus", resourceId: String(id) }],
    };
  }

  /** Removes expired statuses and the oldest completed ones past the maximum count. */
  prune(): Promise<number> {
    return this.pruneShared().then((r) => r.removed);
  }

  /** One prune at a time on this instance; callers arriving meanwhile share it. */
  private pruneShared(): Promise<{ removed: number; remaining: number }> {
    if (this.pruning) return this.pruning;
    this.enqueuedSincePrune = 0;
    const now = this.options.now();
    const run = this.jobs.prune(now - this.options.ttlMs, this.options.maxCount).then(
      (r) => {
        // Enqueues during the prune may or may not have been counted: assume not (prunes early).
        this.estimate = r.remaining + this.enqueuedSincePrune;
        return r;
      },
      (err) => {
        this.estimate = undefined;
        throw err;
      },
    );
    this.pruning = run;
    // The caller handles a failure; this derived promise only clears the slot.
    run
      .finally(() => {
        this.pruning = undefined;
      })
      .catch(() => {});
    return run;
  }

  /**
   * Keeps the number of statuses near the bound under a burst of enqueues, without waiting for the
   * periodic sweep: prunes when this instance's estimate says the table is past the bound, at most
   * once per `pruneStep` enqueues. A failure here is left to the sweep, which logs it: the job is
   * already recorded and must be answered.
   */
  private async keepBound(): Promise<void> {
    try {
      while (
        this.estimate === undefined ||
        (this.estimate > this.options.maxCount && this.enqueuedSincePrune >= this.pruneStep)
      ) {
        await this.pruneShared();
      }
    } catch {
      // Left to the periodic sweep.
    }
  }
}

/** An item's status follows its job until the job records every item's outcome. */
function followingLeader(job: JobRow & { leaderProgress?: JobRow["progress"] }): JobRow {
  if (job.progress !== "completed" && job.leaderProgress !== undefined) {
    return { ...job, progress: job.leaderProgress === "completed" ? "processing" : job.leaderProgress };
  }
  return job;
}

function notFound(id: number): NotFound {
  return new NotFound(`The command status ${id} does not exist.`);
}

export function toJobStatus(job: JobRow): JobStatus {
  if (job.progress !== "completed") return { id: job.id, progress: job.progress, done: [], failures: [] };
  const outcome = job.result as StoredOutcome;
  return {
    id: job.id,
    progress: "completed",
    status: job.status ?? "error",
    done: outcome.done,
    failures: outcome.failures.map((f) => ({ error: restoreError(f.error), resource: f.resource })),
  };
}

/** Orders failures most severe first and makes the outcome storable. */
function storable(outcome: JobOutcome): StoredOutcome {
  const failures = [...outcome.failures].sort((a, b) => bySeverity(a.error, b.error));
  return {
    done: outcome.done,
    failures: failures.map((f) => ({ error: storeError(f.error), resource: f.resource })),
  };
}

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  /** A job claimed this many times without finishing is ended with an error. */
  maxAttempts: number;
  /** How often the worker looks for jobs enqueued elsewhere or left by a dead worker. */
  pollMs: number;
  /** How often expired statuses are pruned; by default the service's `sweepIntervalMs`. */
  sweepMs?: number;
  now: () => number;
  /** While it answers true (the array is in maintenance) no new job is started. */
  paused?: () => Promise<boolean>;
  /** Called after a job's handler returned, before its outcome is recorded (a fault-injection point). */
  beforeComplete?: () => Promise<void>;
}

/** One run of a job on this worker. */
interface RunControl {
  /** The job's attempt count when this run claimed it. */
  attempts: number;
  abort: AbortController;
  /** The job claimed again after another worker held it: run afresh once this run has stopped. */
  again?: JobRow;
}

/**
 * Runs jobs: claims one whenever a slot is free (at once when a job is enqueued on this instance,
 * else on the next poll), keeps its lease alive while it runs, records the outcome, and gives
 * unfinished jobs back at shutdown.
 */
export class JobWorker {
  readonly owner = `worker-${randomUUID()}`;
  /** The jobs this worker runs now, by id. */
  private readonly running = new Map<number, RunControl>();
  private stopped = false;
  private readonly abort = new AbortController();
  private pollTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private filling: Promise<void> | undefined;
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
    this.pollTimer = setInterval(() => this.pump(), this.options.pollMs);
    this.pollTimer.unref();
    this.sweepTimer = setInterval(() => {
      this.service.prune().catch((err) => this.log.error({ err }, "pruning command statuses failed"));
    }, this.options.sweepMs ?? this.service.sweepIntervalMs);
    this.sweepTimer.unref();
    this.pump();
  }

  /**
   * Stops claiming, aborts what runs, waits for it, and gives unfinished jobs back so that another
   * worker takes them at once instead of waiting for their leases to run out.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.pollTimer);
    clearInterval(this.sweepTimer);
    this.abort.abort();
    await this.filling;
    await this.idle();
  }

  /** Resolves when no job is running on this worker (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.pumpAgain = true;
      return;
    }
    this.filling = this.fill().finally(() => {
      this.filling = undefined;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.running.size < this.options.concurrency) {
      let job: JobRow | undefined;
      try {
        if (await this.options.paused?.()) return;
        job = await this.jobs.claim(
          this.owner,
          this.options.now(),
          this.options.leaseMs,
          this.service.kinds(),
        );
      } catch (err) {
        this.log.error({ err }, "claiming a job failed");
        return;
      }
      if (!job) return;
      const current = this.running.get(job.id);
      if (current) {
        // Our own job, its lease run out while this process stalled (the renewal timer could not
        // fire), and the claim took it back. If nobody held it in between, the claim merely
        // renewed it: a second run beside the first must not start. If another worker took it
        // over meanwhile (and lost it in turn), the stale run stops and the job runs again under
        // this claim, which counts that worker's attempt.
        if (job.attempts > current.attempts + 1) {
          current.again = job;
          current.abort.abort();
        }
        continue;
      }
      if (this.stopped) {
        // Claimed while stopping: hand it straight back.
        await this.giveBack(job.id);
        return;
      }
      this.launch(job);
    }
  }

  private launch(job: JobRow): void {
    const control: RunControl = { attempts: job.attempts, abort: new AbortController() };
    this.running.set(job.id, control);
    const run = this.run(job, control).finally(() => {
      this.running.delete(job.id);
      this.inFlight.delete(run);
      if (control.again) {
        if (this.stopped) void this.giveBack(job.id);
        else this.launch(control.again);
      }
      this.pump();
    });
    this.inFlight.add(run);
  }

  private giveBack(id: number): Promise<void> {
    return this.jobs.release(id, this.owner, this.options.now()).then(
      () => undefined,
      (err) => this.log.warn({ err, job: id }, "releasing a job failed"),
    );
  }

  private async run(job: JobRow, control: RunControl): Promise<void> {
    const { leaseMs, now } = this.options;
    // Aborts this job's handler when the worker stops, the job's lease is lost, or the job is
    // claimed again to run afresh.
    const jobAbort = control.abort;
    const onStop = () => jobAbort.abort();
    this.abort.signal.addEventListener("abort", onStop, { once: true });
    let leaseLost = false;
    const renew = setInterval(
      () => {
        this.jobs.renew(job.id, this.owner, now() + leaseMs).then(
          (held) => {
            if (held || jobAbort.signal.aborted) return;
            // Taken over after a stall, or its status deleted: whatever this run does now is moot.
            leaseLost = true;
            this.log.warn({ job: job.id }, "job lease was lost; abandoning this run");
            jobAbort.abort();
          },
          (err) => {
            if (!(err instanceof StoreFull)) this.log.warn({ err, job: job.id }, "lease renewal failed");
          },
        );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    try {
      const outcome = await this.execute(job, jobAbort.signal);
      if (jobAbort.signal.aborted) {
        // An aborted run's outcome may hold failures the abort itself caused (each device call
        // ends in DeviceTimeout): record nothing. The job runs again, on another worker or after a
        // restart, and the idempotency keys keep the items already done from acting twice.
        if (!leaseLost && !control.again) await this.jobs.release(job.id, this.owner, now());
        return;
      }
      if (outcome === undefined) return;
      if (outcome === STORE_FULL) {
        // Given back for a run once the store can write (the worker pauses meanwhile); if even
        // that cannot be written, the lease runs out and the job is claimed again.
        await this.jobs.release(job.id, this.owner, now()).catch(() => {});
        return;
      }
      await this.options.beforeComplete?.();
      const recorded = await this.record(job, outcome);
      if (!recorded)
        this.log.warn({ job: job.id }, "job lease was lost before completion; another worker finishes it");
    } catch (err) {
      // A full store is said once by its health; the job's lease runs out and it runs again.
      if (!(err instanceof StoreFull)) this.log.error({ err, job: job.id }, "recording a job outcome failed");
    } finally {
      clearInterval(renew);
      this.abort.signal.removeEventListener("abort", onStop);
    }
  }

  /**
   * Records a job's outcome. A multi-resource job records one outcome per item status (item 0 in
   * the job's own row); when the handler gave no item outcomes (it failed as a whole, or the job
   * was abandoned), every item reports the job's failure.
   */
  private record(job: JobRow, outcome: JobOutcome): Promise<boolean> {
    const recorded = (o: JobOutcome) => {
      const stored = storable(o);
      return {
        status: stored.failures.length > 0 ? ("error" as const) : ("normal" as const),
        result: stored,
      };
    };
    const now = this.options.now();
    if (job.item !== 0) {
      const { status, result } = recorded(outcome);
      return this.jobs.complete(job.id, this.owner, status, result, now);
    }
    const whole = recorded({ done: [], failures: outcome.failures.slice(0, 1) });
    if (outcome.failures.length === 0) {
      whole.status = "error";
      whole.result = storable({
        done: [],
        failures: [
          {
            error: new InternalError("The operation reported no outcome."),
            resource: statusResource(job.id),
          },
        ],
      });
    }
    const items = (outcome.items ?? []).map((item) =>
      recorded(item.ok ? { done: [item.result], failures: [] } : { done: [], failures: [item.failure] }),
    );
    const first = items[0] ?? whole;
    return this.jobs.complete(job.id, this.owner, first.status, first.result, now, {
      each: items.slice(1),
      rest: whole,
    });
  }

  /**
   * Runs the handler; answers undefined when the run was aborted and the job must be run again,
   * STORE_FULL when the store could not write.
   */
  private async execute(
    job: JobRow,
    signal: AbortSignal,
  ): Promise<JobOutcome | typeof STORE_FULL | undefined> {
    const failed = (error: BlockplaneError): JobOutcome => ({
      done: [],
      failures: [{ error, resource: statusResource(job.id) }],
    });
    const handler = this.service.handler(job.kind);
    if (!handler) return failed(new InternalError("The operation is not supported by this server."));
    if (job.attempts > this.options.maxAttempts) {
      return failed(
        new InternalError(`The operation was interrupted ${job.attempts - 1} times and was abandoned.`),
      );
    }
    try {
      return await handler(job.params, {
        jobId: job.id,
        device: this.device,
        signal,
        opKey: (item) => jobOpKey(job.id, item),
      });
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof StoreFull) return STORE_FULL;
      if (err instanceof BlockplaneError && err.kind !== "internal") return failed(err);
      // The cause stays in the log; the status says only that something went wrong inside.
      this.log.error({ err, job: job.id, kind: job.kind }, "job handler failed");
      return failed(new InternalError("The operation failed because of an internal error."));
    }
  }
}
