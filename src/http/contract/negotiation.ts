/**
 * Content negotiation: 406 when Accept admits no JSON, a JSON parser that takes an empty body as
 * "no body", and application/json as the default media type of a body sent without Content-Type.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { NotAcceptable } from "../../domain/errors.ts";

/** True when the Accept header admits application/json with a non-zero quality. */
export function acceptsJson(accept: string | undefined): boolean {
  // What nearly every client sends, answered without parsing.
  if (accept === undefined || accept === "application/json" || accept === "*/*") return true;
  if (accept.trim() === "") return true;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((s) => s.trim().toLowerCase());
    if (type !== "*/*" && type !== "application/*" && type !== "application/json") continue;
    const q = params.find((p) => p.startsWith("q="));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    if (Number.isFinite(quality) && quality > 0) return true;
  }
  return false;
}

export function checkAccept(request: FastifyRequest): void {
  if (!acceptsJson(request.headers.accept)) {
    throw new NotAcceptable(
      `The Accept header "${request.headers.accept}" admits no supported media type; use application/json.`,
    );
  }
}

export function registerJsonParsing(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  // JSON is the only media type: Fastify's built-in text/plain parser would let a text body reach
  // validation (400) instead of answering 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    // Real clients send Content-Type: application/json with an empty body: that is no body at all.
    const text = body.toString();
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}

/** A body sent without Content-Type is JSON, the API's only and default media type. */
export function defaultContentType(request: FastifyRequest): void {
  if (request.headers["content-type"] === undefined && hasBody(request)) {
    request.headers["content-type"] = "application/json";
  }
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}
