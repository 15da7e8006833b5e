/**
 * What routes share: URL prefixes, ID schemas and parsers, the list envelope, and the answers of an
 * accepted asynchronous operation (202) and of a synchronous change (200).
 */
import type { FastifyReply } from "fastify";
import { type Static, type TSchema, Type } from "typebox";
import { UNCANCELLED } from "../../device/deadline.ts";
import { BlockplaneError, InvalidRequest, PartialFailure } from "../../domain/errors.ts";
import { type ExecutionResult, FULL_OBJECTS, SIMPLE_OBJECTS, statusResource } from "../../services/jobs.ts";
import type { App, AppDeps } from "../app.ts";

export { FULL_OBJECTS, SIMPLE_OBJECTS };
export const OWN = "/blockplane/v1";

/** A route module registers its routes on the app. */
export type RouteModule = (app: App, deps: AppDeps) => void;

/** The error body, for response schemas and the OpenAPI document. */
export const ErrorBodySchema = Type.Object({
  errorSource: Type.String(),
  messageId: Type.String(),
  message: Type.String(),
  cause: Type.Optional(Type.String()),
  solution: Type.Optional(Type.String()),
  errorCode: Type.Optional(
    Type.Object({ SSB1: Type.String(), SSB2: Type.String(), errorCode: Type.Optional(Type.String()) }),
  ),
  requestId: Type.Optional(Type.String()),
});

export const StatusResourceSchema = Type.Object({ statusResource: Type.String() });

export const ExecutionResultSchema = Type.Object({
  affectedResources: Type.Array(Type.String()),
  operationDetails: Type.Array(
    Type.Object({ operationType: Type.String(), resourceType: Type.String(), resourceId: Type.String() }),
  ),
});

/** A decimal integer in a path segment, within [min, max]. Malformed gives 400, by the schema. */
export function IntId(min: number, max: number, description?: string) {
  return Type.Integer({ minimum: min, maximum: max, ...(description ? { description } : {}) });
}

/**
 * An object ID in a body list that may also come as decimal text: the array reads ["7"] as [7],
 * and clients send the IDs they cut from affectedResources as they are. idsOf() turns the list
 * into numbers and checks the text's range, which a pattern cannot.
 */
export function IdOrText(min: number, max: number) {
  return Type.Union([Type.Integer({ minimum: min, maximum: max }), Type.String({ pattern: "^\\d{1,10}$" })], {
    description: `An integer in [${min}, ${max}], or the same as decimal text.`,
  });
}

/** The numbers of a list of IdOrText values: each within [min, max], none named twice. */
export function idsOf(values: (number | string)[], field: string, min: number, max: number): number[] {
  const ids = values.map(Number);
  const outside = ids.findIndex((n) => n < min || n > max);
  if (outside >= 0)
    throw new InvalidRequest(
      `The request body is invalid: "${field}.${outside}" must be between ${min} and ${max}.`,
    );
  if (new Set(ids).size !== ids.length)
    throw new InvalidRequest(`The request body is invalid: "${field}" names an ID twice.`);
  return ids;
}

/** Path parameters of a route with one integer `id`. */
export function idParams(max: number, min = 0) {
  return Type.Object({ id: IntId(min, max) }, { additionalProperties: false });
}

/** The list envelope `{data, count}`, with `totalCount` and `hasNext` where the API pages. */
export function ListOf<T extends TSchema>(item: T, paged = false) {
  return paged
    ? Type.Object({
        data: Type.Array(item),
        count: Type.Integer(),
        totalCount: Type.Integer(),
        hasNext: Type.Boolean(),
      })
    : Type.Object({ data: Type.Array(item), count: Type.Integer() });
}

/** A strict body schema: unknown fields are rejected. */
export function Body<P extends Record<string, TSchema>>(
  properties: P,
  options: { minProperties?: number } = {},
) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** A strict query schema: unknown parameters are rejected. */
export const Query = Body;

/**
 * Parses a composite object ID such as "100,10" into integers, each within its range.
 * Anything else ("100,x", "100", "100,10,1", "+1,2") is a 400.
 */
export function parseCompositeId(raw: string, what: string, ranges: [number, number][]): number[] {
  const parts = raw.split(",");
  if (parts.length !== ranges.length || parts.some((p) => !/^\d{1,10}$/.test(p))) {
    throw new InvalidRequest(
      `The object ID "${raw}" is invalid: a ${what} ID has the form ${ranges.map((_, i) => `n${i + 1}`).join(",")}.`,
    );
  }
  return parts.map((p, i) => {
    const n = Number(p);
    const [min, max] = ranges[i] as [number, number];
    if (n < min || n > max)
      throw new InvalidRequest(
        `The object ID "${raw}" is invalid: part ${i + 1} must be between ${min} and ${max}.`,
      );
    return n;
  });
}

/** Options of a device call made for a request: the device wrapper adds the deadline. */
export function call(opKey?: string) {
  return opKey === undefined ? { signal: UNCANCELLED } : { signal: UNCANCELLED, opKey };
}

/** 202: the operation runs as job `jobId`; poll the returned command-status. */
export function accepted(reply: FastifyReply, jobId: number) {
  return reply.code(202).send({ statusResource: statusResource(jobId) });
}

/**
 * 202 of a multi-resource operation: one statusResource per resource, in the request's order, as
 * the array answers (clients take each status's affectedResources[0] as one resource).
 */
export function acceptedEach(reply: FastifyReply, statusIds: number[]) {
  return reply.code(202).send(statusIds.map((id) => ({ statusResource: statusResource(id) })));
}

/** 200 after a synchronous change. */
export function done(reply: FastifyReply, result: ExecutionResult) {
  return reply.code(200).send(result);
}

/**
 * Reads a list in parts, one after the other. When a part after the first fails, the read fails as
 * a PartialFailure carrying the data objects read so far (500 or 503 with partialSuccessResponses,
 * as the API answers a multi-resource GET); a failure of the first part is that part's own error.
 */
export async function readParts<T>(parts: (() => Promise<T[]>)[]): Promise<T[]> {
  const read: T[] = [];
  for (const [i, part] of parts.entries()) {
    try {
      read.push(...(await part()));
    } catch (err) {
      if (i === 0 || !(err instanceof BlockplaneError)) throw err;
      throw new PartialFailure([err], read);
    }
  }
  return read;
}

/** The body of a multi-resource operation that failed part-way (500 or 503). */
export const PartialFailureSchema = Type.Object({
  errorResponses: Type.Array(ErrorBodySchema),
  partialSuccessResponses: Type.Array(Type.Unknown()),
});

/**
 * The error schemas, registered once on the app (`app.addSchema`) and referenced by id from every
 * route, so the OpenAPI document defines them once instead of once per route and status code.
 */
export const SHARED_SCHEMAS = [
  { ...ErrorBodySchema, $id: "ErrorBody" },
  {
    ...Type.Object({
      errorResponses: Type.Array(Type.Ref("ErrorBody")),
      partialSuccessResponses: Type.Array(Type.Unknown()),
    }),
    $id: "PartialFailure",
  },
];

type ErrorBodyType = Static<typeof ErrorBodySchema>;
const ErrorRef = Type.Unsafe<ErrorBodyType>(Type.Ref("ErrorBody"));
const ServerErrorRef = Type.Union([
  ErrorRef,
  Type.Unsafe<Static<typeof PartialFailureSchema>>(Type.Ref("PartialFailure")),
]);

const ERROR_RESPONSES = Object.freeze({
  ...Object.fromEntries([400, 401, 403, 404, 406, 415, 504].map((c) => [c, ErrorRef])),
  500: ServerErrorRef,
  503: ServerErrorRef,
});

/**
 * Response schemas of the errors every route may answer, for the OpenAPI document: one object
 * made once, spread into each route's responses.
 */
export function errorResponses() {
  return ERROR_RESPONSES;
}
