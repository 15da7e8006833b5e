/**
 * Authentication and authorisation of every route, from the route's own declaration:
 *   config: { auth: "session" | "basic" | "none", permission: Permission }
 * "session" (the default) takes `Authorization: Session <token>`; "basic" takes
 * `Authorization: Basic <base64(user:password)>` (session creation); "none" is public.
 */
import type { FastifyContextConfig, FastifyRequest } from "fastify";
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

/** Who may call a route: how the caller authenticates, and what permission the call needs. */
export interface RouteAccess {
  auth: AuthMode;
  /** Absent on public routes. */
  permission: Permission | undefined;
}

/** A route's access as it declares it: a session with the "view" permission unless it says otherwise. */
export function accessOf(config: FastifyContextConfig | undefined): RouteAccess {
  const auth = config?.auth ?? "session";
  return { auth, permission: auth === "none" ? undefined : (config?.permission ?? "view") };
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

/** Records the caller of the request, and refuses it (403) when its roles lack the route's permission. */
function admit(request: FastifyRequest, principal: Principal, permission: Permission): void {
  request.principal = principal;
  if (!hasPermission(principal.user.roles, permission)) {
    throw new Forbidden(
      `You do not have permission for this operation; it needs the role "${roleFor(permission)}".`,
    );
  }
}

/**
 * Authenticates the caller of a route (401) and checks its permission (403). A session that
 * authenticated recently is answered at once, without a promise (undefined); anything the store
 * must decide, and every password check, answers a promise.
 */
export function authenticate(
  request: FastifyRequest,
  access: RouteAccess,
  accounts: AccountsService,
): Promise<void> | undefined {
  const { auth, permission } = access;
  if (auth === "none" || permission === undefined) return undefined;
  const scheme = auth === "basic" ? "Basic" : "Session";
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === "") {
    throw new Unauthenticated("The Authorization header is missing.", scheme);
  }
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match || match[1]?.toLowerCase() !== scheme.toLowerCase()) {
    throw new Unauthenticated(`The Authorization header must use the ${scheme} scheme.`, scheme);
  }
  const credentials = match[2] as string;
  if (auth === "basic") {
    const parsed = parseBasic(credentials);
    if (!parsed) throw new Unauthenticated("The Basic credentials are malformed.", "Basic");
    return accounts
      .authenticateBasic(parsed.name, parsed.password)
      .then((user) => admit(request, { user }, permission));
  }
  if (!/^[0-9a-f]{32}$/i.test(credentials)) throw new Unauthenticated(PHRASES.tokenInvalid, "Session");
  const token = credentials.toLowerCase();
  const recent = accounts.recentPrincipal(token);
  if (recent !== undefined) {
    admit(request, recent, permission);
    return undefined;
  }
  return accounts.authenticateToken(token).then((principal) => admit(request, principal, permission));
}
