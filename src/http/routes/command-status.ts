/** command-status: the progress and outcome of asynchronous operations, kept until deleted. */
import { Type } from "typebox";
import { hasPermission } from "../../domain/roles.ts";
import { principalOf } from "../contract/auth.ts";
import { errorResponses, ExecutionResultSchema, idParams, type RouteModule, SIMPLE_OBJECTS } from "./common.ts";

const MAX_ID = Number.MAX_SAFE_INTEGER;

export const commandStatusRoutes: RouteModule = (app, { jobs }) => {
  const tags = ["command-status"];
  // Each user sees the statuses of their own operations; a Security Administrator sees all.
  const scope = (request: Parameters<typeof principalOf>[0]) => {
    const { user } = principalOf(request);
    return hasPermission(user.roles, "security") ? undefined : user.id;
  };

  app.get(
    `${SIMPLE_OBJECTS}/command-status/:id`,
    { schema: { tags, summary: "Get the status of an asynchronous operation", params: idParams(MAX_ID), response: { 200: Type.Unknown(), ...errorResponses() } } },
    async (request) => jobs.status(request.params.id, scope(request)),
  );

  app.delete(
    `${SIMPLE_OBJECTS}/command-status/:id`,
    { schema: { tags, summary: "Delete the status of an asynchronous operation", params: idParams(MAX_ID), response: { 200: ExecutionResultSchema, ...errorResponses() } } },
    async (request) => jobs.delete(request.params.id, scope(request)),
  );
};
