/**
 * Load: real server processes driven past their limits over loopback by N concurrent keep-alive
 * clients, for a bounded number of requests and a bounded time. At every limit the server must
 * shed load the way the contract says, and lose nothing:
 * - every request gets exactly one answer (answers counted per request, no socket error, every
 *   X-Request-Id distinct);
 * - every 503 carries Retry-After and the API's error body;
 * - every accepted operation (202) completes, and made exactly what it was asked; a refused one
 *   (503) made nothing;
 * - once the load stops the server serves normally again (the time it takes is reported).
 *
 * Limits driven: the queue of configuration operations (--max-pending-jobs, jobs slowed by a
 * latency fault), live sessions (--max-sessions), and process overload (event-loop delay).
 * Requests and time: CI size, times BLOCKPLANE_RELIABILITY_SCALE.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, test } from "node:test";
import { killAllServers, type ServerProcess, startServerProcess } from "../support/process.ts";
import { type Answer, Client, makePool, reliabilityScale, scaled, sleep } from "../support/reliability.ts";
import { ADMIN_PASSWORD, basic, SIMPLE } from "../support/server.ts";

const VOLUMES = `${SIMPLE}/volumes`;
const BUSY_RETRY_S = 1;

after(killAllServers);

interface Shot {
  seq: number;
  answers: Answer[];
  errors: string[];
  /** When the answer (or error) came, ms since the epoch. */
  at: number;
}

interface Drive {
  shots: Shot[];
  ms: number;
}

/**
 * Runs `clients` loops that send requests back to back until `maxRequests` were sent, `maxMs`
 * passed or `done()` says so; `make(seq)` gives request number `seq`. Each request's answers and errors are kept
 * under its number, so that a lost or doubled answer shows.
 */
async function drive(
  client: Client,
  clients: number,
  maxRequests: number,
  maxMs: number,
  make: (seq: number) => { method: string; path: string; body?: unknown; headers?: Record<string, string> },
  done: () => boolean = () => false,
): Promise<Drive> {
  const shots: Shot[] = [];
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < maxRequests && Date.now() - started < maxMs && !done()) {
        const seq = next++;
        const shot: Shot = { seq, answers: [], errors: [], at: 0 };
        shots.push(shot);
        const r = make(seq);
        try {
          shot.answers.push(await client.once(r.method, r.path, r.body, r.headers));
        } catch (err) {
          shot.errors.push(String(err));
        }
        shot.at = Date.now();
      }
    }),
  );
  return { shots, ms: Date.now() - started };
}

/**
 * Exactly one answer per request, none lost, no request id answered twice; 503s well-formed.
 * Answers how many answers of each status, and how many came without an X-Request-Id header
 * (asserted by the caller once its figures are printed).
 */
function checkAnswers(d: Drive): { byStatus: Map<number, number>; withoutId: number } {
  const lost = d.shots.filter((s) => s.errors.length > 0);
  assert.deepEqual(
    lost.map((s) => `${s.seq}: ${s.errors.join("; ")}`),
    [],
    "every request was answered (no socket error, no timeout)",
  );
  const doubled = d.shots.filter((s) => s.answers.length !== 1);
  assert.deepEqual(
    doubled.map((s) => s.seq),
    [],
    "one answer per request",
  );
  assert.deepEqual(
    d.shots.map((s) => s.seq).sort((a, b) => a - b),
    Array.from({ length: d.shots.length }, (_, i) => i),
    "each request number sent once",
  );
  const ids = new Set<string>();
  const byStatus = new Map<number, number>();
  let withoutId = 0;
  for (const s of d.shots) {
    const a = s.answers[0] as Answer;
    byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    // The header, else the error body's copy of it.
    const header = a.headers["x-request-id"];
    if (typeof header !== "string") withoutId++;
    const id = typeof header === "string" ? header : a.body?.requestId;
    assert.equal(typeof id, "string", `answer ${a.status} to request ${s.seq} names no request id`);
    assert.ok(!ids.has(id), `request id ${id} answered twice`);
    ids.add(id);
    if (a.status === 503) {
      assert.match(String(a.headers["retry-after"]), /^[1-9]\d*$/, "a 503 says when to retry");
      for (const field of ["errorSource", "messageId", "message"]) {
        assert.equal(
          typeof a.body?.[field],
          "string",
          `503 body without ${field}: ${JSON.stringify(a.body)}`,
        );
      }
    }
  }
  return { byStatus, withoutId };
}

/** Every answer carries its request id in the X-Request-Id header, as the error body does. */
function assertIdHeaders(phase: string, withoutId: number, total: number): void {
  assert.equal(
    withoutId,
    0,
    `${phase}: ${withoutId} of ${total} answers came without an X-Request-Id header`,
  );
}

function summary(byStatus: Map<number, number>): string {
  return [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${n}×${status}`)
    .join(", ");
}

/** Polls until `probe` answers `want`; answers the time it took (ms). */
async function recovery(probe: () => Promise<Answer>, want: number, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await probe();
    if (r.status === want) return Date.now() - started;
    assert.equal(r.status, 503, `while recovering: ${r.status} ${JSON.stringify(r.body)}`);
    assert.ok(Date.now() - started < timeoutMs, "the server did not recover");
    await sleep(20);
  }
}

const common = (extra: string[]) => ({
  args: ["--busy-retry-after-s", String(BUSY_RETRY_S), ...extra],
  env: { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD },
});

/** Every volume's nickname, page by page. */
async function nicknames(client: Client): Promise<string[]> {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const r = await client.request("GET", `${VOLUMES}?startVolumeId=${start}&count=500`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.data.map((v: { nickname: string }) => v.nickname));
    if (!r.body.hasNext || r.body.data.length === 0) return out;
    start = r.body.data.at(-1).id + 1;
  }
}

/**
 * Creates made by the drive: each request `seq` asked for `per` volumes named `<prefix><seq>-<n>`.
 * Every 202's job completes normal with exactly its volumes; every refused request made none.
 */
async function checkCreates(client: Client, d: Drive, prefix: string, per: number): Promise<number> {
  const accepted = d.shots.filter((s) => s.answers[0]?.status === 202);
  for (const s of accepted) {
    // One status per volume: the merged view of all of the request's statuses.
    const job = await client.waitJob((s.answers[0] as Answer).body);
    assert.equal(job.status, "normal", JSON.stringify(job).slice(0, 300));
    assert.equal(job.operationDetails.length, per);
  }
  const made = new Map<number, number>();
  for (const n of await nicknames(client)) {
    const m = new RegExp(`^${prefix}(\\d+)-\\d+$`).exec(n);
    if (m) made.set(Number(m[1]), (made.get(Number(m[1])) ?? 0) + 1);
  }
  for (const s of d.shots) {
    const want = s.answers[0]?.status === 202 ? per : 0;
    assert.equal(
      made.get(s.seq) ?? 0,
      want,
      `request ${s.seq} (${s.answers[0]?.status}) made ${want} volumes`,
    );
  }
  return accepted.length;
}

test("load: the job queue, sessions, maintenance and overload shed load with 503 + Retry-After and lose nothing", {
  timeout: 180_000 * Math.max(1, reliabilityScale()),
}, async (t) => {
  const report = (figure: string) => t.diagnostic(figure);
  // Two servers side by side: one whose operation queue and session count are small, one whose
  // overload threshold is low (so that the first one's 503s are all its queue's and sessions').
  const [limited, overloaded]: ServerProcess[] = await Promise.all([
    startServerProcess(
      common([
        "--faults",
        "on",
        "--max-pending-jobs",
        "6",
        "--job-concurrency",
        "2",
        "--max-sessions",
        "8",
        "--overload-event-loop-delay-ms",
        "0",
      ]),
    ),
    startServerProcess(common(["--overload-event-loop-delay-ms", "25", "--overload-sample-ms", "100"])),
  ]);
  const clients: Client[] = [];
  let poolId = 0;
  try {
    // --- The operation queue: creates faster than a slowed array runs them.
    {
      const c = new Client((limited as ServerProcess).url, 24);
      clients.push(c);
      await c.login();
      poolId = await makePool(c);
      const fault = await c.request("POST", "/blockplane/v1/faults", {
        action: "latency",
        latencyMs: 100,
        match: { operation: "createVolumes" },
      });
      assert.equal(fault.status < 300, true, JSON.stringify(fault.body));
      const d = await drive(c, 24, scaled(300), 10_000 * reliabilityScale(), (seq) => ({
        method: "POST",
        path: VOLUMES,
        body: { poolId, capacity: 47, number: 5, nicknameParam: { baseName: `q${seq}-`, startNumber: 0 } },
      }));
      const { byStatus, withoutId } = checkAnswers(d);
      assert.deepEqual(
        [...byStatus.keys()].sort(),
        [202, 503],
        `only accepted or busy: ${summary(byStatus)}`,
      );
      for (const s of d.shots.filter((x) => x.answers[0]?.status === 503)) {
        assert.match((s.answers[0] as Answer).body.message, /configuration operations are queued or running/);
      }
      // Recovered: a create is accepted again once the queue drains.
      const z = await recovery(
        () =>
          c.once("POST", VOLUMES, {
            poolId,
            capacity: 47,
            number: 5,
            nicknameParam: { baseName: `q${d.shots.length}-`, startNumber: 0 },
          }),
        202,
      );
      await c.request("DELETE", "/blockplane/v1/faults");
      const accepted = await checkCreates(c, d, "q", 5);
      report(
        `load (job queue, 24 clients): ${d.shots.length} requests in ${d.ms} ms, ${accepted} 202 (all jobs completed), ` +
          `${byStatus.get(503) ?? 0} 503 with Retry-After, 0 lost, recovered in ${z} ms`,
      );
      assertIdHeaders("job queue", withoutId, d.shots.length);
    }

    // --- Live sessions: more logins at once than the server keeps sessions.
    {
      const c = new Client((limited as ServerProcess).url, 32);
      clients.push(c);
      const d = await drive(c, 32, scaled(48), 10_000 * reliabilityScale(), () => ({
        method: "POST",
        path: `${SIMPLE}/sessions`,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      }));
      const { byStatus, withoutId } = checkAnswers(d);
      assert.deepEqual([...byStatus.keys()].sort(), [200, 503], summary(byStatus));
      // The first client's session and the new ones: never more than the limit.
      assert.ok((byStatus.get(200) ?? 0) <= 7, `at most 8 sessions live: ${summary(byStatus)}`);
      // Recovered: once the sessions are given back, a login succeeds again.
      const started = Date.now();
      for (const s of d.shots) {
        const a = s.answers[0] as Answer;
        if (a.status !== 200) continue;
        const gone = await c.once("DELETE", `${SIMPLE}/sessions/${a.body.sessionId}`, undefined, {
          authorization: `Session ${a.body.token}`,
        });
        assert.equal(gone.status, 200, JSON.stringify(gone.body));
      }
      const login = await c.once("POST", `${SIMPLE}/sessions`, undefined, {
        authorization: basic("admin", ADMIN_PASSWORD),
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      report(
        `load (sessions, 32 clients): ${d.shots.length} logins, ${byStatus.get(200) ?? 0} 200, ` +
          `${byStatus.get(503) ?? 0} 503 with Retry-After, 0 lost, recovered in ${Date.now() - started} ms (sessions given back)`,
      );
      assertIdHeaders("sessions", withoutId, d.shots.length);
    }

    // --- Maintenance switched on and off under load: reads and creates from 16 clients.
    {
      const c = new Client((limited as ServerProcess).url, 17);
      clients.push(c);
      await c.login();
      let switched = { on: 0, off: 0 };
      const control = (async () => {
        await sleep(300);
        const on = await c.request("PUT", "/blockplane/v1/maintenance", { retryAfterSeconds: 1 });
        assert.equal(on.status, 200, JSON.stringify(on.body));
        switched = { on: Date.now(), off: 0 };
        await sleep(700);
        const off = await c.request("DELETE", "/blockplane/v1/maintenance");
        assert.equal(off.status, 200, JSON.stringify(off.body));
        switched.off = Date.now();
        // Some load after the end too, to see the server take requests again.
        await sleep(300);
      })();
      let controlled = false;
      // A failed switch fails the test at `await control`; the drive just stops.
      control.then(
        () => {
          controlled = true;
        },
        () => {
          controlled = true;
        },
      );
      const d = await drive(
        c,
        16,
        scaled(20_000),
        30_000 * reliabilityScale(),
        (seq) =>
          seq % 4 === 0
            ? {
                method: "POST",
                path: VOLUMES,
                body: {
                  poolId,
                  capacity: 47,
                  number: 1,
                  nicknameParam: { baseName: `m${seq}-`, startNumber: 0 },
                },
              }
            : { method: "GET", path: `${VOLUMES}?count=20` },
        () => controlled,
      );
      await control;
      const { byStatus, withoutId } = checkAnswers(d);
      for (const status of byStatus.keys()) assert.ok([200, 202, 503].includes(status), summary(byStatus));
      const inMaintenance = d.shots.filter((s) => s.answers[0]?.body?.messageId === "KART70001-E").length;
      assert.ok(inMaintenance > 0, `some requests met the maintenance: ${summary(byStatus)}`);
      // Back in service: the first answer other than 503 after the end of maintenance.
      const served = d.shots.filter((s) => s.at > switched.off && s.answers[0]?.status !== 503);
      assert.ok(served.length > 0, "requests were served again after the maintenance");
      const back = Math.min(...served.map((s) => s.at)) - switched.off;
      assert.equal((await c.once("GET", `${VOLUMES}?count=1`)).status, 200, "served after maintenance");
      const accepted = await checkCreates(c, d, "m", 1);
      report(
        `load (maintenance on for ${switched.off - switched.on} ms, 16 clients): ${d.shots.length} requests, ` +
          `${(byStatus.get(200) ?? 0) + (byStatus.get(202) ?? 0)} 2xx (${accepted} creates, all completed), ` +
          `${byStatus.get(503) ?? 0} 503 with Retry-After (${inMaintenance} of them maintenance), 0 lost, ` +
          `recovered ${back} ms after it ended`,
      );
      assertIdHeaders("maintenance", withoutId, d.shots.length);
    }

    // --- Process overload: reads of 500 volumes at a time, and some creates, from 64 clients.
    {
      const c = new Client((overloaded as ServerProcess).url, 64);
      clients.push(c);
      await c.login();
      const overloadedPool = await makePool(c);
      const filled = await c.request("POST", VOLUMES, { poolId: overloadedPool, capacity: 47, number: 500 });
      assert.equal(filled.status, 202);
      await c.waitJob(filled.body);
      const d = await drive(c, 64, scaled(4000), 5_000 * reliabilityScale(), (seq) =>
        seq % 10 === 0
          ? {
              method: "POST",
              path: VOLUMES,
              body: {
                poolId: overloadedPool,
                capacity: 47,
                number: 1,
                nicknameParam: { baseName: `o${seq}-`, startNumber: 0 },
              },
            }
          : { method: "GET", path: `${VOLUMES}?count=500` },
      );
      const { byStatus, withoutId } = checkAnswers(d);
      assert.ok((byStatus.get(503) ?? 0) > 0, `the server shed load: ${summary(byStatus)}`);
      for (const status of byStatus.keys()) assert.ok([200, 202, 503].includes(status), summary(byStatus));
      const z = await recovery(() => c.once("GET", `${SIMPLE}/storage`), 200);
      const accepted = await checkCreates(c, d, "o", 1);
      const ok = (byStatus.get(200) ?? 0) + (byStatus.get(202) ?? 0);
      report(
        `load (overload, 64 clients): ${d.shots.length} requests in ${d.ms} ms, ${ok} 2xx (${accepted} creates, all completed), ` +
          `${byStatus.get(503) ?? 0} 503 with Retry-After, 0 lost, recovered in ${z} ms` +
          (withoutId > 0 ? `; ${withoutId} answers without X-Request-Id` : ""),
      );
      assertIdHeaders("overload", withoutId, d.shots.length);
    }
  } finally {
    for (const c of clients) c.close();
    await Promise.all([limited, overloaded].map((s) => s?.stop("SIGKILL").catch(() => {})));
    for (const s of [limited, overloaded]) if (s) fs.rmSync(s.dataDir, { recursive: true, force: true });
  }
});
