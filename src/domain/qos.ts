/**
 * Quality of service of a volume: the array's limits and the rules of a change, as pure functions
 * shared by the route (which refuses a bad change before accepting the job) and the simulated
 * array (which applies the change to the state it has locked).
 *
 * A volume's QoS is kept as eight optional numbers: a limit is enabled exactly when its value is
 * present. A fresh volume has none.
 */
import { InvalidRequest } from "./errors.ts";

/** Upper and lower limits on IOPS. */
export const MIN_QOS_IOPS = 100;
export const MAX_QOS_IOPS = 2_147_483_647;
/** Upper and lower limits on the transfer rate, MiB/s. */
export const MIN_QOS_TRANSFER_RATE = 1;
export const MAX_QOS_TRANSFER_RATE = 2_097_151;
/** Priority of the volume's I/O processing: 1 (low), 2 (middle), 3 (high). */
export const MIN_QOS_PRIORITY = 1;
export const MAX_QOS_PRIORITY = 3;
/** How long a limit may be missed before the array raises an alert, seconds. */
export const MIN_QOS_ALERT_TIME = 1;
export const MAX_QOS_ALERT_TIME = 600;

/** The response time the array aims at for each priority, ms; fixed by the array. */
export const TARGET_RESPONSE_TIME_MS: Record<number, number> = { 1: 10, 2: 5, 3: 1 };

/** A volume's QoS state; an absent value is a disabled limit or alert. */
export interface QosLimits {
  upperIops?: number;
  upperTransferRate?: number;
  lowerIops?: number;
  lowerTransferRate?: number;
  responsePriority?: number;
  upperAlertAllowableTime?: number;
  lowerAlertAllowableTime?: number;
  responseAlertAllowableTime?: number;
}

export interface QosThresholdChange {
  isUpperIopsEnabled?: boolean;
  upperIops?: number;
  isUpperTransferRateEnabled?: boolean;
  upperTransferRate?: number;
  isLowerIopsEnabled?: boolean;
  lowerIops?: number;
  isLowerTransferRateEnabled?: boolean;
  lowerTransferRate?: number;
  isResponsePriorityEnabled?: boolean;
  responsePriority?: number;
}

export interface QosAlertChange {
  isUpperAlertEnabled?: boolean;
  upperAlertAllowableTime?: number;
  isLowerAlertEnabled?: boolean;
  lowerAlertAllowableTime?: number;
  isResponseAlertEnabled?: boolean;
  responseAlertAllowableTime?: number;
}

/** A change of QoS: either the thresholds or the alert settings, never both at once. */
export interface QosChange {
  threshold?: QosThresholdChange;
  alertSetting?: QosAlertChange;
}

/** The enabling flag of each value, in the order the API lists them. */
const THRESHOLD_PAIRS = [
  ["isUpperIopsEnabled", "upperIops"],
  ["isUpperTransferRateEnabled", "upperTransferRate"],
  ["isLowerIopsEnabled", "lowerIops"],
  ["isLowerTransferRateEnabled", "lowerTransferRate"],
  ["isResponsePriorityEnabled", "responsePriority"],
] as const;
const ALERT_PAIRS = [
  ["isUpperAlertEnabled", "upperAlertAllowableTime"],
  ["isLowerAlertEnabled", "lowerAlertAllowableTime"],
  ["isResponseAlertEnabled", "responseAlertAllowableTime"],
] as const;

/**
 * Applies one flag/value pair of a change: a flag set to true needs its value in the same change,
 * a value needs its flag enabled (in the change or already), a flag set to false clears the value.
 */
function applyPair(
  next: QosLimits,
  change: Record<string, boolean | number | undefined>,
  section: string,
  flag: string,
  value: keyof QosLimits,
): void {
  const enabled = change[flag] as boolean | undefined;
  const given = change[value] as number | undefined;
  if (enabled === true) {
    if (given === undefined)
      throw new InvalidRequest(`${section}.${value} is required when ${section}.${flag} is true.`);
    next[value] = given;
  } else if (enabled === false) {
    if (given !== undefined)
      throw new InvalidRequest(`${section}.${value} cannot be specified when ${section}.${flag} is false.`);
    delete next[value];
  } else if (given !== undefined) {
    if (next[value] === undefined)
      throw new InvalidRequest(
        `${section}.${value} cannot be specified while it is disabled: specify ${section}.${flag}: true with it.`,
      );
    next[value] = given;
  }
}

/**
 * The QoS after `change`, or InvalidRequest naming the rule it breaks. Only the attributes the
 * change names are changed. Disabling the limits an alert watches disables that alert too.
 */
export function applyQosChange(current: QosLimits, change: QosChange): QosLimits {
  const { threshold, alertSetting } = change;
  if (threshold !== undefined && alertSetting !== undefined)
    throw new InvalidRequest("Specify either threshold or alertSetting, not both at once.");
  if (threshold === undefined && alertSetting === undefined)
    throw new InvalidRequest("Specify threshold or alertSetting.");
  const next: QosLimits = { ...current };

  if (threshold !== undefined) {
    for (const [flag, value] of THRESHOLD_PAIRS) applyPair(next, { ...threshold }, "threshold", flag, value);
    if (next.upperIops !== undefined && next.lowerIops !== undefined && next.upperIops <= next.lowerIops)
      throw new InvalidRequest(
        `The upper limit on IOPS (${next.upperIops}) must be greater than the lower limit (${next.lowerIops}).`,
      );
    if (
      next.upperTransferRate !== undefined &&
      next.lowerTransferRate !== undefined &&
      next.upperTransferRate <= next.lowerTransferRate
    )
      throw new InvalidRequest(
        `The upper limit on the transfer rate (${next.upperTransferRate} MiB/s) must be greater than the lower limit (${next.lowerTransferRate} MiB/s).`,
      );
    // An alert on limits that no longer exist watches nothing.
    if (next.upperIops === undefined && next.upperTransferRate === undefined)
      delete next.upperAlertAllowableTime;
    if (next.lowerIops === undefined && next.lowerTransferRate === undefined)
      delete next.lowerAlertAllowableTime;
    if (next.responsePriority === undefined) delete next.responseAlertAllowableTime;
    return next;
  }

  const alerts = alertSetting as QosAlertChange;
  for (const [flag, value] of ALERT_PAIRS) applyPair(next, { ...alerts }, "alertSetting", flag, value);
  if (
    alerts.isUpperAlertEnabled === true &&
    next.upperIops === undefined &&
    next.upperTransferRate === undefined
  )
    throw new InvalidRequest(
      "isUpperAlertEnabled needs an upper limit: enable upperIops or upperTransferRate first.",
    );
  if (
    alerts.isLowerAlertEnabled === true &&
    next.lowerIops === undefined &&
    next.lowerTransferRate === undefined
  )
    throw new InvalidRequest(
      "isLowerAlertEnabled needs a lower limit: enable lowerIops or lowerTransferRate first.",
    );
  if (alerts.isResponseAlertEnabled === true && next.responsePriority === undefined)
    throw new InvalidRequest(
      "isResponseAlertEnabled needs a response priority: enable responsePriority first.",
    );
  return next;
}
