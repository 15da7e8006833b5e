/**
 * A full disk: a server process whose data directory is a small tmpfs, filled with a file while the
 * server runs, then freed. While the disk is full, reads and logins (both faces) must go on; every
 * change must answer 503 with Retry-After and a message naming the cause; /readyz must say the
 * store cannot write; the log must say it once, not once per request. Once the file is removed the
 * server must accept changes again by itself, and after a restart everything acknowledged is there.
 *
 * Needs a tmpfs mount (the suite runs as root); where mounting is not permitted the test is skipped
 * with the reason. SQLite only: the disk of a PostgreSQL store is the database server's.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import SQLite from "better-sqlite3";
import {
  type HttpAnswer,
  httpRequest,
  killAllServers,
  startServerProcess,
  tempDir,
} from "../support/process.ts";
import { sleep } from "../support/reliability.ts";
import { ADMIN_PASSWORD, basic, FULL, SIMPLE } from "../support/server.ts";

after(killAllServers);

const mountPoint = tempDir("blockplane-disk-full-");
const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", mountPoint], {
  encoding: "utf8",
});
const mounted = mount.status === 0;
after(() => {
  if (mounted) spawnSync("umount", ["-l", mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes `file` until the file system has no byte left. */
function fill(file: string): number {
  const fd = fs.openSync(file, "w");
  let written = 0;
  try {
    for (const size of [1 << 20, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          written += fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

test("a full disk: reads and logins go on, changes answer 503 naming the cause, and all recovers", {
  skip: !mounted && `mounting a tmpfs is not permitted here (${mount.stderr.trim()})`,
  timeout: 120_000,
}, async (t) => {
  const dataDir = path.join(mountPoint, "data");
  const start = () =>
    startServerProcess({
      dataDir,
      env: {
        BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD,
        BLOCKPLANE_SEED_POOL: "on",
        BLOCKPLANE_LOG_LEVEL: "info",
      },
      args: ["--busy-retry-after-s", "2"],
    });
  let server = await start();
  const call = (method: string, url: string, token?: string, body?: unknown) =>
    httpRequest(`${server.url}${url}`, method, token ? { authorization: `Session ${token}` } : {}, body);
  const login = async (base = SIMPLE): Promise<HttpAnswer> =>
    httpRequest(
      `${server.url}${base}/sessions`,
      "POST",
      { authorization: basic("admin", ADMIN_PASSWORD) },
      {
        // Its last use is due for writing every second (a tenth of its alive time).
        aliveTime: 10,
      },
    );
  const waitJob = async (token: string, statusResource: string) => {
    for (;;) {
      const r = await call("GET", statusResource, token);
      assert.equal(r.status, 200);
      if (r.body.progress === "completed") return r.body;
      await sleep(20);
    }
  };
  const rename = (token: string, id: number, nickname: string) =>
    call("PATCH", `${SIMPLE}/volumes/${id}`, token, { nickname });
  const errorLines = () =>
    server
      .stdout()
      .split("\n")
      .filter((l) => /"level":(50|60)/.test(l));

  const first = await login();
  assert.equal(first.status, 200);
  const token: string = first.body.token;
  const made = await call("POST", `${SIMPLE}/volumes`, token, { poolId: 0, capacity: 100, number: 3 });
  assert.equal(made.status, 202, JSON.stringify(made.body));
  assert.equal((await waitJob(token, made.body[2].statusResource)).status, "normal");
  assert.equal((await rename(token, 1, "before-full")).status, 200);
  // The reserve is written in the background after the start: wait for it, as a while of use would.
  const reserve = path.join(dataDir, "blockplane.reserve");
  const reserveSize = () => (fs.existsSync(reserve) ? fs.statSync(reserve).size : 0);
  for (const deadline = Date.now() + 15_000; reserveSize() !== 8 * 1024 * 1024 && Date.now() < deadline; )
    await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(reserveSize(), 8 * 1024 * 1024, "the reserve is kept beside the store");

  // The write-ahead log emptied first, so that every write must grow a file: otherwise SQLite may
  // write a while longer into room the log already has, and when the disk fails it is chance.
  const checkpoint = new SQLite(path.join(dataDir, "blockplane.db"));
  checkpoint.pragma("wal_checkpoint(TRUNCATE)");
  checkpoint.close();
  const filler = path.join(mountPoint, "filler");
  const filled = fill(filler);
  const fullAt = Date.now();

  // Reads, for long enough that each session's last use is due for writing twice over.
  let reads = 0;
  while (Date.now() - fullAt < 2500) {
    const r = await call("GET", `${SIMPLE}/volumes`, token);
    assert.equal(r.status, 200, `a read while the disk is full: ${JSON.stringify(r.body)}`);
    reads++;
    await sleep(50);
  }
  // Logins on both faces, and their sessions serve.
  const simpleLogin = await login();
  assert.equal(
    simpleLogin.status,
    200,
    `a login while the disk is full: ${JSON.stringify(simpleLogin.body)}`,
  );
  const v1Login = await login(FULL);
  assert.equal(v1Login.status, 200, JSON.stringify(v1Login.body));
  assert.equal((await call("GET", `${FULL}/ldevs/1`, v1Login.body.token)).status, 200);
  assert.equal((await call("GET", `${SIMPLE}/volumes/1`, simpleLogin.body.token)).status, 200);
  assert.ok(!fs.existsSync(reserve), "the reserve was given up");

  // Changes: 503, with Retry-After and the cause; nothing made.
  const refusals = [
    await call("POST", `${SIMPLE}/volumes`, token, { poolId: 0, capacity: 100 }),
    await rename(token, 2, "during-full"),
    await call("POST", "/blockplane/v1/users", token, {
      name: "u1",
      password: "password1",
      roles: ["Audit Log Administrator (View Only)"],
    }),
  ];
  for (const r of refusals) {
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.headers["retry-after"], "2");
    assert.equal(r.body.messageId, "KART70003-E");
    assert.match(r.body.message, /the disk of its store is full \(SQLITE_FULL\)/);
  }
  const unready = await call("GET", "/readyz");
  assert.equal(unready.status, 503);
  assert.match(unready.body.message, /the store cannot write since .*: its disk is full \(SQLITE_FULL\)/);
  assert.ok(unready.headers["retry-after"]);
  assert.equal(errorLines().length, 1, `said once:\n${errorLines().join("\n")}`);
  assert.match(errorLines()[0] as string, /the store cannot write: its disk is full \(SQLITE_FULL\)/);
  // A logout is a change that frees room: served.
  assert.equal(
    (await call("DELETE", `${FULL}/sessions/${v1Login.body.sessionId}`, v1Login.body.token)).status,
    200,
  );

  // Space back: the server notices by itself.
  fs.rmSync(filler);
  const freedAt = Date.now();
  while ((await call("GET", "/readyz")).status !== 200) {
    assert.ok(Date.now() - freedAt < 15_000, "ready again within 15 s of the space coming back");
    await sleep(50);
  }
  const recoveredMs = Date.now() - freedAt;
  await server.waitFor(/the store can write again/, 5000);
  const after = await call("POST", `${SIMPLE}/volumes`, token, { poolId: 0, capacity: 100 });
  assert.equal(after.status, 202, JSON.stringify(after.body));
  assert.equal((await waitJob(token, after.body[0].statusResource)).status, "normal");
  assert.equal((await rename(token, 2, "after-full")).status, 200);
  assert.ok(fs.existsSync(reserve), "the reserve is kept again");
  assert.equal(errorLines().length, 1, "nothing more to say");

  // Nothing lost: after a restart, everything acknowledged is there.
  assert.equal((await server.stop()).code, 0);
  server = await start();
  const again = await login();
  assert.equal(again.status, 200);
  const volumes = (await call("GET", `${SIMPLE}/volumes?count=100`, again.body.token)).body.data;
  assert.deepEqual(
    volumes.map((v: { id: number; nickname: string }) => [v.id, v.nickname]),
    [
      [0, volumes[0].nickname],
      [1, "before-full"],
      [2, "after-full"],
      [3, volumes[3].nickname],
    ],
  );
  assert.equal((await server.stop()).code, 0);
  t.diagnostic(
    `disk full: filled with ${(filled / 2 ** 20).toFixed(1)} MiB; ${reads} reads 200, 2 logins 200 (both faces), ${refusals.length} changes 503 KART70003-E with Retry-After, /readyz 503; 1 error line; ready again ${recoveredMs} ms after space came back; after a restart 4 volumes and both renames there`,
  );
});
