/**
 * Request IDs: the `X-Request-Id` of every answer, the `requestId` of its error body and the `reqId`
 * of its log lines. A caller's own id is kept when it is well-formed, so that its traces and ours
 * join up; any other (too long, empty, with spaces, several headers joined) is replaced by a fresh
 * UUID, never refused. Ids a caller chooses need not be unique: they are for correlation only.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** 1 to 128 letters, digits, dots, underscores, colons and hyphens. */
export const REQUEST_ID_FORM = /^[A-Za-z0-9._:-]{1,128}$/;

export function freshRequestId(): string {
  return randomUUID();
}

/** The caller's X-Request-Id when well-formed, else a fresh one (Fastify's `genReqId`). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID_FORM.test(given) ? given : randomUUID();
}
