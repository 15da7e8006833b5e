/**
 * The store's guarantees under concurrency, on whichever backend the suite runs on (SQLite, or
 * PostgreSQL when BLOCKPLANE_TEST_DATABASE_URL is set): job claims and leases, pruning, the session
 * limit, and several instances starting at once on one database.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { sql } from "kysely";
import { openStore } from "../../src/store/db.ts";
import { StoreUnusable } from "../../src/store/integrity.ts";
import { JobsStore, jobOpKey } from "../../src/store/jobs.ts";
import { ADMIN_PASSWORD, basic, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const PG_URL = process.env.BLOCKPLANE_TEST_DATABASE_URL || undefined;
const onPostgres = PG_URL !== undefined;
/** The kinds the test workers can run: the only kind the tests insert. */
const KINDS = ["test.noop"];

/** Creates an empty database next to the test database and answers its URL. */
async function emptyDatabase(): Promise<string> {
  const { default: pg } = await import("pg");
  const name = `bp_store_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(PG_URL as string);
  url.pathname = `/${name}`;
  return url.toString();
}

describe("job claims and leases", () => {
  let s: TestServer;
  let jobs: JobsStore;
  before(async () => {
    s = await startServer();
    // The server's own worker would take the jobs these tests insert; the tests are the workers here.
    await s.bp.worker.stop();
    jobs = new JobsStore(s.bp.store);
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.bp.store.db.deleteFrom("jobs").execute();
  });

  test("concurrent claims never take the same job and leave none behind", async () => {
    const now = Date.now();
    for (let round = 0; round < 40; round++) {
      const inserted = new Set<number>();
      for (let i = 0; i < 3; i++) inserted.add(await jobs.insert("test.noop", { round, i }, null, now));
      // Twice as many claimers as jobs, all at once.
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, w) => jobs.claim(`w${round}-${w}`, now, 60_000, KINDS)),
      );
      const taken = claims.flatMap((j) => (j ? [j.id] : []));
      assert.equal(new Set(taken).size, taken.length, `round ${round}: a job was claimed twice: ${taken}`);
      for (const id of taken)
        assert.ok(inserted.has(id), `round ${round}: claimed job ${id} of another round`);
      assert.equal(taken.length, 3, `round ${round}: every waiting job is claimed by someone`);
      assert.equal(await jobs.claim("late", now, 60_000, KINDS), undefined);
    }
  });

  test("a job whose lease ran out is claimed again, and the first holder cannot finish it", async () => {
    const t0 = 1_000_000;
    const id = await jobs.insert("test.noop", {}, null, t0);
    const first = await jobs.claim("a", t0, 1000, KINDS);
    assert.equal(first?.id, id);
    assert.equal(first?.attempts, 1);
    assert.equal(first?.leaseUntil, t0 + 1000);

    assert.equal(await jobs.claim("b", t0 + 999, 1000, KINDS), undefined, "the lease still holds");
    const second = await jobs.claim("b", t0 + 1001, 1000, KINDS);
    assert.equal(second?.id, id);
    assert.equal(second?.leaseOwner, "b");
    assert.equal(second?.attempts, 2);

    assert.equal(await jobs.renew(id, "a", t0 + 5000), false, "a lost lease is not renewed");
    assert.equal(
      await jobs.complete(id, "a", "normal", { by: "a" }, t0 + 1100),
      false,
      "a lost lease is refused",
    );
    assert.equal(await jobs.complete(id, "b", "normal", { by: "b" }, t0 + 1200), true);
    const done = await jobs.get(id);
    assert.equal(done?.progress, "completed");
    assert.deepEqual(done?.result, { by: "b" });
    assert.equal(
      await jobs.complete(id, "b", "error", { by: "b again" }, t0 + 1300),
      false,
      "completed only once",
    );
    assert.equal(
      await jobs.claim("c", t0 + 10_000_000, 1000, KINDS),
      undefined,
      "a completed job is never claimed",
    );
  });

  test("prune removes completed jobs past their TTL, then the oldest past the count, never running ones", async () => {
    const finished: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const id = await jobs.insert("test.noop", {}, null, i * 1000);
      const job = await jobs.claim("w", i * 1000, 100, KINDS);
      assert.equal(job?.id, id);
      assert.equal(await jobs.complete(id, "w", "normal", {}, i * 1000), true);
      finished.push(id);
    }
    const waiting = await jobs.insert("test.noop", {}, null, 0);
    const remaining = async () =>
      (await s.bp.store.db.selectFrom("jobs").select("id").orderBy("id").execute()).map((r) => Number(r.id));

    assert.deepEqual(
      await jobs.prune(2500, 100),
      { removed: 2, remaining: 4 },
      "by TTL: the two updated before 2500",
    );
    assert.deepEqual(await remaining(), [...finished.slice(2), waiting]);

    assert.deepEqual(
      await jobs.prune(0, 2),
      { removed: 2, remaining: 2 },
      "by count: four kept is two too many",
    );
    assert.deepEqual(await remaining(), [finished[4], waiting]);

    assert.deepEqual(
      await jobs.prune(0, 0),
      { removed: 1, remaining: 1 },
      "a job not completed is never pruned",
    );
    assert.deepEqual(await remaining(), [waiting]);
    assert.equal(await jobs.countActive(), 1);
  });

  test("a job's completion removes its idempotency records, and no other job's", async () => {
    const db = s.bp.store.db;
    await db.deleteFrom("array_ops").execute();
    const now = Date.now();
    const id = await jobs.insert("test.noop", {}, null, now);
    const claimed = await jobs.claim("w1", now, 60_000, KINDS);
    assert.equal(claimed?.id, id);
    // Keys of the job, of the job whose id begins with its own, of another job.
    const keys = [jobOpKey(id, 0), jobOpKey(id, 17), jobOpKey(Number(`${id}0`), 0), jobOpKey(id + 1, 0)];
    await db
      .insertInto("array_ops")
      .values(keys.map((op_key) => ({ op_key, outcome: "{}", created_at: now })))
      .execute();
    // A worker that lost the lease completes nothing and removes nothing.
    assert.equal(await jobs.complete(id, "w2", "normal", {}, now), false);
    assert.equal((await db.selectFrom("array_ops").select("op_key").execute()).length, 4);
    assert.equal(await jobs.complete(id, "w1", "normal", {}, now), true);
    const left = await db.selectFrom("array_ops").select("op_key").execute();
    assert.deepEqual(
      left.map((r) => r.op_key).sort(),
      [jobOpKey(Number(`${id}0`), 0), jobOpKey(id + 1, 0)].sort(),
    );
  });

  test("prune removes idempotency records past the TTL and keeps younger ones", async () => {
    const db = s.bp.store.db;
    await db.deleteFrom("array_ops").execute();
    await db
      .insertInto("array_ops")
      .values([
        { op_key: "job:1:0", outcome: "{}", created_at: 1000 },
        { op_key: "job:2:0", outcome: "{}", created_at: 5000 },
      ])
      .execute();
    await jobs.prune(2500, 100);
    const left = await db.selectFrom("array_ops").select("op_key").execute();
    assert.deepEqual(
      left.map((r) => r.op_key),
      ["job:2:0"],
    );
  });
});

describe("session limit under concurrency", () => {
  const instances: TestServer[] = [];
  before(async () => {
    const first = await startServer({ BLOCKPLANE_MAX_SESSIONS: "5" });
    instances.push(first);
    // On PostgreSQL a second instance on the same database competes for the same limit; SQLite is
    // one instance per file.
    if (first.config.databaseUrl) {
      instances.push(
        await startServer({
          BLOCKPLANE_MAX_SESSIONS: "5",
          BLOCKPLANE_DATABASE_URL: first.config.databaseUrl,
        }),
      );
    }
  });
  after(async () => {
    for (const s of instances) await s.close();
  });

  test("twenty sessions at once within a limit of five: exactly the free places succeed", async () => {
    // Each harness instance holds one admin session already.
    const free = 5 - instances.length;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (instances[i % instances.length] as TestServer).post(`${SIMPLE}/sessions`, undefined, {
          token: null,
          headers: { authorization: basic("admin", ADMIN_PASSWORD) },
        }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((c) => c === 200).length, free, `statuses: ${statuses}`);
    assert.equal(statuses.filter((c) => c === 503).length, 20 - free, `statuses: ${statuses}`);
    const { n } = await (instances[0] as TestServer).bp.store.db
      .selectFrom("sessions")
      .select((e) => e.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    assert.equal(Number(n), 5);
  });
});

describe("instances starting together", () => {
  test("three instances on one empty database migrate and seed it once", {
    skip: !onPostgres && "several instances share a database only on PostgreSQL",
  }, async () => {
    const url = await emptyDatabase();
    const starts = await Promise.allSettled(
      Array.from({ length: 3 }, () => startServer({ BLOCKPLANE_DATABASE_URL: url })),
    );
    // Close whatever started, also when the other start failed, or the open pool keeps the run alive.
    const started = starts.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    try {
      for (const r of starts) if (r.status === "rejected") throw r.reason;
      const db = (started[0] as TestServer).bp.store.db;
      const count = async (table: "drives" | "ports" | "users" | "array_meta") =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((e) => e.fn.countAll<number>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      assert.equal(await count("drives"), 64);
      assert.equal(await count("ports"), 16);
      // The seeding marker and the model the array was seeded as.
      assert.equal(await count("array_meta"), 2);
      assert.equal(await count("users"), 1, "one administrator");
      assert.equal(
        started.filter((s) => s.bp.initialAdmin !== undefined).length,
        1,
        "created by one of them",
      );
      for (const s of started) assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200);
    } finally {
      await Promise.all(started.map((s) => s.close()));
    }
  });

  test("a restart on the same store keeps its state and seeds nothing again", async () => {
    const a = await startServer();
    const shared: Record<string, string> = a.config.databaseUrl
      ? { BLOCKPLANE_DATABASE_URL: a.config.databaseUrl }
      : { BLOCKPLANE_DATA_DIR: a.config.dataDir };
    await a.bp.store.db.updateTable("drives").set({ pool_id: 7 }).where("location", "=", "0-0").execute();
    await a.bp.close();
    const b = await startServer(shared);
    try {
      const drives = await b.bp.store.db.selectFrom("drives").select(["location", "pool_id"]).execute();
      assert.equal(drives.length, 64);
      assert.equal(drives.find((d) => d.location === "0-0")?.pool_id, 7);
      assert.equal(b.bp.initialAdmin, undefined, "the administrator exists already");
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe("durability of a new SQLite store", { skip: onPostgres && "SQLite only" }, () => {
  test("once open (its migrations made at NORMAL), it commits at FULL, every migration recorded", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-store-"));
    try {
      const store = await openStore({ dataDir });
      try {
        const [row] = (await sql`pragma synchronous`.execute(store.db)).rows as { synchronous: number }[];
        assert.equal(row?.synchronous, 2, "FULL");
        const ran = await store.db
          .selectFrom("kysely_migration" as never)
          .selectAll()
          .execute();
        assert.ok(ran.length >= 8, `${ran.length} migrations recorded`);
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("a database that is not Blockplane's", () => {
  test("is refused before anything is added to it", {
    skip: !onPostgres && "the SQLite cases are in test/reliability/damaged-store.test.ts",
  }, async () => {
    const url = await emptyDatabase();
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("create table photos (id int primary key)");
      await assert.rejects(openStore({ dataDir: "", databaseUrl: url }), (err: Error) => {
        assert.ok(err instanceof StoreUnusable, String(err));
        assert.match(err.message, /holds tables that are not Blockplane's \(photos\)/);
        assert.doesNotMatch(err.message, /:[^:@/]+@/, "no password in the message");
        return true;
      });
      const tables = await client.query("select tablename from pg_tables where schemaname = 'public'");
      assert.deepEqual(
        tables.rows.map((r) => r.tablename),
        ["photos"],
        "no table of Blockplane's was made",
      );
    } finally {
      await client.end();
    }
  });
});
