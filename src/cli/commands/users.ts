/** users list|create|set|delete: account administration for Security Administrators. */
import { type Command, Option } from "commander";
import type { User } from "../../client/index.ts";
import { isRole, type Permission, ROLES, type Role, roleFor } from "../../domain/roles.ts";
import { check, connect } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { PASSWORD_LENGTH, textIn, USER_NAME_LENGTH } from "../limits.ts";
import { table } from "../output.ts";
import { show } from "./common.ts";

const USERS = "/blockplane/v1/users";
const USER = "/blockplane/v1/users/{id}";

/** Short names of the roles, by the permission each grants, so nobody has to type "(View & Modify)". */
const SHORT: Record<string, Permission> = {
  view: "view",
  provisioning: "provisioning",
  "local-copy": "local-copy",
  "system-resource": "system-resource",
  security: "security",
};

function roleOf(value: string): Role {
  const permission = SHORT[value.toLowerCase()];
  if (permission) return roleFor(permission);
  const full = ROLES.find((r) => r.toLowerCase() === value.toLowerCase());
  if (full && isRole(full)) return full;
  throw new UsageError(
    `Unknown role "${value}": use one of ${Object.keys(SHORT).join(", ")} or a full role name.`,
  );
}

function shortName(role: string): string {
  return Object.entries(SHORT).find(([, p]) => roleFor(p) === role)?.[0] ?? role;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function roleOption() {
  return new Option(
    "--role <role>",
    `a role (repeatable): ${Object.keys(SHORT).join(", ")}, or a full role name`,
  ).argParser(collect);
}

export function usersCommands(program: Command, ctx: CliContext): void {
  /** A user given by id or by name. */
  const resolveId = async (given: string): Promise<number> => {
    if (/^\d+$/.test(given)) return Number(given);
    const { data } = check(await connect(ctx).GET(USERS));
    const found = data.find((u) => u.name === given);
    if (!found) throw new UsageError(`No user is named "${given}".`);
    return found.id;
  };

  /** A user as the API answers it, or one sentence; --quiet prints the id of a user created. */
  const showUser = (user: User, verb: string) =>
    show(
      ctx,
      user,
      (u) => `${verb} user ${u.name} (id ${u.id}): ${u.roles.map(shortName).join(", ")}\n`,
      (u) => (verb === "Created" ? [u.id] : []),
    );

  const users = program.command("users").description("administer user accounts (Security Administrator)");

  users
    .command("list")
    .description("list the users and their roles")
    .action(async () => {
      const list = check(await connect(ctx).GET(USERS));
      show(ctx, list, (l) =>
        table(
          ["ID", "NAME", "ROLES"],
          l.data.map((u) => [String(u.id), u.name, u.roles.map(shortName).join(",")]),
        ),
      );
    });

  users
    .command("create")
    .description("create a user")
    .requiredOption(
      "--name <name>",
      `user name (${USER_NAME_LENGTH.min}-${USER_NAME_LENGTH.max} characters)`,
      textIn(USER_NAME_LENGTH),
    )
    .requiredOption(
      "--password <password>",
      `password, ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`,
      textIn(PASSWORD_LENGTH),
    )
    .addOption(roleOption().makeOptionMandatory())
    .action(async (options: { name: string; password: string; role: string[] }) => {
      const roles = options.role.map(roleOf);
      const user = check(
        await connect(ctx).POST(USERS, { body: { name: options.name, password: options.password, roles } }),
      );
      showUser(user, "Created");
    });

  users
    .command("set")
    .description("change a user's password or roles (--role replaces all roles)")
    .argument("<user>", "user id or name")
    .option(
      "--password <password>",
      `new password, ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`,
      textIn(PASSWORD_LENGTH),
    )
    .addOption(roleOption())
    .action(async (given: string, options: { password?: string; role?: string[] }) => {
      if (options.password === undefined && options.role === undefined) {
        throw new UsageError("Nothing to change: give --password or --role.");
      }
      const change = {
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...(options.role !== undefined ? { roles: options.role.map(roleOf) } : {}),
      };
      const id = await resolveId(given);
      const user = check(await connect(ctx).PATCH(USER, { params: { path: { id } }, body: change }));
      showUser(user, "Updated");
    });

  users
    .command("delete")
    .description("delete a user and end their sessions")
    .argument("<user>", "user id or name")
    .action(async (given: string) => {
      const id = await resolveId(given);
      const result = check(await connect(ctx).DELETE(USER, { params: { path: { id } } }));
      show(
        ctx,
        result,
        () => `Deleted user ${given === String(id) ? id : `${given} (id ${id})`}.\n`,
        () => [],
      );
    });
}
