/**
 * The one error hierarchy of Blockplane. Layers below http/ throw these; http/contract/errors.ts
 * maps each kind to its status code and the error body of the API. Nothing here knows HTTP.
 */
import { MESSAGE_IDS } from "./message-ids.ts";

/**
 * SSB codes the storage system reports for an error it raised itself (hex strings), and on the
 * full API the return code of the command it ran (`errorCode`, e.g. "EX_ENOOBJ"), which clients
 * may branch on too.
 */
export interface SsbCode {
  SSB1: string;
  SSB2: string;
  errorCode?: string;
}

export interface ErrorDetail {
  messageId?: string;
  cause?: string;
  solution?: string;
  errorCode?: SsbCode;
}

export type ErrorKind =
  | "invalid" // 400
  | "unauthenticated" // 401
  | "forbidden" // 403
  | "not-found" // 404
  | "not-acceptable" // 406
  | "unsupported-media" // 415
  | "internal" // 500
  | "device-refused" // 500: the storage system refused the operation
  | "busy" // 503
  | "maintenance" // 503
  | "device-timeout"; // 504

export abstract class BlockplaneError extends Error {
  abstract readonly kind: ErrorKind;
  readonly detail: ErrorDetail;
  constructor(message: string, detail: ErrorDetail = {}) {
    super(message);
    this.name = new.target.name;
    this.detail = detail;
  }
}

/** 400: a header, query parameter, object ID or body is not valid. */
export class InvalidRequest extends BlockplaneError {
  readonly kind = "invalid";
}

/** 401: the Authorization header is missing, malformed, or does not authenticate. */
export class Unauthenticated extends BlockplaneError {
  readonly kind = "unauthenticated";
  constructor(
    message: string,
    readonly scheme: "Basic" | "Session",
    detail: ErrorDetail = {},
  ) {
    super(message, detail);
  }
}

/** 403: the caller's roles lack the permission the operation needs. */
export class Forbidden extends BlockplaneError {
  readonly kind = "forbidden";
}

/** 404: no such URL or resource. */
export class NotFound extends BlockplaneError {
  readonly kind = "not-found";
}

export class NotAcceptable extends BlockplaneError {
  readonly kind = "not-acceptable";
}

export class UnsupportedMediaType extends BlockplaneError {
  readonly kind = "unsupported-media";
}

/**
 * The storage system refused an operation because of its own rules (capacity exhausted, volume in
 * use, duplicate name...). Carries the SSB code the array reports. Answered as 400 when the request
 * itself conflicts with the array's state and `asBadRequest` is set, 500 otherwise.
 */
export class DeviceRefused extends BlockplaneError {
  readonly kind = "device-refused";
  constructor(
    message: string,
    detail: ErrorDetail & { errorCode: SsbCode },
    readonly asBadRequest = false,
  ) {
    super(message, detail);
  }
  get errorCode(): SsbCode {
    return this.detail.errorCode as SsbCode;
  }
}

/** 503: the storage system or this server is busy; the caller should retry after `retryAfterSeconds`. */
export class Busy extends BlockplaneError {
  readonly kind = "busy";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    detail: ErrorDetail = {},
  ) {
    super(message, detail);
  }
}

/**
 * 503: the store has no space left (its disk is full), so no change can be recorded; reads and
 * logins go on. `cause` names what the store reported (SQLITE_FULL, PostgreSQL's 53100).
 */
export class StoreFull extends Busy {
  constructor(
    readonly storeCause: string,
    retryAfterSeconds: number,
  ) {
    super(
      `The server cannot record changes: the disk of its store is full (${storeCause}). Changes are refused until space is freed; reads and logins go on. Please ${PHRASES.retry}.`,
      retryAfterSeconds,
      {
        messageId: MESSAGE_IDS.storeFull.id,
        cause: `The store reported ${storeCause}: no space is left on the disk that holds it.`,
        solution: `The administrator of the server must free space on the disk of its store; then ${PHRASES.retry}.`,
      },
    );
  }
}

/** 503: the storage system is under maintenance. */
export class Maintenance extends BlockplaneError {
  readonly kind = "maintenance";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    detail: ErrorDetail = {},
  ) {
    super(message, detail);
  }
}

/** 504: the storage system did not answer within the deadline. */
export class DeviceTimeout extends BlockplaneError {
  readonly kind = "device-timeout";
}

/** 500 with a safe message; the real cause goes to the log. */
export class InternalError extends BlockplaneError {
  readonly kind = "internal";
}

/**
 * An operation over several resources that failed part-way: `error` is the most severe failure,
 * `failures` all of them (most severe first), `partialSuccess` what was done or read.
 */
export class PartialFailure extends Error {
  constructor(
    readonly failures: BlockplaneError[],
    readonly partialSuccess: unknown[],
  ) {
    super(failures[0]?.message ?? "partial failure");
    this.name = "PartialFailure";
  }
  get error(): BlockplaneError {
    return this.failures[0] as BlockplaneError;
  }
}

/** Severity order used to pick the error a multi-resource operation reports. */
const SEVERITY: Record<ErrorKind, number> = {
  internal: 9,
  "device-timeout": 8,
  maintenance: 7,
  busy: 6,
  "device-refused": 5,
  forbidden: 4,
  "not-found": 3,
  invalid: 2,
  unauthenticated: 1,
  "not-acceptable": 0,
  "unsupported-media": 0,
};

export function bySeverity(a: BlockplaneError, b: BlockplaneError): number {
  return SEVERITY[b.kind] - SEVERITY[a.kind];
}

/** Messages the clients of the real API match on; keep the phrases intact. */
export const PHRASES = {
  tokenInvalid: "The specified token is invalid.",
  retry: "wait for a while and try again",
  busy: "The server might be temporarily busy",
} as const;

/** A plain form of an error, for storing an item's outcome in a job or an idempotency record. */
export interface StoredError {
  kind: ErrorKind;
  message: string;
  detail: ErrorDetail;
  retryAfterSeconds?: number;
  asBadRequest?: boolean;
}

export function storeError(err: BlockplaneError): StoredError {
  const stored: StoredError = { kind: err.kind, message: err.message, detail: err.detail };
  const retry = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
  if (retry !== undefined) stored.retryAfterSeconds = retry;
  if (err instanceof DeviceRefused && err.asBadRequest) stored.asBadRequest = true;
  return stored;
}

export function restoreError(s: StoredError): BlockplaneError {
  switch (s.kind) {
    case "invalid":
      return new InvalidRequest(s.message, s.detail);
    case "unauthenticated":
      return new Unauthenticated(s.message, "Session", s.detail);
    case "forbidden":
      return new Forbidden(s.message, s.detail);
    case "not-found":
      return new NotFound(s.message, s.detail);
    case "not-acceptable":
      return new NotAcceptable(s.message, s.detail);
    case "unsupported-media":
      return new UnsupportedMediaType(s.message, s.detail);
    case "device-refused":
      return new DeviceRefused(s.message, s.detail as ErrorDetail & { errorCode: SsbCode }, s.asBadRequest);
    case "busy":
      return new Busy(s.message, s.retryAfterSeconds ?? 1, s.detail);
    case "maintenance":
      return new Maintenance(s.message, s.retryAfterSeconds ?? 1, s.detail);
    case "device-timeout":
      return new DeviceTimeout(s.message, s.detail);
    default:
      return new InternalError(s.message, s.detail);
  }
}
