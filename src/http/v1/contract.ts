/**
 * The contract of the full Configuration Manager API (v1) shared by its resources: its two path
 * forms, the storage device ID in the server-edition form, and the names of resources in its
 * answers. The v1 face is a translator over the same services and device as the simple face: it
 * turns a v1 request into a typed call and the result into v1 JSON, and writes no rule of the array.
 */
import type { FastifyRequest, preValidationAsyncHookHandler } from "fastify";
import { type TSchema, Type } from "typebox";
import { InvalidRequest, NotFound } from "../../domain/errors.ts";
import { SIMPLE_OBJECTS } from "../../services/jobs.ts";
import { FULL_OBJECTS } from "../routes/common.ts";

export const V1_OBJECTS = FULL_OBJECTS;
const SCOPED = `${V1_OBJECTS}/storages/:storageDeviceId`;
const STORAGE_DEVICE_ID = /^\d{12}$/;

/**
 * The two URLs of a v1 resource path ("/ldevs/:id"): the embedded form under `/v1/objects` and the
 * server-edition form under `/v1/objects/storages/{storageDeviceId}`, which Cinder uses. Both are
 * served by the same handler.
 */
export function v1Urls(path: string): [string, string] {
  return [`${V1_OBJECTS}${path}`, `${SCOPED}${path}`];
}

/** The full API names a storage system by model code and serial: "9" + 11 digits. */
export function storageDeviceIdOf(serial: string): string {
  return `9${serial.replace(/\D/g, "").padStart(11, "0")}`;
}

/** The storage device ID of the server-edition form: 12 digits. */
export const StorageDeviceIdSchema = Type.String({
  pattern: "^\\d{12}$",
  description: "12 digits; only this array's is served",
});

/**
 * The two forms of a v1 route (see v1Urls) with the path parameters of each: the route's own, and
 * in the server-edition form the storage device ID.
 */
export function v1Forms<P extends Record<string, TSchema>>(path: string, properties: P = {} as P) {
  const [embedded, scoped] = v1Urls(path);
  return [
    { url: embedded, params: Type.Object(properties, { additionalProperties: false }) },
    {
      url: scoped,
      params: Type.Object(
        { ...properties, storageDeviceId: StorageDeviceIdSchema },
        { additionalProperties: false },
      ),
    },
  ] as const;
}

/**
 * Checks the storage device ID of a server-edition URL before anything else of the request is
 * read: a malformed one is 400, another array's is 404 (this server serves one array).
 */
export function storageScopeCheck(serial: string): preValidationAsyncHookHandler {
  const own = storageDeviceIdOf(serial);
  return async (request: FastifyRequest) => {
    const { storageDeviceId } = request.params as { storageDeviceId?: string };
    if (storageDeviceId === undefined) return;
    if (!STORAGE_DEVICE_ID.test(storageDeviceId)) {
      throw new InvalidRequest(
        `The storage device ID "${storageDeviceId}" is invalid: it has 12 digits, such as ${own}.`,
      );
    }
    if (storageDeviceId !== own) {
      throw new NotFound(`The storage system ${storageDeviceId} does not exist.`);
    }
  };
}

/** The object prefix of a request's URL: `/v1/objects`, or `/v1/objects/storages/{id}`. */
export function objectsPrefixOf(url: string): string {
  const scoped = /^\/ConfigurationManager\/v1\/objects\/storages\/(\d{12})\//.exec(url);
  return scoped ? `${V1_OBJECTS}/storages/${scoped[1]}` : V1_OBJECTS;
}

/**
 * How a resource the services name by its simple-API URL is named on the v1 face: a volume is an
 * LDEV, a snapshot a Thin Image pair. Unknown URLs pass unchanged.
 */
const V1_NAMES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^\/volumes\/(\d+)$/, (m) => `/ldevs/${m[1]}`],
  [/^\/volumes$/, () => "/ldevs"],
  [/^\/pools\/(\d+)$/, (m) => `/pools/${m[1]}`],
  [/^\/snapshots\/(\d+),(\d+)$/, (m) => `/snapshots/${m[1]},${m[2]}`],
  [/^\/snapshots$/, () => "/snapshots"],
];

export function v1ResourceOf(simpleUrl: string, prefix: string): string {
  // A resource the services name by its v1 URL already (host groups, LUN paths): in the form asked.
  if (simpleUrl.startsWith(`${V1_OBJECTS}/`)) return `${prefix}${simpleUrl.slice(V1_OBJECTS.length)}`;
  if (!simpleUrl.startsWith(SIMPLE_OBJECTS)) return simpleUrl;
  const rest = simpleUrl.slice(SIMPLE_OBJECTS.length);
  for (const [pattern, rename] of V1_NAMES) {
    const m = pattern.exec(rest);
    if (m) return `${prefix}${rename(m)}`;
  }
  return simpleUrl;
}
