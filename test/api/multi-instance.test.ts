/**
 * Scale-out: three real Blockplane processes on one PostgreSQL database, as behind a load balancer,
 * with the clients' requests spread over them in turn. Sessions, users and jobs are shared; volumes
 * created through all of them at once keep the array's rules; and when one instance is killed in
 * the middle of its jobs, the others finish each of them exactly once.
 *
 * PostgreSQL only: on SQLite one instance owns its data directory.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import {
  type HttpAnswer,
  httpRequest,
  killAllServers,
  type ServerProcess,
  startServerProcess,
} from "../support/process.ts";
import { basic, freshDatabase, SIMPLE } from "../support/server.ts";

const PG_URL = process.env.BLOCKPLANE_TEST_DATABASE_URL || undefined;
const SKIP_REASON =
  "PostgreSQL only: several instances share a database only on PostgreSQL (SQLite serves one instance)";

const PASSWORD = "multi-instance-admin-1";
const POOLS = `${SIMPLE}/pools`;
const VOLUMES = `${SIMPLE}/volumes`;
/** Short, so that the jobs of a killed instance are taken over within seconds. */
const LEASE_MS = 2000;
/** Long enough for a killed instance's lease to run out and another worker to finish its jobs. */
const JOB_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// biome-ignore lint/suspicious/noExplicitAny: a command-status as the API answers it
type Job = any;

const idsOf = (job: Job): number[] =>
  job.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId));

if (!PG_URL) {
  test("three instances on one database", { skip: SKIP_REASON }, () => {});
} else {
  describe("three instances on one PostgreSQL database behind a round-robin balancer", () => {
    let databaseUrl: string;
    /** The instances still running. */
    let live: ServerProcess[] = [];
    let turn = 0;
    let token: string;

    /** The next instance in turn, as a round-robin load balancer picks it. */
    const next = (): ServerProcess => live[turn++ % live.length] as ServerProcess;
    const call = (
      s: ServerProcess,
      method: string,
      path: string,
      body?: unknown,
      auth = `Session ${token}`,
    ): Promise<HttpAnswer> => httpRequest(`${s.url}${path}`, method, { authorization: auth }, body);
    const send = (method: string, path: string, body?: unknown) => call(next(), method, path, body);

    /** Polls the command-status on the instances in turn until the job has completed. */
    async function completed(statusResource: string): Promise<Job> {
      const deadline = Date.now() + JOB_TIMEOUT_MS;
      for (;;) {
        const r = await send("GET", statusResource);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        if (r.body.progress === "completed") return r.body;
        if (Date.now() > deadline)
          throw new Error(`${statusResource} did not complete: ${JSON.stringify(r.body)}`);
        await sleep(20);
      }
    }
    /** Every statusResource of an accepted answer: one per resource of a multi-resource one. */
    const statusesOf = (r: HttpAnswer): string[] => {
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return Array.isArray(r.body)
        ? r.body.map((s: { statusResource: string }) => s.statusResource)
        : [r.body.statusResource];
    };
    /** The first: the job's own status, whose row is the job. */
    const statusOf = (r: HttpAnswer): string => statusesOf(r)[0] as string;
    /** Waits for every status of an answer; answers them merged, each having ended normal. */
    async function ok(r: HttpAnswer): Promise<Job> {
      const jobs = await Promise.all(statusesOf(r).map(completed));
      for (const job of jobs) assert.equal(job.status, "normal", JSON.stringify(job));
      return {
        ...jobs[0],
        affectedResources: jobs.flatMap((j) => j.affectedResources),
        operationDetails: jobs.flatMap((j) => j.operationDetails),
      };
    }
    async function createPool(name: string): Promise<number> {
      const job = await ok(
        await send("POST", POOLS, {
          name,
          drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 2, raidLevel: "RAID1" }],
        }),
      );
      return idsOf(job)[0] as number;
    }
    async function volumeCount(): Promise<number> {
      const r = await send("GET", `${VOLUMES}?count=1`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.totalCount;
    }
    async function session(s: ServerProcess, name: string, password: string) {
      const r = await httpRequest(`${s.url}${SIMPLE}/sessions`, "POST", {
        authorization: basic(name, password),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { token: string; sessionId: number };
    }

    before(async () => {
      databaseUrl = await freshDatabase(PG_URL);
      // Started together, as a deployment does: one seeds the array and makes the administrator.
      live = await Promise.all(
        [0, 1, 2].map(() =>
          startServerProcess({
            databaseUrl,
            args: ["--job-lease-ms", String(LEASE_MS)],
            // A busy test machine delays event loops; shedding load is not what is tested here.
            env: { BLOCKPLANE_ADMIN_PASSWORD: PASSWORD, BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0" },
          }),
        ),
      );
      token = (await session(next(), "admin", PASSWORD)).token;
    });
    after(() => killAllServers());

    test("a session made on one instance serves on every other; discarded on one, it ends on all", async () => {
      const [first, second, third] = live as [ServerProcess, ServerProcess, ServerProcess];
      const mine = await session(first, "admin", PASSWORD);
      for (const s of live) {
        assert.equal((await call(s, "GET", POOLS, undefined, `Session ${mine.token}`)).status, 200);
      }
      const gone = await call(
        second,
        "DELETE",
        `${SIMPLE}/sessions/${mine.sessionId}`,
        undefined,
        `Session ${mine.token}`,
      );
      assert.equal(gone.status, 200, JSON.stringify(gone.body));
      // An instance may trust a token it checked within its short authentication cache (at most a
      // second): poll, with a bound far above that, until every instance refuses it.
      for (const s of [first, third]) {
        const deadline = Date.now() + 10_000;
        let status = 0;
        while (Date.now() < deadline) {
          status = (await call(s, "GET", POOLS, undefined, `Session ${mine.token}`)).status;
          if (status === 401) break;
          await sleep(100);
        }
        assert.equal(status, 401, `the discarded session still works on ${s.url}`);
      }
    });

    test("a user made on one instance signs in on another and is held to its role on a third", async () => {
      const made = await send("POST", "/blockplane/v1/users", {
        name: "spread-viewer",
        password: "spread-viewer-password",
        roles: ["Storage Administrator (View Only)"],
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const viewer = await session(next(), "spread-viewer", "spread-viewer-password");
      const auth = `Session ${viewer.token}`;
      assert.equal((await call(next(), "GET", POOLS, undefined, auth)).status, 200);
      assert.equal((await call(next(), "POST", VOLUMES, { poolId: 0, capacity: 47 }, auth)).status, 403);
    });

    test("a job accepted by one instance is followed on the others, which all report one outcome", async () => {
      const accepted = await send("POST", POOLS, {
        name: "spread-followed",
        drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 2, raidLevel: "RAID1" }],
      });
      const job = await completed(statusOf(accepted));
      assert.equal(job.status, "normal", JSON.stringify(job));
      const seen = await Promise.all(live.map((s) => call(s, "GET", statusOf(accepted))));
      for (const r of seen) assert.deepEqual(r.body, job);
    });

    test("volume creates sent to all instances at once each get their own volume IDs", async () => {
      // Two pools: creates in one pool wait for each other on its row, those in different pools
      // meet only in the choice of volume IDs.
      const pools = [await createPool("spread-many-1"), await createPool("spread-many-2")];
      const before = await volumeCount();
      const accepted = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          send("POST", VOLUMES, { poolId: pools[i % 2], capacity: 47, number: 10 }),
        ),
      );
      const jobs = await Promise.all(accepted.map(ok));
      const ids = jobs.flatMap(idsOf);
      assert.equal(ids.length, 240);
      assert.equal(new Set(ids).size, 240, "a volume ID was given twice");
      assert.equal(await volumeCount(), before + 240);
    });

    test("an instance killed in the middle of its jobs: the others finish every job exactly once", async () => {
      const pools = [await createPool("spread-crash-1"), await createPool("spread-crash-2")];
      const before = await volumeCount();
      const victim = live[2] as ServerProcess;
      const survivors = live.filter((s) => s !== victim);
      // Large creates on the victim, which its worker claims at once; small ones on the others.
      const onVictim = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          call(victim, "POST", VOLUMES, { poolId: pools[i % 2], capacity: 47, number: 1000 }),
        ),
      );
      const elsewhere = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call(survivors[i % 2] as ServerProcess, "POST", VOLUMES, {
            poolId: pools[(i >> 1) % 2],
            capacity: 47,
            number: 20,
          }),
        ),
      );
      const victimJobs = onVictim.map(statusOf);
      // Killed as soon as it works on one of them: the others of its batch wait or run beside it.
      const deadline = Date.now() + JOB_TIMEOUT_MS;
      for (;;) {
        const seen = await call(survivors[0] as ServerProcess, "GET", victimJobs[0] as string);
        if (seen.body.progress !== "unexecuted") break;
        assert.ok(Date.now() < deadline, "the victim never started its job");
        await sleep(5);
      }
      victim.child.kill("SIGKILL");
      await victim.exited;
      live = survivors;

      // One status per volume: 4120 of them, followed 50 at a time (not 4120 connections at once).
      const urls = [...onVictim.flatMap(statusesOf), ...elsewhere.flatMap(statusesOf)];
      const jobs: Job[] = [];
      for (let i = 0; i < urls.length; i += 50) {
        jobs.push(...(await Promise.all(urls.slice(i, i + 50).map(completed))));
      }
      for (const job of jobs) assert.equal(job.status, "normal", JSON.stringify(job));
      const acknowledged = jobs.flatMap(idsOf);
      assert.equal(acknowledged.length, 4 * 1000 + 6 * 20);
      assert.equal(new Set(acknowledged).size, acknowledged.length, "a volume ID was acknowledged twice");
      // No job acted twice: the array holds exactly the volumes the jobs acknowledged.
      assert.equal(await volumeCount(), before + acknowledged.length);

      // The victim died holding work: at least one of its jobs was claimed again by another instance.
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const ids = victimJobs.map((u) => Number(u.split("/").pop()));
        const rows = await client.query<{ attempts: number }>(
          "select attempts from jobs where id = any($1::bigint[])",
          [ids],
        );
        assert.equal(rows.rows.length, 4);
        assert.ok(
          rows.rows.some((r) => r.attempts >= 2),
          `no job of the killed instance was taken over: ${JSON.stringify(rows.rows)}`,
        );
      } finally {
        await client.end();
      }
    });
  });
}
