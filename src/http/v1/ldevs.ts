/**
 * LDEVs: the full API's view and operations of volumes, through the same device and job handlers
 * as the simple face's volumes. Reads are synchronous; every change is a job answered 202 (held
 * until it completes when the client asks, see jobs.ts).
 */
import type { FastifyRequest } from "fastify";
import { type Static, type TSchema, Type } from "typebox";
import type { LunPath } from "../../device/port/host-groups.ts";
import { MAX_POOL_ID } from "../../device/port/pools.ts";
import {
  MAX_VOLUME_CAPACITY,
  MAX_VOLUME_ID,
  MIN_VOLUME_CAPACITY,
  type Volume,
} from "../../device/port/volumes.ts";
import { InvalidRequest, NotFound } from "../../domain/errors.ts";
import { applyQosChange, type QosChange } from "../../domain/qos.ts";
import { QOS_JOBS } from "../../services/qos.ts";
import { VOLUME_JOBS, type VolumeCreateParams } from "../../services/volumes.ts";
import type { AppDeps } from "../app.ts";
import { principalOf } from "../contract/auth.ts";
import { Body, call, errorResponses, IntId, ListOf, Query, type RouteModule } from "../routes/common.ts";
import { limitsOf } from "../routes/qos.ts";
import { Nickname } from "../routes/volumes.ts";
import { mibOfEither } from "./capacity.ts";
import { v1Forms } from "./contract.ts";
import { JobSchema, jobRequestOf, type V1Jobs } from "./jobs.ts";
import {
  DATA_REDUCTION_MODES,
  type DataReductionMode,
  type Ldev,
  LdevSchema,
  ldevOf,
  ldevQosOf,
  undefinedLdev,
} from "./ldev-view.ts";

/** Most LDEVs one list answers (the API's own bound on `count`). */
export const MAX_LDEV_COUNT = 16384;
const DEFAULT_LDEV_COUNT = 100;

const LdevId = IntId(0, MAX_VOLUME_ID);
const ldevId = { ldevId: LdevId };
const ByteFormat = Type.String({ description: 'binary units: "10G", "1.5T", "512M"' });
const Blocks = Type.Integer({ minimum: 1, description: "512-byte blocks, a whole number of MiB" });
const DataReductionModeSchema = Type.Union(
  Object.keys(DATA_REDUCTION_MODES).map((m) => Type.Literal(m)),
  { description: "disabled, compression or compression_deduplication" },
);

const CreateBody = Body({
  byteFormatCapacity: Type.Optional(ByteFormat),
  blockCapacity: Type.Optional(Blocks),
  poolId: IntId(0, MAX_POOL_ID),
  ldevId: Type.Optional(LdevId),
  startLdevId: Type.Optional(LdevId),
  endLdevId: Type.Optional(LdevId),
  isParallelExecutionEnabled: Type.Optional(
    Type.Boolean({ description: "accepted; creations run one job each either way" }),
  ),
  dataReductionMode: Type.Optional(DataReductionModeSchema),
  isDataReductionSharedVolumeEnabled: Type.Optional(Type.Boolean()),
});

const ListQueryFields = {
  headLdevId: Type.Optional(LdevId),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LDEV_COUNT })),
  ldevOption: Type.Optional(
    Type.Union([Type.Literal("defined"), Type.Literal("undefined"), Type.Literal("dpVolume")]),
  ),
  poolId: Type.Optional(IntId(0, MAX_POOL_ID)),
  detailInfoType: Type.Optional(Type.Literal("qos")),
};

const QosParameters = Body({
  upperIops: Type.Optional(Type.Integer()),
  upperTransferRate: Type.Optional(Type.Integer()),
  lowerIops: Type.Optional(Type.Integer()),
  lowerTransferRate: Type.Optional(Type.Integer()),
  responsePriority: Type.Optional(Type.Integer()),
  upperAlertAllowableTime: Type.Optional(Type.Integer()),
  lowerAlertAllowableTime: Type.Optional(Type.Integer()),
  responseAlertAllowableTime: Type.Optional(Type.Integer()),
});

/** A body the client may leave out: clients send Content-Type: application/json with no body. */
function OptionalBody<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()]));
}

/** The range of LDEV numbers a create may take, from `ldevId` or `startLdevId`–`endLdevId`. */
function idRangeOf(body: { ldevId?: number; startLdevId?: number; endLdevId?: number }) {
  const { ldevId, startLdevId, endLdevId } = body;
  if (ldevId !== undefined) {
    if (startLdevId !== undefined || endLdevId !== undefined)
      throw new InvalidRequest("Specify either ldevId or startLdevId and endLdevId, not both.");
    return { min: ldevId, max: ldevId };
  }
  if (startLdevId === undefined && endLdevId === undefined) return undefined;
  const range = { min: startLdevId ?? 0, max: endLdevId ?? MAX_VOLUME_ID };
  if (range.min > range.max)
    throw new InvalidRequest(`startLdevId (${range.min}) is greater than endLdevId (${range.max}).`);
  return range;
}

/**
 * A QoS change of `set-qos`: each value given sets and enables its limit or alert time, 0
 * disables it. Limits and alert times are two changes of the array; one request sets one kind.
 */
function qosChangeOf(p: Static<typeof QosParameters>): QosChange {
  const pair = (value: number | undefined) =>
    value === undefined ? {} : value === 0 ? { enabled: false } : { enabled: true, value };
  const threshold: Record<string, unknown> = {};
  const alertSetting: Record<string, unknown> = {};
  const set = (into: Record<string, unknown>, flag: string, key: string, value: number | undefined) => {
    const v = pair(value);
    if (v.enabled === undefined) return;
    into[flag] = v.enabled;
    if (v.enabled) into[key] = v.value;
  };
  set(threshold, "isUpperIopsEnabled", "upperIops", p.upperIops);
  set(threshold, "isUpperTransferRateEnabled", "upperTransferRate", p.upperTransferRate);
  set(threshold, "isLowerIopsEnabled", "lowerIops", p.lowerIops);
  set(threshold, "isLowerTransferRateEnabled", "lowerTransferRate", p.lowerTransferRate);
  set(threshold, "isResponsePriorityEnabled", "responsePriority", p.responsePriority);
  set(alertSetting, "isUpperAlertEnabled", "upperAlertAllowableTime", p.upperAlertAllowableTime);
  set(alertSetting, "isLowerAlertEnabled", "lowerAlertAllowableTime", p.lowerAlertAllowableTime);
  set(alertSetting, "isResponseAlertEnabled", "responseAlertAllowableTime", p.responseAlertAllowableTime);
  const change: QosChange = {};
  if (Object.keys(threshold).length > 0) change.threshold = threshold;
  if (Object.keys(alertSetting).length > 0) change.alertSetting = alertSetting;
  return change;
}

export function ldevRoutes(v1Jobs: V1Jobs): RouteModule {
  return (app, { device, jobs }: AppDeps) => {
    const tags = ["v1 ldevs"];
    const provisioning = { permission: "provisioning" } as const;
    const accepted202 = { 202: JobSchema, ...errorResponses() };
    const userOf = (request: FastifyRequest) => principalOf(request).user.id;

    /** The volume of an LDEV that must exist for a change: 404 before anything is queued. */
    const volumeOf = (ldevId: number) => device.getVolume(ldevId, call());

    /** LDEVs of the volumes, with their QoS when asked (detailInfoType=qos). */
    const withDetail = async (volumes: Volume[], qos: boolean): Promise<Ldev[]> => {
      const roles = await device.pairRolesOf(
        volumes.map((v) => v.id),
        call(),
      );
      // The LUN paths of the whole page in one read (volumes come in ID order): one read per LDEV
      // cost more than the rest of a long list together.
      const first = volumes[0];
      const last = volumes.at(-1);
      const pathsOf = new Map<number, LunPath[]>();
      if (first !== undefined && last !== undefined) {
        const all = await device.listLunPaths({ volumeIds: { min: first.id, max: last.id } }, call());
        for (const path of all) {
          const list = pathsOf.get(path.volumeId);
          if (list) list.push(path);
          else pathsOf.set(path.volumeId, [path]);
        }
      }
      const ldevs: Ldev[] = [];
      for (const volume of volumes) {
        const ldev = ldevOf(volume, pathsOf.get(volume.id) ?? [], roles.get(volume.id));
        if (qos) ldev.qos = ldevQosOf(await device.getVolumeQos(volume.id, call()));
        ldevs.push(ldev);
      }
      return ldevs;
    };

    /** Defined LDEVs from `head`, at most `count`, in one pool or all. */
    const definedFrom = async (head: number, count: number, poolId: number | undefined) => {
      const list = await device.listVolumes(
        poolId === undefined ? {} : { poolId },
        { startVolumeId: head, count },
        call(),
      );
      return list.data;
    };

    /** Free LDEV numbers from `head`, at most `count`. */
    const undefinedFrom = async (head: number, count: number) => {
      const free: Ldev[] = [];
      let from = head;
      while (free.length < count && from <= MAX_VOLUME_ID) {
        const page = await definedFrom(from, MAX_LDEV_COUNT, undefined);
        const used = new Set(page.map((v) => v.id));
        const to = page.length < MAX_LDEV_COUNT ? MAX_VOLUME_ID : (page.at(-1) as Volume).id;
        for (let id = from; id <= to && free.length < count; id++)
          if (!used.has(id)) free.push(undefinedLdev(id));
        from = to + 1;
      }
      return free;
    };

    for (const { url, params } of v1Forms("/ldevs")) {
      app.get(
        url,
        {
          schema: {
            tags,
            summary: "List LDEVs from headLdevId: defined ones (also dpVolume), or free numbers (undefined)",
            params,
            querystring: Query(ListQueryFields),
            response: { 200: ListOf(LdevSchema), ...errorResponses() },
          },
        },
        async (request) => {
          const q = request.query;
          const head = q.headLdevId ?? 0;
          const count = q.count ?? DEFAULT_LDEV_COUNT;
          if (q.ldevOption === "undefined") {
            if (q.poolId !== undefined)
              throw new InvalidRequest("poolId does not apply to ldevOption=undefined.");
            const data = await undefinedFrom(head, count);
            return { data, count: data.length };
          }
          const volumes = await definedFrom(head, count, q.poolId);
          const data = await withDetail(volumes, q.detailInfoType === "qos");
          return { data, count: data.length };
        },
      );

      app.post(
        url,
        {
          config: provisioning,
          schema: {
            tags,
            summary:
              "Create an LDEV (a volume) in a pool, at a given number or the lowest free one in a range",
            params,
            body: CreateBody,
            response: accepted202,
          },
        },
        async (request, reply) => {
          const b = request.body;
          const capacity = mibOfEither(b.byteFormatCapacity, b.blockCapacity, [
            "byteFormatCapacity",
            "blockCapacity",
          ]);
          if (capacity < MIN_VOLUME_CAPACITY || capacity > MAX_VOLUME_CAPACITY)
            throw new InvalidRequest(
              `The capacity of an LDEV is ${MIN_VOLUME_CAPACITY} MiB to ${MAX_VOLUME_CAPACITY} MiB (it would be ${capacity} MiB).`,
            );
          const savingSetting =
            DATA_REDUCTION_MODES[(b.dataReductionMode ?? "disabled") as DataReductionMode];
          const share = b.isDataReductionSharedVolumeEnabled ?? false;
          if (share && savingSetting === "DISABLE")
            throw new InvalidRequest(
              "isDataReductionSharedVolumeEnabled needs a dataReductionMode other than disabled.",
            );
          const idRange = idRangeOf(b);
          const params: VolumeCreateParams = {
            poolId: b.poolId,
            capacity,
            number: 1,
            savingSetting,
            isDataReductionShareEnabled: share,
            ...(idRange ? { idRange } : {}),
          };
          const [jobId] = await jobs.enqueueItems(
            VOLUME_JOBS.create,
            params,
            userOf(request),
            1,
            jobRequestOf(request),
          );
          return v1Jobs.accepted(request, reply, jobId as number);
        },
      );
    }

    for (const { url, params } of v1Forms("/ldevs/:ldevId", ldevId)) {
      app.get(
        url,
        {
          schema: {
            tags,
            summary: 'Get an LDEV; a number no volume has answers emulationType "NOT DEFINED"',
            params,
            querystring: Query({ detailInfoType: ListQueryFields.detailInfoType }),
            response: { 200: LdevSchema, ...errorResponses() },
          },
        },
        async (request) => {
          const { ldevId } = request.params;
          try {
            const [ldev] = await withDetail([await volumeOf(ldevId)], request.query.detailInfoType === "qos");
            return ldev;
          } catch (err) {
            if (err instanceof NotFound) return undefinedLdev(ldevId);
            throw err;
          }
        },
      );

      app.put(
        url,
        {
          config: provisioning,
          schema: {
            tags,
            summary: "Change an LDEV's label (the volume's nickname) and/or its capacity saving",
            params,
            body: Body(
              { label: Type.Optional(Nickname), dataReductionMode: Type.Optional(DataReductionModeSchema) },
              { minProperties: 1 },
            ),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const { ldevId } = request.params;
          await volumeOf(ldevId);
          const { label, dataReductionMode } = request.body;
          const params = {
            id: ldevId,
            ...(label !== undefined ? { nickname: label } : {}),
            ...(dataReductionMode !== undefined
              ? { savingSetting: DATA_REDUCTION_MODES[dataReductionMode as DataReductionMode] }
              : {}),
          };
          return v1Jobs.start(request, reply, VOLUME_JOBS.setSaving, params);
        },
      );

      app.delete(
        url,
        {
          config: provisioning,
          schema: {
            tags,
            summary: "Delete an LDEV (the volume)",
            params,
            body: OptionalBody(Body({ isDataReductionDeleteForceExecute: Type.Optional(Type.Boolean()) })),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const { ldevId } = request.params;
          await volumeOf(ldevId);
          return v1Jobs.start(request, reply, VOLUME_JOBS.delete, { id: ldevId });
        },
      );
    }

    for (const { url, params } of v1Forms("/ldevs/:ldevId/actions/expand/invoke", ldevId)) {
      app.put(
        url,
        {
          config: provisioning,
          schema: {
            tags,
            summary: "Add capacity to an LDEV",
            params,
            body: Body({
              parameters: Body({
                additionalByteFormatCapacity: Type.Optional(ByteFormat),
                additionalBlockCapacity: Type.Optional(Blocks),
              }),
            }),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const { ldevId } = request.params;
          const p = request.body.parameters;
          const capacity = mibOfEither(p.additionalByteFormatCapacity, p.additionalBlockCapacity, [
            "parameters.additionalByteFormatCapacity",
            "parameters.additionalBlockCapacity",
          ]);
          if (capacity < 1) throw new InvalidRequest("The capacity to add must be at least 1 MiB.");
          await volumeOf(ldevId);
          return v1Jobs.start(request, reply, VOLUME_JOBS.expand, { id: ldevId, capacity });
        },
      );
    }

    for (const { url, params } of v1Forms("/ldevs/:ldevId/actions/set-qos/invoke", ldevId)) {
      app.put(
        url,
        {
          config: { permission: "system-resource" },
          schema: {
            tags,
            summary: "Set an LDEV's QoS limits, or its alert times (a value sets and enables, 0 disables)",
            params,
            body: Body({ parameters: QosParameters }),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const { ldevId } = request.params;
          const change = qosChangeOf(request.body.parameters);
          // Refused now rather than in the job, by the array's own rules (domain/qos.ts).
          applyQosChange(limitsOf(await device.getVolumeQos(ldevId, call())), change);
          return v1Jobs.start(request, reply, QOS_JOBS.set, { id: ldevId, change });
        },
      );
    }

    for (const { url, params } of v1Forms("/ldevs/:ldevId/actions/discard-zero-page/invoke", ldevId)) {
      app.put(
        url,
        {
          config: provisioning,
          schema: {
            tags,
            summary: "Return an LDEV's zero pages to its pool",
            params,
            body: OptionalBody(Body({ parameters: Type.Optional(Body({})) })),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const { ldevId } = request.params;
          await volumeOf(ldevId);
          return v1Jobs.start(request, reply, VOLUME_JOBS.discardZeroPages, { id: ldevId });
        },
      );
    }
  };
}
