/**
 * Maintenance mode, under Blockplane's own namespace: one resource, read by anyone signed in and
 * switched by a System Resource administrator. PUT starts maintenance (or changes its Retry-After
 * and message), DELETE ends it; both answer the state. These routes keep working in maintenance.
 */
import { Type } from "typebox";
import { MAINTENANCE_MESSAGE_LENGTH, MAINTENANCE_RETRY_AFTER } from "../../domain/limits.ts";
import type { MaintenanceState } from "../../services/maintenance.ts";
import { Body, errorResponses, OWN, type RouteModule } from "./common.ts";

export const MAINTENANCE_URL = `${OWN}/maintenance`;

const StateSchema = Type.Object({
  enabled: Type.Boolean(),
  startTime: Type.Optional(Type.String({ description: "when maintenance started (ISO 8601)" })),
  retryAfterSeconds: Type.Optional(Type.Integer({ description: "the Retry-After answered meanwhile" })),
  message: Type.Optional(Type.String()),
});

function render(state: MaintenanceState) {
  return {
    enabled: state.enabled,
    ...(state.since !== undefined ? { startTime: new Date(state.since).toISOString() } : {}),
    ...(state.retryAfterSeconds !== undefined ? { retryAfterSeconds: state.retryAfterSeconds } : {}),
    ...(state.message !== undefined ? { message: state.message } : {}),
  };
}

export const maintenanceRoutes: RouteModule = (app, { maintenance }) => {
  const tags = ["maintenance"];

  app.get(
    MAINTENANCE_URL,
    {
      schema: {
        tags,
        summary: "Get the maintenance state of the storage system",
        response: { 200: StateSchema, ...errorResponses() },
      },
    },
    async () => render(await maintenance.state()),
  );

  app.put(
    MAINTENANCE_URL,
    {
      config: { permission: "system-resource" },
      schema: {
        tags,
        summary: "Start maintenance (or change its Retry-After and message)",
        description:
          "While maintenance is on, every request that needs the storage system answers 503 with " +
          "Retry-After; sessions, users, command statuses and this resource keep working, and no new " +
          "job starts (running ones finish). Every instance sharing the database follows within a second.",
        // No body at all (or an empty one) starts maintenance with the defaults.
        body: Type.Optional(
          Type.Union([
            Body({
              retryAfterSeconds: Type.Optional(
                Type.Integer({ minimum: MAINTENANCE_RETRY_AFTER.min, maximum: MAINTENANCE_RETRY_AFTER.max }),
              ),
              message: Type.Optional(
                Type.String({
                  minLength: MAINTENANCE_MESSAGE_LENGTH.min,
                  maxLength: MAINTENANCE_MESSAGE_LENGTH.max,
                }),
              ),
            }),
            Type.Null(),
          ]),
        ),
        response: { 200: StateSchema, ...errorResponses() },
      },
    },
    async (request) => {
      return render(await maintenance.start(request.body ?? {}));
    },
  );

  app.delete(
    MAINTENANCE_URL,
    {
      config: { permission: "system-resource" },
      schema: {
        tags,
        summary: "End maintenance",
        response: { 200: StateSchema, ...errorResponses() },
      },
    },
    async () => render(await maintenance.end()),
  );
};
