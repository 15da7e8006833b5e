/**
 * Quality of service of a volume. Reading it is synchronous; a change is asynchronous (one job),
 * refused with 400 before it is accepted when it breaks a rule of the array (domain/qos.ts)
 * against the volume's current settings. A change names either the thresholds or the alert
 * settings; only the attributes it names change.
 */
import { Type } from "typebox";
import type { VolumeQos } from "../../device/port/qos.ts";
import { MAX_VOLUME_ID } from "../../device/port/volumes.ts";
import {
  applyQosChange,
  MAX_QOS_ALERT_TIME,
  MAX_QOS_IOPS,
  MAX_QOS_PRIORITY,
  MAX_QOS_TRANSFER_RATE,
  MIN_QOS_ALERT_TIME,
  MIN_QOS_IOPS,
  MIN_QOS_PRIORITY,
  MIN_QOS_TRANSFER_RATE,
  type QosChange,
  type QosLimits,
} from "../../domain/qos.ts";
import { QOS_JOBS } from "../../services/qos.ts";
import { principalOf } from "../contract/auth.ts";
import {
  accepted,
  Body,
  call,
  errorResponses,
  idParams,
  type RouteModule,
  SIMPLE_OBJECTS,
  StatusResourceSchema,
} from "./common.ts";

const Iops = Type.Integer({ minimum: MIN_QOS_IOPS, maximum: MAX_QOS_IOPS });
const TransferRate = Type.Integer({
  minimum: MIN_QOS_TRANSFER_RATE,
  maximum: MAX_QOS_TRANSFER_RATE,
  description: "MiB/s",
});
const Priority = Type.Integer({
  minimum: MIN_QOS_PRIORITY,
  maximum: MAX_QOS_PRIORITY,
  description: "1 (low), 2 (middle), 3 (high)",
});
const AlertTime = Type.Integer({
  minimum: MIN_QOS_ALERT_TIME,
  maximum: MAX_QOS_ALERT_TIME,
  description: "seconds",
});
const Flag = Type.Optional(Type.Boolean());

const ThresholdChange = Body(
  {
    isUpperIopsEnabled: Flag,
    upperIops: Type.Optional(Iops),
    isUpperTransferRateEnabled: Flag,
    upperTransferRate: Type.Optional(TransferRate),
    isLowerIopsEnabled: Flag,
    lowerIops: Type.Optional(Iops),
    isLowerTransferRateEnabled: Flag,
    lowerTransferRate: Type.Optional(TransferRate),
    isResponsePriorityEnabled: Flag,
    responsePriority: Type.Optional(Priority),
  },
  { minProperties: 1 },
);
const AlertChange = Body(
  {
    isUpperAlertEnabled: Flag,
    upperAlertAllowableTime: Type.Optional(AlertTime),
    isLowerAlertEnabled: Flag,
    lowerAlertAllowableTime: Type.Optional(AlertTime),
    isResponseAlertEnabled: Flag,
    responseAlertAllowableTime: Type.Optional(AlertTime),
  },
  { minProperties: 1 },
);
const ChangeBody = Body({
  threshold: Type.Optional(ThresholdChange),
  alertSetting: Type.Optional(AlertChange),
});

/** A value appears only while its flag is true. */
const Value = Type.Optional(Type.Integer());
const VolumeQosSchema = Type.Object({
  volumeId: Type.Integer(),
  threshold: Type.Object({
    isUpperIopsEnabled: Type.Boolean(),
    upperIops: Value,
    isUpperTransferRateEnabled: Type.Boolean(),
    upperTransferRate: Value,
    isLowerIopsEnabled: Type.Boolean(),
    lowerIops: Value,
    isLowerTransferRateEnabled: Type.Boolean(),
    lowerTransferRate: Value,
    isResponsePriorityEnabled: Type.Boolean(),
    responsePriority: Value,
    targetResponseTime: Type.Optional(Type.Integer({ description: "ms, set by the array for the priority" })),
  }),
  alertSetting: Type.Object({
    isUpperAlertEnabled: Type.Boolean(),
    upperAlertAllowableTime: Value,
    isLowerAlertEnabled: Type.Boolean(),
    lowerAlertAllowableTime: Value,
    isResponseAlertEnabled: Type.Boolean(),
    responseAlertAllowableTime: Value,
  }),
  alertTime: Type.Object({
    upperAlertTime: Type.Optional(Type.String()),
    lowerAlertTime: Type.Optional(Type.String()),
    responseAlertTime: Type.Optional(Type.String()),
  }),
});

/** The state a change applies to, read back from the API's object. */
export function limitsOf({ threshold: t, alertSetting: a }: VolumeQos): QosLimits {
  const all: QosLimits = {
    upperIops: t.upperIops,
    upperTransferRate: t.upperTransferRate,
    lowerIops: t.lowerIops,
    lowerTransferRate: t.lowerTransferRate,
    responsePriority: t.responsePriority,
    upperAlertAllowableTime: a.upperAlertAllowableTime,
    lowerAlertAllowableTime: a.lowerAlertAllowableTime,
    responseAlertAllowableTime: a.responseAlertAllowableTime,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as QosLimits;
}

export const qosRoutes: RouteModule = (app, { device, jobs }) => {
  const tags = ["volumes"];
  const url = `${SIMPLE_OBJECTS}/volumes/:id/qos-setting`;
  const params = idParams(MAX_VOLUME_ID);

  app.get(
    url,
    {
      schema: {
        tags,
        summary: "Get a volume's QoS settings",
        params,
        response: { 200: VolumeQosSchema, ...errorResponses() },
      },
    },
    async (request) => device.getVolumeQos(request.params.id, call()),
  );

  app.patch(
    url,
    {
      config: { permission: "system-resource" },
      schema: {
        tags,
        summary: "Change a volume's QoS thresholds or its QoS alert settings (asynchronous)",
        params,
        body: ChangeBody,
        response: { 202: StatusResourceSchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const change: QosChange = {};
      if (request.body.threshold !== undefined) change.threshold = request.body.threshold;
      if (request.body.alertSetting !== undefined) change.alertSetting = request.body.alertSetting;
      // Refused now rather than in the job: the array applies the same rules again when it runs.
      applyQosChange(limitsOf(await device.getVolumeQos(id, call())), change);
      const jobId = await jobs.enqueue(QOS_JOBS.set, { id, change }, principalOf(request).user.id);
      return accepted(reply, jobId);
    },
  );
};
