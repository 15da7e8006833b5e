/**
 * Sessions of the full API, named by their number: created with Basic credentials (`{token,
 * sessionId}`), read one by one (Cinder's keep-alive check, every few minutes), listed (your own;
 * all of them for a Security Administrator) and discarded. The token is never shown again.
 */
import { Type } from "typebox";
import { NotFound } from "../../domain/errors.ts";
import { hasPermission } from "../../domain/roles.ts";
import { principalOf } from "../contract/auth.ts";
import { ExecutionResultSchema, errorResponses, type RouteModule } from "../routes/common.ts";
import { CreateBody, MAX_SESSION_NUMBER, SessionEntry } from "../routes/sessions.ts";
import { objectsPrefixOf, v1Forms } from "./contract.ts";

const SessionCreated = Type.Object({ token: Type.String(), sessionId: Type.Integer() });
const Session = SessionEntry(Type.Integer());
const sessionId = { sessionId: Type.Integer({ minimum: 1, maximum: MAX_SESSION_NUMBER }) };

export const sessionRoutes: RouteModule = (app, { accounts }) => {
  const tags = ["v1 sessions"];

  /** The caller's sessions, or every session for a Security Administrator. */
  const visible = (request: Parameters<typeof principalOf>[0]) => {
    const caller = principalOf(request);
    return accounts.listSessions(caller, hasPermission(caller.user.roles, "security"));
  };

  for (const { url, params } of v1Forms("/sessions")) {
    app.post(
      url,
      {
        config: { auth: "basic", permission: "view", servedWhenStoreFull: true },
        schema: {
          tags,
          summary: "Create a session (Basic authentication)",
          security: [{ basic: [] }],
          params,
          body: Type.Optional(CreateBody),
          response: { 200: SessionCreated, ...errorResponses() },
        },
      },
      async (request) => accounts.createSession(principalOf(request).user, request.body?.aliveTime ?? 300),
    );

    app.get(
      url,
      {
        schema: {
          tags,
          summary: "List live sessions (yours; all for a Security Administrator); never their tokens",
          params,
          response: {
            200: Type.Object({ data: Type.Array(Session), count: Type.Integer() }),
            ...errorResponses(),
          },
        },
      },
      async (request) => {
        const data = await visible(request);
        return { data, count: data.length };
      },
    );
  }

  for (const { url, params } of v1Forms("/sessions/:sessionId", sessionId)) {
    app.get(
      url,
      {
        schema: {
          tags,
          summary: "Get a live session (yours; any for a Security Administrator)",
          params,
          response: { 200: Session, ...errorResponses() },
        },
      },
      async (request) => {
        const { sessionId } = request.params;
        const found = (await visible(request)).find((s) => s.sessionId === sessionId);
        if (!found) throw new NotFound(`Session ${sessionId} does not exist.`);
        return found;
      },
    );

    app.delete(
      url,
      {
        config: { servedWhenStoreFull: true },
        schema: {
          tags,
          summary: "Discard a session",
          params,
          response: { 200: ExecutionResultSchema, ...errorResponses() },
        },
      },
      async (request, reply) => {
        const caller = principalOf(request);
        const { sessionId } = request.params;
        await accounts.discardSession(
          caller,
          { id: sessionId },
          hasPermission(caller.user.roles, "security"),
        );
        const name = String(sessionId);
        return reply.code(200).send({
          affectedResources: [`${objectsPrefixOf(request.url)}/sessions/${name}`],
          operationDetails: [{ operationType: "DELETE", resourceType: "Session", resourceId: name }],
        });
      },
    );
  }
};
