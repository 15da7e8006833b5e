/** Capacity arithmetic of a thin-provisioning pool, in MiB. */

export type PoolStatus = "Normal" | "ExceededThreshold" | "Error";

/** Used capacity as a whole percentage of the total, rounded down as the array reports it. */
export function usedCapacityRate(total: number, used: number): number {
  return total <= 0 ? 0 : Math.floor((used * 100) / total);
}

/** A full pool is in error; one past its warning threshold has exceeded it. */
export function poolStatus(total: number, used: number, thresholdWarning: number): PoolStatus {
  if (total > 0 && used >= total) return "Error";
  return usedCapacityRate(total, used) >= thresholdWarning ? "ExceededThreshold" : "Normal";
}
