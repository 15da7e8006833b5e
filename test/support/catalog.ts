/**
 * Helpers over the app's route catalog: the path parameter schemas of each route (from the OpenAPI
 * document) and concrete, well-formed paths to call, for tests that iterate over every route.
 */
import type { App, RouteEntry } from "../../src/http/app.ts";

export interface ParamSchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
}
/** The path parameter schemas of each route, from the OpenAPI document ("/a/{id}" → "/a/:id"). */
export async function paramSchemas(app: App): Promise<Map<string, Record<string, ParamSchema>>> {
  const doc = (await app.openapi()) as {
    paths?: Record<
      string,
      Record<string, { parameters?: { in: string; name: string; schema?: ParamSchema }[] }>
    >;
  };
  const out = new Map<string, Record<string, ParamSchema>>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const params = Object.fromEntries(
        (op.parameters ?? []).filter((p) => p.in === "path").map((p) => [p.name, p.schema ?? {}]),
      );
      out.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`, params);
    }
  }
  return out;
}

/** Well-formed, unlikely-to-exist values for string IDs, tried in order against the schema's pattern. */
const STRING_SAMPLES = ["CL1-A", "63-63", "65279,2047", "50060e8000000001", "blockplane-absent-group"];

/**
 * A well-formed value for a path parameter, chosen to name nothing that exists (the largest
 * integer the route admits), so that a permitted call changes nothing.
 */
export function sampleValue(route: RouteEntry, name: string, schema: ParamSchema | undefined): string {
  if (schema?.type === "integer" || schema?.type === "number") {
    return String(Math.min(schema.maximum ?? 999_999, Number.MAX_SAFE_INTEGER));
  }
  if (schema?.pattern) {
    const pattern = new RegExp(schema.pattern);
    const fits = STRING_SAMPLES.find((v) => pattern.test(v));
    if (fits) return fits;
  }
  if (/port/i.test(name)) return "CL1-A";
  if (/hba|wwn/i.test(name)) return "50060e8000000001";
  if (/path/i.test(name)) return "50060e8000000001,CL1-A";
  if (/^name$|group/i.test(name)) return "blockplane-absent-group";
  // Connections ("volume,server") and snapshots ("volume,snapshot") have composite IDs.
  if (/\/(volume-server-connections|snapshots)\/:/.test(route.url)) return "65279,2047";
  return "65279";
}

/** The route's URL with each parameter filled in (commas left as they are, as clients send them). */
export function concretePath(
  route: RouteEntry,
  schemas: Record<string, ParamSchema> | undefined,
  overrides: Record<string, string> = {},
): string {
  return route.url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) =>
    encodeURIComponent(overrides[name] ?? sampleValue(route, name, schemas?.[name])).replaceAll("%2C", ","),
  );
}
