/**
 * The one mapping from errors to status codes and the API's error body. Routes never build error
 * responses by hand: they throw (domain/errors.ts) and this handler answers.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import {
  BlockplaneError as BaseError,
  type BlockplaneError,
  type ErrorKind,
  InternalError,
  InvalidRequest,
  NotFound,
  PartialFailure,
  PHRASES,
  type SsbCode,
  UnsupportedMediaType,
} from "../../domain/errors.ts";
import { MESSAGE_IDS } from "../../domain/message-ids.ts";

/** The error object of the API: the body of every 4xx/5xx answer. */
export interface ErrorBody {
  errorSource: string;
  messageId: string;
  message: string;
  cause?: string;
  solution?: string;
  errorCode?: SsbCode;
  /** Correlates the answer with the server's log lines. */
  requestId?: string;
}

interface KindContract {
  status: number;
  messageId: string;
  solution?: string;
}

/** Status code, default message ID (domain/message-ids.ts) and solution of each error kind. */
export const CONTRACT: Record<ErrorKind, KindContract> = {
  invalid: {
    status: 400,
    messageId: MESSAGE_IDS.invalidRequest.id,
    solution: "Correct the request, and then try again.",
  },
  unauthenticated: {
    status: 401,
    messageId: MESSAGE_IDS.unauthenticated.id,
    solution: "Specify valid credentials, and then try again.",
  },
  forbidden: {
    status: 403,
    messageId: MESSAGE_IDS.forbidden.id,
    solution: "Ask an administrator for a role that allows this operation.",
  },
  "not-found": {
    status: 404,
    messageId: MESSAGE_IDS.objectNotFound.id,
    solution: "Check the URL and the object ID, and then try again.",
  },
  "not-acceptable": {
    status: 406,
    messageId: MESSAGE_IDS.notAcceptable.id,
    solution: "Accept application/json, and then try again.",
  },
  "unsupported-media": {
    status: 415,
    messageId: MESSAGE_IDS.unsupportedMediaType.id,
    solution: "Send the body as application/json.",
  },
  internal: {
    status: 500,
    messageId: MESSAGE_IDS.internal.id,
    solution: "Contact the administrator with the request ID.",
  },
  "device-refused": { status: 500, messageId: MESSAGE_IDS.commandFailed.id },
  busy: { status: 503, messageId: MESSAGE_IDS.serverBusy.id, solution: `Please ${PHRASES.retry}.` },
  maintenance: { status: 503, messageId: MESSAGE_IDS.maintenance.id, solution: `Please ${PHRASES.retry}.` },
  "device-timeout": {
    status: 504,
    messageId: MESSAGE_IDS.deviceTimeout.id,
    solution: `The storage system did not answer in time; ${PHRASES.retry}.`,
  },
};

export function statusOf(err: BlockplaneError): number {
  if (err.kind === "device-refused" && (err as { asBadRequest?: boolean }).asBadRequest) return 400;
  return CONTRACT[err.kind].status;
}

export function errorBody(err: BlockplaneError, errorSource: string, requestId?: string): ErrorBody {
  const c = CONTRACT[err.kind];
  const body: ErrorBody = {
    errorSource,
    messageId: err.detail.messageId ?? c.messageId,
    message: err.message,
  };
  if (err.detail.cause) body.cause = err.detail.cause;
  const solution = err.detail.solution ?? c.solution;
  if (solution) body.solution = solution;
  if (err.detail.errorCode) body.errorCode = err.detail.errorCode;
  if (requestId) body.requestId = requestId;
  return body;
}

function retryAfterOf(err: BlockplaneError): number | undefined {
  const r = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
  return typeof r === "number" ? Math.max(1, Math.ceil(r)) : undefined;
}

/** How a validation message names each part of the request and its members. */
const PARTS = {
  body: { name: "The request body", member: "field" },
  querystring: { name: "The query", member: "parameter" },
  params: { name: "The object ID", member: "path parameter" },
  headers: { name: "A header", member: "header" },
} as const satisfies Record<string, { name: string; member: string }>;

/** Turns Fastify's own errors (validation, parsing, media type, size) into ours. */
function fromFastify(err: FastifyError): BlockplaneError | undefined {
  if (err.validation) {
    const where = err.validationContext ?? "request";
    const first = err.validation[0];
    const field = first?.instancePath ? first.instancePath.replace(/^\//, "").replaceAll("/", ".") : "";
    const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    const part = PARTS[where as keyof typeof PARTS] ?? PARTS.body;
    const subject = extra
      ? `unknown ${part.member} "${extra}"`
      : field
        ? `"${field}" ${first?.message}`
        : (first?.message ?? "is invalid");
    // A field the body may not carry has an ID of its own on the real API.
    const messageId = extra && where === "body" ? { messageId: MESSAGE_IDS.unsupportedParameter.id } : {};
    return new InvalidRequest(`${part.name} is invalid: ${subject}.`, { cause: err.message, ...messageId });
  }
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new UnsupportedMediaType(
        "The request body's media type is not supported; use application/json.",
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new InvalidRequest("The request body is not valid JSON.");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new InvalidRequest("The request body is too large.");
    case "FST_ERR_BAD_URL":
      return new InvalidRequest("The URL is not valid: it contains a malformed percent-encoding.");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new InvalidRequest("The URL is not valid: an object ID in it is too long.");
    case "FST_ERR_CTP_INVALID_CONTENT_TYPE":
    case "FST_ERR_CTP_INVALID_HEADER":
      return new InvalidRequest("The Content-Type header is not valid.");
  }
  if (err instanceof SyntaxError || err.statusCode === 400) return new InvalidRequest(err.message);
  // The docs page's static files refuse a path that climbs out of their directory with 403: to a
  // client there is no such file.
  if (err.statusCode === 404 || err.statusCode === 403)
    return urlNotFound("The requested URL was not found.");
  // Their other refusals (a Range past the end, a failed If-Match) are the client's, not ours.
  if (typeof err.statusCode === "number" && err.statusCode > 400 && err.statusCode < 500)
    return new InvalidRequest(`The request cannot be served: ${err.message}.`);
  return undefined;
}

/** 404 for a URL no route serves: an ID of its own, distinct from an absent object's. */
export function urlNotFound(message: string): NotFound {
  return new NotFound(message, { messageId: MESSAGE_IDS.urlNotFound.id });
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const source = request.url.split("?")[0] ?? request.url;
  if (error instanceof PartialFailure) {
    const lead = error.error;
    const retry = retryAfterOf(lead);
    if (retry !== undefined) reply.header("Retry-After", String(retry));
    const status = Math.max(statusOf(lead), 500);
    reply.code(status).send({
      errorResponses: error.failures.map((f) => errorBody(f, source, request.id)),
      partialSuccessResponses: error.partialSuccess,
    });
    return;
  }
  let err: BlockplaneError | undefined =
    error instanceof BaseError ? error : fromFastify(error as FastifyError);
  if (!err) {
    // Unknown failure: the details stay in the log under the request id, which the body names.
    request.log.error({ err: error }, "unhandled error");
    err = new InternalError(
      `An internal error occurred. Quote request ID ${request.id} to the administrator.`,
    );
  } else if (err.kind === "internal") {
    request.log.error({ err: error }, "internal error");
  }
  const status = statusOf(err);
  const retry = retryAfterOf(err);
  if (retry !== undefined) reply.header("Retry-After", String(retry));
  if (status === 401) {
    const scheme = (err as { scheme?: string }).scheme ?? "Session";
    reply.header("WWW-Authenticate", `${scheme} realm="Block storage"`);
  }
  reply.code(status).send(errorBody(err, source, request.id));
}
