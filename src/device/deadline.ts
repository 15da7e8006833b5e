/**
 * Puts a deadline on every call of a device: the call's signal aborts when the deadline passes and
 * the caller gets DeviceTimeout (504) at that moment, whatever the device is doing. A device that
 * answers later must not be trusted to have done nothing: the simulator checks the signal before it
 * changes anything, and jobs re-read or re-run with the same idempotency key.
 */
import { DeviceTimeout } from "../domain/errors.ts";
import type { CallOptions, Device } from "./port.ts";

export function withDeadline(device: Device, timeoutMs: number): Device {
  return new Proxy(device, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const last = args.length - 1;
        const given = args[last] as CallOptions;
        const deadline = AbortSignal.timeout(timeoutMs);
        const signal = AbortSignal.any([given.signal, deadline]);
        args[last] = { ...given, signal };
        return new Promise((resolve, reject) => {
          const onAbort = () =>
            reject(
              new DeviceTimeout(
                `The storage system did not answer within ${timeoutMs} ms. Please wait for a while and try again.`,
              ),
            );
          if (signal.aborted) return onAbort();
          signal.addEventListener("abort", onAbort, { once: true });
          (value.apply(target, args) as Promise<unknown>).then(
            (v) => {
              signal.removeEventListener("abort", onAbort);
              resolve(v);
            },
            (e) => {
              signal.removeEventListener("abort", onAbort);
              reject(e);
            },
          );
        });
      };
    },
  });
}
