/**
 * Examples for the OpenAPI document: one for every request body and every response.
 *
 * - Error responses refer to shared examples (`components/examples`), each the body the error
 *   mapping (contract/errors.ts) really answers for an error of that status, with its messageId;
 *   a 404 is the object-not-found answer a route gives, a 503 adds the maintenance answer on routes
 *   that need the array and the full-store answer on changes.
 * - Success responses and request bodies get an example made from their schema: the required
 *   members (what every answer carries; a request needs nothing more), with values from a glossary
 *   of field names so that they read like the array's own (a port is "CL1-A", a WWN has 16 hex
 *   digits), where a value fits the member's schema, and from the schema's own constraints where
 *   none does.
 * - The main resources' answers are written by hand over that (HAND_WRITTEN): the members whose
 *   values must agree with each other (a pool's free capacity is its total less its used), and the
 *   optional ones a completed job reports.
 * test/api/openapi-examples.test.ts checks that every example validates against its schema.
 */

import {
  type BlockplaneError,
  DeviceTimeout,
  Forbidden,
  InternalError,
  InvalidRequest,
  Maintenance,
  NotAcceptable,
  NotFound,
  PHRASES,
  StoreFull,
  Unauthenticated,
  UnsupportedMediaType,
} from "../domain/errors.ts";
import { roleFor } from "../domain/roles.ts";
import { needsArray, overloaded } from "./contract/availability.ts";
import { errorBody } from "./contract/errors.ts";

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON walked by key
type Json = any;

/** The request the shared error examples answer: a GET of volume 100 on the simple face. */
const ERROR_SOURCE = "/ConfigurationManager/simple/v1/objects/volumes/100";
const REQUEST_ID = "0b6f4f7e-3c1d-4c1b-9a57-2f1f3e8d5a10";

/** Shared error examples: name → what it shows and the error it is the answer to. */
const ERRORS: Record<string, { summary: string; error: BlockplaneError }> = {
  InvalidRequest: {
    summary: "A request that breaks the route's schema",
    error: new InvalidRequest('The request body is invalid: "capacity" must be >= 47.', {
      cause: "body/capacity must be >= 47",
    }),
  },
  Unauthenticated: {
    summary: "A session token that is unknown or has expired",
    error: new Unauthenticated(PHRASES.tokenInvalid, "Session"),
  },
  Forbidden: {
    summary: "A user whose roles lack the operation's permission",
    error: new Forbidden(
      `You do not have permission for this operation; it needs the role "${roleFor("provisioning")}".`,
    ),
  },
  ObjectNotFound: {
    summary: "The object the request names does not exist",
    error: new NotFound("The volume 100 does not exist."),
  },
  NotAcceptable: {
    summary: "An Accept header that admits no JSON",
    error: new NotAcceptable(
      'The Accept header "text/html" admits no supported media type; use application/json.',
    ),
  },
  UnsupportedMediaType: {
    summary: "A body that is not application/json",
    error: new UnsupportedMediaType("The request body's media type is not supported; use application/json."),
  },
  InternalError: {
    summary: "A fault of the server; the log has the details under the request ID",
    error: new InternalError(
      `An internal error occurred. Quote request ID ${REQUEST_ID} to the administrator.`,
    ),
  },
  Busy: {
    summary: "The server is overloaded (or the job queue full, or it is shutting down)",
    error: overloaded("its event loop is delayed", 5),
  },
  Maintenance: {
    summary: "The array is in maintenance",
    error: new Maintenance(`The storage system is under maintenance. Please ${PHRASES.retry}.`, 60),
  },
  StoreFull: {
    summary: "The disk of the server's store is full: changes are refused",
    error: new StoreFull("SQLITE_FULL", 5),
  },
  DeviceTimeout: {
    summary: "The array did not answer within its deadline",
    error: new DeviceTimeout(`The storage system did not answer within 5000 ms. Please ${PHRASES.retry}.`),
  },
};

/** The shared examples of each error status, for an operation of `method` on `path`. */
function errorExamplesOf(status: string, method: string, path: string): string[] {
  switch (status) {
    case "400":
      return ["InvalidRequest"];
    case "401":
      return ["Unauthenticated"];
    case "403":
      return ["Forbidden"];
    case "404":
      return ["ObjectNotFound"];
    case "406":
      return ["NotAcceptable"];
    case "415":
      return ["UnsupportedMediaType"];
    case "500":
      return ["InternalError"];
    case "503":
      return [
        "Busy",
        ...(needsArray(path.replace(/\{(\w+)\}/g, ":$1")) ? ["Maintenance"] : []),
        ...(method === "get" ? [] : ["StoreFull"]),
      ];
    case "504":
      return ["DeviceTimeout"];
    default:
      return [];
  }
}

const TIME = "2025-06-02T09:30:00Z";
const WWN = "100000109b1a2b01";
const HOST_IQN = "iqn.1998-01.com.vmware:esx01";
const PORT_IQN = "iqn.1994-04.jp.co.hitachi:rsd.h8m.t.00001.1a000";
const TOKEN = "3a32d9e879eabf78ab8af585dbc5519d";

/** IDs that are text, by resource: a port's, a connection's (volume,server), a snapshot's… */
const ID_TEXT: Record<string, string> = {
  ports: "CL1-A",
  "volume-server-connections": "100,1",
  snapshots: "100,3",
  servers: `${WWN},CL1-A`,
  faults: "slow-pools",
};

/** Where an operation is: its face (simple, v1, blockplane, none) and the resource its path names. */
interface Place {
  face: "simple" | "v1" | "blockplane" | "";
  resource: string;
}

/**
 * Values of members by name, tried in order until one fits the member's schema. A function takes
 * the operation's place, for names whose values differ by face or resource.
 */
const GLOSSARY: Record<string, unknown[] | ((place: Place) => unknown[])> = {
  id: ({ resource }) => [1, ID_TEXT[resource] ?? "1"],
  name: ({ resource }) =>
    resource === "users" ? ["operator"] : resource === "snapshot-groups" ? ["nightly"] : ["gold"],
  nickname: ({ resource }) =>
    resource === "servers"
      ? ["esx01"]
      : resource.startsWith("storage") || resource === "array"
        ? ["blockplane"]
        : ["db01"],
  serverNickname: ["esx01"],
  poolName: ["gold"],
  snapshotGroupName: ["nightly"],
  hostGroupName: ["esx01"],
  label: ["db01"],
  poolId: [1],
  volumeId: [100],
  ldevId: [100],
  masterVolumeId: [100],
  pvolLdevId: [100],
  svolLdevId: [101],
  mappedVolumeId: [101],
  rootVolumeId: [100],
  serverId: [1],
  jobId: [1],
  sessionId: [1, TOKEN],
  token: [TOKEN],
  snapshotId: [3, "100,3"],
  muNumber: [3],
  lun: [0],
  lunId: ["CL1-A,1,0"],
  hostGroupNumber: [1],
  hostGroupId: ["CL1-A,1", 1],
  hostWwnId: [`CL1-A,1,${WWN}`],
  hostIscsiId: [`CL5-A,1,${HOST_IQN}`],
  portId: ["CL1-A"],
  portIds: [["CL1-A", "CL2-A"]],
  hbaWwn: [WWN],
  hostWwn: [WWN],
  wwn: ["50060e8012345600", WWN],
  portWwn: ["50060e8012345600"],
  iscsiName: [HOST_IQN],
  hbaIscsiName: [HOST_IQN],
  targetIscsiName: [PORT_IQN],
  portIscsiName: [PORT_IQN],
  storageDeviceId: ["900000700001"],
  serial: ["700001"],
  serialNumber: [700001],
  model: ["VSP One B28"],
  modelName: ["VSP One B28"],
  userId: ["admin"],
  password: ["Change-me-2025"],
  statusResource: ["/ConfigurationManager/simple/v1/objects/command-status/1"],
  self: ["/ConfigurationManager/v1/objects/jobs/1"],
  affectedResources: ({ face }) => [
    [
      face === "v1"
        ? "/ConfigurationManager/v1/objects/ldevs/100"
        : "/ConfigurationManager/simple/v1/objects/volumes/100",
    ],
  ],
  requestUrl: ["/ConfigurationManager/v1/objects/ldevs"],
  requestMethod: ["POST"],
  requestBody: ['{"poolId":1,"blockCapacity":209715200}'],
  resourceType: ["Volume"],
  resourceId: ["100"],
  operationType: ["CREATE"],
  progress: ["completed"],
  status: ["Normal", "normal", "Completed", "NML"],
  poolStatus: ["POLN"],
  poolType: ["HDP"],
  encryption: ["Disabled"],
  capacitySavingStatus: ["Disabled"],
  compressionAccelerationStatus: ["Disabled"],
  warningLedStatus: ["OFF"],
  esmStatus: ["Normal"],
  totalEfficiencyStatus: ["Valid"],
  dataReductionWithoutSystemDataStatus: ["Valid"],
  softwareSavingWithoutSystemDataStatus: ["Valid"],
  emulationType: ["OPEN-V-CVS"],
  usageType: ["DATA"],
  driveInterface: ["NVMe"],
  driveRpm: ["-"],
  driveCapacity: [3840],
  displayDriveCapacity: ["3.84 TB"],
  driveLocationId: ["0-0"],
  location: ["0-0"],
  volumeTypes: [[]],
  configStatus: [[]],
  portType: ["FIBRE"],
  portAttributes: [["TAR"]],
  portSpeed: ({ face }) => (face === "v1" ? ["AUT"] : ["NUMBER_0"]),
  actualPortSpeed: ["NUMBER_32"],
  hostMode: ["VMWARE_EX", "LINUX/IRIX"],
  compatibility: ["DKCMAIN_8802010000"],
  communicationMode: ["lanConnectionMode"],
  wwnNickname: ["-"],
  iscsiNickname: ["-"],
  role: ["Storage Administrator (Provisioning)"],
  additionalByteFormatCapacity: ["10.00 G"],
  state: ["Succeeded"],
  capacity: [102400],
  blockCapacity: [209715200],
  byteFormatCapacity: ["100.00 G"],
  driveTypeCode: ["SNB5C-R3R8NC"],
  driveType: ["SSD"],
  dataDriveCount: [9],
  raidLevel: ["RAID6"],
  savingSetting: ["DISABLE"],
  type: ["Snapshot"],
  parityGroupType: ["DDP"],
  scope: ["device"],
  osType: ["VMware"],
  protocol: ["FC"],
  aliveTime: [300],
  count: [1],
  totalCount: [1],
  retryAfterSeconds: [60],
  ipv4Address: ["192.0.2.10"],
  address: ["192.0.2.10"],
  ipv4Subnetmask: ["255.255.255.0"],
  subnetMask: ["255.255.255.0"],
  defaultGateway: ["192.0.2.1"],
  tcpPort: [3260, "3260"],
  messageId: ["KART30000-E"],
  SSB1: ["2e11"],
  SSB2: ["001f"],
};

/** Values by the form of a name, when the glossary has none for it. */
const BY_FORM: [RegExp, unknown[]][] = [
  [/(Time|Date|At)$/, [TIME]],
  [/^(numberOf|numOf)|Count$/, [1]],
  [/Capacity$/, [102400]],
  [/Ip$|^ipAddressIpv4/, ["192.0.2.10"]],
  [/^ipAddressIpv6/, ["2001:db8::10"]],
  [/Version$/, ["93-07-23-80/00"]],
];

function candidatesOf(name: string, place: Place): unknown[] {
  const entry = GLOSSARY[name];
  if (typeof entry === "function") return entry(place);
  if (entry) return entry;
  return BY_FORM.find(([form]) => form.test(name))?.[1] ?? [];
}

/** Whether the value meets the schema's own constraints (scalars and anyOf: what a glossary value needs). */
function fits(value: unknown, schema: Json, doc: Json): boolean {
  const s = resolve(schema, doc);
  if (s === undefined || s === null || typeof s !== "object") return true;
  if (s.anyOf) return s.anyOf.some((branch: Json) => fits(value, branch, doc));
  if ("const" in s && s.const !== value) return false;
  if (s.enum && !s.enum.includes(value)) return false;
  if (s.type !== undefined && ![s.type].flat().some((t: string) => typeFits(value, t))) return false;
  if (typeof value === "number") {
    if (s.minimum !== undefined && value < s.minimum) return false;
    if (s.maximum !== undefined && value > s.maximum) return false;
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (s.minLength !== undefined && length < s.minLength) return false;
    if (s.maxLength !== undefined && length > s.maxLength) return false;
    if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(value)) return false;
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) return false;
    if (s.maxItems !== undefined && value.length > s.maxItems) return false;
    if (s.items && !value.every((v) => fits(v, s.items, doc))) return false;
  }
  return true;
}

function typeFits(value: unknown, type: string): boolean {
  switch (type) {
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "null":
      return value === null;
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

/** The schema a `#/components/...` reference names, or the schema itself. */
function resolve(schema: Json, doc: Json): Json {
  let s = schema;
  for (let hops = 0; s?.$ref !== undefined && hops < 10; hops++) {
    const path = String(s.$ref).replace(/^#\//, "").split("/");
    s = path.reduce((node: Json, key: string) => node?.[key], doc);
  }
  return s;
}

/** Samples for strings of the patterns the routes use, found by testing them. */
const PATTERN_SAMPLES = [
  "CL1-A",
  "gold",
  "db01",
  "0001",
  "SNB5C-R3R8NC",
  "100",
  "0-0",
  TIME,
  "nightly",
  "ABCD",
  "1",
  "true",
  "TAR",
  "ALUA",
  "version",
  "resourceGroup",
  "$argon2id$v=19$m=19456,t=2,p=1$c2FsdC1zYWx0LXNhbHQ$aGFzaC1oYXNoLWhhc2gtaGFzaC1oYXNoLWhhc2g",
];

/** A string of the schema: "string" (the usual placeholder), or a sample its pattern admits. */
function stringOf(s: Json): string {
  const min = s.minLength ?? 1;
  for (const c of ["string", ...PATTERN_SAMPLES]) {
    const padded = c.length >= min ? c : c.padEnd(min, "0");
    if (fits(padded, s, undefined)) return padded;
  }
  return "x".repeat(min);
}

function numberOf(s: Json): number {
  const low = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : undefined);
  const high = s.maximum;
  let n = low !== undefined && low > 1 ? low : 1;
  if (high !== undefined && n > high) n = high;
  return n;
}

interface Context {
  doc: Json;
  /** Where the operation is, for the glossary. */
  place: Place;
  /** A request body takes only what it needs; an answer shows what it always carries. */
  request: boolean;
}

/** An example value of the schema (see the module comment). */
export function exampleOf(schema: Json, ctx: Context, name = "", depth = 0): unknown {
  const s = resolve(schema, ctx.doc);
  if (s === undefined || s === null || typeof s !== "object" || depth > 24) return null;
  for (const candidate of candidatesOf(name, ctx.place)) if (fits(candidate, s, ctx.doc)) return candidate;
  if (s.examples?.length) return s.examples[0];
  if ("const" in s) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  const branches: Json[] | undefined = s.anyOf ?? s.oneOf;
  if (branches) {
    const branch = branches.find((b) => resolve(b, ctx.doc)?.type !== "null") ?? branches[0];
    return exampleOf(branch, ctx, name, depth + 1);
  }
  const type = [s.type ?? (s.properties ? "object" : undefined)].flat().find((t) => t !== "null");
  switch (type) {
    case "object":
      return objectOf(s, ctx, depth);
    case "array": {
      const singular = name.endsWith("ies") ? `${name.slice(0, -3)}y` : name.replace(/s$/, "");
      // A list of anything (no item schema) is shown empty.
      const untyped = s.items === undefined || Object.keys(s.items).length === 0;
      const length = Math.max(untyped ? 0 : Math.min(1, s.maxItems ?? 1), s.minItems ?? 0);
      const items = Array.from({ length }, () => exampleOf(s.items ?? {}, ctx, singular, depth + 1));
      return s.uniqueItems && length > 1 ? items.map((v, i) => (typeof v === "number" ? v + i : v)) : items;
    }
    case "string":
      return stringOf(s);
    case "integer":
    case "number":
      return numberOf(s);
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return {};
  }
}

function objectOf(s: Json, ctx: Context, depth: number): Record<string, unknown> {
  const properties: Record<string, Json> = s.properties ?? {};
  const required = new Set<string>(s.required ?? []);
  const names = Object.keys(properties).filter((n) => required.has(n));
  // A request that needs no member shows one (or as many as minProperties asks).
  if (ctx.request) {
    for (const n of Object.keys(properties)) {
      if (names.length >= Math.max(s.minProperties ?? 0, 1)) break;
      if (!names.includes(n)) names.push(n);
    }
  }
  return Object.fromEntries(names.map((n) => [n, exampleOf(properties[n], ctx, n, depth + 1)]));
}

/**
 * Merges a hand-written example over a generated one: objects member by member, lists item by
 * item (each written item over the generated first one), anything else replaced.
 */
function overlay(base: unknown, written: unknown): unknown {
  if (Array.isArray(written)) {
    const items = Array.isArray(base) ? base : [];
    return written.map((w, i) => overlay(items[i] ?? items[0], w));
  }
  if (written !== null && typeof written === "object") {
    const from = base !== null && typeof base === "object" && !Array.isArray(base) ? base : {};
    const merged: Record<string, unknown> = { ...(from as Record<string, unknown>) };
    for (const [k, v] of Object.entries(written)) merged[k] = overlay(merged[k], v);
    return merged;
  }
  return written;
}

const POOL = {
  id: 1,
  name: "gold",
  status: "Normal",
  totalCapacity: 24_615_936,
  effectiveCapacity: 24_615_936,
  usedCapacity: 409_600,
  freeCapacity: 24_206_336,
  capacityManage: { usedCapacityRate: 1, thresholdWarning: 70, thresholdDepletion: 80 },
  numberOfVolumes: 4,
  drives: [
    {
      driveType: "SSD",
      driveInterface: "NVMe",
      driveRpm: "-",
      driveCapacity: 3840,
      displayDriveCapacity: "3.84 TB",
      totalCapacity: 24_615_936,
      numberOfDrives: 9,
      raidLevel: "RAID6",
      parityGroupType: "DDP",
    },
  ],
  subscriptionLimit: { isEnabled: true, currentRate: 1 },
};

const VOLUME = {
  id: 100,
  nickname: "db01",
  poolId: 1,
  poolName: "gold",
  totalCapacity: 102_400,
  usedCapacity: 0,
  freeCapacity: 102_400,
  reservedCapacity: 0,
  savingSetting: "DISABLE",
  numberOfConnectingServers: 1,
  numberOfSnapshots: 0,
  capacitySavingProgress: 100,
  luns: [{ lun: 0, serverId: 1, portId: "CL1-A" }],
};

const COMMAND_STATUS = {
  id: 1,
  progress: "completed",
  status: "normal",
  affectedResources: ["/ConfigurationManager/simple/v1/objects/volumes/100"],
  operationDetails: [{ operationType: "CREATE", resourceType: "Volume", resourceId: "100" }],
};

const V1_JOB = {
  jobId: 1,
  status: "Completed",
  state: "Succeeded",
  createdTime: "2025-06-02T09:30:00Z",
  updatedTime: "2025-06-02T09:30:01Z",
  completedTime: "2025-06-02T09:30:01Z",
  affectedResources: ["/ConfigurationManager/v1/objects/ldevs/100"],
};

const ACCEPTED = {
  statusResource: "/ConfigurationManager/simple/v1/objects/command-status/1",
};

/**
 * Hand-written examples by operationId and status (the v1Storage… form of a v1 operation takes
 * the v1… one), laid over the generated ones.
 */
const HAND_WRITTEN: Record<string, unknown> = {
  "simplePostSessions 200": { token: TOKEN, sessionId: TOKEN },
  "v1PostSessions 200": { token: TOKEN, sessionId: 1 },
  // Lists name a session by its number only, as text on the simple face.
  "simpleGetSessions 200": { data: [{ sessionId: "1" }] },
  "simpleGetPools 200": { data: [POOL], count: 1 },
  "simpleGetPoolsById 200": POOL,
  "simpleGetVolumes 200": { data: [VOLUME], count: 1, totalCount: 1, hasNext: false },
  "simpleGetVolumesById 200": VOLUME,
  "simpleGetCommandStatusById 200": COMMAND_STATUS,
  "simpleGetHealthStatus 200": {
    poolStatus: {
      summary: "ExceededThreshold",
      abnormalItems: [{ status: "ExceededThreshold", poolIds: [1] }],
    },
    snapshotStatus: { summary: "Normal", abnormalItems: [] },
  },
  "v1GetJobsByJobId 200": V1_JOB,
  "simplePostVolumes 202": [ACCEPTED],
  // The array's document names an initiator by its WWN.
  "blockplaneGetArrayExport 200": { hbas: [{ name: WWN }], hostGroupInitiators: [{ name: WWN }] },
  "simplePostVolumes body": { poolId: 1, capacity: 102_400, number: 1 },
  "simplePostPools body": {
    name: "gold",
    drives: [
      { driveTypeCode: "SNB5C-R3R8NC", dataDriveCount: 9, raidLevel: "RAID6", parityGroupType: "DDP" },
    ],
  },
};

function handWritten(operationId: string, key: string): unknown {
  return HAND_WRITTEN[`${operationId.replace(/^v1Storage/, "v1")} ${key}`];
}

/** The face of a path, and the segment after the face's prefix (`pools`, `ldevs`, `users`…). */
function placeOf(path: string): Place {
  const face = path.startsWith("/ConfigurationManager/simple/")
    ? "simple"
    : path.startsWith("/ConfigurationManager/v1/")
      ? "v1"
      : path.startsWith("/blockplane/")
        ? "blockplane"
        : "";
  const rest = path
    .replace(/^\/ConfigurationManager\/(simple\/)?v1\/objects(\/storages\/\{storageDeviceId\}(?=\/))?/, "")
    .replace(/^\/blockplane\/v1/, "");
  return { face, resource: rest.split("/")[1] ?? "" };
}

/** Adds the examples to every operation of the document, and the shared error examples. */
export function addExamples(doc: Json): void {
  doc.components ??= {};
  doc.components.examples = Object.fromEntries(
    Object.entries(ERRORS).map(([key, { summary, error }]) => [
      key,
      { summary, value: errorBody(error, ERROR_SOURCE, REQUEST_ID) },
    ]),
  );
  for (const [path, operations] of Object.entries<Json>(doc.paths ?? {})) {
    const place = placeOf(path);
    for (const [method, op] of Object.entries<Json>(operations)) {
      const id = String(op.operationId ?? "");
      const body = op.requestBody?.content?.["application/json"];
      if (body?.schema && body.example === undefined && body.examples === undefined) {
        const generated = exampleOf(body.schema, { doc, place, request: true });
        const written = handWritten(id, "body");
        body.example = written === undefined ? generated : overlay(generated, written);
      }
      for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
        const media = response.content?.["application/json"];
        if (!media?.schema || media.example !== undefined || media.examples !== undefined) continue;
        if (Number(status) >= 400) {
          media.examples = Object.fromEntries(
            errorExamplesOf(status, method, path).map((key) => [
              key,
              { $ref: `#/components/examples/${key}` },
            ]),
          );
          continue;
        }
        const generated = exampleOf(media.schema, { doc, place, request: false });
        const written = handWritten(id, status);
        media.example = written === undefined ? generated : overlay(generated, written);
      }
    }
  }
}
