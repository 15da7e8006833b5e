/** Servers: operations of the device port (see device/port.ts). */
import type { CallOptions } from "../port.ts";

export interface ServersPort {
  /** Placeholder until the area is built; replace with the area's operations. */
  readonly __servers?: (opts: CallOptions) => Promise<void>;
}
