/**
 * Fault rules: what the fault-injection control API records and the fault wrapper (faults.ts) obeys.
 *
 * Rules live in the store (array_meta, one row per rule, key `fault.rule:<id>`), so that every
 * instance sharing one database injects the same faults: a reliability rehearsal against several
 * instances sets its faults once. Each instance reads them at most every CACHE_MS and at once after
 * a change it made itself. A rule with a `count` is consumed with a compare-and-set on its row, so
 * across instances it fires exactly `count` times.
 */
import { InvalidRequest, type SsbCode } from "../domain/errors.ts";
import type { FaultAction } from "../domain/fault-actions.ts";
import type { Store } from "../store/db.ts";

export { FAULT_ACTIONS, type FaultAction } from "../domain/fault-actions.ts";

export interface FaultMatch {
  /** HTTP method of the request, e.g. "POST". */
  method?: string;
  /** Request path: a prefix, or a regular expression when it starts with "^". */
  path?: string;
  /** Resource type of the device operation, e.g. "Volume", "Port" (see RESOURCE_TYPES). */
  resourceType?: string;
  /** Device operation name, e.g. "createVolumes", "listPorts". */
  operation?: string;
  /** 1-based: the nth item of a multi-resource operation (or the nth call of the operation in one request). */
  item?: number;
}

/** A rule as a client gives it. */
export interface FaultRuleSpec {
  id?: string;
  match?: FaultMatch;
  action: FaultAction;
  /** latency: milliseconds added before the call. */
  latencyMs?: number;
  /** busy, maintenance: the Retry-After to answer. */
  retryAfterSeconds?: number;
  /** maintenance: length of the maintenance window, from the rule's creation. */
  durationSeconds?: number;
  /** fail-item: the SSB code of the refusal. */
  errorCode?: SsbCode;
  /** fail-item, busy, maintenance: the message of the error. */
  message?: string;
  /** crash: where the process dies (see parseCrashPoint). */
  point?: string;
  /** port-down: the iSCSI port whose portal refuses logins (data plane). */
  portId?: string;
  /** io-latency: the volume whose I/O is slowed by latencyMs (data plane). */
  volumeId?: number;
  /** 0–1: the chance that a matching event fires the rule (default 1). */
  probability?: number;
  /** How many times the rule fires; unlimited when absent. */
  count?: number;
}

/**
 * Where a rule acts: on HTTP requests, on device calls, when a job completes, or on the data plane
 * (a portal that refuses logins).
 */
export type FaultScope = "request" | "device" | "job" | "data";

/** A recorded rule, as the API answers it. */
export interface FaultRule extends FaultRuleSpec {
  id: string;
  match: FaultMatch;
  probability: number;
  scope: FaultScope;
  /** How many more times it fires; present only for a rule with a count. */
  remaining?: number;
  createdAt: number;
}

/** Device operations and the resource type each acts on (the resourceType of operationDetails). */
const RESOURCE_OF: [RegExp, string][] = [
  [/TargetIscsiPort/, "TargetIscsiPort"],
  [/ServerPath/, "Path"],
  [/Hba/, "Hba"],
  [/HostGroup/, "Server"],
  [/Connection/, "VolumeServerConnection"],
  [/Snapshot/, "Snapshot"],
  [/Pair/, "Snapshot"],
  [/Volume/, "Volume"],
  [/Pool/, "Pool"],
  [/Drive/, "Drive"],
  [/Port/, "Port"],
  [/Server/, "Server"],
  [/^(storage|health)$/, "Storage"],
];

export function resourceTypeOf(operation: string): string | undefined {
  return RESOURCE_OF.find(([pattern]) => pattern.test(operation))?.[1];
}

export type CrashPoint =
  | { stage: "before" | "after"; operation: string; item?: number }
  | { stage: "before-job-complete" };

/**
 * Crash points: `before-<operation>` (the call has not reached the array), `after-<operation>` (the
 * array committed, the caller has not seen the answer), `after-item-<N>-of-<operation>` (the same,
 * for the Nth item of a job or batch) and `before-job-complete` (a job's handler returned, its
 * outcome is not recorded yet).
 */
export function parseCrashPoint(point: string): CrashPoint | undefined {
  if (point === "before-job-complete") return { stage: "before-job-complete" };
  const item = /^after-item-([1-9]\d{0,5})-of-([A-Za-z]+)$/.exec(point);
  if (item) return { stage: "after", operation: item[2] as string, item: Number(item[1]) };
  const call = /^(before|after)-([A-Za-z]+)$/.exec(point);
  if (call) return { stage: call[1] as "before" | "after", operation: call[2] as string };
  return undefined;
}

const DEFAULT_REFUSAL: SsbCode = { SSB1: "2e11", SSB2: "ffff" };
export const DEFAULT_BUSY_RETRY_S = 5;
export const DEFAULT_MAINTENANCE_S = 60;

/**
 * Checks a rule against the operations the device has and settles its defaults and scope. Throws
 * InvalidRequest with a message that says what to change.
 */
export function normalizeRule(spec: FaultRuleSpec, operations: readonly string[], id: string): FaultRule {
  const bad = (why: string) => new InvalidRequest(`The fault rule is invalid: ${why}.`);
  const match: FaultMatch = { ...(spec.match ?? {}) };
  if (match.method !== undefined) match.method = match.method.toUpperCase();
  if (match.path?.startsWith("^")) {
    try {
      new RegExp(match.path);
    } catch {
      throw bad(`match.path "${match.path}" is not a valid regular expression`);
    }
  }
  const known = new Set(operations);
  if (match.operation !== undefined && !known.has(match.operation)) {
    throw bad(
      `match.operation "${match.operation}" is not a device operation (one of ${operations.join(", ")})`,
    );
  }
  const types = [...new Set(operations.map(resourceTypeOf).filter((t) => t !== undefined))];
  if (match.resourceType !== undefined && !types.includes(match.resourceType)) {
    throw bad(`match.resourceType "${match.resourceType}" is not one of ${types.join(", ")}`);
  }
  const rule: FaultRule = {
    ...spec,
    id,
    match,
    probability: spec.probability ?? 1,
    scope: "device",
    createdAt: 0,
  };
  if (spec.count !== undefined) rule.remaining = spec.count;

  const deviceMatch = match.operation !== undefined || match.resourceType !== undefined;
  const requestMatch = match.method !== undefined || match.path !== undefined;
  rule.scope = !deviceMatch && requestMatch ? "request" : "device";

  const needs = (field: keyof FaultRuleSpec) => {
    if (spec[field] === undefined) throw bad(`action "${spec.action}" needs "${field}"`);
  };
  const only = (fields: (keyof FaultRuleSpec)[]) => {
    const extra = (
      [
        "latencyMs",
        "retryAfterSeconds",
        "durationSeconds",
        "errorCode",
        "point",
        "portId",
        "volumeId",
      ] as const
    ).find((f) => spec[f] !== undefined && !fields.includes(f));
    if (extra) throw bad(`"${extra}" does not apply to action "${spec.action}"`);
  };
  switch (spec.action) {
    case "latency":
      needs("latencyMs");
      only(["latencyMs"]);
      break;
    case "timeout":
      only([]);
      break;
    case "busy":
      only(["retryAfterSeconds"]);
      rule.retryAfterSeconds ??= DEFAULT_BUSY_RETRY_S;
      break;
    case "maintenance":
      only(["retryAfterSeconds", "durationSeconds"]);
      rule.durationSeconds ??= DEFAULT_MAINTENANCE_S;
      break;
    case "fail-item":
      only(["errorCode"]);
      if (rule.scope === "request") {
        throw bad('action "fail-item" acts on device operations: give match.operation or match.resourceType');
      }
      rule.errorCode ??= DEFAULT_REFUSAL;
      break;
    case "port-down":
      needs("portId");
      only(["portId"]);
      if (deviceMatch || requestMatch)
        throw bad('action "port-down" takes no match: it names its port in "portId"');
      rule.scope = "data";
      break;
    case "io-latency":
      needs("volumeId");
      needs("latencyMs");
      only(["volumeId", "latencyMs"]);
      if (deviceMatch || requestMatch)
        throw bad('action "io-latency" takes no match: it names its volume in "volumeId"');
      rule.scope = "data";
      break;
    case "crash": {
      needs("point");
      only(["point"]);
      const point = parseCrashPoint(spec.point as string);
      if (!point) {
        throw bad(
          `point "${spec.point}" is not one of before-<operation>, after-<operation>, after-item-<N>-of-<operation>, before-job-complete`,
        );
      }
      if (point.stage === "before-job-complete") {
        rule.scope = "job";
        break;
      }
      if (!known.has(point.operation)) throw bad(`point "${spec.point}" names no device operation`);
      if (match.operation !== undefined && match.operation !== point.operation) {
        throw bad(`point "${spec.point}" and match.operation "${match.operation}" name different operations`);
      }
      if (point.item !== undefined && match.item !== undefined && match.item !== point.item) {
        throw bad(`point "${spec.point}" and match.item ${match.item} name different items`);
      }
      rule.scope = "device";
      break;
    }
  }
  return rule;
}

const PREFIX = "fault.rule:";
/** How stale an instance's copy of the rules may be. */
const CACHE_MS = 500;

/** The rules in the store, with a short-lived copy per instance and counted firing. */
export class FaultRules {
  private cached: { rules: FaultRule[]; at: number } | undefined;
  private loading: Promise<FaultRule[]> | undefined;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Every rule in the store, in the order they were added (fresh). */
  async list(): Promise<FaultRule[]> {
    const rows = await this.store.db
      .selectFrom("array_meta")
      .select(["key", "value"])
      .where("key", "like", `${PREFIX}%`)
      .execute();
    const rules = rows.map((r) => JSON.parse(r.value) as FaultRule);
    rules.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    this.cached = { rules, at: this.now() };
    return rules;
  }

  /** The rules that can still fire, from this instance's copy when it is fresh enough. */
  async active(): Promise<FaultRule[]> {
    const now = this.now();
    let rules: FaultRule[];
    if (this.cached && now - this.cached.at < CACHE_MS) rules = this.cached.rules;
    else {
      this.loading ??= this.list().finally(() => {
        this.loading = undefined;
      });
      rules = await this.loading;
    }
    return rules.filter((r) => r.remaining !== 0 && !windowOver(r, now));
  }

  async add(rule: FaultRule): Promise<FaultRule> {
    const stored: FaultRule = { ...rule, createdAt: this.now() };
    const inserted = await this.store.db
      .insertInto("array_meta")
      .values({ key: PREFIX + rule.id, value: JSON.stringify(stored) })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("key")
      .executeTakeFirst();
    this.cached = undefined;
    if (!inserted) throw new InvalidRequest(`A fault rule with the id "${rule.id}" exists already.`);
    return stored;
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.store.db
      .deleteFrom("array_meta")
      .where("key", "=", PREFIX + id)
      .executeTakeFirst();
    this.cached = undefined;
    return Number(r.numDeletedRows) > 0;
  }

  async clear(): Promise<number> {
    const r = await this.store.db
      .deleteFrom("array_meta")
      .where("key", "like", `${PREFIX}%`)
      .executeTakeFirst();
    this.cached = undefined;
    return Number(r.numDeletedRows);
  }

  /**
   * Decides whether a matching event fires `rule`: by its probability, then by its count, taken
   * from the store with a compare-and-set so that instances sharing the store never fire it more
   * often than counted.
   */
  async fire(rule: FaultRule): Promise<boolean> {
    if (rule.probability < 1 && this.random() >= rule.probability) return false;
    if (rule.remaining === undefined) return true;
    const key = PREFIX + rule.id;
    for (let tries = 0; tries < 20; tries++) {
      const row = await this.store.db
        .selectFrom("array_meta")
        .select("value")
        .where("key", "=", key)
        .executeTakeFirst();
      if (!row) return false;
      const current = JSON.parse(row.value) as FaultRule;
      if ((current.remaining ?? 1) <= 0) {
        rule.remaining = 0;
        return false;
      }
      const next = { ...current, remaining: (current.remaining ?? 1) - 1 };
      const r = await this.store.db
        .updateTable("array_meta")
        .set({ value: JSON.stringify(next) })
        .where("key", "=", key)
        .where("value", "=", row.value)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) {
        // The cached copy is the same object: later events on this instance see the new count.
        rule.remaining = next.remaining;
        return true;
      }
    }
    return false;
  }
}

/** A maintenance rule whose window has ended no longer acts. */
function windowOver(rule: FaultRule, now: number): boolean {
  return rule.action === "maintenance" && now >= windowEnd(rule);
}

export function windowEnd(rule: FaultRule): number {
  return rule.createdAt + (rule.durationSeconds ?? DEFAULT_MAINTENANCE_S) * 1000;
}
