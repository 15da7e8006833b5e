/**
 * The role matrix: every route of the catalog, called by a user of each built-in role. A role
 * without the route's permission gets 403 before anything else is looked at (the body sent is
 * invalid on purpose); a role with it is never turned away with 401 or 403. Routes are taken from
 * the app's route catalog, so routes added later are covered without touching this file.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RouteEntry } from "../../src/http/app.ts";
import { concretePath, paramSchemas } from "../support/catalog.ts";
import { basic, startServer, type TestServer } from "../support/server.ts";

const VIEW = "Storage Administrator (View Only)";
const PROVISIONING = "Storage Administrator (Provisioning)";
const LOCAL_COPY = "Storage Administrator (Local Copy)";
const SYSTEM = "Storage Administrator (System Resource Management)";
const SECURITY = "Security Administrator (View & Modify)";
const ALL_ROLES = [VIEW, PROVISIONING, LOCAL_COPY, SYSTEM, SECURITY];

/** Which roles hold each permission, written out here rather than taken from the code under test. */
const HOLDERS: Record<string, string[]> = {
  view: ALL_ROLES,
  provisioning: [PROVISIONING],
  "local-copy": [LOCAL_COPY],
  "system-resource": [SYSTEM],
  security: [SECURITY],
};

const BODY_METHODS = new Set(["POST", "PATCH", "PUT"]);
/** Reads first, then changes, deletions last: a permitted change cannot hide a later answer. */
const METHOD_ORDER = ["GET", "POST", "PATCH", "PUT", "DELETE"];

describe("role matrix", () => {
  let s: TestServer;
  const tokens = new Map<string, string>();
  const passwords = new Map<string, string>();
  const names = new Map<string, string>();
  let routes: { route: RouteEntry; path: string }[] = [];
  /** Cells checked by the two halves of the matrix. */
  let denied = 0;
  let allowed = 0;

  before(async () => {
    s = await startServer();
    for (const [i, role] of ALL_ROLES.entries()) {
      const name = `role-user-${i}`;
      names.set(role, name);
      passwords.set(role, `${name}-password`);
      tokens.set(role, await s.userToken(name, [role]));
    }
    const schemas = await paramSchemas(s.bp.app);
    routes = s.bp.app.routeCatalog
      .filter((r) => r.auth !== "none" && r.permission !== undefined)
      .map((route) => ({ route, path: concretePath(route, schemas.get(`${route.method} ${route.url}`)) }))
      .sort((a, b) => METHOD_ORDER.indexOf(a.route.method) - METHOD_ORDER.indexOf(b.route.method));
  });
  after(() => s.close());

  const call = (role: string, route: RouteEntry, path: string, body: unknown) => {
    const authorization =
      route.auth === "basic"
        ? basic(names.get(role) as string, passwords.get(role) as string)
        : `Session ${tokens.get(role)}`;
    return s.request(route.method, path, {
      token: null,
      headers: { authorization },
      ...(BODY_METHODS.has(route.method) ? { body } : {}),
    });
  };

  test("the catalog lists every permission the roles grant, and no unknown one", () => {
    for (const { route } of routes) {
      assert.ok(
        Object.hasOwn(HOLDERS, route.permission as string),
        `${route.method} ${route.url}: ${route.permission}`,
      );
    }
    assert.ok(routes.some((r) => r.route.permission === "security"));
    assert.ok(routes.some((r) => r.route.permission === "view"));
  });

  test("the array's export and reset are in the matrix, for Security Administrators only", () => {
    const own = routes
      .map(({ route }) => `${route.method} ${route.url} ${route.permission}`)
      .filter((r) => r.includes("/blockplane/v1/array/"));
    assert.deepEqual(own.sort(), [
      "GET /blockplane/v1/array/export security",
      "POST /blockplane/v1/array/actions/reset/invoke security",
    ]);
  });

  test("a role without the route's permission gets 403, before validation", async (t) => {
    for (const { route, path } of routes) {
      for (const role of ALL_ROLES) {
        if (HOLDERS[route.permission as string]?.includes(role)) continue;
        // An unknown field would be a 400 if validation ran first.
        const r = await call(role, route, path, { notAField: true });
        assert.equal(r.status, 403, `${role} → ${route.method} ${path}: ${r.status} ${r.text}`);
        assert.equal(r.body.messageId, "KART40049-E");
        assert.equal(r.body.errorSource, path.split("?")[0]);
        assert.equal(r.headers["x-request-id"], r.body.requestId);
        denied++;
      }
    }
    assert.ok(denied > 0);
    t.diagnostic(`403 cells: ${denied}`);
  });

  test("a role with the route's permission is never answered 401 or 403", async (t) => {
    const serverErrors: string[] = [];
    for (const { route, path } of routes) {
      for (const role of HOLDERS[route.permission as string] ?? []) {
        const r = await call(role, route, path, {});
        assert.ok(
          r.status !== 401 && r.status !== 403,
          `${role} → ${route.method} ${path}: ${r.status} ${r.text}`,
        );
        if (r.status >= 500) serverErrors.push(`${route.method} ${path} ${r.status}`);
        allowed++;
      }
    }
    assert.ok(allowed > 0);
    t.diagnostic(`allowed cells: ${allowed}`);
    if (serverErrors.length > 0)
      t.diagnostic(`answered 5xx to a well-formed call: ${serverErrors.join("; ")}`);
  });

  test("matrix size: every route was called by every role", (t) => {
    const cells = routes.length * ALL_ROLES.length;
    assert.equal(denied + allowed, cells);
    t.diagnostic(`role matrix: ${routes.length} routes × ${ALL_ROLES.length} roles = ${cells} cells`);
  });

  test("a role change takes effect on the user's live session", async () => {
    const userId = (await s.get("/blockplane/v1/users")).body.data.find(
      (u: { name: string }) => u.name === names.get(VIEW),
    ).id;
    const viewer = tokens.get(VIEW) as string;
    assert.equal((await s.get("/blockplane/v1/users", { token: viewer })).status, 403);
    assert.equal((await s.patch(`/blockplane/v1/users/${userId}`, { roles: [SECURITY] })).status, 200);
    assert.equal((await s.get("/blockplane/v1/users", { token: viewer })).status, 200);
    assert.equal((await s.patch(`/blockplane/v1/users/${userId}`, { roles: [VIEW] })).status, 200);
    assert.equal((await s.get("/blockplane/v1/users", { token: viewer })).status, 403);
  });
});
