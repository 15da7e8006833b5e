/**
 * The HTTP contract every route shares: one test per status-code rule, each asserting the status,
 * the error body (errorSource, messageId, message, solution, requestId) and the headers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openApiPath } from "../../src/http/openapi-document.ts";
import { concretePath, paramSchemas } from "../support/catalog.ts";
import {
  ADMIN_PASSWORD,
  basic,
  FULL,
  type Reply,
  SIMPLE,
  startServer,
  type TestServer,
} from "../support/server.ts";

const USERS = "/blockplane/v1/users";
const STORAGE = `${SIMPLE}/storage`;
const SESSIONS = `${SIMPLE}/sessions`;

/** Asserts an error answer: its status, its JSON body of the API's shape, and the request id. */
function assertError(r: Reply, status: number, errorSource: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers["content-type"]), /^application\/json/);
  assert.equal(r.body.errorSource, errorSource);
  assert.match(r.body.messageId, /^KART\d{5}-E$/);
  assert.equal(typeof r.body.message, "string");
  assert.ok(r.body.message.length > 0);
  assert.equal(typeof r.body.solution, "string");
  assert.match(r.body.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(r.headers["x-request-id"], r.body.requestId);
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe("HTTP contract", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  const adminBasic = () => ({ authorization: basic("admin", ADMIN_PASSWORD) });

  describe("200: success answers", () => {
    test("are JSON and carry X-Request-Id", async () => {
      const r = await s.get(STORAGE);
      assert.equal(r.status, 200);
      assert.match(String(r.headers["content-type"]), /^application\/json/);
      assert.match(String(r.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    });

    test("a well-formed request id sent by the client is kept; a malformed one is replaced", async () => {
      const kept = await s.get(STORAGE, { headers: { "x-request-id": "client-chosen:42" } });
      assert.equal(kept.status, 200);
      assert.equal(kept.headers["x-request-id"], "client-chosen:42");
      const replaced = await s.get(STORAGE, { headers: { "x-request-id": "client chosen" } });
      assert.equal(replaced.status, 200);
      assert.match(String(replaced.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
      // Only X-Request-Id is read.
      const other = await s.get(STORAGE, { headers: { "request-id": "client-chosen" } });
      assert.notEqual(other.headers["x-request-id"], "client-chosen");
    });

    test("each request gets its own request id", async () => {
      const a = await s.get(`${SIMPLE}/nothing-here`);
      const b = await s.get(`${SIMPLE}/nothing-here`);
      assert.notEqual(a.body.requestId, b.body.requestId);
    });

    test("a session is created at the URL with a trailing slash, as one client posts it", async () => {
      const r = await s.post(`${SESSIONS}/`, undefined, { token: null, headers: adminBasic() });
      assert.equal(r.status, 200);
      assert.equal((await s.delete(`${SESSIONS}/${r.body.sessionId}`)).status, 200);
    });
  });

  describe("400: bad request", () => {
    test("malformed JSON body", async () => {
      const r = await s.request("POST", USERS, {
        headers: { "content-type": "application/json" },
        payload: '{"name": "x",',
      });
      assertError(r, 400, USERS);
      assert.equal(r.body.messageId, "KART40048-E");
      assert.match(r.body.message, /not valid JSON/);
    });

    test("a body that sets __proto__ is refused", async () => {
      const r = await s.request("POST", USERS, {
        headers: { "content-type": "application/json" },
        payload:
          '{"name": "proto", "password": "password-1", "roles": ["Storage Administrator (View Only)"], "__proto__": {"x": 1}}',
      });
      assertError(r, 400, USERS);
    });

    test("a JSON body that is not an object", async () => {
      for (const payload of ["[]", '"text"', "42"]) {
        const r = await s.request("POST", USERS, {
          headers: { "content-type": "application/json" },
          payload,
        });
        assertError(r, 400, USERS);
      }
    });

    test("unknown body field", async () => {
      const r = await s.post(USERS, {
        name: "u-extra",
        password: "password-1",
        roles: ["Storage Administrator (View Only)"],
        extra: 1,
      });
      assertError(r, 400, USERS);
      assert.match(r.body.message, /unknown field "extra"/);
    });

    test("wrong type: a string for an integer is not coerced in a body", async () => {
      const r = await s.post(SESSIONS, { aliveTime: "300" }, { token: null, headers: adminBasic() });
      assertError(r, 400, SESSIONS);
      assert.match(r.body.message, /aliveTime/);
    });

    test("out-of-range number: aliveTime 301 is 400 and 300 is accepted", async () => {
      const over = await s.post(SESSIONS, { aliveTime: 301 }, { token: null, headers: adminBasic() });
      assertError(over, 400, SESSIONS);
      const max = await s.post(SESSIONS, { aliveTime: 300 }, { token: null, headers: adminBasic() });
      assert.equal(max.status, 200);
      assert.equal((await s.delete(`${SESSIONS}/${max.body.sessionId}`)).status, 200);
    });

    test("out-of-range number: aliveTime 0 is 400 and 1 is accepted", async () => {
      const under = await s.post(SESSIONS, { aliveTime: 0 }, { token: null, headers: adminBasic() });
      assertError(under, 400, SESSIONS);
      const min = await s.post(SESSIONS, { aliveTime: 1 }, { token: null, headers: adminBasic() });
      assert.equal(min.status, 200);
      assert.equal((await s.delete(`${SESSIONS}/${min.body.sessionId}`)).status, 200);
    });

    for (const id of ["abc", "-1", "1.5", "0x10", "1e3", "%201", "99999999999999999999"]) {
      test(`malformed path ID "${id}"`, async () => {
        const path = `${SIMPLE}/command-status/${id}`;
        const r = await s.get(path);
        assertError(r, 400, path);
        assert.match(r.body.message, /object ID is invalid/);
      });
    }

    test("a malformed percent-encoding in the URL answers the API's error body", async () => {
      const path = `${SIMPLE}/command-status/%zz`;
      const r = await s.get(path);
      assertError(r, 400, path);
      assert.match(r.body.message, /URL is not valid/);
    });

    test("an overlong path segment answers 400 with the API's error body", async () => {
      const path = `${SIMPLE}/command-status/${"1".repeat(600)}`;
      assertError(await s.get(path), 400, path);
    });

    test("a path ID below the route's range (user 0) is 400, not 404", async () => {
      const r = await s.get(`${USERS}/0`);
      assertError(r, 400, `${USERS}/0`);
    });

    test("unknown query parameter on a route that takes none", async () => {
      const r = await s.get(`${STORAGE}?foo=1`);
      assertError(r, 400, STORAGE);
      assert.match(r.body.message, /unknown parameter "foo"/);
    });

    test("unknown query parameter is 400 on every GET route without path parameters", async (t) => {
      const routes = s.bp.app.routeCatalog.filter(
        (r) => r.method === "GET" && r.auth === "session" && !r.url.includes(":"),
      );
      assert.ok(routes.length >= 3);
      for (const route of routes) {
        const r = await s.get(`${route.url}?noSuchParameter=1`);
        assertError(r, 400, route.url);
      }
      t.diagnostic(`${routes.length} routes checked`);
    });

    test("a malformed integer path ID is 400 on every route that takes one", async (t) => {
      const schemas = await paramSchemas(s.bp.app);
      let checked = 0;
      for (const route of s.bp.app.routeCatalog.filter((r) => r.auth === "session")) {
        const params = schemas.get(`${route.method} ${route.url}`) ?? {};
        for (const [name, schema] of Object.entries(params)) {
          if (schema.type !== "integer") continue;
          const path = concretePath(route, params, { [name]: "abc" });
          const r = await s.request(route.method, path);
          assertError(r, 400, path);
          checked++;
        }
      }
      assert.ok(checked >= 4);
      t.diagnostic(`${checked} route parameters checked`);
    });

    test("an unknown body field is 400 on every route that declares a body", async (t) => {
      const doc = (await s.bp.app.openapi()) as {
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      };
      const schemas = await paramSchemas(s.bp.app);
      let checked = 0;
      for (const route of s.bp.app.routeCatalog) {
        const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
        if (!op?.requestBody) continue;
        const path = concretePath(route, schemas.get(`${route.method} ${route.url}`));
        const headers = route.auth === "basic" ? adminBasic() : undefined;
        const r = await s.request(route.method, path, {
          ...(headers ? { headers, token: null } : {}),
          body: { noSuchField: 1 },
        });
        assertError(r, 400, path);
        checked++;
      }
      assert.ok(checked >= 3);
      t.diagnostic(`${checked} routes checked`);
    });

    test('a composite object ID such as "100,x"', async (t) => {
      // Composite IDs ("volume,lun", "volume,snapshot") belong to connections and snapshots.
      const route = s.bp.app.routeCatalog.find(
        (r) => r.method === "GET" && /\/(volume-server-connections|snapshots)\/:[A-Za-z]+$/.test(r.url),
      );
      if (!route) {
        t.skip("no route with a composite ID is registered yet");
        return;
      }
      for (const id of ["100,x", "100", "100,1,1", "+1,2"]) {
        const path = route.url.replace(/:[A-Za-z]+$/, id);
        const r = await s.get(path);
        assertError(r, 400, path);
      }
    });
  });

  describe("401: authentication", () => {
    test("missing Authorization", async () => {
      const r = await s.get(STORAGE, { token: null });
      assertError(r, 401, STORAGE);
      assert.equal(r.body.messageId, "KART40046-E");
      assert.equal(r.headers["www-authenticate"], 'Session realm="Block storage"');
    });

    test("missing Authorization on session creation asks for Basic", async () => {
      const r = await s.post(SESSIONS, undefined, { token: null });
      assertError(r, 401, SESSIONS);
      assert.equal(r.headers["www-authenticate"], 'Basic realm="Block storage"');
    });

    test("wrong scheme: Bearer on a Session route", async () => {
      const r = await s.get(STORAGE, { token: null, headers: { authorization: `Bearer ${s.adminToken}` } });
      assertError(r, 401, STORAGE);
      assert.equal(r.headers["www-authenticate"], 'Session realm="Block storage"');
    });

    test("wrong scheme: a Session token on session creation", async () => {
      const r = await s.post(SESSIONS, undefined, { token: s.adminToken });
      assertError(r, 401, SESSIONS);
      assert.equal(r.headers["www-authenticate"], 'Basic realm="Block storage"');
    });

    for (const [label, value] of [
      ["not base64", "Basic !!!"],
      ["no colon", `Basic ${Buffer.from("admin").toString("base64")}`],
      ["empty user name", `Basic ${Buffer.from(`:${ADMIN_PASSWORD}`).toString("base64")}`],
      ["no credentials", "Basic"],
    ]) {
      test(`malformed Basic: ${label}`, async () => {
        const r = await s.post(SESSIONS, undefined, {
          token: null,
          headers: { authorization: value as string },
        });
        assertError(r, 401, SESSIONS);
        assert.equal(r.headers["www-authenticate"], 'Basic realm="Block storage"');
      });
    }

    test("wrong password", async () => {
      const r = await s.post(SESSIONS, undefined, {
        token: null,
        headers: { authorization: basic("admin", "wrong-password") },
      });
      assertError(r, 401, SESSIONS);
      assert.equal(r.headers["www-authenticate"], 'Basic realm="Block storage"');
    });

    for (const token of ["xyz", "0123456789abcdef", `${"a".repeat(32)}0`, "g".repeat(32)]) {
      test(`malformed token "${token}"`, async () => {
        const r = await s.get(STORAGE, { token });
        assertError(r, 401, STORAGE);
        assert.match(r.body.message, /The specified token is invalid/);
        assert.equal(r.headers["www-authenticate"], 'Session realm="Block storage"');
      });
    }

    test("unknown 32-hex token", async () => {
      const r = await s.get(STORAGE, { token: "0123456789abcdef0123456789abcdef" });
      assertError(r, 401, STORAGE);
      assert.match(r.body.message, /The specified token is invalid/);
      assert.equal(r.headers["www-authenticate"], 'Session realm="Block storage"');
    });

    test("an expired token", async () => {
      const made = await s.post(SESSIONS, { aliveTime: 1 }, { token: null, headers: adminBasic() });
      assert.equal(made.status, 200);
      assert.equal((await s.get(STORAGE, { token: made.body.token })).status, 200);
      await sleep(1200);
      const r = await s.get(STORAGE, { token: made.body.token });
      assertError(r, 401, STORAGE);
      assert.match(r.body.message, /The specified token is invalid/);
      assert.equal(r.headers["www-authenticate"], 'Session realm="Block storage"');
    });

    test("every route but the public ones answers 401 with its challenge when no credentials are sent", async (t) => {
      const schemas = await paramSchemas(s.bp.app);
      const routes = s.bp.app.routeCatalog.filter((r) => r.auth !== "none");
      for (const route of routes) {
        const path = concretePath(route, schemas.get(`${route.method} ${route.url}`));
        const r = await s.request(route.method, path, { token: null });
        assertError(r, 401, path);
        const scheme = route.auth === "basic" ? "Basic" : "Session";
        assert.equal(r.headers["www-authenticate"], `${scheme} realm="Block storage"`);
      }
      t.diagnostic(`${routes.length} routes checked`);
    });

    test("aliveTime is an idle timeout: each use of the session extends it", async () => {
      const made = await s.post(SESSIONS, { aliveTime: 2 }, { token: null, headers: adminBasic() });
      assert.equal(made.status, 200);
      await sleep(1100);
      assert.equal((await s.get(STORAGE, { token: made.body.token })).status, 200);
      await sleep(1500);
      // 2.6 s after creation, 1.5 s after the last use.
      assert.equal((await s.get(STORAGE, { token: made.body.token })).status, 200);
      assert.equal(
        (await s.delete(`${SESSIONS}/${made.body.sessionId}`, { token: made.body.token })).status,
        200,
      );
    });

    test("authentication comes before validation: no credentials and a malformed ID is 401", async () => {
      const path = `${SIMPLE}/command-status/abc`;
      assertError(await s.get(path, { token: null }), 401, path);
    });
  });

  describe("403: missing role", () => {
    test("a View Only user cannot create users", async () => {
      const viewer = await s.userToken("contract-viewer", ["Storage Administrator (View Only)"]);
      const r = await s.post(
        USERS,
        { name: "never-made", password: "password-1", roles: ["Storage Administrator (View Only)"] },
        { token: viewer },
      );
      assertError(r, 403, USERS);
      assert.equal(r.body.messageId, "KART40049-E");
      assert.match(r.body.message, /Security Administrator \(View & Modify\)/);
      assert.equal(r.headers["www-authenticate"], undefined);
      const list = await s.get(USERS);
      assert.ok(!list.body.data.some((u: { name: string }) => u.name === "never-made"));
    });
  });

  describe("404: not found", () => {
    for (const [label, token] of [
      ["without credentials", null],
      ["with a session", undefined],
      ["with an invalid token", "0123456789abcdef0123456789abcdef"],
    ] as const) {
      test(`an unknown URL ${label}`, async () => {
        const path = `${SIMPLE}/no-such-objects`;
        const r = await s.get(`${path}?x=1`, { token });
        assertError(r, 404, path);
        // No resource at this URL: never an ID clients read as "locked" and retry for hours.
        assert.equal(r.body.messageId, "KART20009-E");
      });
    }

    test("an unknown method on a known URL", async () => {
      assertError(await s.request("PUT", STORAGE, { body: {} }), 404, STORAGE);
    });

    test("an absent resource with a well-formed ID", async () => {
      const path = `${SIMPLE}/command-status/999999`;
      const r = await s.get(path);
      assertError(r, 404, path);
      assert.equal(r.body.messageId, "KART30013-E");
    });

    test("an absent user with a well-formed ID", async () => {
      assertError(await s.get(`${USERS}/999999`), 404, `${USERS}/999999`);
    });
  });

  describe("406: Accept", () => {
    for (const accept of [
      "text/html",
      "application/json;q=0",
      "application/xml, text/*",
      "application/json; q=0.0, text/html",
    ]) {
      test(`Accept "${accept}" is 406`, async () => {
        const r = await s.get(STORAGE, { headers: { accept } });
        assertError(r, 406, STORAGE);
        assert.equal(r.body.messageId, "KART40060-E");
      });
    }

    for (const accept of [
      "*/*",
      "application/*",
      "application/json",
      "application/json;charset=UTF-8",
      "text/html, application/json;q=0.5",
      "",
    ]) {
      test(`Accept "${accept}" is served`, async () => {
        const r = await s.get(STORAGE, { headers: { accept } });
        assert.equal(r.status, 200);
        assert.match(String(r.headers["content-type"]), /^application\/json/);
      });
    }

    test("406 comes before authentication", async () => {
      assertError(await s.get(STORAGE, { token: null, headers: { accept: "text/html" } }), 406, STORAGE);
    });

    test("the documentation page is served as HTML", async () => {
      const r = await s.get("/blockplane/v1/docs/", { token: null, headers: { accept: "text/html" } });
      assert.equal(r.status, 200);
      assert.match(String(r.headers["content-type"]), /^text\/html/);
    });
  });

  describe("415: media type", () => {
    for (const type of ["text/plain", "application/xml", "application/x-www-form-urlencoded"]) {
      test(`POST with Content-Type ${type} and a body is 415`, async () => {
        const r = await s.request("POST", USERS, { headers: { "content-type": type }, payload: "name=x" });
        assertError(r, 415, USERS);
        assert.equal(r.body.messageId, "KART40061-E");
      });
    }

    test("a body without Content-Type is read as JSON", async () => {
      const r = await s.request("POST", SESSIONS, {
        token: null,
        headers: adminBasic(),
        payload: '{"aliveTime": 30}',
      });
      assert.equal(r.status, 200);
      assert.equal((await s.delete(`${SESSIONS}/${r.body.sessionId}`)).status, 200);
    });

    for (const base of [SIMPLE, FULL]) {
      test(`application/json with an empty body on POST and DELETE ${base}/sessions is no body`, async () => {
        const json = { "content-type": "application/json" };
        const made = await s.request("POST", `${base}/sessions`, {
          token: null,
          headers: { ...adminBasic(), ...json },
          payload: "",
        });
        assert.equal(made.status, 200);
        const gone = await s.request("DELETE", `${base}/sessions/${made.body.sessionId}`, {
          headers: json,
          payload: "",
        });
        assert.equal(gone.status, 200);
        assert.deepEqual(gone.body.affectedResources, [`${base}/sessions/${made.body.sessionId}`]);
      });
    }

    test("application/json with a charset is accepted", async () => {
      const r = await s.request("POST", SESSIONS, {
        token: null,
        headers: { ...adminBasic(), "content-type": "application/json; charset=utf-8" },
        payload: "{}",
      });
      assert.equal(r.status, 200);
      assert.equal((await s.delete(`${SESSIONS}/${r.body.sessionId}`)).status, 200);
    });

    test("a Content-Type on a GET is tolerated", async () => {
      const r = await s.get(STORAGE, {
        headers: { "content-type": "application/json", accept: "application/json" },
      });
      assert.equal(r.status, 200);
      const odd = await s.get(STORAGE, { headers: { "content-type": "text/plain" } });
      assert.equal(odd.status, 200);
    });
  });
});

describe("HTTP contract: 500", () => {
  test("an internal failure answers a generic message with the request id and no internals", async () => {
    const s = await startServer();
    try {
      assert.equal((await s.get(STORAGE)).status, 200);
      await s.bp.store.close();
      const r = await s.get(STORAGE);
      assertError(r, 500, STORAGE);
      assert.equal(r.body.messageId, "KART30000-E");
      assert.ok(r.body.message.includes(r.body.requestId), "the message quotes the request id");
      assert.equal(r.body.cause, undefined);
      assert.doesNotMatch(r.text, /sqlite|sql|select|destroy|driver|kysely|\.ts\b|node_modules|\n\s+at /i);
    } finally {
      await s.close().catch(() => {});
    }
  });
});
