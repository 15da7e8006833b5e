/**
 * The compatibility corpus: what real clients send and what they decode from the answers, written
 * down as data (`*.scenarios.ts`) and replayed against a fresh server by compat.test.ts.
 *
 * This module holds the format and the pure helpers of the replay: placeholders, dotted paths and
 * the shape check. See README.md in this folder.
 */

/**
 * A type the client decodes: a JSON type name, "?" suffix = the client tolerates absence/null.
 * In an object shape, a key ending in "?" marks a nested object or array the client tolerates
 * absent or null (checked when present).
 */
export type Shape =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  | "any"
  | "string?"
  | "integer?"
  | "number?"
  | "boolean?"
  | "any?"
  | { [field: string]: Shape }
  | [Shape];

export interface Step {
  /** e.g. "hitachi_vsp_one_volume create: POST volumes" */
  name: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Absolute; {name} placeholders are filled from earlier captures. */
  path: string;
  /** Values may hold {name} placeholders. */
  query?: Record<string, string>;
  /** Headers the client sends besides Authorization. */
  headers?: Record<string, string>;
  /** Default "session" (the scenario's session). */
  auth?: "session" | "basic" | "none";
  /**
   * JSON body; string values "{name}" are replaced (whole-string placeholders keep the captured
   * value's type). `null` sends the JSON text `null`; absent sends no body.
   */
  body?: unknown;
  /** The status the client expects. */
  status: number;
  /** What the client decodes from the answer. */
  reads?: Shape;
  /** The client refuses keys beyond those in `reads` (top object). */
  exact?: boolean;
  /** name -> dotted path in the answer ("data.0.id", "0.statusResource"). */
  capture?: Record<string, string>;
  /**
   * The answer is a statusResource or an array of them: poll each until completed; each
   * command-status must have status "normal".
   */
  jobs?: {
    reads?: Shape;
    /** Paths are into the array of completed statuses ("0.affectedResources.0"). */
    capture?: Record<string, string>;
  };
  /**
   * A dotted path in this step's answer whose value (a non-empty string) becomes the scenario's
   * session token for the steps after it: for clients that make their own session and use a field
   * of their choosing as the token.
   */
  session?: string;
}

export interface Scenario {
  client: "ansible" | "terraform";
  /** e.g. "hv_vsp_one_volume" or "hitachi_vsp_one_volume" */
  module: string;
  /** e.g. "create 3 volumes with nickname" */
  operation: string;
  steps: Step[];
  /**
   * A behaviour of the client Blockplane does not serve yet, said in a sentence: the scenario still
   * runs, as a `todo` test, so it shows when the gap closes, and the gap is listed where it is known.
   */
  knownGap?: string;
}

export type Captures = Record<string, unknown>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Fills {name} placeholders in a string; an unknown name throws. */
export function fillString(text: string, captures: Captures): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    if (!(name in captures)) throw new Error(`placeholder {${name}} has no captured value`);
    return String(captures[name]);
  });
}

/**
 * Fills placeholders in a JSON value: a string that is exactly "{name}" becomes the captured value
 * itself (a number stays a number); other strings get their placeholders replaced textually.
 */
export function fill(value: unknown, captures: Captures): unknown {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole) {
      const name = whole[1] as string;
      if (!(name in captures)) throw new Error(`placeholder {${name}} has no captured value`);
      return captures[name];
    }
    return fillString(value, captures);
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, captures));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, captures)]));
  }
  return value;
}

/** The value at a dotted path ("data.0.id"); undefined when any part is missing. */
export function at(value: unknown, dotted: string): unknown {
  let cur = value;
  for (const part of dotted === "" ? [] : dotted.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A JSON path for messages: $.data[0].id */
export function jsonPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === undefined) return "absent";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === "object") return `an object (${JSON.stringify(value).slice(0, 60)})`;
  const kind =
    typeof value === "number" && !Number.isInteger(value) ? "a non-integer number" : `a ${typeof value}`;
  return `${kind} (${JSON.stringify(value).slice(0, 60)})`;
}

/**
 * Checks `value` against `shape`; answers one message per mismatch, each naming the JSON path
 * (`path` is the path of `value` itself, "$" at the top).
 */
export function checkShape(value: unknown, shape: Shape, path = "$"): string[] {
  if (typeof shape === "string") {
    const optional = shape.endsWith("?");
    const type = optional ? shape.slice(0, -1) : shape;
    if (value === undefined || value === null) {
      if (optional) return [];
      if (type === "any" && value === null) return [];
      return [`${path}: expected ${type}, got ${describe(value)}`];
    }
    const ok =
      type === "any" ||
      (type === "string" && typeof value === "string") ||
      (type === "boolean" && typeof value === "boolean") ||
      (type === "number" && typeof value === "number" && Number.isFinite(value)) ||
      (type === "integer" && typeof value === "number" && Number.isInteger(value));
    return ok ? [] : [`${path}: expected ${type}, got ${describe(value)}`];
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return [`${path}: expected an array, got ${describe(value)}`];
    const element = shape[0];
    return value.flatMap((v, i) => checkShape(v, element, jsonPath(path, i)));
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [`${path}: expected an object, got ${describe(value)}`];
  }
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [rawKey, sub] of Object.entries(shape)) {
    const optional = rawKey.endsWith("?") && typeof sub !== "string";
    const key = optional ? rawKey.slice(0, -1) : rawKey;
    const v = record[key];
    if (optional && (v === undefined || v === null)) continue;
    problems.push(...checkShape(v, sub, jsonPath(path, key)));
  }
  return problems;
}

/** Keys of the top object beyond those `shape` names (for `exact`). */
export function unexpectedKeys(value: unknown, shape: Shape, path = "$"): string[] {
  if (typeof shape !== "object" || Array.isArray(shape)) return [];
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  const known = new Set(Object.keys(shape).map((k) => (k.endsWith("?") ? k.slice(0, -1) : k)));
  return Object.keys(value)
    .filter((k) => !known.has(k))
    .map((k) => `${jsonPath(path, k)}: unexpected key (the client refuses keys it does not know)`);
}

/** The statusResource URLs of an asynchronous answer: one object, or an array of them. */
export function statusResources(body: unknown): string[] | string {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return "$: expected a statusResource or an array of them, got an empty array";
  const urls: string[] = [];
  for (const [i, item] of items.entries()) {
    const p = Array.isArray(body) ? `$[${i}].statusResource` : "$.statusResource";
    const url = at(item, "statusResource");
    if (typeof url !== "string" || url === "") return `${p}: expected string, got ${describe(url)}`;
    urls.push(url);
  }
  return urls;
}

/** The title of a scenario's test. */
export function scenarioTitle(s: Scenario): string {
  return `${s.client} ${s.module}: ${s.operation}`;
}
