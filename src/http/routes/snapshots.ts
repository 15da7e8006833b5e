/**
 * Snapshots and snapshot groups: list and get them, take snapshots (multi-resource), map,
 * restore and delete one, and delete a whole group (multi-resource). All changes are asynchronous.
 */
import { type TSchema, Type } from "typebox";
import {
  MAX_GROUP_NAME_LENGTH,
  MAX_SNAPSHOT_ID,
  MAX_SNAPSHOT_POOL_ID,
  type SnapshotCreate,
  type SnapshotKey,
} from "../../device/port/snapshots.ts";
import { MAX_VOLUME_ID } from "../../device/port/volumes.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import { MAX_SNAPSHOT_PAGE } from "../../domain/limits.ts";
import { SIMPLE_OBJECTS } from "../../services/jobs.ts";
import { SNAPSHOT_JOBS, SNAPSHOTS_URL } from "../../services/snapshots.ts";
import { principalOf } from "../contract/auth.ts";
import {
  accepted,
  acceptedEach,
  Body,
  call,
  errorResponses,
  ListOf,
  parseCompositeId,
  Query,
  type RouteModule,
  StatusResourceSchema,
} from "./common.ts";

const GROUPS_URL = `${SIMPLE_OBJECTS}/snapshot-groups`;
/** Most snapshots (or group members) one list request answers, and most params one create takes. */
const MAX_PAGE = MAX_SNAPSHOT_PAGE;
/** Large enough to read a whole group in one call. */
const ALL = 2 ** 31 - 1;

const VolumeId = Type.Integer({ minimum: 0, maximum: MAX_VOLUME_ID });
const PoolId = Type.Integer({ minimum: 0, maximum: MAX_SNAPSHOT_POOL_ID });

/** A group name can be used in a URL path: no "/" or "\", not dots only, no control characters. */
const GROUP_NAME = /^(?!\.+$)[^/\\\p{Cc}]+$/u;
export const GroupName = Type.String({
  minLength: 1,
  maxLength: MAX_GROUP_NAME_LENGTH,
  pattern: GROUP_NAME.source,
  description: 'At most 32 characters; no "/" or "\\", not only dots.',
});

/** YYYY-MM-DDThh:mm:ssZ */
const DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const DateText = Type.String({ pattern: DATE.source, description: "YYYY-MM-DDThh:mm:ssZ" });

const SnapshotTypeSchema = Type.Union(
  [Type.Literal("Snapshot"), Type.Literal("Mapped Snapshot"), Type.Literal("Snap Clone")],
  { description: "The kinds of snapshot the array takes (SNAPSHOT_TYPES)." },
);

const SnapshotSchema = Type.Object({
  id: Type.String({ description: '"masterVolumeId,snapshotId"' }),
  masterVolumeId: Type.Integer(),
  snapshotId: Type.Integer({ description: "The pair's MU number, 3-1023." }),
  status: Type.String({ description: 'Pair status, "PSUS" once taken.' }),
  snapshotDate: Type.String({ description: "YYYY-MM-DDThh:mm:ssZ" }),
  snapshotGroupName: Type.String(),
  mappedVolumeId: Type.Optional(Type.Integer({ description: "Absent while the snapshot is not mapped." })),
  rootVolumeId: Type.Integer(),
  poolId: Type.Integer(),
  usedCapacityPerRootVolume: Type.Integer(),
  isVolumeCapacityExpanding: Type.Boolean(),
  type: SnapshotTypeSchema,
  retentionPeriod: Type.Integer({
    minimum: 0,
    description: "Hours the snapshot is still protected from deletion; 0 when no retention is set.",
  }),
});

const SnapshotParam = Body({
  masterVolumeId: VolumeId,
  poolId: PoolId,
  snapshotGroupName: GroupName,
  // Clients send null when their user named no type: that is a plain snapshot.
  type: Type.Optional(Type.Union([SnapshotTypeSchema, Type.Null()])),
});

const CreateBody = Body({ params: Type.Array(SnapshotParam, { minItems: 1, maxItems: MAX_PAGE }) });

const ListQuery = Query({
  masterVolumeId: Type.Optional(VolumeId),
  snapshotDateFrom: Type.Optional(DateText),
  snapshotDateTo: Type.Optional(DateText),
  snapshotGroupName: Type.Optional(GroupName),
  startId: Type.Optional(Type.String({ description: '"masterVolumeId,snapshotId", default "0,0"' })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE })),
});

const GroupQuery = Query({
  startSnapshotId: Type.Optional(Type.String({ description: '"masterVolumeId,snapshotId", default "0,0"' })),
  startId: Type.Optional(
    Type.String({ description: "Another name of startSnapshotId, which some clients send." }),
  ),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE })),
});

const IdParams = Type.Object({ id: Type.String({ description: '"masterVolumeId,snapshotId"' }) });
const NameParams = Type.Object({ name: Type.String() });

const SnapshotGroupSchema = Type.Object({
  name: Type.String(),
  snapshots: Type.Array(Type.Object({ masterVolumeId: Type.Integer(), snapshotId: Type.Integer() })),
  count: Type.Integer(),
  totalCount: Type.Integer(),
  hasNext: Type.Boolean(),
});

export function parseSnapshotId(raw: string): SnapshotKey {
  return parseCompositeId(raw, "snapshot", [
    [0, MAX_VOLUME_ID],
    [0, MAX_SNAPSHOT_ID],
  ]) as SnapshotKey;
}

/** Milliseconds of a YYYY-MM-DDThh:mm:ssZ date; a date that does not exist (02-30, 25:00) is a 400. */
function parseDate(text: string, name: string): number {
  const m = DATE.exec(text);
  const ms = Date.parse(text);
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== text.slice(0, 19)) {
    throw new InvalidRequest(`The query is invalid: "${name}" is not a valid date (YYYY-MM-DDThh:mm:ssZ).`);
  }
  return ms;
}

/** The group name of a URL path, which arrives decoded: "a%2Fb" is "a/b" and is refused. */
function groupNameOf(name: string): string {
  if (name.length > MAX_GROUP_NAME_LENGTH || !GROUP_NAME.test(name)) {
    throw new InvalidRequest(
      `The object ID "${name}" is invalid: a snapshot group name has 1-${MAX_GROUP_NAME_LENGTH} characters, ` +
        'contains no "/" or "\\" and is not made of dots only.',
    );
  }
  return name;
}

export const snapshotRoutes: RouteModule = (app, { device, jobs }) => {
  const tags = ["snapshots"];
  const localCopy = { permission: "local-copy" } as const;
  const enqueued = (response: TSchema) => ({ 202: response, ...errorResponses() });

  app.get(
    SNAPSHOTS_URL,
    {
      schema: {
        tags,
        summary: "List snapshots",
        description:
          "Ordered by master volume ID, then snapshot ID, from startId; at most 1000 a request. The date " +
          "bounds are inclusive, to the second. totalCount counts every snapshot that matches the filters.",
        querystring: ListQuery,
        response: { 200: ListOf(SnapshotSchema, true), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const list = await device.listSnapshots(
        {
          ...(q.masterVolumeId !== undefined ? { masterVolumeId: q.masterVolumeId } : {}),
          ...(q.snapshotDateFrom !== undefined
            ? { snapshotDateFrom: parseDate(q.snapshotDateFrom, "snapshotDateFrom") }
            : {}),
          // Dates are shown to the second: "to 12:00:00Z" includes 12:00:00.999.
          ...(q.snapshotDateTo !== undefined
            ? { snapshotDateTo: parseDate(q.snapshotDateTo, "snapshotDateTo") + 999 }
            : {}),
          ...(q.snapshotGroupName !== undefined ? { snapshotGroupName: q.snapshotGroupName } : {}),
          startId: parseSnapshotId(q.startId ?? "0,0"),
          count: q.count ?? MAX_PAGE,
        },
        call(),
      );
      return { ...list, count: list.data.length };
    },
  );

  app.get(
    `${SNAPSHOTS_URL}/:id`,
    {
      schema: {
        tags,
        summary: "Get a snapshot",
        params: IdParams,
        response: { 200: SnapshotSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const [masterVolumeId, snapshotId] = parseSnapshotId(request.params.id);
      return device.getSnapshot(masterVolumeId, snapshotId, call());
    },
  );

  app.post(
    SNAPSHOTS_URL,
    {
      config: localCopy,
      schema: {
        tags,
        summary: "Take snapshots",
        description:
          "Asynchronous and multi-resource: the answer lists one statusResource per param, in order. A snapshot takes its master " +
          "volume's lowest free snapshot ID (3-1023) and is in status PSUS. A master volume has at most one " +
          'snapshot in a group. "Mapped Snapshot" and "Snap Clone" also map the snapshot to a new volume ' +
          "(as the map action does), named in operationDetails after the snapshot. A missing type is " +
          '"Snapshot".',
        body: CreateBody,
        response: enqueued(Type.Array(StatusResourceSchema)),
      },
    },
    async (request, reply) => {
      const params: SnapshotCreate[] = request.body.params.map((p) => ({
        masterVolumeId: p.masterVolumeId,
        poolId: p.poolId,
        snapshotGroupName: p.snapshotGroupName,
        type: p.type ?? "Snapshot",
      }));
      const ids = await jobs.enqueueItems(
        SNAPSHOT_JOBS.create,
        { params },
        principalOf(request).user.id,
        params.length,
      );
      return acceptedEach(reply, ids);
    },
  );

  app.post(
    `${SNAPSHOTS_URL}/:id/actions/map/invoke`,
    {
      config: localCopy,
      schema: {
        tags,
        summary: "Map a snapshot to a new volume",
        description:
          "Asynchronous: creates a volume of the master volume's capacity in the pool, at the lowest free " +
          'volume ID, named "Snapshot of ID:<masterVolumeId>", and sets the snapshot\'s mappedVolumeId. ' +
          "A snapshot that is already mapped is refused.",
        params: IdParams,
        body: Body({ poolId: PoolId }),
        response: enqueued(StatusResourceSchema),
      },
    },
    async (request, reply) => {
      const [masterVolumeId, snapshotId] = parseSnapshotId(request.params.id);
      await device.getSnapshot(masterVolumeId, snapshotId, call());
      const params = { masterVolumeId, snapshotId, poolId: request.body.poolId };
      const id = await jobs.enqueue(SNAPSHOT_JOBS.map, params, principalOf(request).user.id);
      return accepted(reply, id);
    },
  );

  app.post(
    `${SNAPSHOTS_URL}/:id/actions/restore/invoke`,
    {
      config: localCopy,
      schema: {
        tags,
        summary: "Restore a master volume from a snapshot",
        description: "Asynchronous; takes no body. The pair is in PSUS again when the restore is done.",
        params: IdParams,
        body: Type.Optional(Type.Union([Body({}), Type.Null()])),
        response: enqueued(StatusResourceSchema),
      },
    },
    async (request, reply) => {
      const [masterVolumeId, snapshotId] = parseSnapshotId(request.params.id);
      await device.getSnapshot(masterVolumeId, snapshotId, call());
      const id = await jobs.enqueue(
        SNAPSHOT_JOBS.restore,
        { masterVolumeId, snapshotId },
        principalOf(request).user.id,
      );
      return accepted(reply, id);
    },
  );

  app.delete(
    `${SNAPSHOTS_URL}/:id`,
    {
      config: localCopy,
      schema: {
        tags,
        summary: "Delete a snapshot",
        description: "Asynchronous. The volume a snapshot is mapped to stays, as an ordinary volume.",
        params: IdParams,
        response: enqueued(StatusResourceSchema),
      },
    },
    async (request, reply) => {
      const [masterVolumeId, snapshotId] = parseSnapshotId(request.params.id);
      await device.getSnapshot(masterVolumeId, snapshotId, call());
      const id = await jobs.enqueue(
        SNAPSHOT_JOBS.delete,
        { masterVolumeId, snapshotId },
        principalOf(request).user.id,
      );
      return accepted(reply, id);
    },
  );

  const groupTags = ["snapshot-groups"];

  app.get(
    GROUPS_URL,
    {
      schema: {
        tags: groupTags,
        summary: "List snapshot groups",
        response: { 200: ListOf(Type.Object({ name: Type.String() })), ...errorResponses() },
      },
    },
    async () => {
      const names = await device.listSnapshotGroups(call());
      return { data: names.map((name) => ({ name })), count: names.length };
    },
  );

  app.get(
    `${GROUPS_URL}/:name`,
    {
      schema: {
        tags: groupTags,
        summary: "Get a snapshot group and its snapshots",
        description: 'The members from startSnapshotId (default "0,0"), at most 1000 a request.',
        params: NameParams,
        querystring: GroupQuery,
        response: { 200: SnapshotGroupSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const name = groupNameOf(request.params.name);
      const { startSnapshotId, startId, count } = request.query;
      if (startSnapshotId !== undefined && startId !== undefined) {
        throw new InvalidRequest("Specify startSnapshotId or startId, not both.");
      }
      const group = await device.getSnapshotGroup(
        name,
        { startId: parseSnapshotId(startSnapshotId ?? startId ?? "0,0"), count: count ?? MAX_PAGE },
        call(),
      );
      return { ...group, count: group.snapshots.length };
    },
  );

  app.delete(
    `${GROUPS_URL}/:name`,
    {
      config: localCopy,
      schema: {
        tags: groupTags,
        summary: "Delete a snapshot group",
        description:
          "Asynchronous and multi-resource: deletes every snapshot of the group, each an item of the job.",
        params: NameParams,
        response: enqueued(StatusResourceSchema),
      },
    },
    async (request, reply) => {
      const name = groupNameOf(request.params.name);
      // The members are fixed now, so a job run again after a crash deletes the same snapshots.
      const group = await device.getSnapshotGroup(name, { startId: [0, 0], count: ALL }, call());
      const members: SnapshotKey[] = group.snapshots.map((s) => [s.masterVolumeId, s.snapshotId]);
      const id = await jobs.enqueue(
        SNAPSHOT_JOBS.deleteGroup,
        { name, members },
        principalOf(request).user.id,
      );
      return accepted(reply, id);
    },
  );
};
