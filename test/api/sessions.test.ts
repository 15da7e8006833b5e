import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
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
