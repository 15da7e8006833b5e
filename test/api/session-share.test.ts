/**
 * No account can take the array's sessions from the others: a real server process with
 * --max-sessions 8 --max-sessions-per-user 3 (the last of the 8 kept for Security Administrators).
 * Users log in on both faces until each limit answers; a Security Administrator still logs in,
 * lists everyone's sessions and discards another user's; and from the server's host, with no
 * session at all, `blockplane sessions discard-offline` ends a user's sessions in the store.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  type HttpAnswer,
  httpRequest,
  killAllServers,
  runCli,
  type ServerProcess,
  startServerProcess,
} from "../support/process.ts";
import { ADMIN_PASSWORD, basic, FULL, SIMPLE } from "../support/server.ts";

const VIEW = "Storage Administrator (View Only)";

describe("sessions shared out among users", { timeout: 120_000 }, () => {
  let server: ServerProcess;
  const login = (user: string, password: string, base = SIMPLE): Promise<HttpAnswer> =>
    httpRequest(`${server.url}${base}/sessions`, "POST", { authorization: basic(user, password) });
  const as = (token: string, method: string, url: string, body?: unknown) =>
    httpRequest(`${server.url}${url}`, method, { authorization: `Session ${token}` }, body);
  let admin = "";

  before(async () => {
    server = await startServerProcess({
      env: { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD },
      args: ["--max-sessions", "8", "--max-sessions-per-user", "3"],
    });
    admin = (await login("admin", ADMIN_PASSWORD)).body.token;
    for (const name of ["viewer1", "viewer2", "viewer3"]) {
      const made = await as(admin, "POST", "/blockplane/v1/users", {
        name,
        password: `${name}-password`,
        roles: [VIEW],
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
    }
    // Only the administrator's own session so far: one of eight.
  });
  after(async () => {
    await killAllServers();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  test("one user holds at most its share, on both faces together; then the reserve is the Security Administrators'", async () => {
    const viewer1: string[] = [];
    for (const base of [SIMPLE, FULL, SIMPLE]) {
      const r = await login("viewer1", "viewer1-password", base);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      viewer1.push(r.body.token);
    }
    for (const base of [SIMPLE, FULL]) {
      const over = await login("viewer1", "viewer1-password", base);
      assert.equal(over.status, 503, `the fourth session of one user (${base})`);
      assert.ok(Number(over.headers["retry-after"]) >= 1);
      assert.match(over.body.message, /User viewer1 holds the most sessions one user may \(3\)/);
    }
    // Others still log in: 1 (admin) + 3 + 3 = 7, the most users other than Security
    // Administrators may hold together.
    for (let i = 0; i < 3; i++) assert.equal((await login("viewer2", "viewer2-password")).status, 200);
    const third = await login("viewer3", "viewer3-password", FULL);
    assert.equal(third.status, 503, "the last session is kept for Security Administrators");
    assert.match(third.body.message, /other than Security Administrators \(the last 1 are kept for them\)/);
    const kept = await login("admin", ADMIN_PASSWORD, FULL);
    assert.equal(kept.status, 200, "a Security Administrator logs in on the reserve");

    // The Security Administrator sees everyone's sessions and discards another user's.
    const listed = await as(admin, "GET", `${FULL}/sessions`);
    assert.equal(listed.status, 200);
    const ofViewer1 = listed.body.data.filter((s: { userId: string }) => s.userId === "viewer1");
    assert.equal(ofViewer1.length, 3);
    assert.equal(listed.body.count, 8);
    for (const [i, face] of [SIMPLE, FULL].entries()) {
      const gone = await as(admin, "DELETE", `${face}/sessions/${ofViewer1[i].sessionId}`);
      assert.equal(gone.status, 200, JSON.stringify(gone.body));
    }
    const viewerList = await as(viewer1[2] as string, "GET", `${SIMPLE}/sessions`);
    assert.equal(viewerList.body.count, 1, "a View Only user sees only its own");
    assert.equal((await login("viewer1", "viewer1-password")).status, 200, "the share has room again");
  });

  test("sessions discard-offline ends a user's sessions in the store, with no session", async () => {
    const store = server.databaseUrl
      ? ["--database-url", server.databaseUrl]
      : ["--data-dir", server.dataDir];
    const before = await as(admin, "GET", `${SIMPLE}/sessions`);
    const ofViewer2 = before.body.data.filter((s: { userId: string }) => s.userId === "viewer2").length;
    assert.ok(ofViewer2 > 0);
    const r = await runCli(["sessions", "discard-offline", "--user", "viewer2", ...store]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Discarded ${ofViewer2} sessions of user viewer2`));
    // Within the second servers trust a session they checked.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await as(admin, "GET", `${SIMPLE}/sessions`);
    assert.equal(after.body.data.filter((s: { userId: string }) => s.userId === "viewer2").length, 0);

    const wrong = await runCli(["sessions", "discard-offline", "--user", "nobody", ...store]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /no user named "nobody"/);
    const nowhere = await runCli([
      "sessions",
      "discard-offline",
      "--all-users",
      "--data-dir",
      `${server.dataDir}/none`,
    ]);
    assert.equal(nowhere.code, 2, nowhere.stderr);
    assert.match(nowhere.stderr, /There is no store in/);
    assert.ok(!fs.existsSync(`${server.dataDir}/none/blockplane.db`), "no new store is made");
  });
});
