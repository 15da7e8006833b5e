/**
 * Requests that are wrong by construction, for every route of the app: each carries at least one
 * flaw that the API must refuse (a malformed ID, an unknown or invalid query parameter, a body that
 * breaks its schema, malformed JSON, a media type other than JSON, an Accept that admits no JSON,
 * wrong credentials), mixed with noise that may or may not be valid (other parameters, headers,
 * existing IDs). Route shapes (path, query and body schemas) come from the app's own OpenAPI
 * document; which values are surely invalid is decided here, from the API description, not by
 * asking the server's validators.
 *
 * Each request also says which status the contract gives it: the flaw checked first wins (a URL
 * that cannot be decoded 400, then Accept 406, then credentials 401, then the body's media type
 * 415 or syntax 400, then schema validation 400).
 */
import fc from "fast-check";
import type { App, RouteEntry } from "../../src/http/app.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON Schema subset the routes use (as the OpenAPI document renders typebox schemas). */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  minProperties?: number;
}

export interface RouteShape {
  route: RouteEntry;
  params: Record<string, Schema>;
  query: Record<string, Schema>;
  /** The JSON body's schema; undefined when the route declares none. */
  body: Schema | undefined;
}

/** Real values for the route's path parameters (existing objects), when the test has some. */
export type RealValues = (route: RouteEntry, name: string) => string[];

export type FlawKind = "url" | "accept" | "auth" | "media-type" | "json" | "path" | "query" | "body";

export interface Flaw {
  kind: FlawKind;
  detail: string;
}

export interface FuzzRequest {
  route: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | undefined;
  flaws: Flaw[];
  /** The status the contract gives this request: that of its first-checked flaw. */
  expected: number;
}

/** Each flaw's status and the order in which the server meets it (first wins). */
const FLAW_ORDER: Record<FlawKind, { rank: number; status: number }> = {
  url: { rank: 0, status: 400 },
  accept: { rank: 1, status: 406 },
  auth: { rank: 2, status: 401 },
  "media-type": { rank: 3, status: 415 },
  json: { rank: 3, status: 400 },
  path: { rank: 4, status: 400 },
  query: { rank: 4, status: 400 },
  body: { rank: 4, status: 400 },
};

/** Longest path parameter the router takes (Fastify's maxParamLength in app.ts). */
const MAX_PARAM_LENGTH = 512;

type OpenApiParam = { in: string; name: string; schema?: Schema };
type OpenApiOperation = {
  parameters?: OpenApiParam[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

/** The shape of every route of the catalog, from the app's OpenAPI document. */
export async function routeShapes(app: App): Promise<RouteShape[]> {
  const doc = (await app.openapi()) as { paths?: Record<string, Record<string, OpenApiOperation>> };
  const byKey = new Map<string, OpenApiOperation>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      byKey.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`, op);
    }
  }
  return app.routeCatalog.map((route) => {
    const op = byKey.get(`${route.method} ${route.url}`) ?? {};
    const of = (where: string) =>
      Object.fromEntries(
        (op.parameters ?? []).filter((p) => p.in === where).map((p) => [p.name, p.schema ?? {}]),
      );
    const params = of("path");
    // A route the document leaves out still has its parameters; nothing is known of them.
    for (const m of route.url.matchAll(/:([A-Za-z0-9_]+)/g)) params[m[1] as string] ??= {};
    return {
      route,
      params,
      query: of("query"),
      body: op.requestBody?.content?.["application/json"]?.schema,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Values

/** Text that often breaks parsers: numbers in every disguise, separators, encodings, scripts. */
const TRICKY = [
  "1,x",
  "x,1",
  "1,",
  ",1",
  "1,,2",
  "1,2,3",
  "-1",
  "-1,2",
  "1,-2",
  "+1",
  "1.5",
  "1.0",
  "1e3",
  "0x10",
  "0b1",
  "0o7",
  " 7",
  "7 ",
  "1_000",
  "NaN",
  "Infinity",
  "-Infinity",
  "null",
  "undefined",
  "true",
  "[]",
  "{}",
  "[1]",
  "９",
  "١٢",
  "²",
  "💥",
  "ｆｏｏ",
  "é",
  "\u0000",
  "\u200b1",
  "1\u0000",
  "%",
  "CL1-a",
  "cl1-A",
  "CL0-A",
  "CL10-A",
  "iqn",
  "eui.",
  "...",
  "a/b",
  "a\\b",
  "a?b",
  "a#b",
  "a b",
  "<script>",
  "' OR 1=1 --",
  "$" + "{jndi:x}",
  "__proto__",
  "constructor",
  "9007199254740993",
  "18446744073709551616",
  "99999999999999999999999999999999",
  "-9223372036854775809",
  "1".repeat(300),
  "x".repeat(MAX_PARAM_LENGTH + 1),
];

/** Any text: random Unicode, random printable ASCII, numbers written out, or tricky strings. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: "binary", maxLength: 24 }), weight: 3 },
  { arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 24 }), weight: 3 },
  { arbitrary: fc.integer().map(String), weight: 2 },
  { arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String), weight: 1 },
  { arbitrary: fc.double({ noNaN: false }).map(String), weight: 1 },
  { arbitrary: fc.constantFrom(...TRICKY), weight: 4 },
  { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 33, maxLength: 300 }), weight: 1 },
);

/** Any JSON value, shallow or deep. */
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 2 ** 53 + 2, -1e308, 1e308, "", "0", "1"),
  anyText,
);

function regexOf(pattern: string): RegExp {
  return new RegExp(pattern, "u");
}

/** True when `v` could be valid text for `schema` as the schema reads (conservative). */
function textFits(schema: Schema, v: string): boolean {
  if (schema.type === "integer" || schema.type === "number") {
    const n = Number(v);
    const form = schema.type === "integer" ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
    return form.test(v) && n >= (schema.minimum ?? -Infinity) && n <= (schema.maximum ?? Infinity);
  }
  const values = enumOf(schema);
  if (values) return values.includes(v);
  if (schema.anyOf) return schema.anyOf.some((s) => textFits(s, v));
  if (schema.minLength !== undefined && [...v].length < schema.minLength) return false;
  if (schema.maxLength !== undefined && [...v].length > schema.maxLength) return false;
  if (schema.pattern !== undefined && !regexOf(schema.pattern).test(v)) return false;
  return true;
}

/** The allowed values of an enum-like schema (enum, const, or a union of them), if it is one. */
function enumOf(schema: Schema): unknown[] | undefined {
  if (schema.enum) return schema.enum;
  if ("const" in schema) return [schema.const];
  if (schema.anyOf && schema.anyOf.length > 0) {
    const parts = schema.anyOf.map(enumOf);
    if (parts.every((p) => p !== undefined)) return parts.flat();
  }
  return undefined;
}

/** Whether the schema says something about text beyond "any string" (so invalid text exists). */
function constrainsText(schema: Schema): boolean {
  return (
    schema.type === "integer" ||
    schema.type === "number" ||
    enumOf(schema) !== undefined ||
    (schema.minLength ?? 0) > 0 ||
    schema.maxLength !== undefined ||
    schema.pattern !== undefined
  );
}

/**
 * Whether `v` could be a valid value of path parameter `name` of `route`. For the IDs the schema
 * types as plain strings the API description gives the form: "<n>,<m>" (connections, snapshots),
 * a WWN or an iSCSI name (HBAs), "<hba>,<portId>" (paths), a snapshot group name.
 */
function paramMayBeValid(route: RouteEntry, name: string, schema: Schema, v: string): boolean {
  if (constrainsText(schema)) return textFits(schema, v);
  if (name === "hba") return /^[0-9A-Fa-f]{16}$/.test(v) || /^(iqn|eui)\./i.test(v);
  if (name === "pathId") return v.includes(",") && /CL[1-9]-[A-Z]$/.test(v);
  if (/\/(volume-server-connections\/:id|snapshots\/:(id|snapshotId))\b/.test(route.url))
    return /^\d+,\d+$/.test(v);
  if (/\/snapshot-groups\/:name/.test(route.url)) {
    return [...v].length <= 32 && /^(?!\.+$)[^/\\\p{Cc}]+$/u.test(v);
  }
  // Nothing known of this parameter: any value might be valid.
  return true;
}

/** One URL path segment of `v`: percent-encoded, as a client sends it. */
function segment(v: string): string {
  return encodeURIComponent(v);
}

/** Whether the API description says what a valid value of this path parameter looks like. */
function paramIsDescribed(route: RouteEntry, name: string, schema: Schema): boolean {
  return (
    constrainsText(schema) ||
    name === "hba" ||
    name === "pathId" ||
    /\/(volume-server-connections|snapshots|snapshot-groups)\/:/.test(route.url)
  );
}

/**
 * A path parameter value the route must refuse, as the URL segment to send: text of the wrong form,
 * or a percent-encoding that does not decode. A segment longer than the router takes (or one that
 * does not decode) is refused before anything else is looked at.
 */
function badParam(shape: RouteShape, name: string): fc.Arbitrary<{ segment: string; flaw: Flaw }> {
  const schema = shape.params[name] ?? {};
  const route = shape.route;
  const undecodable = fc
    .tuple(
      fc.constantFrom("", "1", "CL1-A", "a"),
      fc.constantFrom("%", "%Z", "%ZZ", "%E0%A4%A", "%C0%AF", "%FF", "%ED%A0%80"),
    )
    .map(([pre, bad]) => ({
      segment: `${pre}${bad}`,
      flaw: { kind: "url" as FlawKind, detail: `path ${name}=${pre}${bad} (undecodable)` },
    }));
  if (!paramIsDescribed(route, name, schema)) return undecodable;
  const malformed = anyText
    // "" routes to another URL; "." and ".." are path segments a URL parser resolves away.
    .filter((v) => v !== "" && v !== "." && v !== ".." && !paramMayBeValid(route, name, schema, v))
    .map((v) => {
      const seg = segment(v);
      const tooLong = seg.length > MAX_PARAM_LENGTH;
      return {
        segment: seg,
        flaw: {
          kind: (tooLong ? "url" : "path") as FlawKind,
          detail: `path ${name}=${JSON.stringify(v.slice(0, 60))}${tooLong ? " (too long)" : ""}`,
        },
      };
    });
  return fc.oneof({ arbitrary: malformed, weight: 5 }, { arbitrary: undecodable, weight: 1 });
}

/** A value of a path parameter that is well-formed or real (noise: it may name an existing object). */
function goodParam(shape: RouteShape, name: string, real: RealValues): fc.Arbitrary<string> {
  const known = real(shape.route, name);
  const schema = shape.params[name] ?? {};
  const formed =
    schema.type === "integer"
      ? fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 65535, 2 ** 31) }).map(String)
      : fc.constantFrom(...(known.length > 0 ? known : ["0"]));
  return known.length > 0
    ? fc
        .oneof({ arbitrary: fc.constantFrom(...known), weight: 3 }, { arbitrary: formed, weight: 1 })
        .map(segment)
    : formed.map(segment);
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** Objects with the keys of `schema`: each present (required) or maybe (optional), of `value`. */
function objectOf(
  schema: Schema,
  value: (s: Schema | undefined) => fc.Arbitrary<Json>,
): fc.Arbitrary<Record<string, Json>> {
  const props = schema.properties ?? {};
  const required = Object.keys(props).filter((k) => schema.required?.includes(k));
  const optional = Object.keys(props).filter((k) => !schema.required?.includes(k));
  const least = Math.max(0, (schema.minProperties ?? 0) - required.length);
  return fc.subarray(optional, { minLength: Math.min(least, optional.length) }).chain((keys) => {
    const all = [...required, ...keys];
    return fc
      .tuple(...all.map((k) => value(props[k])))
      .map((vals) => Object.fromEntries(all.map((k, i) => [k, vals[i] as Json])));
  });
}

/** A value that fits `schema` as its JSON Schema says (what the route's own logic makes of it aside). */
export function valid(schema: Schema | undefined, depth = 0): fc.Arbitrary<Json> {
  if (!schema || depth > 6) return anyJson;
  const values = enumOf(schema);
  if (values) return fc.constantFrom(...(values as Json[]));
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => valid(s, depth + 1)));
  switch (schema.type) {
    case "null":
      return fc.constant(null);
    case "object":
      return objectOf(schema, (s) => valid(s, depth + 1));
    case "array": {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3));
      const item = valid(schema.items, depth + 1);
      return schema.uniqueItems
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case "integer":
      return fc.integer({
        min: Math.max(schema.minimum ?? -1000, -(2 ** 31)),
        max: Math.min(schema.maximum ?? 1000, 2 ** 31 - 1),
      });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "string": {
      const min = schema.minLength ?? 0;
      const max = Math.max(min, Math.min(schema.maxLength ?? 20, 20));
      const text = schema.pattern
        ? matching(schema.pattern, max)
        : fc.string({ unit: "grapheme-ascii", minLength: min, maxLength: max });
      return text.filter((v) => textFits(schema, v));
    }
    default:
      return anyJson;
  }
}

/** A value shaped like `schema` whose members may be anything: mostly valid, sometimes not. */
function sloppy(schema: Schema | undefined, depth = 0): fc.Arbitrary<Json> {
  if (!schema || depth > 4) return anyJson;
  const values = enumOf(schema);
  if (values) return fc.oneof({ arbitrary: fc.constantFrom(...(values as Json[])), weight: 4 }, anyJson);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => sloppy(s, depth + 1)));
  switch (schema.type) {
    case "object":
      return objectOf(schema, (s) => sloppy(s, depth + 1));
    case "array":
      return fc.array(sloppy(schema.items, depth + 1), { maxLength: 4 });
    default:
      return fc.oneof({ arbitrary: valid(schema, depth), weight: 3 }, anyJson);
  }
}

/** Noise in a body: wholly valid (so only the request's flaw stands in the way) or sloppy. */
function plausible(schema: Schema | undefined, depth = 0): fc.Arbitrary<Json> {
  return fc.oneof(
    { arbitrary: valid(schema, depth), weight: 2 },
    { arbitrary: sloppy(schema, depth), weight: 1 },
  );
}

/** Strings matching `pattern` when fast-check can build them from it (not all regex features), else any text. */
function matching(pattern: string, maxLength: number): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(regexOf(pattern)).map((s) => s.slice(0, maxLength));
  } catch {
    return anyText;
  }
}

/** JSON values that are not of `type` (as JSON Schema types them; an integer is a number too). */
function notOfType(type: string): fc.Arbitrary<Json> {
  const samples: Record<string, Json[]> = {
    null: [null],
    boolean: [true, false],
    integer: [0, 7, -3],
    number: [1.5, -0.25],
    string: ["", "7", "true", "null", "x"],
    array: [[], [1], [[]]],
    object: [{}, { a: 1 }],
  };
  const excluded = type === "number" ? ["number", "integer"] : [type];
  return fc.constantFrom(...Object.entries(samples).flatMap(([t, v]) => (excluded.includes(t) ? [] : v)));
}

interface Invalid {
  value: Json;
  detail: string;
}

const withDetail = (detail: string) => (value: Json) => ({ value, detail });

/**
 * A value that breaks `schema`, with a word on how; undefined when the schema admits anything. For
 * a union, the value breaks every member.
 */
function invalid(schema: Schema | undefined, at: string, depth = 0): fc.Arbitrary<Invalid> | undefined {
  if (!schema || depth > 5) return undefined;
  const values = enumOf(schema);
  if (values) {
    return fc.oneof(
      anyText.filter((v) => !values.includes(v)).map(withDetail(`${at}: not one of the allowed values`)),
      notOfType("string").map(withDetail(`${at}: not a string`)),
    );
  }
  if (schema.anyOf) {
    // The unions in use: an object or null (optional bodies). Break the object, never give null.
    const objects = schema.anyOf.filter((s) => s.type === "object");
    const rest = schema.anyOf.filter((s) => s.type !== "object" && s.type !== "null");
    if (objects.length !== 1 || rest.length > 0) return undefined;
    return invalid(objects[0], at, depth + 1)?.filter((i) => i.value !== null);
  }
  const choices: fc.Arbitrary<Invalid>[] = [];
  const type = schema.type;
  if (type) choices.push(notOfType(type).map(withDetail(`${at}: not of type ${type}`)));
  switch (type) {
    case "integer":
    case "number": {
      const { minimum: min, maximum: max } = schema;
      if (min !== undefined) {
        choices.push(
          fc
            .oneof(fc.constant(min - 1), fc.integer({ min: -(2 ** 31), max: min - 1 }), fc.constant(-1e300))
            .map(withDetail(`${at}: below ${min}`)),
        );
      }
      if (max !== undefined) {
        choices.push(
          fc
            .oneof(
              fc.constant(max + 1),
              fc.constant(max * 2 + 1),
              fc.constant(2 ** 53 + 2),
              fc.constant(1e300),
            )
            .filter((v) => v > max)
            .map(withDetail(`${at}: above ${max}`)),
        );
      }
      if (type === "integer") {
        choices.push(
          fc
            .double({ min: min ?? -1e6, max: max ?? 1e6, noNaN: true, noDefaultInfinity: true })
            .filter((v) => !Number.isInteger(v))
            .map(withDetail(`${at}: not an integer`)),
        );
      }
      break;
    }
    case "string": {
      const { minLength, maxLength, pattern } = schema;
      if (maxLength !== undefined) {
        choices.push(
          fc
            .string({ unit: "grapheme-ascii", minLength: maxLength + 1, maxLength: maxLength + 40 })
            .map(withDetail(`${at}: longer than ${maxLength}`)),
        );
      }
      if (minLength !== undefined && minLength > 0) {
        choices.push(
          fc.string({ maxLength: minLength - 1 }).map(withDetail(`${at}: shorter than ${minLength}`)),
        );
      }
      if (pattern !== undefined) {
        const re = regexOf(pattern);
        choices.push(anyText.filter((v) => !re.test(v)).map(withDetail(`${at}: does not match ${pattern}`)));
      }
      break;
    }
    case "array": {
      const { minItems, maxItems, items } = schema;
      if (maxItems !== undefined) {
        // Too many items, some of them a huge array of zeros.
        choices.push(
          fc
            .oneof(
              fc.array(valid(items, depth + 1), { minLength: maxItems + 1, maxLength: maxItems + 3 }),
              fc
                .integer({ min: Math.max(maxItems + 1, 10_000), max: 100_000 })
                .map((n) => new Array(n).fill(0)),
            )
            .map(withDetail(`${at}: more than ${maxItems} items`)),
        );
      }
      if (minItems !== undefined && minItems > 0) choices.push(fc.constant(invalidEmpty(at, minItems)));
      const badItem = invalid(items, `${at}[]`, depth + 1);
      if (badItem) {
        choices.push(
          fc
            .tuple(fc.array(valid(items, depth + 1), { maxLength: 2 }), badItem, fc.nat(2))
            .map(([others, bad, i]) => {
              const list = [...others];
              list.splice(Math.min(i, list.length), 0, bad.value);
              return { value: list, detail: bad.detail };
            }),
        );
      }
      if (schema.uniqueItems) {
        choices.push(
          valid(items, depth + 1).map((v) => ({ value: [v, v], detail: `${at}: the same item twice` })),
        );
      }
      break;
    }
    case "object": {
      const props = schema.properties ?? {};
      const keys = Object.keys(props);
      // Everything else valid, so that this one flaw is what the validator must catch.
      const base = valid(schema, depth);
      if (schema.additionalProperties === false) {
        choices.push(
          fc
            .tuple(
              base,
              anyText.filter((k) => !(k in props) && k !== "__proto__"),
              anyJson,
            )
            .map(([obj, k, v]) => ({
              value: { ...(obj as object), [k]: v },
              detail: `${at}: unknown field ${JSON.stringify(k.slice(0, 40))}`,
            })),
        );
      }
      for (const r of schema.required ?? []) {
        choices.push(
          base.map((obj) => {
            const { [r]: _, ...rest } = obj as Record<string, Json>;
            return { value: rest, detail: `${at}: no ${r}` };
          }),
        );
      }
      if ((schema.minProperties ?? 0) > 0)
        choices.push(fc.constant({ value: {}, detail: `${at}: no field` }));
      for (const k of keys) {
        const bad = invalid(props[k], `${at}.${k}`, depth + 1);
        if (bad) {
          choices.push(
            fc
              .tuple(base, bad)
              .map(([obj, b]) => ({ value: { ...(obj as object), [k]: b.value }, detail: b.detail })),
          );
        }
      }
      break;
    }
  }
  return choices.length > 0 ? fc.oneof(...choices) : undefined;
}

function invalidEmpty(at: string, minItems: number): Invalid {
  return { value: [], detail: `${at}: fewer than ${minItems} items` };
}

/** Text that is not JSON at all, or that JSON.parse takes but the API refuses (prototype keys). */
const malformedJson: fc.Arbitrary<{ payload: string; detail: string }> = fc.oneof(
  fc
    .tuple(fc.json({ maxDepth: 2 }), fc.nat())
    .map(([j, n]) => j.slice(0, n % Math.max(1, j.length)))
    .filter((t) => t.trim() !== "" && !parses(t))
    .map((payload) => ({ payload, detail: "truncated JSON" })),
  fc
    .constantFrom(
      "{",
      "}",
      "[",
      "{'a':1}",
      "{a:1}",
      '{"a":1,}',
      "[1,]",
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":undefined}',
      '{"a":01}',
      '{"a":.5}',
      '{"a":1}{"b":2}',
      '{"a":1} x',
      '{"a": "\u0000"}',
      '{"a":"\\x41"}',
      "// comment\n{}",
      "/* */{}",
      "nul",
      "tru",
      '"unterminated',
      '{"a":1e999999999999}x',
      "\u00ff\u00fe{",
    )
    .filter((t) => !parses(t))
    .map((payload) => ({ payload, detail: `not JSON: ${JSON.stringify(payload.slice(0, 30))}` })),
  fc
    .constantFrom(
      '{"__proto__":{"isAdmin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '[{"__proto__":{}}]',
    )
    .map((payload) => ({ payload, detail: "prototype poisoning" })),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => ({
    payload: `${"[".repeat(n)}${"]".repeat(n - 1)}`,
    detail: `${n} nested arrays, one unclosed`,
  })),
);

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Deeply nested JSON that parses, for fields or whole bodies that must be objects or scalars. */
const deepJson = fc
  .tuple(fc.integer({ min: 100, max: 5000 }), fc.boolean())
  .map(([n, arrays]) =>
    arrays ? `${"[".repeat(n)}${"]".repeat(n)}` : `${'{"a":'.repeat(n)}1${"}".repeat(n)}`,
  );

// ---------------------------------------------------------------------------------------------
// Headers

/** Media types that admit no JSON. */
const NO_JSON_ACCEPT = [
  "text/html",
  "text/plain",
  "application/xml",
  "image/png",
  "text/*",
  "application/json;q=0",
  "application/*;q=0",
  "*/*;q=0",
  "application/json;q=0, text/html",
  "application/jsonx",
  "application/json-seq",
  "application/problem+xml",
  "text/json",
  "json",
  "application",
  "x",
];

/** True when an Accept value surely admits JSON (a JSON range with no q, or with q > 0). */
function admitsJson(accept: string): boolean | undefined {
  let unsure = false;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((s) => s.trim().toLowerCase());
    if (!["*/*", "application/*", "application/json"].includes(type)) continue;
    const q = params.find((p) => p.startsWith("q="));
    if (q === undefined) return true;
    const quality = Number(q.slice(2));
    if (!/^\d(\.\d{0,3})?$/.test(q.slice(2))) unsure = true;
    else if (quality > 0) return true;
  }
  return unsure ? undefined : false;
}

const badAccept: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(...NO_JSON_ACCEPT),
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 40 }),
  )
  .filter((v) => v.trim() !== "" && admitsJson(v) === false);

const goodAccept = fc.constantFrom(
  "application/json",
  "*/*",
  "application/*",
  "application/json, text/plain",
  "text/html;q=0.9, application/json;q=0.1",
  "APPLICATION/JSON",
);

const NO_JSON_TYPES = [
  "text/plain",
  "text/html",
  "application/xml",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/jsonx",
  "application/json-patch+json",
  "application/vnd.api+json",
  "text/json",
  "json",
  "application/x-json",
  "image/png",
];

// ---------------------------------------------------------------------------------------------
// Requests

export interface Credentials {
  /** The admin's session token (for session routes). */
  token: string;
  /** The admin's Basic credentials (for the routes that create sessions). */
  basic: string;
  basicUser: string;
}

function badAuthorization(route: RouteEntry, creds: Credentials): fc.Arbitrary<string | undefined> {
  const good = route.auth === "basic" ? creds.basic : `Session ${creds.token}`;
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  return fc
    .oneof(
      fc.constant(undefined),
      fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
      fc.constantFrom("Session", "Basic", "Bearer x", "Session  ", "Digest x"),
      fc.stringMatching(/^[0-9a-f]{32}$/).map((t) => `Session ${t}`),
      fc.constant(`Session ${creds.token} extra`),
      fc.constant(`Session ${creds.token.slice(1)}`),
      fc.constant(route.auth === "basic" ? `Session ${creds.token}` : creds.basic),
      fc.tuple(anyText, anyText).map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
      fc
        .string({ unit: "grapheme-ascii", minLength: 1, maxLength: 30 })
        .map((p) => `Basic ${b64(`${creds.basicUser}:${p}x`)}`),
      fc.constant("Basic !!!"),
    )
    .filter((v) => v === undefined || v.trim() !== good);
}

/** Header names the generator may add as noise: none that changes how the request is read. */
const noiseHeaders = fc.dictionary(
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map((s) => s.trim()),
  { maxKeys: 3 },
);

/** Query parameters as noise: known ones with values that may or may not fit. */
function noiseQuery(shape: RouteShape): fc.Arbitrary<[string, string][]> {
  const names = Object.keys(shape.query);
  if (names.length === 0) return fc.constant([]);
  return fc.array(fc.tuple(fc.constantFrom(...names), fc.oneof(anyText, fc.nat(5000).map(String))), {
    maxLength: 2,
  });
}

function encodeQuery(pairs: [string, string][]): string {
  return pairs.length === 0
    ? ""
    : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`;
}

const HAS_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Arbitrary flawed requests to one route. */
export function flawedRequests(
  shape: RouteShape,
  creds: Credentials,
  real: RealValues,
): fc.Arbitrary<FuzzRequest> {
  const { route } = shape;
  const paramNames = Object.keys(shape.params);
  const badParams = paramNames.map((n) => [n, badParam(shape, n)] as const);
  const queryNames = Object.keys(shape.query);
  const badQueryValues = queryNames.filter((n) => constrainsText(shape.query[n] as Schema));
  const bodyParsed = HAS_BODY.has(route.method);
  const badBody = bodyParsed ? invalid(shape.body, "body") : undefined;

  // Which flaws this route can be given; every request gets one or more of them.
  // The metrics endpoint answers Prometheus text, whatever the client accepts.
  const kinds: FlawKind[] = route.url === "/metrics" ? ["query"] : ["accept", "query"];
  if (route.auth !== "none") kinds.push("auth");
  if (badParams.length > 0) kinds.push("path");
  if (bodyParsed) kinds.push("media-type", "json");
  if (badBody) kinds.push("body");
  const weights: Record<string, number> = {
    path: 3,
    query: 2,
    body: 6,
    json: 2,
    "media-type": 1,
    accept: 1,
    auth: 1,
  };
  const one = fc.oneof(...kinds.map((k) => ({ arbitrary: fc.constant([k]), weight: weights[k] ?? 1 })));
  const several = fc.subarray(kinds, {
    minLength: Math.min(2, kinds.length),
    maxLength: Math.min(3, kinds.length),
  });
  const chosen = fc
    .oneof({ arbitrary: one, weight: 9 }, { arbitrary: several, weight: 1 })
    // A body cannot be both of another media type and malformed JSON, or malformed and schema-bad.
    .map((ks) => (ks.includes("media-type") ? ks.filter((k) => k !== "json" && k !== "body") : ks))
    .map((ks) => (ks.includes("json") ? ks.filter((k) => k !== "body") : ks));

  return chosen.chain((ks) => {
    const flawed = new Set(ks);
    const pathArb = fc
      .tuple(
        fc.constantFrom(...(badParams.length > 0 ? badParams.map(([n]) => n) : [""])),
        fc.tuple(...paramNames.map((n) => goodParam(shape, n, real))),
      )
      .chain(([badName, goods]) => {
        const entry = badParams.find(([n]) => n === badName);
        const bad = flawed.has("path") && entry ? entry[1] : fc.constant(undefined);
        return bad.map((b) => ({ badName, goods, bad: b }));
      });
    const queryArb = fc.tuple(
      noiseQuery(shape),
      flawed.has("query")
        ? fc.oneof(
            fc
              .tuple(
                anyText.filter((k) => k !== "" && !queryNames.includes(k)),
                anyText,
              )
              .map(([k, v]) => ({
                pair: [k, v] as [string, string],
                detail: `unknown query ${JSON.stringify(k.slice(0, 40))}`,
              })),
            ...(badQueryValues.length > 0
              ? [
                  fc.constantFrom(...badQueryValues).chain((n) =>
                    anyText
                      .filter((v) => !textFits(shape.query[n] as Schema, v))
                      .map((v) => ({
                        pair: [n, v] as [string, string],
                        detail: `query ${n}=${JSON.stringify(v.slice(0, 40))}`,
                      })),
                  ),
                ]
              : []),
          )
        : fc.constant(undefined),
    );
    const bodyArb: fc.Arbitrary<{ payload: string | undefined; detail?: string; kind?: FlawKind }> =
      flawed.has("json")
        ? fc.oneof(
            malformedJson.map((m) => ({ ...m, kind: "json" as FlawKind })),
            // Whole bodies that parse but are nested far too deep for any route's schema.
            ...(shape.body && invalid(shape.body, "body")
              ? [
                  deepJson.map((payload) => ({
                    payload,
                    detail: "deeply nested body",
                    kind: "body" as FlawKind,
                  })),
                ]
              : []),
          )
        : flawed.has("body") && badBody
          ? badBody.map((b) => ({
              payload: JSON.stringify(b.value),
              detail: b.detail,
              kind: "body" as FlawKind,
            }))
          : bodyParsed && shape.body
            ? fc
                .option(
                  plausible(shape.body).map((v) => JSON.stringify(v)),
                  { freq: 6, nil: undefined },
                )
                .map((payload) => ({ payload }))
            : fc.constant({ payload: undefined });
    const mediaArb = flawed.has("media-type")
      ? fc
          .constantFrom(...NO_JSON_TYPES)
          .map((t) => ({ type: t as string | undefined, detail: `Content-Type ${t}` }))
      : fc.constantFrom(
          { type: "application/json" as string | undefined, detail: "" },
          { type: "application/json; charset=utf-8", detail: "" },
        );
    const acceptArb = flawed.has("accept")
      ? badAccept.map((a) => ({ value: a as string | undefined, detail: `Accept ${JSON.stringify(a)}` }))
      : fc.option(goodAccept, { nil: undefined }).map((a) => ({ value: a, detail: "" }));
    const authArb = flawed.has("auth")
      ? badAuthorization(route, creds).map((a) => ({
          value: a,
          detail: `Authorization ${JSON.stringify(a?.slice(0, 40))}`,
        }))
      : fc.constant({
          value:
            route.auth === "none"
              ? undefined
              : route.auth === "basic"
                ? creds.basic
                : `Session ${creds.token}`,
          detail: "",
        });

    return fc
      .record({
        path: pathArb,
        query: queryArb,
        body: bodyArb,
        media: mediaArb,
        accept: acceptArb,
        auth: authArb,
        extra: noiseHeaders,
      })
      .map(({ path, query, body, media, accept, auth, extra }) => {
        const flaws: Flaw[] = [];
        let i = 0;
        const url =
          route.url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
            const good = path.goods[i++] as string;
            if (name === path.badName && path.bad) {
              flaws.push(path.bad.flaw);
              return path.bad.segment;
            }
            return good;
          }) + encodeQuery([...query[0], ...(query[1] ? [query[1].pair] : [])]);
        if (query[1]) flaws.push({ kind: "query", detail: query[1].detail });
        const headers: Record<string, string> = { ...extra };
        if (accept.value !== undefined) headers.accept = accept.value;
        if (accept.detail) flaws.push({ kind: "accept", detail: accept.detail });
        if (auth.value !== undefined) headers.authorization = auth.value;
        if (auth.detail) flaws.push({ kind: "auth", detail: auth.detail });
        let payload = body.payload;
        if (flawed.has("media-type")) payload ??= JSON.stringify({});
        if (payload !== undefined && media.type !== undefined) headers["content-type"] = media.type;
        if (media.detail) flaws.push({ kind: "media-type", detail: media.detail });
        if (body.detail && body.kind) flaws.push({ kind: body.kind, detail: body.detail });
        const first = flaws.reduce<Flaw | undefined>(
          (a, f) => (a === undefined || FLAW_ORDER[f.kind].rank < FLAW_ORDER[a.kind].rank ? f : a),
          undefined,
        );
        return {
          route: `${route.method} ${route.url}`,
          method: route.method,
          url,
          headers,
          payload,
          flaws,
          expected: first ? FLAW_ORDER[first.kind].status : 0,
        };
      });
  });
}
