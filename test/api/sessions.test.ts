import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config.ts";
import { loggerOptions } from "../../src/http/observability.ts";
import { assemble } from "../../src/server.ts";
import { sleep } from "../support/jobs.ts";
import {
  ADMIN_PASSWORD,
  basic,
  FULL,
  freshDatabase,
  SIMPLE,
  startServer,
  type TestServer,
} from "../support/server.ts";

describe("sessions", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ BLOCKPLANE_MAX_SESSIONS: "4" });
  });
  after(() => s.close());

  for (const base of [SIMPLE, FULL]) {
    test(`create with Basic and an empty JSON body at ${base}`, async () => {
      const r = await s.request("POST", `${base}/sessions`, {
        token: null,
        headers: { authorization: basic("admin", ADMIN_PASSWORD), "content-type": "application/json" },
        payload: "",
      });
      assert.equal(r.status, 200);
      assert.match(r.body.token, /^[0-9a-f]{32}$/);
      if (base === FULL) assert.equal(typeof r.body.sessionId, "number");
      // The simple API names a session by its token, which clients authenticate with.
      else assert.equal(r.body.sessionId, r.body.token);
      const use = await s.get(`${SIMPLE}/storage`, { token: r.body.token });
      assert.equal(use.status, 200);
      const del = await s.request("DELETE", `${base}/sessions/${r.body.sessionId}`, {
        token: r.body.token,
        headers: { "content-type": "application/json" },
        payload: "",
      });
      assert.equal(del.status, 200);
      const after = await s.get(`${SIMPLE}/storage`, { token: r.body.token });
      assert.equal(after.status, 401);
      assert.match(after.body.message, /The specified token is invalid/);
      assert.equal(after.headers["www-authenticate"], 'Session realm="Block storage"');
    });
  }

  test("wrong password is 401 with a Basic challenge", async () => {
    const r = await s.post(`${SIMPLE}/sessions`, undefined, {
      token: null,
      headers: { authorization: basic("admin", "nope") },
    });
    assert.equal(r.status, 401);
    assert.equal(r.headers["www-authenticate"], 'Basic realm="Block storage"');
    assert.equal(r.body.errorSource, `${SIMPLE}/sessions`);
  });

  test("aliveTime out of range is 400", async () => {
    for (const aliveTime of [0, 301, "10", 1.5]) {
      const r = await s.post(
        `${SIMPLE}/sessions`,
        { aliveTime },
        { token: null, headers: { authorization: basic("admin", ADMIN_PASSWORD) } },
      );
      assert.equal(r.status, 400, `aliveTime ${aliveTime}`);
    }
  });

  test("the session past the limit gets 503 with Retry-After", async () => {
    // The admin session of the harness is one; three more fill the limit of four.
    const made: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await s.post(`${SIMPLE}/sessions`, undefined, {
        token: null,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      });
      assert.equal(r.status, 200);
      made.push(r.body.sessionId);
    }
    const over = await s.post(`${SIMPLE}/sessions`, undefined, {
      token: null,
      headers: { authorization: basic("admin", ADMIN_PASSWORD) },
    });
    assert.equal(over.status, 503);
    assert.ok(Number(over.headers["retry-after"]) >= 1);
    assert.match(over.body.message, /wait for a while and try again/);
    for (const id of made) assert.equal((await s.delete(`${SIMPLE}/sessions/${id}`)).status, 200);
  });
});

describe("sessions after a password change", () => {
  const USERS = "/blockplane/v1/users";
  const VIEW = "Storage Administrator (View Only)";
  const SECURITY = "Security Administrator (View & Modify)";
  // A clock that stands still: every authentication stays cached, so a token that still works after
  // the change would have been kept alive by the cache.
  const clock = Date.now();
  let s: TestServer;
  before(async () => {
    s = await startServer({}, { now: () => clock });
  });
  after(() => s.close());

  const login = async (name: string, password: string) => {
    const r = await s.post(`${FULL}/sessions`, undefined, {
      token: null,
      headers: { authorization: basic(name, password) },
    });
    assert.equal(r.status, 200, r.text);
    return r.body as { token: string; sessionId: number };
  };
  const createUser = async (name: string, roles: string[]) => {
    const r = await s.post(USERS, { name, password: `${name}-password`, roles });
    assert.equal(r.status, 200, r.text);
    return r.body.id as number;
  };
  const storage = (token: string) => s.get(`${SIMPLE}/storage`, { token });
  const liveSessionIds = async () =>
    (await s.get(`${FULL}/sessions`)).body.data.map((x: { sessionId: number }) => x.sessionId);

  test("an administrator's change of a user's password ends every session of that user's", async () => {
    const id = await createUser("pat", [VIEW]);
    const first = await login("pat", "pat-password");
    const second = await login("pat", "pat-password");
    for (const { token } of [first, second]) assert.equal((await storage(token)).status, 200);

    assert.equal((await s.patch(`${USERS}/${id}`, { password: "pat-new-password" })).status, 200);

    for (const { token, sessionId } of [first, second]) {
      const r = await storage(token);
      assert.equal(r.status, 401);
      assert.equal(r.body.message, "The specified token is invalid.");
      assert.ok(!(await liveSessionIds()).includes(sessionId));
    }
    assert.equal((await storage(s.adminToken)).status, 200, "the administrator's own session stays");
    assert.equal((await storage((await login("pat", "pat-new-password")).token)).status, 200);
  });

  test("users who change their own password keep the session they changed it in, and only it", async () => {
    const id = await createUser("sam", [SECURITY]);
    const changer = await login("sam", "sam-password");
    const other = await login("sam", "sam-password");
    for (const { token } of [changer, other]) assert.equal((await storage(token)).status, 200);

    const r = await s.patch(`${USERS}/${id}`, { password: "sam-new-password" }, { token: changer.token });
    assert.equal(r.status, 200, r.text);

    assert.equal((await storage(changer.token)).status, 200);
    const ended = await storage(other.token);
    assert.equal(ended.status, 401);
    assert.equal(ended.body.message, "The specified token is invalid.");
    const live = await liveSessionIds();
    assert.ok(live.includes(changer.sessionId) && !live.includes(other.sessionId));
  });

  test("a change of roles alone ends no session", async () => {
    const id = await createUser("robin", [VIEW]);
    const { token } = await login("robin", "robin-password");
    assert.equal((await storage(token)).status, 200);
    assert.equal((await s.patch(`${USERS}/${id}`, { roles: [VIEW, SECURITY] })).status, 200);
    assert.equal((await storage(token)).status, 200);
    assert.equal((await s.get(USERS, { token })).status, 200);
  });
});

describe("a login racing a password change", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ BLOCKPLANE_FAULTS: "on" });
  });
  after(() => s.close());

  test("a login whose password changes after its check gets no session", async () => {
    const made = await s.post("/blockplane/v1/users", {
      name: "kim",
      password: "kim-password",
      roles: ["Storage Administrator (View Only)"],
    });
    assert.equal(made.status, 200, made.text);
    // Request-level fault rules act after authentication: each login waits here once its password
    // has been checked, before its session is made.
    const rule = await s.post("/blockplane/v1/faults", {
      match: { path: `${SIMPLE}/sessions` },
      action: "latency",
      latencyMs: 2500,
    });
    assert.equal(rule.status, 200, rule.text);
    const login = (password: string) =>
      s.post(`${SIMPLE}/sessions`, undefined, {
        token: null,
        headers: { authorization: basic("kim", password) },
      });

    const racing = login("kim-password");
    await sleep(1200);
    const changed = await s.patch(`/blockplane/v1/users/${made.body.id}`, { password: "kim-new-password" });
    assert.equal(changed.status, 200, changed.text);
    const r = await racing;
    assert.equal(r.status, 401, r.text);
    assert.match(r.body.message, /user name or password is incorrect/);
    const sessions = await s.get(`${SIMPLE}/sessions`);
    assert.equal(sessions.body.data.length, 1, "only the administrator's session is live");

    // The same wait with the password that is now right opens a session.
    const after = await login("kim-new-password");
    assert.equal(after.status, 200, after.text);
  });
});

describe("simple-API sessions as VSP One Block Administrator clients use them", () => {
  const VIEW = "Storage Administrator (View Only)";
  // What such a client sends on every call, GETs and bodiless POSTs included.
  const JSON_HEADERS = { accept: "application/json", "content-type": "application/json" };
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  const login = async (url: string, name: string, password: string) => {
    const r = await s.request("POST", url, {
      token: null,
      headers: { ...JSON_HEADERS, authorization: basic(name, password) },
    });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };

  test("POST sessions/ (trailing slash, no body) answers a string sessionId that authenticates", async () => {
    const made = await login(`${SIMPLE}/sessions/`, "admin", ADMIN_PASSWORD);
    assert.equal(typeof made.sessionId, "string");
    assert.match(made.sessionId, /^[0-9a-f]{32}$/);
    const auth = { token: null, headers: { ...JSON_HEADERS, authorization: `Session ${made.sessionId}` } };
    const read = await s.request("GET", `${SIMPLE}/storage`, auth);
    assert.equal(read.status, 200, read.text);
    const volumes = await s.request("GET", `${SIMPLE}/volumes?`, auth);
    assert.equal(volumes.status, 200, volumes.text);
    const gone = await s.request("DELETE", `${SIMPLE}/sessions/${made.sessionId}`, auth);
    assert.equal(gone.status, 200, gone.text);
    assert.deepEqual(gone.body.operationDetails[0], {
      operationType: "DELETE",
      resourceType: "Session",
      resourceId: made.sessionId,
    });
    assert.equal((await s.request("GET", `${SIMPLE}/storage`, auth)).status, 401);
  });

  test("the full API keeps {token, sessionId:<int>}, and its DELETE takes only numbers", async () => {
    const made = await login(`${FULL}/sessions`, "admin", ADMIN_PASSWORD);
    assert.equal(typeof made.sessionId, "number");
    assert.match(made.token, /^[0-9a-f]{32}$/);
    assert.equal((await s.delete(`${FULL}/sessions/${made.token}`)).status, 400);
    assert.equal((await s.delete(`${FULL}/sessions/${made.sessionId}`)).status, 200);
  });

  test("lists show no token, not even to a Security Administrator listing everyone's", async () => {
    await s.userToken("lee", [VIEW]);
    const lees = await login(`${SIMPLE}/sessions`, "lee", "lee-password");
    const mine = await login(`${SIMPLE}/sessions`, "admin", ADMIN_PASSWORD);
    for (const base of [SIMPLE, FULL]) {
      const all = await s.get(`${base}/sessions`);
      assert.equal(all.status, 200);
      assert.ok(all.body.data.some((x: { userId: string }) => x.userId === "lee"));
      for (const token of [lees.token, mine.token, s.adminToken]) {
        assert.ok(!all.text.includes(token), `${base} lists no token`);
      }
      const own = await s.get(`${base}/sessions`, { token: lees.token });
      // lee's own two: the harness's login and this one.
      assert.deepEqual(
        own.body.data.map((x: { userId: string }) => x.userId),
        ["lee", "lee"],
      );
      assert.ok(!own.text.includes(lees.token));
    }
    const simple = (await s.get(`${SIMPLE}/sessions`)).body.data;
    assert.ok(simple.every((x: { sessionId: unknown }) => typeof x.sessionId === "string"));
  });

  test("DELETE on the simple path takes the sessionId it answered or the number its list shows", async () => {
    await s.userToken("kim", [VIEW]);
    const kim = await login(`${SIMPLE}/sessions`, "kim", "kim-password");
    const other = await login(`${SIMPLE}/sessions`, "kim", "kim-password");
    const listed = (await s.get(`${SIMPLE}/sessions`, { token: kim.sessionId })).body.data;
    assert.equal(listed.length, 3); // the harness's login of kim's, and these two
    // Another user without the security role cannot end kim's session, by either name.
    const outsider = await s.userToken("ash", [VIEW]);
    assert.equal((await s.delete(`${SIMPLE}/sessions/${kim.sessionId}`, { token: outsider })).status, 404);
    for (const x of listed) {
      assert.equal((await s.delete(`${SIMPLE}/sessions/${x.sessionId}`, { token: outsider })).status, 404);
    }
    assert.equal((await s.get(`${SIMPLE}/storage`, { token: kim.sessionId })).status, 200);
    // kim ends one session by its sessionId and another by its listed number.
    assert.equal(
      (await s.delete(`${SIMPLE}/sessions/${other.sessionId}`, { token: kim.sessionId })).status,
      200,
    );
    assert.equal((await s.get(`${SIMPLE}/storage`, { token: other.sessionId })).status, 401);
    const left = (await s.get(`${SIMPLE}/sessions`, { token: kim.sessionId })).body.data;
    assert.equal(left.length, 2);
    // The list is in creation order: the first is the harness's login, not the caller's.
    const [harness] = left;
    const byNumber = await s.delete(`${SIMPLE}/sessions/${harness.sessionId}`, { token: kim.sessionId });
    assert.equal(byNumber.status, 200);
    assert.equal((await s.get(`${SIMPLE}/sessions`, { token: kim.sessionId })).body.count, 1);
  });

  test("a malformed session name on the simple path is 400, an unknown one 404", async () => {
    for (const bad of ["abc", "0", "-1", "1.5", "0123456789abcdef0123456789abcdeF", "0".repeat(31)]) {
      const r = await s.delete(`${SIMPLE}/sessions/${bad}`);
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
    }
    assert.equal((await s.delete(`${SIMPLE}/sessions/${"a".repeat(32)}`)).status, 404);
    assert.equal((await s.delete(`${SIMPLE}/sessions/999999`)).status, 404);
  });
});

describe("session tokens in the log", () => {
  test("a simple-API DELETE naming a session by its token logs the URL without it", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-sessions-"));
    const env: Record<string, string> = {
      BLOCKPLANE_DATA_DIR: dataDir,
      BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    };
    if (process.env.BLOCKPLANE_TEST_DATABASE_URL) {
      env.BLOCKPLANE_DATABASE_URL = await freshDatabase(process.env.BLOCKPLANE_TEST_DATABASE_URL);
    }
    const bp = await assemble(loadConfig([], env), { logger: pino(loggerOptions("info"), sink) });
    try {
      const made = await bp.app.inject({
        method: "POST",
        url: `${SIMPLE}/sessions/`,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      });
      const { sessionId } = JSON.parse(made.body);
      const gone = await bp.app.inject({
        method: "DELETE",
        url: `${SIMPLE}/sessions/${sessionId}`,
        headers: { authorization: `Session ${sessionId}` },
      });
      assert.equal(gone.statusCode, 200);
      const log = lines.join("");
      assert.ok(log.includes(`${SIMPLE}/sessions/[redacted]`), "the DELETE is logged");
      assert.ok(!log.includes(sessionId), "no line carries the token");
    } finally {
      await bp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
