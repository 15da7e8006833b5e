/** User accounts and their roles: Blockplane's own namespace, for Security Administrators. */
import { Type } from "typebox";
import { InvalidRequest } from "../../domain/errors.ts";
import { PASSWORD_LENGTH, USER_NAME_LENGTH } from "../../domain/limits.ts";
import { ROLES } from "../../domain/roles.ts";
import { USER_NAME } from "../../services/accounts.ts";
import { principalOf } from "../contract/auth.ts";
import { Body, ExecutionResultSchema, errorResponses, idParams, OWN, type RouteModule } from "./common.ts";

const RoleName = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Roles = Type.Array(RoleName, { minItems: 1, maxItems: ROLES.length, uniqueItems: true });
const Password = Type.String({ minLength: PASSWORD_LENGTH.min, maxLength: PASSWORD_LENGTH.max });

const UserSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  createdTime: Type.String(),
  updatedTime: Type.String(),
});

/** Who the caller is: what a client (the console) needs to offer only what the caller may do. */
const SelfSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
});

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const wire = (u: { id: number; name: string; roles: string[]; createdAt: number; updatedAt: number }) => ({
  id: u.id,
  name: u.name,
  roles: u.roles,
  createdTime: iso(u.createdAt),
  updatedTime: iso(u.updatedAt),
});

export const userRoutes: RouteModule = (app, { accounts }) => {
  const base = `${OWN}/users`;
  const security = { permission: "security" } as const;
  const tags = ["users"];

  app.get(
    base,
    {
      config: security,
      schema: {
        tags,
        summary: "List users",
        response: {
          200: Type.Object({ data: Type.Array(UserSchema), count: Type.Integer() }),
          ...errorResponses(),
        },
      },
    },
    async () => {
      const data = (await accounts.listUsers()).map(wire);
      return { data, count: data.length };
    },
  );

  // Any signed-in user, about themselves: declared before `/:id`, which the router ranks below it anyway.
  app.get(
    `${base}/me`,
    {
      schema: {
        tags,
        summary: "Get the signed-in user's own name and roles",
        response: { 200: SelfSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const { user } = principalOf(request);
      return { id: user.id, name: user.name, roles: [...user.roles] };
    },
  );

  app.get(
    `${base}/:id`,
    {
      config: security,
      schema: {
        tags,
        summary: "Get a user",
        params: idParams(2 ** 31 - 1, 1),
        response: { 200: UserSchema, ...errorResponses() },
      },
    },
    async (request) => wire(await accounts.getUser(request.params.id)),
  );

  app.post(
    base,
    {
      config: security,
      schema: {
        tags,
        summary: "Create a user",
        body: Body({
          name: Type.String({ minLength: USER_NAME_LENGTH.min, maxLength: USER_NAME_LENGTH.max }),
          password: Password,
          roles: Roles,
        }),
        response: { 200: UserSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const { name, password, roles } = request.body;
      if (!USER_NAME.test(name))
        throw new InvalidRequest(`The user name "${name}" contains characters that are not allowed.`);
      return wire(await accounts.createUser(name, password, roles));
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: security,
      schema: {
        tags,
        summary: "Change a user's password or roles",
        params: idParams(2 ** 31 - 1, 1),
        body: Body({ password: Type.Optional(Password), roles: Type.Optional(Roles) }, { minProperties: 1 }),
        response: { 200: UserSchema, ...errorResponses() },
      },
    },
    async (request) => wire(await accounts.updateUser(principalOf(request), request.params.id, request.body)),
  );

  app.delete(
    `${base}/:id`,
    {
      config: security,
      schema: {
        tags,
        summary: "Delete a user and their sessions",
        params: idParams(2 ** 31 - 1, 1),
        response: { 200: ExecutionResultSchema, ...errorResponses() },
      },
    },
    async (request) => {
      await accounts.deleteUser(principalOf(request), request.params.id);
      return {
        affectedResources: [`${base}/${request.params.id}`],
        operationDetails: [
          { operationType: "DELETE", resourceType: "User", resourceId: String(request.params.id) },
        ],
      };
    },
  );
};
