/**
 * Waiting for asynchronous operations: poll the command-status from 50 ms, doubling up to 2 s
 * between reads, until it completes or the time allowed runs out.
 */
import { type CommandStatus, type Failure, jobFailure, type Result } from "./result.ts";

export const COMMAND_STATUS_PATH = "/ConfigurationManager/simple/v1/objects/command-status";

/** What names a job: its id, its statusResource URL, or the 202 answer carrying it. */
export type JobRef = number | string | { statusResource: string };

export interface WaitOptions {
  /** Called with each command-status read, the last one (completed) included. */
  onProgress?: (status: CommandStatus) => void;
  /** Of an answer with several statusResources: called as each completes (how many, of how many). */
  onItems?: (completed: number, total: number) => void;
  /** Give up after this long (default 10 minutes); the answer is then a failure with status 0. */
  timeoutMs?: number;
  /** First wait between reads (default 50 ms); it doubles after each read. */
  initialDelayMs?: number;
  /** Longest wait between reads (default 2 s). */
  maxDelayMs?: number;
  /** Stops the wait: it rejects with the signal's reason at once, even between two reads. */
  signal?: AbortSignal;
}

export const WAIT_DEFAULTS = { timeoutMs: 600_000, initialDelayMs: 50, maxDelayMs: 2000 } as const;

/** The command-status id a reference names; a reference that names none is a TypeError. */
export function jobIdOf(ref: JobRef): number {
  const text = typeof ref === "object" ? ref.statusResource : String(ref);
  const match = /(?:^|\/command-status\/)(\d+)\/?$/.exec(text);
  if (!match) throw new TypeError(`"${text}" names no command-status: give its id or statusResource URL.`);
  return Number(match[1]);
}

export async function waitForJob(
  read: (id: number) => Promise<Result<CommandStatus>>,
  ref: JobRef,
  options: WaitOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<Result<CommandStatus>> {
  const id = jobIdOf(ref);
  const timeoutMs = options.timeoutMs ?? WAIT_DEFAULTS.timeoutMs;
  const maxDelayMs = options.maxDelayMs ?? WAIT_DEFAULTS.maxDelayMs;
  let delay = options.initialDelayMs ?? WAIT_DEFAULTS.initialDelayMs;
  const started = Date.now();
  for (;;) {
    options.signal?.throwIfAborted();
    const read1 = await read(id);
    if (!read1.ok) return read1;
    const status = read1.data;
    options.onProgress?.(status);
    if (status.progress === "completed") return status.status === "normal" ? read1 : jobFailure(status);
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) return notInTime(status, timeoutMs);
    await abortable(sleep(Math.min(delay, left)), options.signal);
    delay = Math.min(delay * 2, maxDelayMs);
  }
}

/** The wait, cut short when `signal` aborts (with its reason), so that a cancelled wait ends at once. */
function abortable(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return wait;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    wait.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

function notInTime(status: CommandStatus, timeoutMs: number): Failure {
  return {
    ok: false,
    status: 0,
    message: `Job ${status.id} did not complete within ${Math.round(timeoutMs / 1000)} s; it is ${status.progress}.`,
    job: status,
  };
}
