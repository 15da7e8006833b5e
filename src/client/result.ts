/**
 * What every SDK call answers: a discriminated union, so a caller handles failure without
 * try/catch and TypeScript knows `data` exists only on success. A failure keeps what the API says
 * about it: the error object, and for operations over several resources every error
 * (`errorResponses`) and what was done all the same (`partialSuccessResponses`).
 */
import type { paths } from "./schema.d.ts";

/** The API's error object: the body of every 4xx/5xx answer. */
export interface ErrorBody {
  errorSource: string;
  messageId: string;
  message: string;
  cause?: string;
  solution?: string;
  /** The storage system's own code for an error it raised (hex strings). */
  errorCode?: { SSB1: string; SSB2: string };
  requestId?: string;
}

/** The command-status object of an asynchronous operation. */
export type CommandStatus =
  paths["/ConfigurationManager/simple/v1/objects/command-status/{id}"]["get"]["responses"][200]["content"]["application/json"];

/** What one successful change did: the answer of a synchronous change, one item of a job. */
export interface ExecutionResult {
  affectedResources: string[];
  operationDetails: { operationType: string; resourceType: string; resourceId: string }[];
}

export interface Success<T> {
  ok: true;
  /** The HTTP status of the answer. */
  status: number;
  data: T;
}

export interface Failure {
  ok: false;
  /**
   * The HTTP status of the answer that failed; 0 when there was no answer (server unreachable,
   * job not completed in time). A job that completed with an error was read with 200: see `job`.
   */
  status: number;
  /** Always set: the error object's message, or what went wrong when there was none. */
  message: string;
  /** The error object, or the most severe one of a multi-resource failure. */
  error?: ErrorBody;
  /** Every error of an operation over several resources, most severe first. */
  errorResponses?: ErrorBody[];
  /** What an operation over several resources did before or besides failing. */
  partialSuccessResponses?: unknown[];
  /** Seconds the server asked to wait (503). */
  retryAfter?: number;
  /** The command-status of a job that completed with an error (or did not complete in time). */
  job?: CommandStatus;
  /**
   * Of a multi-resource operation (one command-status per resource): every item's status that
   * failed, in request order; `job` is the first of them.
   */
  failedJobs?: CommandStatus[];
}

export type Result<T> = Success<T> | Failure;

/** True when part of a failed operation over several resources was done anyway. */
export function isPartial(failure: Failure): boolean {
  return (failure.partialSuccessResponses?.length ?? 0) > 0;
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === "object" && value !== null && typeof (value as ErrorBody).message === "string";
}

/** The failure an error answer stands for, from its status, body and headers. */
export function failureOf(response: Response, body: unknown): Failure {
  const failure: Failure = {
    ok: false,
    status: response.status,
    message: `The server answered ${response.status} ${response.statusText}.`.replace(" .", "."),
  };
  const retryAfter = Number(response.headers.get("retry-after"));
  if (response.headers.has("retry-after") && Number.isFinite(retryAfter)) failure.retryAfter = retryAfter;
  if (isErrorBody(body)) {
    failure.error = body;
    failure.message = body.message;
  } else if (typeof body === "object" && body !== null && "errorResponses" in body) {
    const partial = body as { errorResponses?: unknown; partialSuccessResponses?: unknown };
    const errors = Array.isArray(partial.errorResponses) ? partial.errorResponses.filter(isErrorBody) : [];
    failure.errorResponses = errors;
    failure.partialSuccessResponses = Array.isArray(partial.partialSuccessResponses)
      ? partial.partialSuccessResponses
      : [];
    if (errors[0]) {
      failure.error = errors[0];
      failure.message = errors[0].message;
    }
  }
  return failure;
}

/** The failure of a job that completed with status "error". */
export function jobFailure(job: CommandStatus): Failure {
  const failure: Failure = {
    ok: false,
    status: 200,
    message: job.errorMessage ?? `Job ${job.id} failed.`,
    job,
  };
  const errors = job.errorResponses as ErrorBody[] | undefined;
  if (errors) {
    failure.errorResponses = errors;
    failure.partialSuccessResponses = job.partialSuccessResponses ?? [];
    if (errors[0]) failure.error = errors[0];
  }
  return failure;
}

/** A request that got no answer: the server is down, unreachable, or the URL is wrong. */
export function unreachable(baseUrl: string, err: unknown): Failure {
  const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
  return { ok: false, status: 0, message: `Cannot reach ${baseUrl}: ${cause}` };
}
