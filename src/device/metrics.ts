/**
 * Measures every call of a device: its duration by operation, its failures by kind, and its missed
 * deadlines. Wraps the device outside its deadline (device/deadline.ts), so that a timed-out call
 * counts with the time the caller waited and the DeviceTimeout the caller got.
 */
import { BlockplaneError, DeviceTimeout } from "../domain/errors.ts";
import type { HistogramSeries, Metrics } from "../metrics.ts";
import { type Device, wrapOperations } from "./port.ts";

export function withMetrics(device: Device, metrics: Metrics): Device {
  return wrapOperations(device, (name, op) => {
    // Timeouts are counted from 0, so that an alert sees the first one; the latency histogram of an
    // operation appears on its first call. Either series is kept: a call only counts.
    const timeouts = metrics.deviceTimeouts.labels(name);
    let duration: HistogramSeries | undefined;
    const took = (start: number) => {
      duration ??= metrics.deviceDuration.labels(name);
      duration.observe((performance.now() - start) / 1000);
    };
    const failed = (start: number, err: unknown): never => {
      took(start);
      const kind = err instanceof BlockplaneError ? err.kind : "unexpected";
      metrics.deviceErrors.labels(name, kind).inc();
      if (err instanceof DeviceTimeout) timeouts.inc();
      throw err;
    };
    return (...args: unknown[]) => {
      const start = performance.now();
      return op(...args).then(
        (value) => {
          took(start);
          return value;
        },
        (err: unknown) => failed(start, err),
      );
    };
  });
}
