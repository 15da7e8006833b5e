/**
 * What every part of the simulated array shares: the store, the clock, the array's identity,
 * transactions, and the once-per-key record that makes an operation idempotent.
 */
import type { ArrayIdentity } from "../../config.ts";
import {
  BlockplaneError,
  DeviceTimeout,
  type ErrorKind, restoreError, type StoredError, storeError } from "../../domain/errors.ts";
import type { Db, Store } from "../../store/db.ts";
import type { CallOptions } from "../port.ts";

export interface SimContext {
  store: Store;
  identity: ArrayIdentity;
  now(): number;
}

/** Refusals that a retry would meet again; transient ones (busy, timeout) are not recorded. */
const PERMANENT = new Set<ErrorKind>(["invalid", "not-found", "forbidden", "device-refused"]);

type Recorded = { ok: true; value: unknown } | { ok: false; error: StoredError };

/** Throws DeviceTimeout when the caller's deadline has passed; called before any change is made. */
export function checkDeadline(opts: CallOptions): void {
  if (opts.signal.aborted) throw new DeviceTimeout("The storage system did not answer within the allotted time.");
}

/**
 * Runs `act` in one transaction, at most once per `opts.opKey`: a success is recorded in the same
 * transaction as the change, so after a crash either both are there or neither. A refusal by the
 * array rolls the change back and is then recorded on its own. Called again with the same key, it
 * answers the recorded outcome and changes nothing. Without a key it is a plain transaction.
 */
export async function transact<T>(ctx: SimContext, opts: CallOptions, act: (tx: Db) => Promise<T>): Promise<T> {
  checkDeadline(opts);
  const key = opts.opKey;
  if (key === undefined) return ctx.store.db.transaction().execute(act);
  const record = (tx: Db, outcome: Recorded) =>
    tx
      .insertInto("array_ops")
      .values({ op_key: key, outcome: JSON.stringify(outcome), created_at: ctx.now() })
      .onConflict((oc) => oc.column("op_key").doNothing())
      .execute();
  const prior = (tx: Db) =>
    tx.selectFrom("array_ops").select("outcome").where("op_key", "=", key).executeTakeFirst();

  let outcome: Recorded;
  try {
    outcome = await ctx.store.db.transaction().execute(async (tx) => {
      const before = await prior(tx);
      if (before) return JSON.parse(before.outcome) as Recorded;
      const done: Recorded = { ok: true, value: await act(tx) };
      await record(tx, done);
      return done;
    });
  } catch (err) {
    // Only the array's own refusals are outcomes worth keeping; anything else may succeed on retry.
    if (!(err instanceof BlockplaneError) || !PERMANENT.has(err.kind)) throw err;
    outcome = await ctx.store.db.transaction().execute(async (tx) => {
      const before = await prior(tx);
      if (before) return JSON.parse(before.outcome) as Recorded;
      const refused: Recorded = { ok: false, error: storeError(err) };
      await record(tx, refused);
      return refused;
    });
  }
  if (!outcome.ok) throw restoreError(outcome.error);
  return outcome.value as T;
}
