/** Every route module, in the order they are registered: the simple face's, then the full API's. */

import { v1Routes } from "../v1/index.ts";
import { arrayRoutes } from "./array.ts";
import { commandStatusRoutes } from "./command-status.ts";
import type { RouteModule } from "./common.ts";
import { connectionRoutes } from "./connections.ts";
import { faultRoutes } from "./faults.ts";
import { healthRoutes } from "./health.ts";
import { maintenanceRoutes } from "./maintenance.ts";
import { poolRoutes } from "./pools.ts";
import { portRoutes } from "./ports.ts";
import { qosRoutes } from "./qos.ts";
import { serverRoutes } from "./servers.ts";
import { sessionRoutes } from "./sessions.ts";
import { snapshotRoutes } from "./snapshots.ts";
import { storageRoutes } from "./storage.ts";
import { userRoutes } from "./users.ts";
import { volumeRoutes } from "./volumes.ts";

export const ROUTES: RouteModule[] = [
  sessionRoutes,
  userRoutes,
  storageRoutes,
  commandStatusRoutes,
  poolRoutes,
  volumeRoutes,
  qosRoutes,
  serverRoutes,
  portRoutes,
  connectionRoutes,
  snapshotRoutes,
  maintenanceRoutes,
  faultRoutes,
  arrayRoutes,
  healthRoutes,
  v1Routes,
];
