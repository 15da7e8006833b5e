/**
 * The finishing of the OpenAPI document: what code generators and linters need beyond the route
 * schemas. Each operation gets an operationId (from its method and path, stable as long as the
 * route is) and a description saying whether it is asynchronous and which role it needs; every
 * response a description by its status code and the headers Blockplane sends with it; every
 * parameter a description from one glossary (a name means the same on every route); the tags,
 * servers, contact and licence of the document; and an example for every request body and every
 * response (openapi-examples.ts).
 */
import { roleFor } from "../domain/roles.ts";
import type { RouteEntry } from "./app.ts";
import { addExamples } from "./openapi-examples.ts";

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON walked by key
type Json = any;

/** What each status code means on this API (docs/api.md, "Status codes"). */
const RESPONSE_DESCRIPTIONS: Record<string, string> = {
  "200": "Done.",
  "201": "Created.",
  "202": "Accepted for asynchronous processing: the job to poll.",
  "204": "Done; no body.",
  "400": "An invalid header, query parameter, object ID or body.",
  "401": "Authorization is missing or failed.",
  "403": "The user has no permission for this operation.",
  "404": "No such URL or resource.",
  "406": "The Accept header asks for a media type the API does not serve.",
  "415": "The body's media type, encoding or charset is not supported.",
  "500":
    "An internal error; an operation on several resources reports what succeeded in partialSuccessResponses.",
  "503": "Busy or under maintenance: retry after Retry-After seconds.",
  "504": "The storage device did not answer in time.",
};

/** Parameters by name, the same on every route; a schema's own description wins. */
const PARAMETERS: Record<string, string> = {
  id: "The ID of the resource the path names.",
  name: "The name of the resource the path names.",
  storageDeviceId: "The storage device ID: 9 and the 11-digit serial number, as GET storages answers.",
  sessionId: "The session's ID.",
  jobId: "The job's ID.",
  ldevId: "An LDEV number (a volume ID).",
  poolId: "A pool ID.",
  portId: "A port ID such as CL1-A.",
  hostGroupId: "A host group: <portId>,<hostGroupNumber>.",
  hostWwnId: "A WWN registered in a host group: <portId>,<hostGroupNumber>,<hostWwn>.",
  hostIscsiId: "An iSCSI name registered in a host group: <portId>,<hostGroupNumber>,<iscsiName>.",
  lunId: "A LUN path: <portId>,<hostGroupNumber>,<lun>.",
  snapshotId: "A Thin Image pair: <pvolLdevId>,<muNumber>.",
  status: "Only resources in this status.",
  configStatus: "Only volumes in this configuration status.",
  driveTypeCode: "Only drives of this drive type code.",
  usageType: "Only drives of this usage.",
  serverId: "Only resources of this server.",
  startVolumeId: "The first volume ID of the page.",
  count: "The most items to answer.",
  protocol: "Only ports of this protocol.",
  masterVolumeId: "Only snapshots of this master volume.",
  headLdevId: "The first LDEV number of the list.",
  ldevOption: "Which LDEVs: defined ones, dpVolume ones, or free numbers (undefined).",
  detailInfoType: "Further information to include.",
  portType: "Only ports of this type.",
  isUndefined: "true: list host group numbers that are not in use instead.",
  hostGroupNumber: "With portId: only those of this host group number.",
  hostGroupName: "With portId: only those of the host group of this name.",
  isBasicLunInformation: "true: the basic fields of each LUN path only.",
  lunOption: "Further LUN path information to include.",
  pvolLdevId: "Only the pairs of this P-VOL.",
  svolLdevId: "Only the pair whose S-VOL this LDEV is.",
  muNumber: "With pvolLdevId: only the pair of this MU number.",
};

const HEADERS = {
  "X-Request-Id": {
    description: "The request's ID, also in the error body and the server's log lines.",
    schema: { type: "string" },
  },
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
  "WWW-Authenticate": { description: "The authentication scheme to use.", schema: { type: "string" } },
};

const FACES: [RegExp, string][] = [
  [/^\/ConfigurationManager\/simple\/v1\/objects/, "simple"],
  [/^\/ConfigurationManager\/v1\/objects\/storages\/\{storageDeviceId\}(?=\/)/, "v1Storage"],
  [/^\/ConfigurationManager\/v1\/objects/, "v1"],
  [/^\/blockplane\/v1/, "blockplane"],
];

const pascal = (word: string) =>
  word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join("");

/** `GET /ConfigurationManager/v1/objects/ldevs/{ldevId}` → `v1GetLdevsByLdevId`. */
export function operationIdOf(method: string, path: string): string {
  const face = FACES.find(([p]) => p.test(path));
  const rest = face ? path.replace(face[0], "") : path;
  const words = rest
    .split("/")
    .filter((s) => s !== "" && s !== "actions" && s !== "invoke")
    .map((s) => (s.startsWith("{") ? `By${pascal(s.slice(1, -1))}` : pascal(s)));
  const verb = method.toLowerCase();
  return `${face?.[1] ?? ""}${face ? pascal(verb) : verb}${words.join("")}` || verb;
}

/** OpenAPI's {param} form of a route URL's :param. */
export const openApiPath = (url: string) => url.replace(/:(\w+)/g, "{$1}");

function describeOperation(op: Json, route: RouteEntry | undefined): string {
  const parts = [String(op.summary ?? "").replace(/\.?$/, ".")];
  if (op.responses?.["202"]) parts.push("Asynchronous: answers 202 with the job to poll.");
  if (route?.auth === "none") parts.push("Needs no credentials.");
  else if (route?.auth === "basic") parts.push("Authenticates with the user's name and password (Basic).");
  if (route?.permission && route.permission !== "view")
    parts.push(`Needs the role ${roleFor(route.permission)}.`);
  else if (route?.permission === "view") parts.push("Needs any role.");
  return parts.join(" ");
}

function finishResponses(responses: Json): void {
  for (const [code, response] of Object.entries<Json>(responses ?? {})) {
    if (!response.description || response.description === "Default Response")
      response.description = RESPONSE_DESCRIPTIONS[code] ?? `HTTP ${code}.`;
    const headers: Json = { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } };
    if (code === "503") headers["Retry-After"] = { $ref: "#/components/headers/Retry-After" };
    if (code === "401") headers["WWW-Authenticate"] = { $ref: "#/components/headers/WWW-Authenticate" };
    response.headers = { ...headers, ...(response.headers ?? {}) };
  }
}

/** Finishes the document fastify-swagger made from the routes (see the module comment). */
export function finishDocument(doc: Json, catalog: RouteEntry[]): Json {
  const routes = new Map(catalog.map((r) => [`${r.method} ${openApiPath(r.url)}`, r]));
  const tags = new Set<string>();
  for (const [path, operations] of Object.entries<Json>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(operations)) {
      op.operationId ??= operationIdOf(method, path);
      op.description ??= describeOperation(op, routes.get(`${method.toUpperCase()} ${path}`));
      for (const tag of op.tags ?? []) tags.add(tag);
      for (const p of op.parameters ?? []) {
        p.description ??= p.schema?.description ?? PARAMETERS[p.name] ?? `The ${p.name}.`;
      }
      finishResponses(op.responses);
    }
  }
  doc.tags = [...tags]
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({
      name,
      description: name.startsWith("v1 ")
        ? `The full Configuration Manager API: ${name.slice(3)}.`
        : `The ${name} operations.`,
    }));
  doc.servers = [
    {
      url: "{scheme}://{host}:{port}",
      description: "A Blockplane server (npm start listens on http://127.0.0.1:8080).",
      variables: {
        scheme: { default: "http", enum: ["http", "https"] },
        host: { default: "127.0.0.1" },
        port: { default: "8080" },
      },
    },
  ];
  doc.info = {
    ...doc.info,
    contact: { name: "Blockplane" },
    license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
  };
  doc.components = { ...doc.components, headers: HEADERS };
  addExamples(doc);
  return doc;
}
