/**
 * Puts a deadline on every call of a device: the call's signal aborts when the deadline passes and
 * the caller gets DeviceTimeout (504) at that moment, whatever the device is doing.
 *
 * A device that answers late must not be trusted to have done nothing, nor to have done it:
 * - the simulator checks the signal before it changes anything and again right before it commits
 *   (simulator/context.ts `transact`), so a call that missed its deadline mostly changes nothing;
 * - a call with an idempotency key (a job's item) that times out is tried once more with the same
 *   key before the timeout is reported: the second try waits for the first one's transaction and
 *   answers what the array really recorded, or acts if the first one changed nothing.
 * Reads are plain reads of committed state, so a read after a timeout tells the truth.
 *
 * Cost per call: a caller that can cancel (a job) gets its own AbortController and timer, cleared
 * as soon as the device answers. A caller that cannot (a request: `UNCANCELLED`) shares both with
 * the calls that start within the same DEADLINE_TICK_MS, since creating an AbortController costs
 * more than a point read of the store: its deadline is then up to DEADLINE_TICK_MS later, never
 * earlier. (AbortSignal.timeout + AbortSignal.any on every call kept a timer running to its end and
 * tied every call's signal to the caller's long-lived one.)
 */
import { setMaxListeners } from "node:events";
import { DeviceTimeout, PHRASES } from "../domain/errors.ts";
import { type CallOptions, type Device, type Operation, wrapOperations } from "./port.ts";

/** The signal of a caller that never cancels its calls (a request's): see `call()` of routes. */
export const UNCANCELLED: AbortSignal = new AbortController().signal;

/** Calls of uncancelling callers that start within this many ms share one deadline. */
export const DEADLINE_TICK_MS = 10;

/**
 * The deadline shared by the calls that started within one tick: one signal, one timer. The timer
 * holds the process open only while a call is pending, like a call's own timer would.
 */
class SharedDeadline {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private readonly pending = new Set<(err: DeviceTimeout) => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly startedAt: number,
    timeoutMs: number,
    private readonly timeout: () => DeviceTimeout,
  ) {
    setMaxListeners(0, this.signal);
    this.timer = setTimeout(() => this.expire(), timeoutMs + DEADLINE_TICK_MS);
    this.timer.unref();
  }

  /** Registers a pending call; `fail` gets DeviceTimeout if it is still pending at the deadline. */
  add(fail: (err: DeviceTimeout) => void): void {
    if (this.pending.size === 0) this.timer.ref();
    this.pending.add(fail);
  }

  /** Ends a pending call; false when the deadline ended it first. */
  settle(fail: (err: DeviceTimeout) => void): boolean {
    if (!this.pending.delete(fail)) return false;
    if (this.pending.size === 0) this.timer.unref();
    return true;
  }

  private expire(): void {
    // Every call of the tick has answered: nobody looks at the signal any more (and an abort makes
    // a DOMException, stack trace included, a hundred times a second).
    if (this.pending.size === 0) return;
    // The device sees the abort through the signal and must change nothing after it.
    this.controller.abort();
    for (const fail of this.pending) fail(this.timeout());
    this.pending.clear();
  }
}

export function withDeadline(device: Device, timeoutMs: number): Device {
  const timeout = () =>
    new DeviceTimeout(`The storage system did not answer within ${timeoutMs} ms. Please ${PHRASES.retry}.`);

  let shared: SharedDeadline | undefined;

  /** One attempt of a call whose caller never cancels: under the deadline of its tick. */
  const attemptShared = (op: Operation, args: unknown[], given: CallOptions): Promise<unknown> => {
    const now = performance.now();
    if (shared === undefined || now - shared.startedAt >= DEADLINE_TICK_MS) {
      shared = new SharedDeadline(now, timeoutMs, timeout);
    }
    const deadline = shared;
    if (deadline.signal.aborted) return Promise.reject(timeout());
    const callArgs = args.slice();
    callArgs[callArgs.length - 1] =
      given.opKey === undefined
        ? { signal: deadline.signal }
        : { signal: deadline.signal, opKey: given.opKey };
    return new Promise((resolve, reject) => {
      deadline.add(reject);
      let answer: Promise<unknown>;
      try {
        answer = op(...callArgs);
      } catch (err) {
        deadline.settle(reject);
        reject(err);
        return;
      }
      answer.then(
        (value) => {
          if (deadline.settle(reject)) resolve(value);
        },
        (err) => {
          if (deadline.settle(reject)) reject(err);
        },
      );
    });
  };

  /** One attempt of one call, given up with DeviceTimeout when the deadline passes or the caller aborts. */
  const attempt = (op: Operation, args: unknown[], given: CallOptions): Promise<unknown> => {
    if (given.signal === UNCANCELLED) return attemptShared(op, args, given);
    const controller = new AbortController();
    const callArgs = [...args];
    callArgs[callArgs.length - 1] = { ...given, signal: controller.signal };
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        given.signal.removeEventListener("abort", giveUp);
      };
      const giveUp = () => {
        if (settled) return;
        finish();
        // The device sees the abort through its signal and must change nothing after it.
        controller.abort();
        reject(timeout());
      };
      const timer = setTimeout(giveUp, timeoutMs);
      if (given.signal.aborted) return giveUp();
      // The caller's signal may be shared by every request in flight (one that never aborts): each
      // listener is removed when its call ends, so many at once are not a leak.
      setMaxListeners(0, given.signal);
      given.signal.addEventListener("abort", giveUp, { once: true });
      op(...callArgs).then(
        (value) => {
          if (settled) return;
          finish();
          resolve(value);
        },
        (err) => {
          if (settled) return;
          finish();
          reject(err);
        },
      );
    });
  };

  return wrapOperations(device, (_name, op) => (...args: unknown[]) => {
    const given = args[args.length - 1] as CallOptions;
    const first = attempt(op, args, given);
    if (given.opKey === undefined) return first;
    return first.catch((err: unknown) => {
      // Once more under the same key: it reads the recorded outcome, or acts if nothing was done.
      if (!(err instanceof DeviceTimeout) || given.signal.aborted) throw err;
      return attempt(op, args, given);
    });
  });
}
