/**
 * Authentication and authorisation of every route, from the route's own declaration:
 *   config: { auth: "session" | "basic" | "none", permission: Permission }
 * "session" (the default) takes `Authorization: Session <token>`; "basic" takes
 * `Authorization: Basic <base64(user:password)>` (session creation); "none" is public.
 */
import type { FastifyRequest } from "fastify";
import { Forbidden, PHRASES, Unauthenticated } from "../../domain/errors.ts";
import { hasPermission, type Permission, roleFor } from "../../domain/roles.ts";
import type { AccountsService, Principal } from "../../services/accounts.ts";

export type AuthMode = "session" | "basic" | "none";

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: AuthMode;
    permission?: Permission;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The authenticated caller of a route that requires authentication. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Unauthenticated("Authentication is required.", "Session");
  return request.principal;
}

function parseBasic(value: string): { name: string; password: string } | undefined {
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0 || !/^[A-Za-z0-9+/]+=*$/.test(value)) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function authenticate(request: FastifyRequest, accounts: AccountsService): Promise<void> {
  const config = request.routeOptions.config;
  const mode: AuthMode = config.auth ?? "session";
  if (mode === "none") return;
  const scheme = mode === "basic" ? "Basic" : "Session";
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === "") {
    throw new Unauthenticated("The Authorization header is missing.", scheme);
  }
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  const given = match?.[1]?.toLowerCase();
  if (!match || given !== scheme.toLowerCase()) {
    throw new Unauthenticated(`The Authorization header must use the ${scheme} scheme.`, scheme);
  }
  const credentials = match[2] as string;
  if (mode === "basic") {
    const parsed = parseBasic(credentials);
    if (!parsed) throw new Unauthenticated("The Basic credentials are malformed.", "Basic");
    request.principal = { user: await accounts.authenticateBasic(parsed.name, parsed.password) };
  } else {
    if (!/^[0-9a-f]{32}$/i.test(credentials)) throw new Unauthenticated(PHRASES.tokenInvalid, "Session");
    request.principal = await accounts.authenticateToken(credentials.toLowerCase());
  }
  const permission = config.permission ?? "view";
  if (!hasPermission(request.principal.user.roles, permission)) {
    throw new Forbidden(
      `You do not have permission for this operation; it needs the role "${roleFor(permission)}".`,
    );
  }
}
