/**
 * The ways a command fails, each with its exit code: the command was used wrongly (2), the server
 * refused, could not be reached or a job failed (1), or an operation over several resources did
 * only part of its work (3).
 */

/** Wrong or missing arguments, or a command that cannot run as given (not logged in): exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** The server answered an error, or did not answer: exit 1. */
export class ApiError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** An operation over several resources failed for some items and succeeded for others: exit 3. */
export class PartialSuccess extends Error {
  readonly exitCode = 3;
  constructor(
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}
