/**
 * Helpers for tests of the job framework: test job kinds registered on the real JobsService,
 * gates that hold a handler until the test lets it go, direct looks at the jobs table, and a
 * side effect made through the simulator's idempotent `transact`, counted to prove exactly-once.
 */
import type { CallOptions } from "../../src/device/port.ts";
import { type SimContext, transact } from "../../src/device/simulator/context.ts";
import { DeviceTimeout } from "../../src/domain/errors.ts";
import type { Db } from "../../src/store/db.ts";
import type { TestServer } from "./server.ts";

let kinds = 0;

/** A job kind name no other test uses (a kind registers once per server). */
export function uniqueKind(name: string): string {
  kinds += 1;
  return `test.${name}.${kinds}`;
}

export interface Gate {
  promise: Promise<void>;
  open(): void;
}

/** A promise the test resolves when it chooses. */
export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Waits for `until` like a device call would, and fails as one does when the job's signal aborts
 * (the deadline wrapper answers DeviceTimeout at once).
 */
export function deviceWait(
  signal: AbortSignal,
  until: Promise<unknown> = new Promise(() => {}),
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () =>
      reject(new DeviceTimeout("The storage system did not answer within the allotted time."));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    until.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The numeric id at the end of a statusResource URL. */
export function idOf(statusResource: string): number {
  return Number(statusResource.split("/").pop());
}

export function statusUrl(id: number): string {
  return `/ConfigurationManager/simple/v1/objects/command-status/${id}`;
}

/** Enqueues a job of `kind` as `userId` (none by default) and answers its command-status URL. */
export async function enqueue(
  s: TestServer,
  kind: string,
  params: unknown = {},
  userId: number | null = null,
) {
  return statusUrl(await s.bp.jobs.enqueue(kind, params, userId));
}

/** Polls until the job reaches `progress` (or beyond) and answers its command-status. */
export async function waitProgress(
  s: TestServer,
  url: string,
  progress: "processing" | "completed",
  timeoutMs = 5000,
) {
  const order = ["unexecuted", "processing", "completed"];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await s.get(url);
    if (r.status !== 200) throw new Error(`polling ${url}: ${r.status} ${r.text}`);
    if (order.indexOf(r.body.progress) >= order.indexOf(progress)) return r.body;
    if (Date.now() > deadline) throw new Error(`${url} did not reach ${progress}: ${r.text}`);
    await sleep(5);
  }
}

/** The row of job `id`, as the store holds it. */
export function jobRow(db: Db, id: number) {
  return db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
}

/** How many jobs the table holds, and how many of them are unfinished. */
export async function jobCounts(db: Db): Promise<{ total: number; unfinished: number }> {
  const rows = await db.selectFrom("jobs").select("progress").execute();
  return { total: rows.length, unfinished: rows.filter((r) => r.progress !== "completed").length };
}

export async function userId(db: Db, name: string): Promise<number> {
  const row = await db.selectFrom("users").select("id").where("name", "=", name).executeTakeFirstOrThrow();
  return Number(row.id);
}

/** The simulator's context over a server's store, for `transact`. */
export function simContext(s: {
  bp: { store: SimContext["store"] };
  config: { array: SimContext["identity"] };
}) {
  return { store: s.bp.store, identity: s.config.array, now: Date.now } satisfies SimContext;
}

/**
 * One side effect on the array, made the way a device operation makes its changes: in one
 * transaction, at most once per `opts.opKey`. Counted under `counter` in array_meta.
 */
export function countEffect(ctx: SimContext, opts: CallOptions, counter: string): Promise<void> {
  return transact(ctx, opts, async (tx) => {
    const key = `test.effects.${counter}`;
    const row = await tx.selectFrom("array_meta").select("value").where("key", "=", key).executeTakeFirst();
    if (row) {
      await tx
        .updateTable("array_meta")
        .set({ value: String(Number(row.value) + 1) })
        .where("key", "=", key)
        .execute();
    } else {
      await tx.insertInto("array_meta").values({ key, value: "1" }).execute();
    }
  });
}

/** How many times the side effect named `counter` happened. */
export async function effects(db: Db, counter: string): Promise<number> {
  const row = await db
    .selectFrom("array_meta")
    .select("value")
    .where("key", "=", `test.effects.${counter}`)
    .executeTakeFirst();
  return row ? Number(row.value) : 0;
}
