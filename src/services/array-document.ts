/**
 * The array document, format "blockplane-array/1": the whole configuration of the simulated array
 * (its identity, drives, pools, volumes and their QoS, ports, servers and their HBAs, host groups,
 * their initiators and LUN paths, connections, snapshots) and its users, as one JSON document.
 * `GET /blockplane/v1/array/export` answers it; `--seed FILE` starts a new store from it.
 *
 * Each section is one table of the store, row for row, its columns in camelCase: the document says
 * exactly what the array holds, and loading it back gives the same array. Booleans are JSON
 * booleans, JSON columns JSON values, times ISO 8601 text (to the millisecond, as kept). Rows are
 * sorted by their keys, so two exports of the same array are the same text on both stores, and a
 * fixture kept in a repository diffs cleanly.
 *
 * Not in it: sessions, jobs and command statuses, idempotency records, maintenance mode and fault
 * rules (the running server's, not the array's configuration); and users' password hashes unless
 * asked for (see array-state.ts).
 *
 * The schemas below are the format's one definition: the export route answers through them, seed
 * files are validated with them, and a type check ties every section to its table, so that a new
 * column without its field here fails to compile.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { type Static, type TSchema, Type } from "typebox";
import { ROLES } from "../domain/roles.ts";
import type {
  ConnectionsTable,
  Database,
  DrivesTable,
  HbasTable,
  HostGroupInitiatorsTable,
  HostGroupsTable,
  LunPathsTable,
  PoolsTable,
  PortsTable,
  ServersTable,
  SnapshotsTable,
  UsersTable,
  VolumeQosTable,
  VolumesTable,
} from "../store/db.ts";

export const ARRAY_FORMAT = "blockplane-array/1";

const Int = () => Type.Integer();
const MaybeInt = () => Type.Union([Type.Integer(), Type.Null()]);
const Text = () => Type.String();
const MaybeText = () => Type.Union([Type.String(), Type.Null()]);
/** A time of the store (ms since the epoch) as ISO 8601 text in UTC. */
const Time = () =>
  Type.String({
    format: "date-time",
    pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$",
  });
/** A column of JSON text: any JSON object. */
const JsonObject = () => Type.Object({}, { additionalProperties: true });
const Row = <P extends Record<string, TSchema>>(properties: P) =>
  Type.Object(properties, { additionalProperties: false });

const DriveRow = Row({
  location: Text(),
  driveTypeCode: Text(),
  driveType: Text(),
  driveInterface: Text(),
  capacityMib: Int(),
  poolId: MaybeInt(),
});
const PoolRow = Row({
  id: Int(),
  name: Text(),
  raidLevel: Text(),
  driveTypeCode: Text(),
  totalCapacity: Int(),
  thresholdWarning: Int(),
  thresholdDepletion: Int(),
  isEncryptionEnabled: Type.Boolean(),
  createdAt: Time(),
  parityGroupType: Text(),
});
const VolumeRow = Row({
  id: Int(),
  nickname: Text(),
  poolId: Int(),
  totalCapacity: Int(),
  usedCapacity: Int(),
  savingSetting: Text(),
  isDataReductionShareEnabled: Type.Boolean(),
  compressionAcceleration: Type.Boolean(),
  createdAt: Time(),
});
const VolumeQosRow = Row({
  volumeId: Int(),
  upperIops: MaybeInt(),
  upperTransferRate: MaybeInt(),
  lowerIops: MaybeInt(),
  lowerTransferRate: MaybeInt(),
  responsePriority: MaybeInt(),
  upperAlertAllowableTime: MaybeInt(),
  lowerAlertAllowableTime: MaybeInt(),
  responseAlertAllowableTime: MaybeInt(),
  updatedAt: Time(),
});
const PortRow = Row({
  id: Text(),
  protocol: Type.Union([Type.Literal("FC"), Type.Literal("iSCSI"), Type.Literal("NVME_TCP")]),
  wwn: MaybeText(),
  iscsiName: MaybeText(),
  portSpeed: Text(),
  portSecurity: Type.Boolean(),
  settings: JsonObject(),
});
const ServerRow = Row({
  id: Int(),
  nickname: Text(),
  protocol: Type.Union([Type.Literal("FC"), Type.Literal("iSCSI"), Type.Literal("Undefined")]),
  osType: Text(),
  osTypeOptions: Type.Array(Type.Integer({ minimum: 0, maximum: 255 })),
  isReserved: Type.Boolean(),
  createdAt: Time(),
});
const InitiatorKind = () => Type.Union([Type.Literal("wwn"), Type.Literal("iscsi")]);
const HbaRow = Row({ serverId: Int(), name: Text(), kind: InitiatorKind() });
const HostGroupRow = Row({
  portId: Text(),
  hostGroupNumber: Int(),
  hostGroupName: Text(),
  targetIscsiName: MaybeText(),
  hostMode: Text(),
  hostModeOptions: Type.Array(Type.Integer({ minimum: 0 })),
  serverId: MaybeInt(),
});
const HostGroupInitiatorRow = Row({
  portId: Text(),
  hostGroupNumber: Int(),
  name: Text(),
  kind: InitiatorKind(),
});
const LunPathRow = Row({ portId: Text(), hostGroupNumber: Int(), lun: Int(), volumeId: Int() });
const ConnectionRow = Row({ volumeId: Int(), serverId: Int(), lun: Int() });
const SnapshotRow = Row({
  masterVolumeId: Int(),
  snapshotId: Int(),
  poolId: Int(),
  snapshotGroupName: Text(),
  type: Text(),
  status: Text(),
  snapshotDate: Time(),
  mappedVolumeId: MaybeInt(),
  rootVolumeId: Int(),
  usedCapacity: Int(),
  canCascade: Type.Boolean(),
});

const RoleName = Type.Union(ROLES.map((r) => Type.Literal(r)));
const UserRow = Row({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+\\-./=?@^_`{|}~]{1,256}$" }),
  roles: Type.Array(RoleName, { minItems: 1, maxItems: ROLES.length, uniqueItems: true }),
  createdAt: Time(),
  updatedAt: Time(),
  passwordHash: Type.Optional(
    Type.String({
      pattern: "^\\$argon2",
      description: "the argon2 hash of the password: exported only when asked for (passwordHashes=true)",
    }),
  ),
  password: Type.Optional(
    Type.String({
      minLength: 8,
      maxLength: 256,
      description:
        "seed files only: a password in plain text, hashed when the file is loaded; never exported",
    }),
  ),
});

export const ArrayIdentitySchema = Type.Object(
  {
    model: Type.String({ description: "the model of the simulated array, e.g. VSP E1090" }),
    serial: Type.String(),
    nickname: Type.String(),
    gumVersion: Type.String(),
    dkcMicroVersion: Type.String(),
  },
  { additionalProperties: false },
);

/** The array tables in the order they are loaded: every row after the rows it names. */
export const SECTIONS = {
  pools: { table: "pools", row: PoolRow, key: ["id"] },
  drives: { table: "drives", row: DriveRow, key: ["location"] },
  volumes: { table: "volumes", row: VolumeRow, key: ["id"] },
  volumeQos: { table: "volume_qos", row: VolumeQosRow, key: ["volumeId"] },
  ports: { table: "ports", row: PortRow, key: ["id"] },
  servers: { table: "servers", row: ServerRow, key: ["id"] },
  hbas: { table: "hbas", row: HbaRow, key: ["serverId", "name"] },
  hostGroups: { table: "host_groups", row: HostGroupRow, key: ["portId", "hostGroupNumber"] },
  hostGroupInitiators: {
    table: "host_group_initiators",
    row: HostGroupInitiatorRow,
    key: ["portId", "hostGroupNumber", "name"],
  },
  lunPaths: { table: "lun_paths", row: LunPathRow, key: ["portId", "hostGroupNumber", "lun"] },
  connections: { table: "connections", row: ConnectionRow, key: ["volumeId", "serverId"] },
  snapshots: { table: "snapshots", row: SnapshotRow, key: ["masterVolumeId", "snapshotId"] },
} as const satisfies Record<string, { table: keyof Database; row: TSchema; key: readonly string[] }>;

export type SectionName = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

export const ArrayDocumentSchema = Type.Object(
  {
    format: Type.Literal(ARRAY_FORMAT),
    array: ArrayIdentitySchema,
    ...(Object.fromEntries(SECTION_NAMES.map((name) => [name, Type.Array(SECTIONS[name].row)])) as {
      [K in SectionName]: ReturnType<typeof Type.Array<(typeof SECTIONS)[K]["row"]>>;
    }),
    users: Type.Array(UserRow),
  },
  { additionalProperties: false },
);

export type ArrayDocument = Static<typeof ArrayDocumentSchema>;
export type DocumentUser = ArrayDocument["users"][number];

// Every section has exactly its table's columns, in camelCase: a column added by a migration
// without its field here (or a field without its column) is a type error.
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Columns<T> = Camel<Extract<keyof T, string>>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Fields<S extends TSchema> = Extract<keyof Static<S>, string>;
const columnsMatch: [
  Same<Fields<typeof DriveRow>, Columns<DrivesTable>>,
  Same<Fields<typeof PoolRow>, Columns<PoolsTable>>,
  Same<Fields<typeof VolumeRow>, Columns<VolumesTable>>,
  Same<Fields<typeof VolumeQosRow>, Columns<VolumeQosTable>>,
  Same<Fields<typeof PortRow>, Columns<PortsTable>>,
  Same<Fields<typeof ServerRow>, Columns<ServersTable>>,
  Same<Fields<typeof HbaRow>, Columns<HbasTable>>,
  Same<Fields<typeof HostGroupRow>, Columns<HostGroupsTable>>,
  Same<Fields<typeof HostGroupInitiatorRow>, Columns<HostGroupInitiatorsTable>>,
  Same<Fields<typeof LunPathRow>, Columns<LunPathsTable>>,
  Same<Fields<typeof ConnectionRow>, Columns<ConnectionsTable>>,
  Same<Fields<typeof SnapshotRow>, Columns<SnapshotsTable>>,
  // A user's roles are JSON text in the store; its hash is `passwordHash`, and `password` is the
  // seed file's own field.
  Same<Exclude<Fields<typeof UserRow>, "password">, Columns<UsersTable>>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true];
void columnsMatch;

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

type Kind = "plain" | "bool" | "json" | "time";

/** How a field is kept in its column, from its schema: 0/1, JSON text, ms, or as it is. */
function kindOf(schema: TSchema): Kind {
  const s = schema as { type?: unknown; format?: unknown };
  if (s.type === "boolean") return "bool";
  if (s.type === "object" || s.type === "array") return "json";
  if (s.format === "date-time") return "time";
  return "plain";
}

function fieldKinds(row: TSchema): [field: string, column: string, kind: Kind][] {
  const properties = (row as unknown as { properties: Record<string, TSchema> }).properties;
  return Object.entries(properties).map(([field, schema]) => [field, snake(field), kindOf(schema)]);
}

const KINDS = Object.fromEntries(
  SECTION_NAMES.map((name) => [name, fieldKinds(SECTIONS[name].row)]),
) as Record<SectionName, ReturnType<typeof fieldKinds>>;

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

/** A row of the store as the document writes it. */
export function rowToDocument(section: SectionName, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, column, kind] of KINDS[section]) {
    const v = row[column];
    if (kind === "bool") out[field] = Number(v) === 1;
    else if (kind === "json") out[field] = JSON.parse(String(v));
    else if (kind === "time") out[field] = iso(v);
    // PostgreSQL's bigint arrives as a number (store/db.ts), SQLite's integers already are.
    else out[field] = typeof v === "bigint" ? Number(v) : v;
  }
  return out;
}

/** A row of the document as the store keeps it. */
export function rowToStore(section: SectionName, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, column, kind] of KINDS[section]) {
    const v = row[field];
    if (kind === "bool") out[column] = v ? 1 : 0;
    else if (kind === "json") out[column] = JSON.stringify(v);
    else if (kind === "time") out[column] = Date.parse(String(v));
    else out[column] = v;
  }
  return out;
}

/** Digit runs compared as numbers, the rest by code unit: "0-2" before "0-10", CL1-A before CL10-A. */
function natural(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const pa = String(a).split(/(\d+)/);
  const pb = String(b).split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    if (i % 2 === 1) return Number(x) - Number(y) || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The rows of a section in the document's order: by its key, the same on every store. */
export function sortRows<T extends Record<string, unknown>>(section: SectionName, rows: T[]): T[] {
  const key = SECTIONS[section].key as readonly string[];
  return [...rows].sort((a, b) => {
    for (const k of key) {
      const d = natural(a[k], b[k]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** Why a start cannot load its seed file: one line for the operator, naming the file. */
export class SeedRefused extends Error {
  override name = "SeedRefused";
}

/** Compiled at the first document read: most starts read none, and compiling costs a start ~30 ms. */
let validator: ValidateFunction | undefined;
const validateDocument = (value: unknown): value is ArrayDocument => {
  validator ??= new Ajv({ allErrors: false, strict: false, validateFormats: false }).compile(
    ArrayDocumentSchema,
  );
  return validator(value);
};

/**
 * Reads the text of an array document: JSON, of this format, every field of the right type, and
 * every row naming only rows that are there. Throws SeedRefused saying what is wrong.
 */
export function parseArrayDocument(text: string, source: string): ArrayDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SeedRefused(`${source} is not JSON (${(err as Error).message}).`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SeedRefused(`${source} is not an array export of Blockplane: it is not a JSON object.`);
  }
  const format = (value as { format?: unknown }).format;
  if (format !== ARRAY_FORMAT) {
    const said =
      typeof format === "string" && format.startsWith("blockplane-array/")
        ? `its format is "${format}", which this Blockplane does not read (it reads "${ARRAY_FORMAT}")`
        : format === undefined
          ? `it has no "format" (an export says "format": "${ARRAY_FORMAT}")`
          : `its "format" is ${JSON.stringify(format).slice(0, 60)}, not "${ARRAY_FORMAT}"`;
    throw new SeedRefused(`${source} is not an array export of Blockplane: ${said}.`);
  }
  if (!validateDocument(value)) {
    const e = validator?.errors?.[0];
    const where = e?.instancePath || "/";
    const what =
      e?.keyword === "additionalProperties"
        ? `has a field it does not know, "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : e?.keyword === "required"
          ? `lacks "${(e.params as { missingProperty: string }).missingProperty}"`
          : (e?.message ?? "is invalid");
    throw new SeedRefused(`${source} is not a valid array export: ${where} ${what}.`);
  }
  const doc = value as ArrayDocument;
  checkReferences(doc, source);
  return doc;
}

type Ref = [
  from: SectionName,
  fields: string[],
  to: SectionName | "users",
  key: string[],
  nullable?: boolean,
];

/**
 * The rows each section names; loading checks them, since not every one is a foreign key. (A key
 * given twice is refused by the store's own unique keys.)
 */
const REFERENCES: Ref[] = [
  ["drives", ["poolId"], "pools", ["id"], true],
  ["volumes", ["poolId"], "pools", ["id"]],
  ["volumeQos", ["volumeId"], "volumes", ["id"]],
  ["hbas", ["serverId"], "servers", ["id"]],
  ["hostGroups", ["portId"], "ports", ["id"]],
  ["hostGroups", ["serverId"], "servers", ["id"], true],
  ["hostGroupInitiators", ["portId", "hostGroupNumber"], "hostGroups", ["portId", "hostGroupNumber"]],
  ["lunPaths", ["portId", "hostGroupNumber"], "hostGroups", ["portId", "hostGroupNumber"]],
  ["lunPaths", ["volumeId"], "volumes", ["id"]],
  ["connections", ["volumeId"], "volumes", ["id"]],
  ["connections", ["serverId"], "servers", ["id"]],
  ["snapshots", ["masterVolumeId"], "volumes", ["id"]],
  ["snapshots", ["poolId"], "pools", ["id"]],
  ["snapshots", ["mappedVolumeId"], "volumes", ["id"], true],
  ["snapshots", ["rootVolumeId"], "volumes", ["id"]],
];

function checkReferences(doc: ArrayDocument, source: string): void {
  const rows = (name: SectionName | "users") => doc[name] as unknown as Record<string, unknown>[];
  const keyOf = (row: Record<string, unknown>, fields: string[]) => JSON.stringify(fields.map((f) => row[f]));
  for (const [from, fields, to, key, nullable] of REFERENCES) {
    const present = new Set(rows(to).map((r) => keyOf(r, key)));
    for (const [i, row] of rows(from).entries()) {
      if (nullable && fields.every((f) => row[f] === null)) continue;
      if (!present.has(keyOf(row, fields))) {
        const named = fields.map((f) => `${f} ${JSON.stringify(row[f])}`).join(", ");
        throw new SeedRefused(
          `${source} is not a consistent array export: /${from}/${i} names ${named}, which is not in "${to}".`,
        );
      }
    }
  }
}
