/**
 * What every part of the simulated array shares: the store, the clock, the array's identity,
 * transactions, and the once-per-key record that makes an operation idempotent.
 */
import type { ArrayIdentity } from "../../config.ts";
import {
  BlockplaneError,
  DeviceTimeout,
  type ErrorKind,
  InternalError,
  restoreError,
  type StoredError,
  storeError,
} from "../../domain/errors.ts";
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
  if (opts.signal.aborted)
    throw new DeviceTimeout("The storage system did not answer within the allotted time.");
}

/**
 * Runs `act` in one transaction, at most once per `opts.opKey`: a success is recorded in the same
 * transaction as the change, so after a crash either both are there or neither. A refusal by the
 * array rolls the change back and is then recorded on its own. Called again with the same key, it
 * answers the recorded outcome and changes nothing. Without a key it is a plain transaction.
 *
 * The key's row is claimed before acting: a second run of the same key (another instance that took
 * over a job whose holder stalled) waits on that row's unique index until the first commits or rolls
 * back, and then reads its outcome rather than acting too.
 */
export async function transact<T>(
  ctx: SimContext,
  opts: CallOptions,
  act: (tx: Db) => Promise<T>,
): Promise<T> {
  checkDeadline(opts);
  const key = opts.opKey;
  if (key === undefined) return ctx.store.db.transaction().execute(act);

  /** Claims the key with `outcome`; answers the outcome already recorded when another run has it. */
  const claim = async (tx: Db, outcome: Recorded): Promise<Recorded | undefined> => {
    const inserted = await tx
      .insertInto("array_ops")
      .values({ op_key: key, outcome: JSON.stringify(outcome), created_at: ctx.now() })
      .onConflict((oc) => oc.column("op_key").doNothing())
      .returning("op_key")
      .executeTakeFirst();
    if (inserted) return undefined;
    const prior = await tx
      .selectFrom("array_ops")
      .select("outcome")
      .where("op_key", "=", key)
      .executeTakeFirstOrThrow();
    return JSON.parse(prior.outcome) as Recorded;
  };

  let outcome: Recorded;
  try {
    outcome = await ctx.store.db.transaction().execute(async (tx) => {
      const prior = await claim(tx, { ok: false, error: storeError(new InternalError("in progress")) });
      if (prior) return prior;
      const done: Recorded = { ok: true, value: await act(tx) };
      await tx
        .updateTable("array_ops")
        .set({ outcome: JSON.stringify(done) })
        .where("op_key", "=", key)
        .execute();
      return done;
    });
  } catch (err) {
    // Only the array's own refusals are outcomes worth keeping; anything else may succeed on retry.
    if (!(err instanceof BlockplaneError) || !PERMANENT.has(err.kind)) throw err;
    const refused: Recorded = { ok: false, error: storeError(err) };
    outcome = await ctx.store.db.transaction().execute(async (tx) => (await claim(tx, refused)) ?? refused);
  }
  if (!outcome.ok) throw restoreError(outcome.error);
  return outcome.value as T;
}
