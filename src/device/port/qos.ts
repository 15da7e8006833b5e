/**
 * Quality of service of volumes: operations of the device port (see device/port.ts). The limits
 * and the rules of a change are the array's own, in domain/qos.ts.
 */
import type { QosChange } from "../../domain/qos.ts";
import type { CallOptions } from "../port.ts";

export interface VolumeQosThreshold {
  isUpperIopsEnabled: boolean;
  /** Present only while enabled; likewise each value below. */
  upperIops?: number;
  isUpperTransferRateEnabled: boolean;
  /** MiB/s. */
  upperTransferRate?: number;
  isLowerIopsEnabled: boolean;
  lowerIops?: number;
  isLowerTransferRateEnabled: boolean;
  lowerTransferRate?: number;
  isResponsePriorityEnabled: boolean;
  responsePriority?: number;
  /** ms, fixed by the array for the priority. */
  targetResponseTime?: number;
}

export interface VolumeQosAlertSetting {
  isUpperAlertEnabled: boolean;
  /** Seconds; present only while enabled; likewise each time below. */
  upperAlertAllowableTime?: number;
  isLowerAlertEnabled: boolean;
  lowerAlertAllowableTime?: number;
  isResponseAlertEnabled: boolean;
  responseAlertAllowableTime?: number;
}

/** When each alert was last raised (UTC timestamps); absent while it never was. */
export interface VolumeQosAlertTime {
  upperAlertTime?: string;
  lowerAlertTime?: string;
  responseAlertTime?: string;
}

export interface VolumeQos {
  volumeId: number;
  threshold: VolumeQosThreshold;
  alertSetting: VolumeQosAlertSetting;
  alertTime: VolumeQosAlertTime;
}

export interface QosPort {
  /** NotFound when the volume is absent. A fresh volume has every limit and alert disabled. */
  getVolumeQos(volumeId: number, opts: CallOptions): Promise<VolumeQos>;
  /**
   * Applies `change` (domain/qos.ts: applyQosChange) to the volume's QoS and answers the result;
   * NotFound when the volume is absent, InvalidRequest when the change breaks a rule.
   */
  setVolumeQos(volumeId: number, change: QosChange, opts: CallOptions): Promise<VolumeQos>;
}
