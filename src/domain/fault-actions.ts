/** What a fault rule can do: the control API's, the CLI's and the fault wrapper's one list. */
export const FAULT_ACTIONS = [
  "latency",
  "timeout",
  "busy",
  "maintenance",
  "fail-item",
  "crash",
  "port-down",
  "io-latency",
] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];
