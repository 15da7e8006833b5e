/**
 * A damaged store: a server process started on a blockplane.db that exists but is empty, is not an
 * SQLite database, is another program's database, or has a page of garbage must refuse to start,
 * with one line that names the file and what to do, a non-zero exit and no stack trace, and leave
 * the file as it found it. A new data directory still starts a new array.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import SQLite from "better-sqlite3";
import { httpRequest, killAllServers, spawnServer, startServerProcess, tempDir } from "../support/process.ts";
import { ADMIN_PASSWORD, basic } from "../support/server.ts";

after(killAllServers);

const ENV = { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD, BLOCKPLANE_LOG_LEVEL: "info" };
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = tempDir("blockplane-damaged-");
  dirs.push(d);
  return d;
}

function digest(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Starts a server on `dir`, expects it to refuse, and checks what it said; answers the line. */
async function expectRefusal(t: TestContext, label: string, dir: string, reason: RegExp): Promise<string> {
  const file = path.join(dir, "blockplane.db");
  const before = digest(file);
  const started = Date.now();
  const p = await spawnServer({ dataDir: dir, env: ENV });
  const exit = await p.exited;
  const ms = Date.now() - started;
  const stderr = p.stderr();
  assert.notEqual(exit.code, 0, `${label}: exits non-zero\n${stderr}`);
  assert.equal(exit.code, 1, stderr);
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `${label}: one line\n${stderr}`);
  const line = lines[0] as string;
  assert.ok(line.includes(file), `${label}: names the file: ${line}`);
  assert.match(line, reason, label);
  assert.match(line, /restore|move it away|--data-dir/i, `${label}: says what to do: ${line}`);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  assert.doesNotMatch(p.stdout(), /blockplane is listening|Initial administrator/);
  assert.equal(digest(file), before, `${label}: the file is left as it was`);
  t.diagnostic(`damaged store (${label}): refused in ${ms} ms, file unchanged: ${line}`);
  return line;
}

describe("a store that is not sound is refused", { concurrency: true, timeout: 180_000 }, () => {
  test("an empty (0-byte) blockplane.db does not start as a new array", async (t) => {
    const dir = dataDir();
    fs.writeFileSync(path.join(dir, "blockplane.db"), "");
    await expectRefusal(t, "empty file", dir, /is empty \(0 bytes\)/);
  });

  test("a file that is not an SQLite database is refused", async (t) => {
    const dir = dataDir();
    fs.writeFileSync(path.join(dir, "blockplane.db"), "these are not the pages you are looking for\n");
    await expectRefusal(t, "not SQLite", dir, /is not an SQLite database/);
  });

  test("another program's SQLite database is refused", async (t) => {
    const dir = dataDir();
    const other = new SQLite(path.join(dir, "blockplane.db"));
    other.exec("create table photos (id integer primary key, name text); insert into photos values (1, 'x')");
    other.close();
    await expectRefusal(t, "foreign database", dir, /something else.*photos/);
  });

  test("a store with a page of garbage is refused; a new data dir starts a new array", async (t) => {
    const dir = path.join(dataDir(), "new", "dir");
    const first = await startServerProcess({ dataDir: dir, env: ENV });
    const login = await httpRequest(`${first.url}/ConfigurationManager/simple/v1/objects/sessions`, "POST", {
      authorization: basic("admin", ADMIN_PASSWORD),
    });
    assert.equal(login.status, 200, "a new data dir starts with the initial administrator");
    assert.equal((await first.stop()).code, 0);

    // The page holding the users' rows, overwritten with random bytes, as a bad sector or a torn
    // copy would leave it.
    const file = path.join(dir, "blockplane.db");
    const db = new SQLite(file, { readonly: true });
    const root = db
      .prepare("select rootpage from sqlite_master where name = 'users'")
      .pluck()
      .get() as number;
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    db.close();
    const fd = fs.openSync(file, "r+");
    fs.writeSync(fd, randomBytes(pageSize), 0, pageSize, (root - 1) * pageSize);
    fs.closeSync(fd);
    await expectRefusal(t, "garbage page", dir, /is damaged \(/);
  });
});
