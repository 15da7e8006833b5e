import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sleep } from "../support/jobs.ts";
import { ADMIN_PASSWORD, basic, FULL, SIMPLE, startServer, type TestServer } from "../support/server.ts";

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
      assert.equal(typeof r.body.sessionId, "number");
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
    const r = await s.post(`${SIMPLE}/sessions`, undefined, {
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
    (await s.get(`${SIMPLE}/sessions`)).body.data.map((x: { sessionId: number }) => x.sessionId);

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
