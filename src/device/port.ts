/**
 * The device port: the storage system behind the API, as an interface of asynchronous operations
 * that may be slow, time out or fail. The simulated array (device/simulator/) is the default
 * implementation; a driver for real hardware implements the same interface.
 *
 * Shapes are the API's data objects (camelCase, capacities in MiB), because the API is a thin
 * facade over the array's own management interface. Each resource area declares its operations in
 * device/port/<area>.ts; `Device` is their union.
 *
 * Rules every implementation keeps:
 * - every call takes `CallOptions`; when `signal` aborts, the call gives up with DeviceTimeout
 *   (device/deadline.ts enforces the deadline around any implementation);
 * - a refused operation throws DeviceRefused with the array's SSB code, an absent resource NotFound;
 * - a call that carries `opKey` acts at most once for that key: called again with the same key
 *   (a job re-run after a crash) it answers the recorded outcome without acting again.
 */
import type { BlockplaneError } from "../domain/errors.ts";
import type { ConnectionsPort } from "./port/connections.ts";
import type { HostGroupsPort } from "./port/host-groups.ts";
import type { PoolsPort } from "./port/pools.ts";
import type { PortsPort } from "./port/ports.ts";
import type { QosPort } from "./port/qos.ts";
import type { ServersPort } from "./port/servers.ts";
import type { SnapshotsPort } from "./port/snapshots.ts";
import type { SystemPort } from "./port/system.ts";
import type { VolumesPort } from "./port/volumes.ts";

export interface CallOptions {
  signal: AbortSignal;
  /** Idempotency key: the same key never acts twice. */
  opKey?: string;
}

/** The outcome of one item of a multi-resource operation. */
export type ItemResult<T> = { ok: true; value: T } | { ok: false; error: BlockplaneError };

export interface Device
  extends SystemPort,
    PoolsPort,
    VolumesPort,
    ServersPort,
    HostGroupsPort,
    PortsPort,
    ConnectionsPort,
    SnapshotsPort,
    QosPort {}

/** One operation of a device, taken as a plain function: its last argument is its CallOptions. */
export type Operation = (...args: unknown[]) => Promise<unknown>;

/**
 * A device whose every operation is `wrap(name, op)`, `op` being the operation bound to `device`:
 * how the deadline, the metrics and fault injection each put themselves around any implementation.
 */
export function wrapOperations(device: Device, wrap: (name: string, op: Operation) => Operation): Device {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(device)) {
    wrapped[name] = typeof member === "function" ? wrap(name, (member as Operation).bind(device)) : member;
  }
  return wrapped as unknown as Device;
}
