/**
 * The in-process harness (src/harness.ts) as a user's test suite meets it: startBlockplane() on a
 * memory store, on a data dir or (when the tests run on PostgreSQL) a database; logging in with the
 * credentials it answers, both API faces at its URLs, a seed, reset() and exportArray(), and close()
 * leaving nothing behind. Then `--store memory` in a server process.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import { type RunningBlockplane, startBlockplane } from "../../src/harness.ts";
import { openStore } from "../../src/store/db.ts";
import { httpRequest, killAllServers, spawnServer, startServerProcess, tempDir } from "../support/process.ts";
import { basic, freshDatabase } from "../support/server.ts";

/** The memory stores' directories now in the temporary directory. */
const memoryDirs = () =>
  new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("blockplane-memory-")));

/** A session of the harness's administrator. */
async function session(bp: RunningBlockplane): Promise<string> {
  const r = await fetch(`${bp.simpleApiUrl}/objects/sessions`, {
    method: "POST",
    headers: { authorization: basic(bp.credentials.user, bp.credentials.password) },
  });
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { token: string }).token;
}

async function getJson(url: string, token: string) {
  const r = await fetch(url, { headers: { authorization: `Session ${token}` } });
  // biome-ignore lint/suspicious/noExplicitAny: the API's answers, read by the tests
  return { status: r.status, body: (await r.json()) as any };
}

describe("startBlockplane", { timeout: 240_000 }, () => {
  const dirs: string[] = [];
  after(async () => {
    await killAllServers();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test("a memory store on a free port: log in, both faces, and close() removes the store", async () => {
    const before = memoryDirs();
    const bp = await startBlockplane({ model: "VSP E1090" });
    const mine = [...memoryDirs()].filter((d) => !before.has(d));
    try {
      assert.equal(mine.length, 1, "one new memory store");
      assert.match(bp.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(new URL(bp.url).port, "0");
      assert.equal(bp.simpleApiUrl, `${bp.url}/ConfigurationManager/simple/v1`);
      assert.equal(bp.fullApiUrl, `${bp.url}/ConfigurationManager/v1`);
      assert.equal(bp.credentials.user, "admin");
      assert.ok(bp.credentials.password.length >= 16, "a generated password");
      assert.deepEqual(bp.array, { model: "VSP E1090", serial: "700001", storageDeviceId: "900000700001" });

      const token = await session(bp);
      const storage = await getJson(`${bp.simpleApiUrl}/objects/storage`, token);
      assert.equal(storage.status, 200);
      assert.equal(storage.body.modelName, "VSP E1090");
      // The seeded pool of a new array, as on the server's own first start.
      const pools = await getJson(`${bp.simpleApiUrl}/objects/pools`, token);
      assert.equal(pools.body.count, 1);
      const scoped = await getJson(
        `${bp.fullApiUrl}/objects/storages/${bp.array.storageDeviceId}/pools`,
        token,
      );
      assert.equal(scoped.status, 200);
      assert.equal((await fetch(`${bp.url}/readyz`)).status, 200);
    } finally {
      await bp.close();
    }
    assert.equal(fs.existsSync(path.join(os.tmpdir(), mine[0] as string)), false, "the store is removed");
    await assert.rejects(fetch(`${bp.url}/healthz`), "the port is closed");
  });

  test("two at once listen on two ports, each with its own array", async () => {
    // Started one after the other: each start's plugins must boot within Fastify's 10 s, which two
    // at once on a loaded 2-core machine may miss.
    const a = await startBlockplane({ adminPassword: "first-password", seedPool: false });
    const b = await startBlockplane({ adminPassword: "second-password" }).catch(async (err) => {
      await a.close();
      throw err;
    });
    try {
      assert.notEqual(a.url, b.url);
      assert.equal(a.credentials.password, "first-password");
      const [ta, tb] = await Promise.all([session(a), session(b)]);
      assert.equal((await getJson(`${a.simpleApiUrl}/objects/pools`, ta)).body.count, 0);
      assert.equal((await getJson(`${b.simpleApiUrl}/objects/pools`, tb)).body.count, 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a seed, reset() and exportArray(), on the store the tests run on", async () => {
    const dataDir = tempDir("blockplane-harness-");
    dirs.push(dataDir);
    const base = process.env.BLOCKPLANE_TEST_DATABASE_URL;
    const store = base ? { databaseUrl: await freshDatabase(base) } : { dataDir };
    const source = await startBlockplane({ model: "VSP E1090", store });
    let seedFile: string;
    try {
      const token = await session(source);
      const made = await fetch(`${source.simpleApiUrl}/objects/volumes`, {
        method: "POST",
        headers: { authorization: `Session ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ poolId: 0, capacity: 2048, number: 2, nicknameParam: { baseName: "h" } }),
      });
      assert.equal(made.status, 202);
      for (const { statusResource } of (await made.json()) as { statusResource: string }[]) {
        for (let i = 0; i < 2000; i++) {
          const job = await getJson(`${source.url}${statusResource}`, token);
          if (job.body.progress === "completed") {
            assert.equal(job.body.status, "normal");
            break;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      const doc = await source.exportArray();
      assert.equal(doc.volumes.length, 2);
      // The in-process export is the route's.
      assert.deepEqual((await getJson(`${source.url}/blockplane/v1/array/export`, token)).body, doc);
      seedFile = path.join(dataDir, "seed.json");
      fs.writeFileSync(seedFile, JSON.stringify(doc));
    } finally {
      await source.close();
    }
    if (!base) assert.ok(fs.existsSync(path.join(dataDir, "blockplane.db")), "a data dir is kept");

    const seeded = await startBlockplane({ seed: seedFile });
    try {
      assert.equal(seeded.array.model, "VSP E1090", "the seed's model");
      const token = await session(seeded);
      const volumes = await getJson(`${seeded.simpleApiUrl}/objects/volumes`, token);
      assert.deepEqual(
        volumes.body.data.map((v: { id: number; nickname: string }) => [v.id, v.nickname]),
        [
          [0, "h"],
          [1, "h"],
        ],
      );
      await seeded.reset();
      assert.equal((await getJson(`${seeded.simpleApiUrl}/objects/volumes`, token)).body.count, 0);
      const after = await seeded.exportArray({ passwordHashes: true });
      assert.deepEqual(after.volumes, []);
      assert.equal(after.pools.length, 1, "the seeded pool, made again");
      assert.match(after.users[0]?.passwordHash ?? "", /^\$argon2id\$/);
    } finally {
      await seeded.close();
    }
  });

  test("flags reach the server; a wrong option is refused before anything starts", async () => {
    const bp = await startBlockplane({ flags: { "array-serial": "654321", "seed-pool": "off" } });
    try {
      assert.equal(bp.array.serial, "654321");
      assert.equal(bp.array.storageDeviceId, "900000654321");
    } finally {
      await bp.close();
    }
    const before = memoryDirs();
    // A port taken: the start fails, and what it had opened is closed and removed.
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = taken.address() as net.AddressInfo;
      await assert.rejects(startBlockplane({ port }), /EADDRINUSE/);
    } finally {
      taken.close();
    }
    await assert.rejects(startBlockplane({ model: "VSP Z9" }), /unknown array model "VSP Z9"/);
    await assert.rejects(startBlockplane({ adminPassword: "short" }), /at least 8 characters/);
    assert.deepEqual(memoryDirs(), before);
  });

  test("a memory store is the embedded store in WAL, not waiting for the disk; a data dir's waits", async () => {
    const pragmas = async (store: Awaited<ReturnType<typeof openStore>>) => ({
      journal: (await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db)).rows[0]
        ?.journal_mode,
      synchronous: (await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db)).rows[0]
        ?.synchronous,
    });
    const memory = await openStore({ dataDir: "/nonexistent", store: "memory" });
    try {
      assert.equal(memory.dialect, "sqlite");
      assert.deepEqual(await pragmas(memory), { journal: "wal", synchronous: 0 });
    } finally {
      await memory.close();
    }
    const dataDir = tempDir("blockplane-harness-durable-");
    dirs.push(dataDir);
    const durable = await openStore({ dataDir });
    try {
      assert.deepEqual(await pragmas(durable), { journal: "wal", synchronous: 2 });
    } finally {
      await durable.close();
    }
  });

  test("blockplane serve --store memory: a new array each start, removed when the server stops", async () => {
    const before = memoryDirs();
    const p = await startServerProcess({
      rawArgs: true,
      args: [
        "--port",
        "0",
        "--store",
        "memory",
        "--admin-password",
        "memory-password",
        "--log-level",
        "info",
      ],
      viaCli: true,
    });
    const listening = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(p.stdout());
    assert.ok(listening, p.stdout());
    assert.match(p.stdout(), /"store":"memory"/);
    const created = [...memoryDirs()].filter((d) => !before.has(d));
    assert.equal(created.length, 1);
    const r = await httpRequest(`${listening[1]}/ConfigurationManager/simple/v1/objects/sessions`, "POST", {
      authorization: basic("admin", "memory-password"),
    });
    assert.equal(r.status, 200);
    const exit = await p.stop("SIGTERM");
    assert.equal(exit.code, 0);
    assert.equal(fs.existsSync(path.join(os.tmpdir(), created[0] as string)), false);

    const both = await spawnServer({ rawArgs: true, args: ["--store", "memory", "--data-dir", tempDir()] });
    assert.equal((await both.exited).code, 2);
    assert.match(both.stderr(), /--store memory keeps its store in a temporary directory of its own/);
    const env = await spawnServer({ rawArgs: true, env: { BLOCKPLANE_STORE: "ram" } });
    assert.equal((await env.exited).code, 2);
    assert.match(env.stderr(), /store must be persistent or memory, got "ram"/);
  });
});
