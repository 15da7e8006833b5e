/**
 * The simulated array: a persistent model of a midrange block array kept in the store, built from
 * one module per resource area. Each module answers the operations of its port (device/port/).
 */
import type { ArrayIdentity } from "../../config.ts";
import type { Store } from "../../store/db.ts";
import type { Device } from "../port.ts";
import { connectionsOps } from "./connections.ts";
import type { SimContext } from "./context.ts";
import { hostGroupsOps } from "./host-groups.ts";
import { poolsOps } from "./pools.ts";
import { portsOps } from "./ports.ts";
import { qosOps } from "./qos.ts";
import { seedArray } from "./seed.ts";
import { serversOps } from "./servers.ts";
import { snapshotsOps } from "./snapshots.ts";
import { systemOps } from "./system.ts";
import { volumesOps } from "./volumes.ts";

export interface SimulatorOptions {
  identity: ArrayIdentity;
  now?: () => number;
  /** The lowest LUN picked when a connection names none (0 by default). */
  firstLun?: number;
  /** Pools report their volumes' used capacity rather than their provisioned capacity. */
  thinUsage?: boolean;
}

export async function createSimulator(store: Store, options: SimulatorOptions): Promise<Device> {
  const ctx: SimContext = {
    store,
    identity: options.identity,
    now: options.now ?? Date.now,
    ...(options.firstLun !== undefined ? { firstLun: options.firstLun } : {}),
    ...(options.thinUsage ? { thinUsage: true } : {}),
  };
  await seedArray(ctx);
  return {
    ...systemOps(ctx),
    ...serversOps(ctx),
    ...hostGroupsOps(ctx),
    ...portsOps(ctx),
    ...connectionsOps(ctx),
    ...snapshotsOps(ctx),
    ...poolsOps(ctx),
    ...volumesOps(ctx),
    ...qosOps(ctx),
  };
}
