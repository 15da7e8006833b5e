/**
 * Sessions, served at both the simple API's path and the full API's path with the same
 * semantics: create with Basic credentials, discard by id, list your own.
 */
import { Type } from "typebox";
import { hasPermission } from "../../domain/roles.ts";
import { principalOf } from "../contract/auth.ts";
import {
  Body,
  ExecutionResultSchema,
  errorResponses,
  FULL_OBJECTS,
  type RouteModule,
  SIMPLE_OBJECTS,
} from "./common.ts";

const CreateBody = Type.Union([
  Body({
    aliveTime: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 300, default: 300, description: "idle timeout in seconds" }),
    ),
    authenticationTimeout: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 900, description: "accepted for compatibility" }),
    ),
  }),
  Type.Null(),
]);

const SessionCreated = Type.Object({ token: Type.String(), sessionId: Type.Integer() });

export const sessionRoutes: RouteModule = (app, { accounts }) => {
  for (const base of [SIMPLE_OBJECTS, FULL_OBJECTS]) {
    app.post(
      `${base}/sessions`,
      {
        config: { auth: "basic", permission: "view" },
        schema: {
          tags: ["sessions"],
          summary: "Create a session (Basic authentication)",
          security: [{ basic: [] }],
          body: Type.Optional(CreateBody),
          response: { 200: SessionCreated, ...errorResponses() },
        },
      },
      async (request) => {
        const aliveTime = request.body?.aliveTime ?? 300;
        return accounts.createSession(principalOf(request).user, aliveTime);
      },
    );

    app.get(
      `${base}/sessions`,
      {
        config: { permission: "view" },
        schema: {
          tags: ["sessions"],
          summary: "List live sessions (yours; all for a Security Administrator)",
        },
      },
      async (request) => {
        const caller = principalOf(request);
        const data = await accounts.listSessions(caller, hasPermission(caller.user.roles, "security"));
        return { data, count: data.length };
      },
    );

    app.delete(
      `${base}/sessions/:sessionId`,
      {
        config: { permission: "view" },
        schema: {
          tags: ["sessions"],
          summary: "Discard a session",
          params: Type.Object(
            { sessionId: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) },
            { additionalProperties: false },
          ),
          response: { 200: ExecutionResultSchema, ...errorResponses() },
        },
      },
      async (request, reply) => {
        const caller = principalOf(request);
        const id = request.params.sessionId;
        await accounts.discardSession(caller, id, hasPermission(caller.user.roles, "security"));
        return reply.code(200).send({
          affectedResources: [`${base}/sessions/${id}`],
          operationDetails: [{ operationType: "DELETE", resourceType: "Session", resourceId: String(id) }],
        });
      },
    );
  }
};
