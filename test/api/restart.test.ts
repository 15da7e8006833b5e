/**
 * Jobs across crashes and restarts: a job caught half done by a killed process is finished by the
 * next one once the dead worker's lease runs out, each item acting once (idempotency keys); a job
 * interrupted too often ends in a defined error; a graceful shutdown hands running jobs over at once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { type ExecutionResult, succeeded } from "../../src/services/jobs.ts";
import { openStore } from "../../src/store/db.ts";
import type { CountedParams } from "../support/job-process.ts";
import {
  countEffect,
  deviceWait,
  effects,
  enqueue,
  gate,
  idOf,
  jobRow,
  simContext,
  sleep,
  uniqueKind,
  waitProgress,
} from "../support/jobs.ts";
import {
  cleanEnv,
  freePort,
  httpRequest,
  ROOT,
  type ServerProcess,
  startServerProcess,
  tempDir,
} from "../support/process.ts";
import {
  ADMIN_PASSWORD,
  basic,
  FULL,
  freshDatabase,
  SIMPLE,
  startServer,
  type TestServer,
} from "../support/server.ts";

const JOB_PROCESS = path.join(ROOT, "test/support/job-process.ts");

interface JobProcess {
  child: ChildProcess;
  exited: Promise<void>;
  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

function spawnJobProcess(flags: string[], env: Record<string, string>): JobProcess {
  const child = spawn(process.execPath, ["--import", "tsx", JOB_PROCESS, ...flags], {
    cwd: ROOT,
    env: cleanEnv({ BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD, BLOCKPLANE_LOG_LEVEL: "silent", ...env }),
    stdio: "pipe",
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    child,
    exited,
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(out);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`exited before ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}`);
        await sleep(20);
      }
    },
  };
}

async function login(port: number): Promise<string> {
  const r = await httpRequest(`http://127.0.0.1:${port}${SIMPLE}/sessions`, "POST", {
    authorization: basic("admin", ADMIN_PASSWORD),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

async function pollCompleted(port: number, token: string, url: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await httpRequest(`http://127.0.0.1:${port}${url}`, "GET", {
      authorization: `Session ${token}`,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (r.body.progress === "completed") return r.body;
    assert.ok(Date.now() < deadline, `${url} did not complete: ${JSON.stringify(r.body)}`);
    await sleep(50);
  }
}

/** The store flags of a fresh store: a temp data dir, and a fresh database when testing PostgreSQL. */
async function freshStore() {
  const dataDir = tempDir("blockplane-restart-");
  const base = process.env.BLOCKPLANE_TEST_DATABASE_URL;
  const databaseUrl = base ? await freshDatabase(base) : undefined;
  const flags = ["--data-dir", dataDir, ...(databaseUrl ? ["--database-url", databaseUrl] : [])];
  return { dataDir, databaseUrl, flags };
}

/** Another server on the store of `s`, as a second instance or a restart would be. */
function sameStore(s: TestServer): Record<string, string> {
  return s.config.databaseUrl
    ? { BLOCKPLANE_DATABASE_URL: s.config.databaseUrl }
    : { BLOCKPLANE_DATA_DIR: s.config.dataDir };
}

const items = (n: number): ExecutionResult[] =>
  Array.from({ length: n }, (_, i) => succeeded("CREATE", "TestItem", i, `${SIMPLE}/test-items/${i}`));

describe("jobs across crashes and restarts", () => {
  test("a job caught half done by SIGKILL is finished after restart, once its lease runs out, each item once", async () => {
    const store = await freshStore();
    const leaseMs = 1500;
    const common = [...store.flags, "--job-lease-ms", String(leaseMs)];
    const first = spawnJobProcess(["--port", String(await freePort()), ...common], {
      JOB_PROCESS_ENQUEUE: "3:crash",
      JOB_PROCESS_HANG_AFTER: "1",
    });
    let second: JobProcess | undefined;
    const db = await openStore({ dataDir: store.dataDir, databaseUrl: store.databaseUrl });
    try {
      const url = (await first.waitFor(/enqueued (\S+)/))[1] as string;
      await first.waitFor(/hung 1/);
      first.child.kill("SIGKILL");
      await first.exited;

      // Items 0 and 1 acted; the dead worker still holds the lease.
      assert.equal(await effects(db.db, "crash"), 2);
      const dead = await jobRow(db.db, idOf(url));
      assert.equal(dead?.progress, "processing");
      assert.ok(dead?.lease_owner, "the lease is left held by the dead worker");
      assert.equal(dead?.attempts, 1);

      const port = await freePort();
      second = spawnJobProcess(["--port", String(port), ...common], {});
      await second.waitFor(/listening/);
      const st = await pollCompleted(port, await login(port), url);
      assert.deepEqual(st, {
        id: idOf(url),
        progress: "completed",
        status: "normal",
        affectedResources: items(3).flatMap((i) => i.affectedResources),
        operationDetails: items(3).flatMap((i) => i.operationDetails),
      });
      // The re-run replayed items 0 and 1 from their recorded outcomes and acted for item 2 only.
      assert.equal(await effects(db.db, "crash"), 3);
      const finished = await jobRow(db.db, idOf(url));
      assert.equal(finished?.attempts, 2);
      assert.ok(
        Number(finished?.updated_at) >= Number(dead?.lease_until),
        "not taken before the lease ran out",
      );
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGTERM");
      await Promise.all([first.exited, second?.exited]);
      await db.close();
      fs.rmSync(store.dataDir, { recursive: true, force: true });
    }
  });

  test("the real server killed right after accepting POST volumes number=1000 ends with exactly 1000 volumes", async (t) => {
    const store = await freshStore();
    const options = {
      dataDir: store.dataDir,
      args: [...store.flags.slice(2), "--job-lease-ms", "500"],
      env: { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD },
    };
    const running: ServerProcess[] = [];
    const db = await openStore({ dataDir: store.dataDir, databaseUrl: store.databaseUrl });
    try {
      const first = await startServerProcess(options);
      running.push(first);
      const auth = { authorization: `Session ${await login(first.port)}` };
      const pool = await httpRequest(`${first.url}${SIMPLE}/pools`, "POST", auth, {
        name: "restart",
        drives: [{ driveTypeCode: "SNB5A-R1R9NC", dataDriveCount: 6, raidLevel: "RAID5" }],
      });
      assert.equal(pool.status, 202, JSON.stringify(pool.body));
      const poolJob = await pollCompleted(first.port, auth.authorization.slice(8), pool.body.statusResource);
      assert.equal(poolJob.status, "normal", JSON.stringify(poolJob));
      const poolId = Number(poolJob.operationDetails[0].resourceId);

      const made = await httpRequest(`${first.url}${SIMPLE}/volumes`, "POST", auth, {
        poolId,
        capacity: 47,
        number: 1000,
        nicknameParam: { baseName: "rs", startNumber: 0, numberOfDigits: 4 },
      });
      assert.equal(made.status, 202, JSON.stringify(made.body));
      const url = made.body[0].statusResource as string;
      // Killed as soon as the worker has taken the job: the crash may land before, inside or after
      // the device's transaction; the outcome must be the same.
      while ((await jobRow(db.db, idOf(url)))?.progress === "unexecuted") await sleep(1);
      first.child.kill("SIGKILL");
      await first.exited;
      const left = await jobRow(db.db, idOf(url));
      const before = (await db.db.selectFrom("volumes").select("id").where("pool_id", "=", poolId).execute())
        .length;
      t.diagnostic(`killed with the job ${left?.progress} and ${before} volumes made`);
      assert.ok(
        before === 0 || before === 1000,
        `the batch is one transaction, yet ${before} volumes were made`,
      );

      const second = await startServerProcess(options);
      running.push(second);
      const token = await login(second.port);
      const urls = made.body.map((x: { statusResource: string }) => x.statusResource) as string[];
      assert.equal(urls.length, 1000, "one statusResource per volume");
      const named = new Set<string>();
      for (const [i, each] of urls.entries()) {
        // The first waits for the job; the others completed with it.
        const st = await pollCompleted(second.port, token, each, i === 0 ? 15_000 : 0);
        assert.equal(st.status, "normal", JSON.stringify(st).slice(0, 500));
        assert.equal(st.operationDetails.length, 1);
        named.add(st.operationDetails[0].resourceId);
      }
      assert.equal(named.size, 1000, "each status names its own volume");
      const listed = await httpRequest(`${second.url}${SIMPLE}/volumes?poolId=${poolId}&count=1`, "GET", {
        authorization: `Session ${await login(second.port)}`,
      });
      assert.equal(listed.status, 200);
      assert.equal(listed.body.totalCount, 1000, "each volume created once");
      assert.deepEqual(await second.stop("SIGTERM"), { code: 0, signal: null });
    } finally {
      for (const p of running) await p.stop("SIGKILL").catch(() => {});
      await db.close();
      fs.rmSync(store.dataDir, { recursive: true, force: true });
    }
  });

  test("a job whose worker stopped renewing is taken over when the lease expires and finished once", async () => {
    const s = await startServer({ BLOCKPLANE_JOB_LEASE_MS: "300" });
    try {
      const kind = uniqueKind("takeover");
      const sim = simContext(s);
      const runs: { started: number; aborted: boolean }[] = [];
      s.bp.jobs.register<CountedParams>(kind, async (p, ctx) => {
        const run = { started: Date.now(), aborted: false };
        runs.push(run);
        const done: ExecutionResult[] = [];
        for (let i = 0; i < p.items; i++) {
          await countEffect(sim, { signal: ctx.signal, opKey: ctx.opKey(i) }, p.counter);
          done.push(items(p.items)[i] as ExecutionResult);
          if (runs.length === 1 && i === 1) {
            await deviceWait(ctx.signal).catch(() => {
              run.aborted = true;
            });
            return { done, failures: [] };
          }
        }
        return { done, failures: [] };
      });
      const url = await enqueue(s, kind, { items: 3, counter: "takeover" } satisfies CountedParams);
      await waitProgress(s, url, "processing");
      while ((await effects(s.bp.store.db, "takeover")) < 2) await sleep(5);
      // A worker that died holds the lease for 400 ms more; this one must notice and let go.
      const until = Date.now() + 400;
      await s.bp.store.db
        .updateTable("jobs")
        .set({ lease_owner: "worker-dead", lease_until: until })
        .where("id", "=", idOf(url))
        .execute();

      const st = await s.waitJob(url);
      assert.equal(st.status, "normal");
      assert.deepEqual(
        st.affectedResources,
        items(3).flatMap((i) => i.affectedResources),
      );
      assert.equal(await effects(s.bp.store.db, "takeover"), 3);
      assert.equal(runs.length, 2);
      assert.equal(runs[0]?.aborted, true, "the run whose lease was lost was aborted");
      assert.ok((runs[1]?.started ?? 0) >= until, "the second run waited for the lease to expire");
    } finally {
      await s.close();
    }
  });

  test("a process that stalls past its lease does not start a second run of its own job", async () => {
    const s = await startServer({ BLOCKPLANE_JOB_LEASE_MS: "300" });
    try {
      const kind = uniqueKind("stall");
      let runs = 0;
      s.bp.jobs.register(kind, async () => {
        runs++;
        // Blocks the event loop past the lease and a poll: when it frees, the renewal and the
        // poll's claim are due at once, and the claim may find the lease expired.
        const until = Date.now() + 1300;
        while (Date.now() < until) {}
        await sleep(200);
        return { done: items(1), failures: [] };
      });
      const st = await s.waitJob(await enqueue(s, kind));
      assert.equal(st.status, "normal");
      assert.equal(runs, 1);
    } finally {
      await s.close();
    }
  });

  // With a short lease this worker's renewal finds the lease lost first; with a long one the next
  // poll claims the job back while its first run still goes on, which must yield to the claim.
  for (const [leaseMs, found] of [
    ["300", "by the lease renewal"],
    ["60000", "by a claim while the first run goes on"],
  ] as const)
    test(`a job interrupted more than maxAttempts (5) times ends as an error without running again (found ${found})`, async () => {
      const s = await startServer({ BLOCKPLANE_JOB_LEASE_MS: leaseMs });
      try {
        const kind = uniqueKind("abandoned");
        let runs = 0;
        s.bp.jobs.register(kind, async (_p, ctx) => {
          runs++;
          await deviceWait(ctx.signal);
          return { done: items(1), failures: [] };
        });
        const url = await enqueue(s, kind);
        await waitProgress(s, url, "processing");
        // As if five workers had claimed it and died, the last one's lease now expired.
        await s.bp.store.db
          .updateTable("jobs")
          .set({ attempts: 5, lease_owner: "worker-dead", lease_until: 0 })
          .where("id", "=", idOf(url))
          .execute();

        const st = await s.waitJob(url);
        assert.deepEqual(st, {
          id: idOf(url),
          progress: "completed",
          status: "error",
          affectedResources: [],
          operationDetails: [],
          errorResource: url,
          errorMessage: "The operation was interrupted 5 times and was abandoned.",
        });
        assert.equal(runs, 1, "the abandoned job's handler did not run again");
        assert.equal((await jobRow(s.bp.store.db, idOf(url)))?.lease_owner, null);
      } finally {
        await s.close();
      }
    });

  test("a graceful shutdown gives running jobs back, and another instance takes them at once", async () => {
    // A lease of a minute: only the release lets the other instance in within the test's time.
    const settings = { BLOCKPLANE_JOB_LEASE_MS: "60000" };
    const a = await startServer(settings);
    let b: TestServer | undefined;
    try {
      const kind = uniqueKind("handover");
      const started = gate();
      // On A the item waits on the device and fails as a device call does when the worker stops;
      // that failure must not become the job's outcome.
      a.bp.jobs.register(kind, async (_p, ctx) => {
        started.open();
        try {
          await deviceWait(ctx.signal);
          return { done: [succeeded("CREATE", "TestItem", "a", `${SIMPLE}/test-items/a`)], failures: [] };
        } catch (error) {
          return { done: [], failures: [{ error: error as never, resource: `${SIMPLE}/test-items/a` }] };
        }
      });
      const url = await enqueue(a, kind);
      await started.promise;

      b = await startServer({ ...settings, ...sameStore(a) });
      b.bp.jobs.register(kind, async () => ({
        done: [succeeded("CREATE", "TestItem", "b", `${SIMPLE}/test-items/b`)],
        failures: [],
      }));
      const held = await jobRow(b.bp.store.db, idOf(url));
      assert.equal(held?.progress, "processing");
      assert.equal(held?.lease_owner, a.bp.worker.owner);

      const stopping = Date.now();
      await a.bp.close();
      const st = await b.waitJob(url, b.adminToken);
      const took = Date.now() - stopping;
      assert.equal(st.status, "normal");
      assert.deepEqual(st.affectedResources, [`${SIMPLE}/test-items/b`], "finished by the other instance");
      assert.ok(took < 5000, `taken over in ${took} ms, not after the 60 s lease`);
      assert.equal(
        (await jobRow(b.bp.store.db, idOf(url)))?.attempts,
        1,
        "a graceful release is not an attempt",
      );
    } finally {
      await b?.close();
      await a.close();
    }
  });

  test("a change held on the full API when its server stops is answered as it stands; another instance finishes its job", async () => {
    const settings = { BLOCKPLANE_JOB_LEASE_MS: "60000", BLOCKPLANE_FAULTS: "on" };
    const a = await startServer(settings);
    let b: TestServer | undefined;
    try {
      const pool = await a.post(`${SIMPLE}/pools`, {
        name: "held-pool",
        drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
      });
      const poolId = Number((await a.waitJob(pool.body)).operationDetails[0].resourceId);
      const rule = await a.post("/blockplane/v1/faults", {
        match: { operation: "createVolumes" },
        action: "latency",
        latencyMs: 5000,
        count: 1,
      });
      assert.equal(rule.status, 200, rule.text);
      // Held until its job completes (up to a minute), as Cinder asks for every change.
      const answer = a.post(
        `${FULL}/ldevs`,
        { byteFormatCapacity: "1G", poolId },
        { headers: { "response-job-status": "Completed;", "response-max-wait": "60" } },
      );
      for (let i = 0; i < 200; i++) {
        const running = await a.bp.store.db
          .selectFrom("jobs")
          .select("id")
          .where("progress", "=", "processing")
          .where("kind", "like", "volume%")
          .executeTakeFirst();
        if (running) break;
        await sleep(10);
      }
      await a.bp.close();
      const held = await answer;
      assert.equal(held.status, 202, held.text);
      assert.notEqual(held.body.status, "Completed", "answered as the job stood when the server stopped");

      b = await startServer({ ...settings, ...sameStore(a) });
      let job = held.body;
      for (let i = 0; i < 500 && job.status !== "Completed"; i++) {
        await sleep(20);
        job = (await b.get(`${FULL}/jobs/${held.body.jobId}`)).body;
      }
      assert.equal(job.state, "Succeeded", JSON.stringify(job));
      const ldev = Number((job.affectedResources[0] as string).split("/").pop());
      assert.equal((await b.get(`${SIMPLE}/volumes/${ldev}`)).status, 200, "the volume exists, made once");
      assert.equal((await b.get(`${SIMPLE}/volumes?poolId=${poolId}`)).body.count, 1);
    } finally {
      await b?.close();
      await a.close();
    }
  });

  test("closing waits for requests being answered in-process: each ends in its answer or a 503, never a 500", async () => {
    const a = await startServer();
    try {
      const pool = await a.post(`${SIMPLE}/pools`, {
        name: "closing-pool",
        drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
      });
      const poolId = Number((await a.waitJob(pool.body)).operationDetails[0].resourceId);
      // Reads and changes of both faces in flight, injected (no connection for close to wait on).
      const inFlight = Array.from({ length: 24 }, (_, i) =>
        i % 3 === 0
          ? a.post(`${SIMPLE}/volumes`, { poolId, capacity: 1024, number: 2 })
          : i % 3 === 1
            ? a.get(`${SIMPLE}/volumes?poolId=${poolId}`)
            : a.get(`${FULL}/ldevs?ldevOption=defined&count=100`),
      );
      await a.bp.close();
      const statuses = (await Promise.all(inFlight)).map((r) => r.status);
      assert.deepEqual(
        statuses.filter((s) => s !== 200 && s !== 202 && s !== 503),
        [],
        `answers during close: ${statuses.join(" ")}`,
      );
    } finally {
      await a.close();
    }
  });
});
