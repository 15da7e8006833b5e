/** Volumes: operations of the device port (see device/port.ts). */
import type { CallOptions } from "../port.ts";

export interface VolumesPort {
  /** Placeholder until the area is built; replace with the area's operations. */
  readonly __volumes?: (opts: CallOptions) => Promise<void>;
}
