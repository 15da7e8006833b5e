/**
 * What every part of the simulated array shares: the store, the clock, the array's identity,
 * transactions, and the once-per-key record that makes an operation idempotent.
 */
import type { ArrayIdentity } from "../../config.ts";
import {
  BlockplaneError,
  DeviceRefused,
  DeviceTimeout,
  type ErrorKind,
  InternalError,
  restoreError,
  type SsbCode,
  type StoredError,
  storeError,
} from "../../domain/errors.ts";
import { MESSAGE_IDS } from "../../domain/message-ids.ts";
import { type Db, forUpdate, type Store } from "../../store/db.ts";
import type { CallOptions } from "../port.ts";

export interface SimContext {
  store: Store;
  identity: ArrayIdentity;
  now(): number;
  /**
   * The lowest LUN the array picks for a connection on its own: 0, or 1 with the data plane, whose
   * target engine keeps LUN 0 of every target for itself.
   */
  firstLun?: number;
  /** Pools report the capacity their volumes really hold (the data plane's blocks written), not what they reserve. */
  thinUsage?: boolean;
}

/** Refusals that a retry would meet again; transient ones (busy, timeout) are not recorded. */
const PERMANENT = new Set<ErrorKind>(["invalid", "not-found", "forbidden", "device-refused"]);

type Recorded = { ok: true; value: unknown } | { ok: false; error: StoredError };

/**
 * The array's refusal of an operation by one of its rules, with the SSB code it reports. It is the
 * request that conflicts with the array's state, so it answers 400 unless `asBadRequest` is false.
 */
export function refused(message: string, errorCode: SsbCode, asBadRequest = true): DeviceRefused {
  return new DeviceRefused(message, { messageId: MESSAGE_IDS.commandFailed.id, errorCode }, asBadRequest);
}

/** Throws DeviceTimeout when the caller's deadline has passed; called before any change is made. */
export function checkDeadline(opts: CallOptions): void {
  if (opts.signal.aborted)
    throw new DeviceTimeout("The storage system did not answer within the allotted time.");
}

/** The array_meta row every change of the array locks first: the one seeding writes, so it always exists. */
const ARRAY_LOCK_KEY = "seeded";

/**
 * Takes the array's configuration lock for the rest of the transaction `tx`, as a real array
 * serialises configuration changes. Many rules of the array span rows that no single row lock
 * covers: the lowest free volume, pool, server or snapshot ID, unique pool and server names, WWNs
 * and iSCSI names, free drives, a server's LUNs, a pool's free capacity. Instances sharing one
 * PostgreSQL database would otherwise read the same free ID or name at once and collide on a key
 * (or break the rule where no key guards it). Under the lock each change sees every change committed
 * before it — at READ COMMITTED each statement reads afresh — so checks and writes never interleave.
 * On SQLite the single writer serialises transactions already; there it costs one read.
 */
export async function lockArray(ctx: SimContext, tx: Db): Promise<void> {
  const row = await forUpdate(
    ctx.store,
    tx.selectFrom("array_meta").select("key").where("key", "=", ARRAY_LOCK_KEY),
  ).executeTakeFirst();
  // Without its row the lock would silently lock nothing: refuse to change an unseeded array.
  if (!row) throw new InternalError("The array has not been initialised.");
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
 *
 * `act` runs under the array's configuration lock (`lockArray`), taken before any other lock of the
 * change, so that concurrent changes — from any instance — apply one after the other and never
 * deadlock among themselves. Reads outside `transact` are not held up by it.
 */
export async function transact<T>(
  ctx: SimContext,
  opts: CallOptions,
  act: (tx: Db) => Promise<T>,
): Promise<T> {
  checkDeadline(opts);
  const key = opts.opKey;
  const change = () =>
    // READ COMMITTED (PostgreSQL's default, stated so that a server default cannot change it):
    // statements after the lock must read what the previous holder committed. SQLite ignores it.
    ctx.store.db.transaction().setIsolationLevel("read committed");
  const locked = async (tx: Db): Promise<T> => {
    await lockArray(ctx, tx);
    const value = await act(tx);
    // The deadline passed while the change ran: the caller was answered 504 already, so roll the
    // change back (throwing here aborts the transaction) rather than commit what nobody waits for.
    checkDeadline(opts);
    return value;
  };
  if (key === undefined) return change().execute(locked);

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
    outcome = await change().execute(async (tx) => {
      const prior = await claim(tx, { ok: false, error: storeError(new InternalError("in progress")) });
      if (prior) return prior;
      const done: Recorded = { ok: true, value: await locked(tx) };
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
