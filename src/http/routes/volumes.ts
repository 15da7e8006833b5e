/**
 * Volumes. Reads are synchronous and paged (at most 500 a page, by start ID). Creating volumes is
 * one asynchronous multi-resource job (up to 1000 volumes) answered with an array of
 * statusResource; a nickname change is synchronous; the other changes are asynchronous.
 */
import { Type } from "typebox";
import { MAX_POOL_ID } from "../../device/port/pools.ts";
import { MAX_SERVER_ID } from "../../device/port/servers.ts";
import {
  MAX_NICKNAME_LENGTH,
  MAX_VOLUME_CAPACITY,
  MAX_VOLUME_ID,
  MIN_VOLUME_CAPACITY,
  type VolumeFilter,
} from "../../device/port/volumes.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import { MAX_VOLUME_PAGE, MAX_VOLUMES_PER_CREATE, VOLUME_NUMBER_DIGITS } from "../../domain/limits.ts";
import { succeeded } from "../../services/jobs.ts";
import { VOLUME_JOBS, volumeNicknames, volumeUrl } from "../../services/volumes.ts";
import { principalOf } from "../contract/auth.ts";
import {
  accepted,
  acceptedEach,
  Body,
  call,
  done,
  ExecutionResultSchema,
  errorResponses,
  IntId,
  idParams,
  ListOf,
  Query,
  type RouteModule,
  SIMPLE_OBJECTS,
  StatusResourceSchema,
} from "./common.ts";

export { MAX_VOLUME_PAGE, MAX_VOLUMES_PER_CREATE };

// Nickname characters: alphanumerics, space and ! # $ % & ' ( ) + , - . / : = @ [ \ ] ^ _ ` { } ~,
// never a space at either end.
const NICK_CHAR = "A-Za-z0-9!#$%&'()+,\\-./:=@\\[\\\\\\]^_`{}~";
const NICK_BODY = `[${NICK_CHAR}]([${NICK_CHAR} ]*[${NICK_CHAR}])?`;

/** A base name; empty means no nickname (a client that always sends nicknameParam sends it so). */
const BaseName = Type.String({ maxLength: MAX_NICKNAME_LENGTH, pattern: `^(${NICK_BODY})?$` });
/** A new nickname: may be empty (no nickname); may not start with a hyphen. */
export const Nickname = Type.String({ maxLength: MAX_NICKNAME_LENGTH, pattern: `^((?!-)${NICK_BODY})?$` });
const Capacity = Type.Integer({
  minimum: MIN_VOLUME_CAPACITY,
  maximum: MAX_VOLUME_CAPACITY,
  description: "MiB",
});
/** A used capacity, MiB: 0 for a volume nothing has been written to. */
const UsedCapacity = Type.Integer({ minimum: 0, maximum: MAX_VOLUME_CAPACITY, description: "MiB" });
const SavingSetting = Type.Union([
  Type.Literal("DEDUPLICATION_AND_COMPRESSION"),
  Type.Literal("COMPRESSION"),
  Type.Literal("DISABLE"),
]);

const VolumeFields = {
  id: Type.Integer(),
  nickname: Type.String(),
  poolId: Type.Integer(),
  poolName: Type.String(),
  totalCapacity: Type.Integer({ description: "MiB" }),
  usedCapacity: Type.Integer(),
  freeCapacity: Type.Integer(),
  reservedCapacity: Type.Integer(),
  savingSetting: Type.String(),
  isDataReductionShareEnabled: Type.Boolean(),
  compressionAcceleration: Type.Boolean(),
  capacitySavingStatus: Type.String(),
  numberOfConnectingServers: Type.Integer(),
  numberOfSnapshots: Type.Integer(),
  volumeTypes: Type.Array(Type.String()),
};
const VolumeSchema = Type.Object(VolumeFields);
const VolumeDetailSchema = Type.Object({
  ...VolumeFields,
  compressionAccelerationStatus: Type.String(),
  capacitySavingProgress: Type.Integer(),
  luns: Type.Array(Type.Object({ lun: Type.Integer(), serverId: Type.Integer(), portId: Type.String() })),
});

const ListQuery = Query({
  poolId: Type.Optional(IntId(0, MAX_POOL_ID)),
  poolName: Type.Optional(
    Type.String({ minLength: 1, maxLength: 32, description: "partial; ignored with poolId" }),
  ),
  serverId: Type.Optional(IntId(0, MAX_SERVER_ID)),
  serverNickname: Type.Optional(
    Type.String({ minLength: 1, maxLength: 229, description: "partial; ignored with serverId" }),
  ),
  serverNickName: Type.Optional(
    Type.String({ minLength: 1, maxLength: 229, description: "older spelling of serverNickname" }),
  ),
  nickname: Type.Optional(
    Type.String({ minLength: 1, maxLength: MAX_NICKNAME_LENGTH, description: "partial" }),
  ),
  minTotalCapacity: Type.Optional(Capacity),
  maxTotalCapacity: Type.Optional(Capacity),
  minUsedCapacity: Type.Optional(UsedCapacity),
  maxUsedCapacity: Type.Optional(UsedCapacity),
  startVolumeId: Type.Optional(IntId(0, MAX_VOLUME_ID)),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_VOLUME_PAGE })),
});

const CreateBody = Body({
  capacity: Capacity,
  number: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_VOLUMES_PER_CREATE })),
  nicknameParam: Type.Optional(
    Body({
      baseName: BaseName,
      startNumber: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_VOLUME_ID })),
      numberOfDigits: Type.Optional(
        Type.Integer({ minimum: VOLUME_NUMBER_DIGITS.min, maximum: VOLUME_NUMBER_DIGITS.max }),
      ),
    }),
  ),
  savingSetting: Type.Optional(SavingSetting),
  isDataReductionShareEnabled: Type.Optional(Type.Boolean()),
  poolId: IntId(0, MAX_POOL_ID),
});

const volumeParams = idParams(MAX_VOLUME_ID);
const provisioning = { permission: "provisioning" } as const;

export const volumeRoutes: RouteModule = (app, { device, jobs }) => {
  const tags = ["volumes"];
  const base = `${SIMPLE_OBJECTS}/volumes`;

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "List volumes, at most 500 from startVolumeId",
        querystring: ListQuery,
        response: { 200: ListOf(VolumeSchema, true), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const filter: VolumeFilter = {};
      if (q.poolId !== undefined) filter.poolId = q.poolId;
      else if (q.poolName !== undefined) filter.poolName = q.poolName;
      const serverNickname = q.serverNickname ?? q.serverNickName;
      if (q.serverId !== undefined) filter.serverId = q.serverId;
      else if (serverNickname !== undefined) filter.serverNickname = serverNickname;
      for (const key of [
        "nickname",
        "minTotalCapacity",
        "maxTotalCapacity",
        "minUsedCapacity",
        "maxUsedCapacity",
      ] as const) {
        if (q[key] !== undefined) (filter as Record<string, unknown>)[key] = q[key];
      }
      const page = { startVolumeId: q.startVolumeId ?? 0, count: q.count ?? MAX_VOLUME_PAGE };
      const list = await device.listVolumes(filter, page, call());
      return { data: list.data, count: list.data.length, totalCount: list.totalCount, hasNext: list.hasNext };
    },
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: "Get a volume",
        params: volumeParams,
        response: { 200: VolumeDetailSchema, ...errorResponses() },
      },
    },
    async (request) => device.getVolume(request.params.id, call()),
  );

  app.post(
    base,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Create 1 to 1000 volumes in a pool (asynchronous; one statusResource per volume)",
        body: CreateBody,
        response: { 202: Type.Array(StatusResourceSchema), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { capacity, number = 1, savingSetting = "DISABLE", poolId } = request.body;
      let { nicknameParam } = request.body;
      if (nicknameParam?.baseName === "") {
        if (nicknameParam.startNumber !== undefined || nicknameParam.numberOfDigits !== undefined) {
          throw new InvalidRequest("nicknameParam.baseName is required with startNumber or numberOfDigits.");
        }
        nicknameParam = undefined;
      }
      const isDataReductionShareEnabled = request.body.isDataReductionShareEnabled ?? false;
      if (isDataReductionShareEnabled && savingSetting === "DISABLE") {
        throw new InvalidRequest("isDataReductionShareEnabled needs a savingSetting other than DISABLE.");
      }
      if (nicknameParam?.numberOfDigits !== undefined && nicknameParam.startNumber === undefined) {
        throw new InvalidRequest("nicknameParam.numberOfDigits needs nicknameParam.startNumber.");
      }
      // The last nickname has the largest number, so it is the longest.
      const longest = volumeNicknames(nicknameParam, number).at(-1) ?? "";
      if (longest.length > MAX_NICKNAME_LENGTH) {
        throw new InvalidRequest(
          `The nickname "${longest}" would be longer than ${MAX_NICKNAME_LENGTH} characters: shorten baseName or numberOfDigits.`,
        );
      }
      const params = {
        poolId,
        capacity,
        number,
        savingSetting,
        isDataReductionShareEnabled,
        ...(nicknameParam ? { nicknameParam } : {}),
      };
      const ids = await jobs.enqueueItems(VOLUME_JOBS.create, params, principalOf(request).user.id, number);
      return acceptedEach(reply, ids);
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: provisioning,
      schema: {
        tags,
        summary:
          "Change a volume's nickname (synchronous), or its capacity saving and compression acceleration (asynchronous)",
        description:
          "A nickname alone is changed at once (200 with the execution result). savingSetting and " +
          "compressionAcceleration, alone or together, are changed by a job (202), which also sets a " +
          "nickname sent with them.",
        params: volumeParams,
        body: Body({
          nickname: Type.Optional(Nickname),
          savingSetting: Type.Optional(SavingSetting),
          compressionAcceleration: Type.Optional(
            Type.Boolean({ description: "Needs a savingSetting other than DISABLE." }),
          ),
        }),
        response: { 200: ExecutionResultSchema, 202: StatusResourceSchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { nickname, savingSetting, compressionAcceleration } = request.body;
      const savings = savingSetting !== undefined || compressionAcceleration !== undefined;
      if (nickname === undefined && !savings) {
        throw new InvalidRequest("Specify nickname, or savingSetting and/or compressionAcceleration.");
      }
      if (!savings && nickname !== undefined) {
        await device.setVolumeNickname(id, nickname, call());
        return done(reply, succeeded("UPDATE", "Volume", id, volumeUrl(id)));
      }
      const volume = await device.getVolume(id, call());
      if (compressionAcceleration === true && (savingSetting ?? volume.savingSetting) === "DISABLE") {
        throw new InvalidRequest(
          `compressionAcceleration needs capacity saving: the savingSetting of volume ${id} would be DISABLE.`,
        );
      }
      const jobId = await jobs.enqueue(
        VOLUME_JOBS.setSaving,
        {
          id,
          // Clients send a new nickname with the saving when both change: the job sets both.
          ...(nickname !== undefined ? { nickname } : {}),
          ...(savingSetting !== undefined ? { savingSetting } : {}),
          ...(compressionAcceleration !== undefined ? { compressionAcceleration } : {}),
        },
        principalOf(request).user.id,
      );
      return accepted(reply, jobId);
    },
  );

  app.post(
    `${base}/:id/actions/expand/invoke`,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Add capacity to a volume (asynchronous)",
        params: volumeParams,
        body: Body({
          capacity: Type.Integer({ minimum: 1, maximum: MAX_VOLUME_CAPACITY, description: "MiB to add" }),
        }),
        response: { 202: StatusResourceSchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await device.getVolume(id, call());
      const jobId = await jobs.enqueue(
        VOLUME_JOBS.expand,
        { id, capacity: request.body.capacity },
        principalOf(request).user.id,
      );
      return accepted(reply, jobId);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Delete a volume (asynchronous)",
        params: volumeParams,
        response: { 202: StatusResourceSchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await device.getVolume(id, call());
      const jobId = await jobs.enqueue(VOLUME_JOBS.delete, { id }, principalOf(request).user.id);
      return accepted(reply, jobId);
    },
  );
};
