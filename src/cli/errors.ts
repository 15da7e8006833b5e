/**
 * The ways a command fails, each with its exit code: the server refused, could not be reached or a
 * job failed (1), the command was used wrongly (2), an operation over several resources did only
 * part of its work (3), a wait for a job ran out of time (124, as timeout(1) does), or was
 * interrupted with Ctrl-C (130, as a shell reports SIGINT). A job not waited for to its end goes on
 * on the server; the message says how to wait for it again.
 */

/** What the commands' errors share: a printed result already on stdout (a failed job's status, say). */
export class CliError extends Error {
  readonly exitCode: number = 1;
  /** The result for programs was printed already: only the message remains to say. */
  shown = false;
}

/** Wrong or missing arguments, or a command that cannot run as given (not logged in): exit 2. */
export class UsageError extends CliError {
  override readonly exitCode = 2;
}

/** The server answered an error, or did not answer: exit 1. */
export class ApiError extends CliError {
  override readonly exitCode = 1;
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** An operation over several resources failed for some items and succeeded for others: exit 3. */
export class PartialSuccess extends CliError {
  override readonly exitCode = 3;
  constructor(
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** A wait for jobs that stopped before they completed: they go on, and `waitCommand` waits again. */
export class WaitStopped extends CliError {
  constructor(
    message: string,
    readonly jobIds: number[],
    readonly waitCommand: string,
    override readonly exitCode: 124 | 130,
  ) {
    super(message);
  }
}

export const TIMED_OUT = 124;
export const INTERRUPTED = 130;
