/**
 * Maintenance mode: switched through /blockplane/v1/maintenance (and `blockplane maintenance`),
 * kept in the store so that every instance sharing it follows; meanwhile every request that needs
 * the array answers 503 + Retry-After with the phrase clients retry on, the rest keeps working, and
 * no job starts.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { assemble } from "../../src/server.ts";
import { enqueue, gate, jobRow, sleep, uniqueKind, waitProgress } from "../support/jobs.ts";
import {
  killAllServers,
  runCli,
  type ServerProcess,
  startServerProcess,
  tempDir,
} from "../support/process.ts";
import { ADMIN_PASSWORD, basic, FULL, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const MAINTENANCE = "/blockplane/v1/maintenance";
const RETRY_PHRASE = /wait for a while and try again/;

describe("maintenance", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  async function on(body?: object) {
    const r = await s.request("PUT", MAINTENANCE, body === undefined ? {} : { body });
    assert.equal(r.status, 200, r.text);
    return r.body;
  }
  async function off() {
    const r = await s.delete(MAINTENANCE);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { enabled: false });
  }

  test("is off at first", async () => {
    const r = await s.get(MAINTENANCE);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { enabled: false });
  });

  test("requests that need the array answer 503 + Retry-After; the rest keeps working", async () => {
    const kind = uniqueKind("before");
    s.bp.jobs.register(kind, async () => ({ done: [], failures: [] }));
    const finished = await enqueue(s, kind);
    await s.waitJob(finished);
    const state = await on({ retryAfterSeconds: 120, message: "Controller firmware upgrade." });
    assert.equal(state.enabled, true);
    assert.equal(state.retryAfterSeconds, 120);
    assert.equal(state.message, "Controller firmware upgrade.");
    assert.ok(!Number.isNaN(Date.parse(state.startTime)));
    try {
      for (const [method, url, body] of [
        ["GET", `${SIMPLE}/storage`],
        ["GET", `${SIMPLE}/pools`],
        ["GET", `${FULL}/storages/instance`],
        ["POST", `${SIMPLE}/volumes`, { poolId: 0, capacity: 1024 }],
        // Refused before its body is looked at: an invalid one gets 503 too.
        ["POST", `${SIMPLE}/volumes`, { nonsense: true }],
        ["PATCH", `${SIMPLE}/ports/CL1-A`, { portSecurity: false }],
      ] as const) {
        const r = await s.request(method, url, body === undefined ? {} : { body });
        assert.equal(r.status, 503, `${method} ${url}: ${r.text}`);
        assert.equal(r.headers["retry-after"], "120");
        assert.equal(r.body.errorSource, url);
        assert.equal(r.body.messageId, "KART70001-E");
        assert.equal(
          r.body.message,
          "The storage system is under maintenance: Controller firmware upgrade. Please wait for a while and try again.",
        );
        assert.match(r.body.solution, RETRY_PHRASE);
      }
      // Sessions, users, command statuses and maintenance itself need no array.
      const login = await s.post(`${SIMPLE}/sessions`, undefined, {
        token: null,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      });
      assert.equal(login.status, 200);
      assert.equal((await s.get(`${SIMPLE}/sessions`)).status, 200);
      assert.equal((await s.delete(`${SIMPLE}/sessions/${login.body.sessionId}`)).status, 200);
      assert.equal((await s.get("/blockplane/v1/users")).status, 200);
      assert.equal((await s.get(finished)).status, 200);
      assert.equal((await s.get(MAINTENANCE)).body.enabled, true);
      // Unauthenticated callers learn nothing about the array.
      assert.equal((await s.get(`${SIMPLE}/storage`, { token: null })).status, 401);
    } finally {
      await off();
    }
    assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200);
  });

  test("PUT without a body uses the default Retry-After; PUT again changes it and keeps the start", async () => {
    const first = await on();
    assert.equal(first.retryAfterSeconds, 60);
    assert.equal(first.message, undefined);
    try {
      const r = await s.get(`${SIMPLE}/storage`);
      assert.equal(r.status, 503);
      assert.equal(r.headers["retry-after"], "60");
      assert.equal(
        r.body.message,
        "The storage system is under maintenance. Please wait for a while and try again.",
      );
      const second = await on({ retryAfterSeconds: 5 });
      assert.equal(second.startTime, first.startTime);
      assert.equal((await s.get(`${SIMPLE}/storage`)).headers["retry-after"], "5");
    } finally {
      await off();
    }
  });

  const invalid: [string, object][] = [
    ["retryAfterSeconds 0", { retryAfterSeconds: 0 }],
    ["retryAfterSeconds 86401", { retryAfterSeconds: 86_401 }],
    ["retryAfterSeconds as text", { retryAfterSeconds: "5" }],
    ["an empty message", { message: "" }],
    ["an unknown field", { reason: "x" }],
  ];
  for (const [what, body] of invalid) {
    test(`${what} is 400`, async () => {
      const r = await s.request("PUT", MAINTENANCE, { body });
      assert.equal(r.status, 400, r.text);
      assert.equal((await s.get(MAINTENANCE)).body.enabled, false);
    });
  }
  test("retryAfterSeconds 1 and 86400 are accepted", async () => {
    assert.equal((await on({ retryAfterSeconds: 1 })).retryAfterSeconds, 1);
    assert.equal((await on({ retryAfterSeconds: 86_400 })).retryAfterSeconds, 86_400);
    await off();
  });

  test("switching needs the System Resource role; reading it needs only a session", async () => {
    const token = await s.userToken("maint-viewer", ["Storage Administrator (Provisioning)"]);
    assert.equal((await s.get(MAINTENANCE, { token })).status, 200);
    assert.equal((await s.request("PUT", MAINTENANCE, { token, body: {} })).status, 403);
    assert.equal((await s.delete(MAINTENANCE, { token })).status, 403);
    const operator = await s.userToken("maint-operator", [
      "Storage Administrator (System Resource Management)",
    ]);
    assert.equal((await s.request("PUT", MAINTENANCE, { token: operator, body: {} })).status, 200);
    assert.equal((await s.delete(MAINTENANCE, { token: operator })).status, 200);
  });

  test("no job starts during maintenance; queued jobs run once it ends", async () => {
    const kind = uniqueKind("maintenance");
    const ran = gate();
    s.bp.jobs.register(kind, async () => {
      ran.open();
      return { done: [], failures: [] };
    });
    await on();
    let url: string;
    try {
      url = await enqueue(s, kind);
      // Give the worker its chances: on enqueue and on its poll.
      await sleep(1200);
      assert.equal((await jobRow(s.bp.store.db, Number(url.split("/").pop())))?.progress, "unexecuted");
    } finally {
      await off();
    }
    const done = await waitProgress(s, url, "completed");
    await ran.promise;
    assert.equal(done.status, "normal");
  });

  test("another instance sharing the store sees maintenance", async () => {
    const other = await assemble(s.config);
    try {
      const login = await other.app.inject({
        method: "POST",
        url: `${SIMPLE}/sessions`,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      });
      const token = JSON.parse(login.body).token as string;
      const storage = () =>
        other.app.inject({
          method: "GET",
          url: `${SIMPLE}/storage`,
          headers: { authorization: `Session ${token}` },
        });
      assert.equal((await storage()).statusCode, 200);
      await on({ retryAfterSeconds: 30 });
      try {
        let r = await storage();
        // Each instance reads the state at most every half second.
        for (let i = 0; i < 100 && r.statusCode !== 503; i++) {
          await sleep(20);
          r = await storage();
        }
        assert.equal(r.statusCode, 503);
        assert.equal(r.headers["retry-after"], "30");
      } finally {
        await off();
      }
    } finally {
      await other.close();
    }
  });
});

describe("blockplane maintenance", { timeout: 120_000 }, () => {
  let server: ServerProcess;
  const dirs: string[] = [];
  const cli = (args: string[], dir: string, env: Record<string, string> = {}) =>
    runCli(args, { BLOCKPLANE_CONFIG_DIR: dir, ...env });
  const loggedIn = async () => {
    const dir = tempDir("blockplane-cli-maint-");
    dirs.push(dir);
    const login = await cli(
      ["login", "--url", server.url, "--user", "admin", "--password", ADMIN_PASSWORD],
      dir,
    );
    assert.equal(login.code, 0, login.stderr);
    return dir;
  };
  /** A saved login whose session the server has ended (as when it expires). */
  const endedSession = async () => {
    const dir = await loggedIn();
    const file = path.join(dir, "session.json");
    const saved = fs.readFileSync(file, "utf8");
    const logout = await cli(["logout"], dir);
    assert.equal(logout.code, 0, logout.stderr);
    fs.writeFileSync(file, saved, { mode: 0o600 });
    return { dir, token: JSON.parse(saved).token as string };
  };

  before(async () => {
    server = await startServerProcess({ args: ["--admin-password", ADMIN_PASSWORD] });
    dirs.push(server.dataDir);
  });
  after(async () => {
    await killAllServers();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test("on, status and off through the CLI", async () => {
    const dir = await loggedIn();
    const onR = await cli(["maintenance", "on", "--retry-after", "90", "--message", "Disk replacement"], dir);
    assert.equal(onR.code, 0, onR.stderr);
    assert.match(onR.stdout, /^Maintenance is on since .*; requests are answered 503\./);
    assert.match(onR.stdout, /Retry-After: 90 s/);
    const status = await cli(["maintenance", "status", "--json"], dir);
    assert.equal(status.code, 0, status.stderr);
    const state = JSON.parse(status.stdout);
    assert.equal(state.enabled, true);
    assert.equal(state.message, "Disk replacement");
    const bad = await cli(["maintenance", "on", "--retry-after", "0"], dir);
    assert.equal(bad.code, 2);
    const offR = await cli(["maintenance", "off"], dir);
    assert.equal(offR.code, 0, offR.stderr);
    assert.equal(offR.stdout, "Maintenance is off.\n");
  });

  test("during maintenance, an ended session is renewed with BLOCKPLANE_PASSWORD, else exits 1", async () => {
    const dir = await loggedIn();
    assert.equal((await cli(["maintenance", "on"], dir)).code, 0);
    try {
      const without = await endedSession();
      const refused = await cli(["maintenance", "status"], without.dir);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /The specified token is invalid.*blockplane login/s);

      const ended = await endedSession();
      const env = { BLOCKPLANE_PASSWORD: ADMIN_PASSWORD };
      const status = await cli(["maintenance", "status", "--json"], ended.dir, env);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).enabled, true);
      const saved = JSON.parse(fs.readFileSync(path.join(ended.dir, "session.json"), "utf8"));
      assert.match(saved.token, /^[0-9a-f]{32}$/);
      assert.notEqual(saved.token, ended.token);

      // The renewed session is the one the next command uses, without the password.
      const off = await cli(["maintenance", "off"], ended.dir);
      assert.equal(off.code, 0, off.stderr);
      assert.equal(off.stdout, "Maintenance is off.\n");
    } finally {
      await cli(["maintenance", "off"], dir);
    }
  });
});
