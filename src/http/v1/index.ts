/**
 * The full Configuration Manager API (v1): one translator over the same services and device as the
 * simple face. Registers the v1 contract on every v1 route (the storage device ID of the
 * server-edition form, the wait a change asks for), then each resource's routes.
 */
import type { RouteModule } from "../routes/common.ts";
import { storageScopeCheck, V1_OBJECTS } from "./contract.ts";
import { hostGroupRoutes } from "./host-groups.ts";
import { jobRoutes, readJobWait, V1Jobs } from "./jobs.ts";
import { ldevRoutes } from "./ldevs.ts";
import { poolRoutes } from "./pools.ts";
import { portRoutes } from "./ports.ts";
import { sessionRoutes } from "./sessions.ts";
import { snapshotRoutes } from "./snapshots.ts";
import { storageRoutes } from "./storages.ts";

/** A v1 resource module: its routes, given how the face answers jobs. */
export type V1Module = (jobs: V1Jobs) => RouteModule;

const MODULES: V1Module[] = [
  () => sessionRoutes,
  () => storageRoutes,
  jobRoutes,
  ldevRoutes,
  () => poolRoutes,
  () => portRoutes,
  hostGroupRoutes,
  snapshotRoutes,
];

export const v1Routes: RouteModule = (app, deps) => {
  const v1Jobs = new V1Jobs(deps.jobs, deps.accounts);
  // A held answer gives up its wait when the server closes: it answers the job as it stands.
  app.addHook("preClose", async () => v1Jobs.close());
  const scope = storageScopeCheck(deps.config.array.serial);
  app.addHook("onRoute", (route) => {
    if (!route.url.startsWith(`${V1_OBJECTS}/`) && route.url !== V1_OBJECTS) return;
    const methods = [route.method].flat();
    const changes = methods.some((m) => m !== "GET" && m !== "HEAD");
    const own = route.preValidation === undefined ? [] : [route.preValidation].flat();
    route.preValidation = [scope, ...(changes ? [readJobWait] : []), ...own];
  });
  for (const module of MODULES) module(v1Jobs)(app, deps);
};
