/** Every route module, in the order they are registered. */
import { commandStatusRoutes } from "./command-status.ts";
import type { RouteModule } from "./common.ts";
import { sessionRoutes } from "./sessions.ts";
import { storageRoutes } from "./storage.ts";
import { userRoutes } from "./users.ts";

export const ROUTES: RouteModule[] = [sessionRoutes, userRoutes, storageRoutes, commandStatusRoutes];
