/** Connections: operations of the device port (see device/port.ts). */
import type { CallOptions } from "../port.ts";

export interface ConnectionsPort {
  /** Placeholder until the area is built; replace with the area's operations. */
  readonly __connections?: (opts: CallOptions) => Promise<void>;
}
