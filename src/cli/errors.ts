/**
 * The two ways a command fails, each with its exit code: the command was used wrongly (2), or the
 * server refused or could not be reached (1).
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
