/**
 * Sessions of the simple API, created with Basic credentials, discarded by id, listed (your own;
 * all of them for a Security Administrator). The simple API
 * (`/ConfigurationManager/simple/v1/objects/sessions`, as VSP One Block Administrator clients use
 * it) answers `sessionId` as a string that is the session's token itself, so a client may
 * authenticate with `Session <sessionId>`. `token` carries the same value. DELETE takes that string
 * or the session number; the list names sessions by number (as strings), never by token, so it
 * shows nobody a credential. The full API's sessions, named by number, are in v1/sessions.ts.
 */
import { Type } from "typebox";
import { InvalidRequest } from "../../domain/errors.ts";
import { hasPermission } from "../../domain/roles.ts";
import { principalOf } from "../contract/auth.ts";
import { Body, ExecutionResultSchema, errorResponses, type RouteModule, SIMPLE_OBJECTS } from "./common.ts";

export const CreateBody = Type.Union([
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

const SimpleSessionCreated = Type.Object({
  token: Type.String(),
  sessionId: Type.String({ description: "The session's token: authenticate with Session <sessionId>." }),
});

export const SessionEntry = <T extends ReturnType<typeof Type.Integer> | ReturnType<typeof Type.String>>(
  id: T,
) =>
  Type.Object({
    sessionId: id,
    userId: Type.String({ description: "the user's name" }),
    createdTime: Type.String(),
    lastAccessTime: Type.String(),
    aliveTime: Type.Integer(),
  });

export const MAX_SESSION_NUMBER = 2 ** 53 - 1;
const SESSION_NUMBER = /^\d{1,16}$/;
const SESSION_TOKEN = /^[0-9a-f]{32}$/;

/** A session named in a simple-API path: its number, or its token (what the create answered). */
function simpleSessionRef(raw: string): { id: number } | { token: string } {
  if (SESSION_NUMBER.test(raw)) {
    const id = Number(raw);
    if (id >= 1 && id <= MAX_SESSION_NUMBER) return { id };
  } else if (SESSION_TOKEN.test(raw)) {
    return { token: raw };
  }
  throw new InvalidRequest(
    "The object ID is invalid: a session is named by its number or by the sessionId its creation answered.",
  );
}

export const sessionRoutes: RouteModule = (app, { accounts }) => {
  const tags = ["sessions"];

  const base = SIMPLE_OBJECTS;

  app.post(
    `${base}/sessions`,
    {
      config: { auth: "basic", permission: "view", servedWhenStoreFull: true },
      schema: {
        tags,
        summary: "Create a session (Basic authentication); sessionId is the token",
        security: [{ basic: [] }],
        body: Type.Optional(CreateBody),
        response: { 200: SimpleSessionCreated, ...errorResponses() },
      },
    },
    async (request) => {
      const aliveTime = request.body?.aliveTime ?? 300;
      const created = await accounts.createSession(principalOf(request).user, aliveTime);
      return { token: created.token, sessionId: created.token };
    },
  );

  app.get(
    `${base}/sessions`,
    {
      config: { permission: "view" },
      schema: {
        tags,
        summary: "List live sessions (yours; all for a Security Administrator); never their tokens",
        response: {
          200: Type.Object({
            data: Type.Array(SessionEntry(Type.String())),
            count: Type.Integer(),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const sessions = await accounts.listSessions(caller, hasPermission(caller.user.roles, "security"));
      const data = sessions.map((s) => ({ ...s, sessionId: String(s.sessionId) }));
      return { data, count: data.length };
    },
  );

  app.delete(
    `${base}/sessions/:sessionId`,
    {
      config: { permission: "view", servedWhenStoreFull: true },
      schema: {
        tags,
        summary: "Discard a session, named by its sessionId (token) or its number",
        params: Type.Object(
          {
            sessionId: Type.String({
              description: "the sessionId the creation answered, or the session number",
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: ExecutionResultSchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const caller = principalOf(request);
      const raw = request.params.sessionId;
      const ref = simpleSessionRef(raw);
      await accounts.discardSession(caller, ref, hasPermission(caller.user.roles, "security"));
      // The answer names the session as the request did: the caller owns that name already.
      const name = String(raw);
      return reply.code(200).send({
        affectedResources: [`${base}/sessions/${name}`],
        operationDetails: [{ operationType: "DELETE", resourceType: "Session", resourceId: name }],
      });
    },
  );
};
