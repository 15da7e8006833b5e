/**
 * Quality of service of the simulated array's volumes: limits on IOPS and transfer rate, an I/O
 * priority, and alerts on missed limits, kept in `volume_qos` (a row per volume whose QoS was ever
 * set; none means every limit is disabled). The simulated array carries no I/O, so no alert is
 * ever raised and `alertTime` is always empty.
 */
import { NotFound } from "../../domain/errors.ts";
import { applyQosChange, type QosChange, type QosLimits, TARGET_RESPONSE_TIME_MS } from "../../domain/qos.ts";
import { type Db, forUpdate, type VolumeQosTable } from "../../store/db.ts";
import type { QosPort, VolumeQos } from "../port/qos.ts";
import type { CallOptions } from "../port.ts";
import { checkDeadline, type SimContext, transact } from "./context.ts";

/** Columns of `volume_qos` and the QoS values they hold. */
const COLUMNS = [
  ["upper_iops", "upperIops"],
  ["upper_transfer_rate", "upperTransferRate"],
  ["lower_iops", "lowerIops"],
  ["lower_transfer_rate", "lowerTransferRate"],
  ["response_priority", "responsePriority"],
  ["upper_alert_allowable_time", "upperAlertAllowableTime"],
  ["lower_alert_allowable_time", "lowerAlertAllowableTime"],
  ["response_alert_allowable_time", "responseAlertAllowableTime"],
] as const satisfies readonly (readonly [keyof VolumeQosTable, keyof QosLimits])[];

type QosRow = Omit<VolumeQosTable, "volume_id" | "updated_at">;

function toLimits(row: QosRow | undefined): QosLimits {
  const limits: QosLimits = {};
  if (!row) return limits;
  for (const [column, key] of COLUMNS) {
    const v = row[column];
    // PostgreSQL answers bigint columns as strings.
    if (v !== null && v !== undefined) limits[key] = Number(v);
  }
  return limits;
}

function toRow(limits: QosLimits): QosRow {
  const row = {} as Record<string, number | null>;
  for (const [column, key] of COLUMNS) row[column] = limits[key] ?? null;
  return row as QosRow;
}

/** The API's object: every flag, and each value only while its flag is on. */
export function toVolumeQos(volumeId: number, l: QosLimits): VolumeQos {
  const on = (v: number | undefined) => v !== undefined;
  const only = <K extends string>(key: K, v: number | undefined) =>
    (v === undefined ? {} : { [key]: v }) as Partial<Record<K, number>>;
  return {
    volumeId,
    threshold: {
      isUpperIopsEnabled: on(l.upperIops),
      ...only("upperIops", l.upperIops),
      isUpperTransferRateEnabled: on(l.upperTransferRate),
      ...only("upperTransferRate", l.upperTransferRate),
      isLowerIopsEnabled: on(l.lowerIops),
      ...only("lowerIops", l.lowerIops),
      isLowerTransferRateEnabled: on(l.lowerTransferRate),
      ...only("lowerTransferRate", l.lowerTransferRate),
      isResponsePriorityEnabled: on(l.responsePriority),
      ...only("responsePriority", l.responsePriority),
      ...only(
        "targetResponseTime",
        l.responsePriority === undefined ? undefined : TARGET_RESPONSE_TIME_MS[l.responsePriority],
      ),
    },
    alertSetting: {
      isUpperAlertEnabled: on(l.upperAlertAllowableTime),
      ...only("upperAlertAllowableTime", l.upperAlertAllowableTime),
      isLowerAlertEnabled: on(l.lowerAlertAllowableTime),
      ...only("lowerAlertAllowableTime", l.lowerAlertAllowableTime),
      isResponseAlertEnabled: on(l.responseAlertAllowableTime),
      ...only("responseAlertAllowableTime", l.responseAlertAllowableTime),
    },
    alertTime: {},
  };
}

export function qosOps(ctx: SimContext): QosPort {
  const db = ctx.store.db;
  const selectQos = (q: Db, volumeId: number) =>
    q
      .selectFrom("volumes")
      .leftJoin("volume_qos", "volume_qos.volume_id", "volumes.id")
      .select(["volumes.id", ...COLUMNS.map(([c]) => `volume_qos.${c}` as const)])
      .where("volumes.id", "=", volumeId);

  return {
    async getVolumeQos(volumeId: number, opts: CallOptions): Promise<VolumeQos> {
      checkDeadline(opts);
      const row = await selectQos(db, volumeId).executeTakeFirst();
      if (!row) throw new NotFound(`The volume ${volumeId} does not exist.`);
      return toVolumeQos(volumeId, toLimits(row));
    },

    setVolumeQos(volumeId: number, change: QosChange, opts: CallOptions): Promise<VolumeQos> {
      return transact(ctx, opts, async (tx) => {
        const volume = await forUpdate(
          ctx.store,
          tx.selectFrom("volumes").select("id").where("id", "=", volumeId),
        ).executeTakeFirst();
        if (!volume) throw new NotFound(`The volume ${volumeId} does not exist.`);
        const current = await tx
          .selectFrom("volume_qos")
          .selectAll()
          .where("volume_id", "=", volumeId)
          .executeTakeFirst();
        const next = applyQosChange(toLimits(current), change);
        const row = { ...toRow(next), updated_at: ctx.now() };
        await tx
          .insertInto("volume_qos")
          .values({ volume_id: volumeId, ...row })
          .onConflict((oc) => oc.column("volume_id").doUpdateSet(row))
          .execute();
        return toVolumeQos(volumeId, next);
      });
    },
  };
}
