/**
 * Content negotiation: 406 when Accept admits no JSON, a JSON parser that takes an empty body as
 * "no body", and application/json as the default media type of a body sent without Content-Type.
 * A body is taken only as it is: UTF-8 (RFC 8259), with no content coding. A Content-Encoding other
 * than identity, or a charset other than UTF-8, is 415; bytes that are not UTF-8 are 400. Each is
 * refused before the body is read as JSON, so nothing acts on a body read wrongly.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { InvalidRequest, NotAcceptable, UnsupportedMediaType } from "../../domain/errors.ts";

/** True when the Accept header names one of `ranges` (lower case) with a non-zero quality. */
export function namesMediaRange(accept: string, ranges: readonly string[]): boolean {
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((s) => s.trim().toLowerCase());
    if (!ranges.includes(type)) continue;
    const q = params.find((p) => p.startsWith("q="));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    if (Number.isFinite(quality) && quality > 0) return true;
  }
  return false;
}

const JSON_RANGES = ["*/*", "application/*", "application/json"] as const;

/** True when the Accept header admits application/json with a non-zero quality. */
export function acceptsJson(accept: string | undefined): boolean {
  // What nearly every client sends, answered without parsing.
  if (accept === undefined || accept === "application/json" || accept === "*/*") return true;
  if (accept.trim() === "") return true;
  return namesMediaRange(accept, JSON_RANGES);
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
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const refused = unsupportedCoding(request);
    if (refused) {
      done(refused);
      return;
    }
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new InvalidRequest("The request body is not valid UTF-8."));
      return;
    }
    // Real clients send Content-Type: application/json with an empty body: that is no body at all.
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}

/** Throws on bytes that are not UTF-8, rather than reading them as U+FFFD. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

const SOLUTION = "Send the body as UTF-8 application/json with no Content-Encoding.";

/** 415 for a content coding or a charset the API does not take. */
function unsupportedCoding(request: FastifyRequest): UnsupportedMediaType | undefined {
  const coding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (coding !== undefined && coding !== "" && coding !== "identity") {
    return new UnsupportedMediaType(
      `The request body's Content-Encoding "${request.headers["content-encoding"]}" is not supported; send it unencoded.`,
      { solution: SOLUTION },
    );
  }
  const charset = charsetOf(request.headers["content-type"] ?? "");
  if (charset !== undefined && !isUtf8Label(charset)) {
    const message = `The request body's charset "${charset}" is not supported; send it as UTF-8.`;
    return new UnsupportedMediaType(message, { solution: SOLUTION });
  }
  return undefined;
}

/** The charset parameter of a media type, unquoted, if it has one. */
function charsetOf(contentType: string): string | undefined {
  for (const param of contentType.split(";").slice(1)) {
    const eq = param.indexOf("=");
    if (eq > 0 && param.slice(0, eq).trim().toLowerCase() === "charset") {
      return param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
    }
  }
  return undefined;
}

/** Whether a charset label names UTF-8 (its WHATWG labels: "utf-8", "utf8", "unicode-1-1-utf-8", …). */
function isUtf8Label(label: string): boolean {
  try {
    return new TextDecoder(label).encoding === "utf-8";
  } catch {
    return false;
  }
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
