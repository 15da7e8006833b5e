/**
 * Fault injection: a device wrapper (like deadline.ts) that makes the array slow, silent, busy, in
 * maintenance, refuse one item, or kill the process at a named point, as the rules of the fault
 * control API say (fault-rules.ts). Installed only when faults are enabled (config `faults`), so it
 * costs nothing otherwise.
 *
 * It sits inside the deadline wrapper: a "timeout" never answers and the deadline answers 504, and
 * "latency" delays the call before it reaches the array, so a latency past the deadline makes the
 * array see a call whose deadline has passed — what a slow controller does.
 *
 * Which event a rule acts on (its scope, settled by normalizeRule):
 * - device: every device call whose operation / resourceType match; method and path, when given,
 *   narrow it to calls made while serving such a request (a job's calls serve no request);
 * - request: a rule with only method and/or path acts on the HTTP request itself, before its handler;
 * - job: the crash point before-job-complete.
 * `match.item` (1-based) picks the nth item: of a batch operation (createVolumes) the nth element;
 * of a job's per-item calls the nth item (from the call's idempotency key `job:<id>:<index>`);
 * otherwise the nth call of that operation while serving one request (e.g. the parts of a list).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ArrayIdentity } from "../config.ts";
import {
  type BlockplaneError,
  Busy,
  DeviceRefused,
  DeviceTimeout,
  Maintenance,
  PHRASES,
  restoreError,
  type StoredError,
  storeError,
} from "../domain/errors.ts";
import { MESSAGE_IDS } from "../domain/message-ids.ts";
import type { Store } from "../store/db.ts";
import { type FaultRule, FaultRules, parseCrashPoint, resourceTypeOf, windowEnd } from "./fault-rules.ts";
import { type CallOptions, type Device, type ItemResult, type Operation, wrapOperations } from "./port.ts";
import { resetArray } from "./simulator/reset.ts";

/**
 * Operations that take a batch of items (their first argument) and answer one ItemResult per item,
 * in order. A fault on one item of such a batch takes the item out before the array sees the batch,
 * so a refused item is really not done.
 */
const BATCH_OPERATIONS = new Set(["createVolumes"]);

/** The request a device call is made for, and how often each operation was called for it. */
export interface RequestContext {
  method: string;
  path: string;
  calls: Map<string, number>;
}

const requestContext = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (the rest of a request's handling) as serving the request `method path`. */
export function runInRequest(method: string, path: string, fn: () => void): void {
  requestContext.run({ method, path, calls: new Map() }, fn);
}

export interface FaultInjectorOptions {
  identity: ArrayIdentity;
  now: () => number;
  /** The process's deadline of one device call: how long a request-level "timeout" waits. */
  deviceTimeoutMs: number;
  /** Ends the process abruptly at a crash point; never returns. */
  crash: (point: string) => void;
  random?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `signal` aborts (the deadline), then fails as a device that never answered. */
function neverAnswer(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () =>
      reject(new DeviceTimeout(`The storage system did not answer in time. Please ${PHRASES.retry}.`));
    if (signal.aborted) return fail();
    signal.addEventListener("abort", fail, { once: true });
  });
}

/** "Reason" → "Reason: text" without a doubled full stop. */
function withDetail(lead: string, detail: string | undefined): string {
  return detail ? `${lead}: ${detail.replace(/\.\s*$/, "")}` : lead;
}

/** The error a failing rule answers, or undefined for rules that do not fail the call. */
function errorOf(rule: FaultRule, now: number): BlockplaneError | undefined {
  switch (rule.action) {
    case "busy":
      return new Busy(
        `${withDetail("The storage system is busy", rule.message)}. ${PHRASES.busy}. Please ${PHRASES.retry}.`,
        rule.retryAfterSeconds ?? 1,
      );
    case "maintenance":
      return new Maintenance(
        `${withDetail("The storage system is under maintenance", rule.message)}. Please ${PHRASES.retry}.`,
        rule.retryAfterSeconds ?? Math.max(1, Math.ceil((windowEnd(rule) - now) / 1000)),
      );
    case "fail-item":
      return new DeviceRefused(rule.message ?? "The storage system refused the operation.", {
        messageId: MESSAGE_IDS.commandFailed.id,
        errorCode: rule.errorCode ?? { SSB1: "2e11", SSB2: "ffff" },
      });
    default:
      return undefined;
  }
}

function pathMatches(pattern: string, path: string): boolean {
  return pattern.startsWith("^") ? new RegExp(pattern).test(path) : path.startsWith(pattern);
}

function requestMatches(rule: FaultRule, method: string | undefined, path: string | undefined): boolean {
  const m = rule.match;
  if (m.method !== undefined && m.method !== method) return false;
  if (m.path !== undefined && (path === undefined || !pathMatches(m.path, path))) return false;
  return true;
}

/** The item index (1-based) a job's call stands for, from its key `job:<id>:<index>`. */
function itemOfKey(opKey: string | undefined): number | undefined {
  const m = opKey === undefined ? null : /:(\d+)$/.exec(opKey);
  return m ? Number(m[1]) + 1 : undefined;
}

const BATCH_KEY = "fault.batch:";

interface BatchDecision {
  /** 0-based index → the stored error of an item taken out of the batch. */
  failed: [number, StoredError][];
}

/** Evaluates the rules for requests, device calls and jobs; shared by the wrapper and http/. */
export class FaultInjector {
  readonly rules: FaultRules;
  /** The device operations that rules may name; set by withFaults. */
  operations: string[] = [];

  constructor(
    private readonly store: Store,
    private readonly options: FaultInjectorOptions,
  ) {
    this.rules = new FaultRules(store, options.now, options.random);
  }

  /**
   * Returns the array to its factory state (simulator/reset.ts) and forgets the batch decisions
   * that belonged to the idempotency records it removes. Rules stay: they are the rehearsal's, not the array's.
   */
  async resetArray(): Promise<void> {
    await resetArray({ store: this.store, identity: this.options.identity, now: this.options.now });
    await this.store.db.deleteFrom("array_meta").where("key", "like", `${BATCH_KEY}%`).execute();
  }

  /** Applies request-level rules to the request `method path`; throws the error one answers. */
  async onRequest(method: string, path: string): Promise<void> {
    const rules = (await this.rules.active()).filter(
      (r) => r.scope === "request" && requestMatches(r, method, path),
    );
    if (rules.length === 0) return;
    await this.delay(rules);
    for (const rule of rules) {
      if (rule.action === "timeout") {
        if (!(await this.rules.fire(rule))) continue;
        await sleep(this.options.deviceTimeoutMs);
        throw new DeviceTimeout(
          `The storage system did not answer within ${this.options.deviceTimeoutMs} ms. Please ${PHRASES.retry}.`,
        );
      }
      const error = errorOf(rule, this.options.now());
      if (error && (await this.rules.fire(rule))) throw error;
    }
  }

  /** The crash point before-job-complete: a job's outcome is about to be recorded. */
  async beforeJobComplete(): Promise<void> {
    for (const rule of await this.rules.active()) {
      if (rule.scope === "job" && (await this.rules.fire(rule))) this.options.crash(rule.point as string);
    }
  }

  /** Sleeps the latency of every latency rule among `rules` that fires. */
  private async delay(rules: FaultRule[]): Promise<void> {
    let ms = 0;
    for (const rule of rules) {
      if (rule.action === "latency" && (await this.rules.fire(rule))) ms += rule.latencyMs ?? 0;
    }
    if (ms > 0) await sleep(ms);
  }

  /** One device call of `operation`, with the faults that apply to it. */
  async call(operation: string, op: Operation, args: unknown[]) {
    const opts = args[args.length - 1] as CallOptions;
    // A call with an idempotency key is a job's: it serves no request, even when the job was started
    // from inside one (a worker woken by an enqueue runs in the enqueuing request's async context).
    const request = opts.opKey === undefined ? requestContext.getStore() : undefined;
    let nthCall: number | undefined;
    if (request) {
      nthCall = (request.calls.get(operation) ?? 0) + 1;
      request.calls.set(operation, nthCall);
    }
    const batch =
      BATCH_OPERATIONS.has(operation) && Array.isArray(args[0]) ? (args[0] as unknown[]) : undefined;
    /** Without a rule for it, a call still follows what was decided for its key before. */
    const unfaulted = async () => {
      const recorded = batch && opts.opKey !== undefined ? await this.recordedBatch(opts.opKey) : undefined;
      return recorded && batch ? this.callBatch(op, args, batch, recorded) : op(...args);
    };
    const all = await this.rules.active();
    if (all.length === 0) return unfaulted();

    const resourceType = resourceTypeOf(operation);
    const rules = all.filter((r) => {
      if (r.scope !== "device") return false;
      const m = r.match;
      const point = r.action === "crash" ? parseCrashPoint(r.point ?? "") : undefined;
      const named = point && point.stage !== "before-job-complete" ? point.operation : undefined;
      if ((m.operation ?? named) !== undefined && (m.operation ?? named) !== operation) return false;
      if (m.resourceType !== undefined && m.resourceType !== resourceType) return false;
      return requestMatches(r, request?.method, request?.path);
    });
    if (rules.length === 0) return unfaulted();

    const item = batch ? undefined : (itemOfKey(opts.opKey) ?? nthCall ?? 1);
    /** The rule's nth item, when it names one (crash points may name it too). */
    const itemOf = (r: FaultRule) => {
      const point = r.action === "crash" ? parseCrashPoint(r.point ?? "") : undefined;
      return r.match.item ?? (point && "item" in point ? point.item : undefined);
    };
    /**
     * Rules that act on elements of a batch rather than on the whole call: fail-item (every element,
     * or the nth), and busy or maintenance of the nth element.
     */
    const perElement = (r: FaultRule) =>
      batch !== undefined &&
      (r.action === "fail-item" || (errorOf(r, 0) !== undefined && itemOf(r) !== undefined));
    const wholeCall = rules.filter((r) => {
      if (perElement(r)) return false;
      const n = itemOf(r);
      if (n === undefined) return true;
      return batch ? batch.length >= n : item === n;
    });

    // Decided first, so that a retry of this call that starts while this one is delayed takes out
    // the same elements.
    const decision = batch
      ? await this.decideBatch(batch.length, opts.opKey, rules.filter(perElement), itemOf)
      : undefined;
    await this.delay(wholeCall);
    for (const rule of wholeCall) {
      const point = rule.action === "crash" ? parseCrashPoint(rule.point ?? "") : undefined;
      if (point?.stage === "before" && (await this.rules.fire(rule)))
        this.options.crash(rule.point as string);
    }
    for (const rule of wholeCall) {
      if (rule.action === "timeout" && (await this.rules.fire(rule))) return neverAnswer(opts.signal);
      const error = errorOf(rule, this.options.now());
      if (error && (await this.rules.fire(rule))) throw error;
    }

    const result = batch && decision ? await this.callBatch(op, args, batch, decision) : await op(...args);

    for (const rule of wholeCall) {
      const point = rule.action === "crash" ? parseCrashPoint(rule.point ?? "") : undefined;
      if (point?.stage === "after" && (await this.rules.fire(rule))) this.options.crash(rule.point as string);
    }
    return result;
  }

  /**
   * Which elements of a batch fail. Decided once per idempotency key and recorded, so that a re-run
   * of the same call (a retry after a timeout, a job re-run after a crash) takes out the same
   * elements and gets answers in the same positions, whatever the rules say by then.
   */
  private async decideBatch(
    size: number,
    opKey: string | undefined,
    rules: FaultRule[],
    itemOf: (r: FaultRule) => number | undefined,
  ): Promise<BatchDecision> {
    const db = this.store.db;
    if (opKey !== undefined) {
      const prior = await this.recordedBatch(opKey);
      if (prior) return prior;
    }
    const decision: BatchDecision = { failed: [] };
    const now = this.options.now();
    for (let i = 0; i < size; i++) {
      for (const rule of rules) {
        const n = itemOf(rule);
        if (n !== undefined && n !== i + 1) continue;
        const error = errorOf(rule, now);
        if (error && (await this.rules.fire(rule))) {
          decision.failed.push([i, storeError(error)]);
          break;
        }
      }
    }
    if (opKey === undefined || decision.failed.length === 0) return decision;
    const inserted = await db
      .insertInto("array_meta")
      .values({ key: BATCH_KEY + opKey, value: JSON.stringify(decision) })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("key")
      .executeTakeFirst();
    if (inserted) return decision;
    // Another run of the same key decided first: follow it.
    const row = await db
      .selectFrom("array_meta")
      .select("value")
      .where("key", "=", BATCH_KEY + opKey)
      .executeTakeFirstOrThrow();
    return JSON.parse(row.value) as BatchDecision;
  }

  private async recordedBatch(opKey: string): Promise<BatchDecision | undefined> {
    const row = await this.store.db
      .selectFrom("array_meta")
      .select("value")
      .where("key", "=", BATCH_KEY + opKey)
      .executeTakeFirst();
    return row ? (JSON.parse(row.value) as BatchDecision) : undefined;
  }

  /** Calls a batch operation without the failed elements and puts their failures back in place. */
  private async callBatch(
    op: Operation,
    args: unknown[],
    batch: unknown[],
    decision: BatchDecision,
  ): Promise<unknown> {
    if (decision.failed.length === 0) return op(...args);
    const failed = new Map(decision.failed);
    const kept = batch.filter((_, i) => !failed.has(i));
    const results = (await op(kept, ...args.slice(1))) as ItemResult<unknown>[];
    const merged: ItemResult<unknown>[] = [];
    let next = 0;
    for (let i = 0; i < batch.length; i++) {
      const stored = failed.get(i);
      if (stored) merged.push({ ok: false, error: restoreError(stored) });
      else merged.push(results[next++] as ItemResult<unknown>);
    }
    return merged;
  }
}

/** Wraps `device` so that every call goes through the injector's rules. */
export function withFaults(device: Device, injector: FaultInjector): Device {
  const operations: string[] = [];
  const wrapped = wrapOperations(device, (name, op) => {
    operations.push(name);
    return (...args: unknown[]) => injector.call(name, op, args);
  });
  injector.operations = operations;
  return wrapped;
}
