/**
 * Fuzz: thousands of requests that are wrong by construction (test/reliability/fuzz-requests.ts)
 * sent to every route of the app over app.inject, with the admin's credentials, against an array
 * that holds one of everything (pool, volumes, servers with HBAs and paths, a connection, a
 * snapshot, a second user). Each request must be refused:
 * - with a 4xx, never a 5xx, and the status the contract gives its first flaw;
 * - with the API's error body (errorSource, messageId, message);
 * - changing nothing: the array tables' rows, the users and the counts of sessions and jobs are the
 *   same after it as before.
 * A request the server accepts (2xx) is a validation the API lacks.
 *
 * 3000 requests in CI, times BLOCKPLANE_RELIABILITY_SCALE. BLOCKPLANE_FUZZ_SEED replays a run.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import type { RouteEntry } from "../../src/http/app.ts";
import { scaled, stateSnapshot } from "../support/reliability.ts";
import { ADMIN_PASSWORD, basic, SIMPLE, startServer, type TestServer } from "../support/server.ts";
import { type FuzzRequest, flawedRequests, type RealValues, routeShapes } from "./fuzz-requests.ts";

const RUNS = scaled(3000);

let s: TestServer;

before(async () => {
  // Load shedding measures this machine, not the requests: off, so a busy CI host cannot turn a
  // refusal into a 503. The fault-injection API is on, so that its routes are fuzzed too.
  s = await startServer({ BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0", BLOCKPLANE_FAULTS: "on" });
});
after(async () => {
  await s?.close();
});

async function ok(r: { status: number; body: unknown }, status = 202) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  // biome-ignore lint/suspicious/noExplicitAny: answers of every shape
  const body = r.body as any;
  if (status !== 202) return body;
  const job = await s.waitJob(body);
  assert.equal(job.status, "normal", JSON.stringify(job));
  return job;
}

/** One of everything the routes act on; answers the IDs of what exists, per kind. */
async function seedArray(): Promise<Record<string, string[]>> {
  const pool = await ok(
    await s.post(`${SIMPLE}/pools`, {
      name: "fuzz",
      drives: [{ driveTypeCode: "SNB5A-R1R9NC", dataDriveCount: 6, raidLevel: "RAID5" }],
    }),
  );
  const poolId = Number(pool.operationDetails[0].resourceId);
  const vols = await ok(
    await s.post(`${SIMPLE}/volumes`, {
      poolId,
      capacity: 100,
      number: 4,
      nicknameParam: { baseName: "fz", startNumber: 0 },
    }),
  );
  const volumeIds = vols.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId));
  const fc1 = await ok(await s.post(`${SIMPLE}/servers`, { serverNickname: "fuzz-fc", protocol: "FC" }));
  const fcId = Number(fc1.operationDetails[0].resourceId);
  const iscsi = await ok(
    await s.post(`${SIMPLE}/servers`, { serverNickname: "fuzz-iscsi", protocol: "iSCSI" }),
  );
  const iscsiId = Number(iscsi.operationDetails[0].resourceId);
  const wwn = "50060e8000c0ffee";
  await ok(await s.post(`${SIMPLE}/servers/${fcId}/hbas`, { hbas: [{ hbaWwn: wwn }] }));
  const iqn = "iqn.2024-01.com.example:fuzz";
  await ok(await s.post(`${SIMPLE}/servers/${iscsiId}/hbas`, { hbas: [{ iscsiName: iqn }] }));
  await ok(await s.post(`${SIMPLE}/servers/${fcId}/paths`, { hbaWwn: wwn, portIds: ["CL1-A"] }));
  await ok(
    await s.post(`${SIMPLE}/volume-server-connections`, { volumeIds: [volumeIds[0]], serverIds: [fcId] }),
  );
  const snap = await ok(
    await s.post(`${SIMPLE}/snapshots`, {
      params: [{ masterVolumeId: volumeIds[1], poolId, snapshotGroupName: "fuzz-group", type: "Snapshot" }],
    }),
  );
  const user = await ok(
    await s.post("/blockplane/v1/users", {
      name: "fuzz-viewer",
      password: "fuzz-viewer-password",
      roles: ["Storage Administrator (View Only)"],
    }),
    200,
  );
  const sessions = await ok(await s.get(`${SIMPLE}/sessions`), 200);
  const jobs = await s.bp.store.db.selectFrom("jobs").select("id").execute();
  const iscsiPorts = await ok(await s.get(`${SIMPLE}/ports?protocol=iSCSI`), 200);
  return {
    pool: [String(poolId)],
    volume: volumeIds.map(String),
    server: [String(fcId), String(iscsiId)],
    hba: [wwn, iqn],
    path: [`${wwn},CL1-A`],
    port: ["CL1-A", "CL2-B", ...iscsiPorts.data.map((p: { portId: string }) => p.portId)],
    connection: [`${volumeIds[0]},${fcId}`],
    snapshot: [String(snap.affectedResources[0]).split("/").pop() as string],
    group: ["fuzz-group"],
    user: [
      "1",
      String(user.affectedResources?.[0] ?? "")
        .split("/")
        .pop() || "2",
    ],
    session: sessions.data.map((x: { sessionId: number }) => String(x.sessionId)),
    job: jobs.map((j) => String(j.id)),
    drive: ["1-0", "1-7", "0-0"],
  };
}

/** The existing objects a path parameter of a route may name. */
function realValues(ids: Record<string, string[]>): RealValues {
  return (route: RouteEntry, name: string) => {
    const url = route.url;
    if (name === "hba") return ids.hba ?? [];
    if (name === "pathId") return ids.path ?? [];
    if (name === "portId") return ids.port ?? [];
    if (name === "sessionId") return ids.session ?? [];
    if (name === "location") return ids.drive ?? [];
    if (/\/snapshot-groups\/:name/.test(url)) return ids.group ?? [];
    if (/\/volume-server-connections\/:id/.test(url)) return ids.connection ?? [];
    if (/\/snapshots\/:(id|snapshotId)\b/.test(url)) return ids.snapshot ?? [];
    if (/\/command-status\/:id/.test(url)) return ids.job ?? [];
    if (/\/users\/:id/.test(url)) return ids.user ?? [];
    if (/\/pools\/:id/.test(url)) return ids.pool ?? [];
    if (/\/volumes\/:id/.test(url)) return ids.volume ?? [];
    if (/\/servers\/:id/.test(url)) return ids.server ?? [];
    return [];
  };
}

function show(r: FuzzRequest): string {
  return JSON.stringify({
    route: r.route,
    url: r.url.slice(0, 300),
    headers: r.headers,
    payload: r.payload?.slice(0, 300),
    flaws: r.flaws,
    expected: r.expected,
  });
}

test(`fuzz: ${RUNS} requests, each wrong by construction, to every route: 4xx, error body, no change`, {
  timeout: 120_000 * Math.max(1, RUNS / 3000),
}, async (t) => {
  const ids = await seedArray();
  const real = realValues(ids);
  const shapes = await routeShapes(s.bp.app);
  const creds = {
    token: s.adminToken,
    basic: basic("admin", ADMIN_PASSWORD),
    basicUser: "admin",
  };
  const requests = fc.oneof(...shapes.map((shape) => flawedRequests(shape, creds, real)));

  const statuses = new Map<number, number>();
  const routes = new Set<string>();
  const kinds = new Map<string, number>();
  let tried = 0;
  const db = s.bp.store.db;
  const start = await stateSnapshot(db);
  const seed = process.env.BLOCKPLANE_FUZZ_SEED
    ? Number(process.env.BLOCKPLANE_FUZZ_SEED)
    : Date.now() % 2 ** 31;
  t.diagnostic(`fuzz seed ${seed} (replay with BLOCKPLANE_FUZZ_SEED=${seed})`);

  await fc.assert(
    fc.asyncProperty(requests, async (r) => {
      const beforeState = r.method === "GET" ? undefined : await stateSnapshot(db);
      const res = await s.bp.app.inject({
        method: r.method as "GET",
        url: r.url,
        headers: r.headers,
        ...(r.payload !== undefined ? { payload: r.payload } : {}),
      });
      tried++;
      routes.add(r.route);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      for (const f of r.flaws) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
      const what = `${res.statusCode} ${res.body.slice(0, 300)}\nfor ${show(r)}`;
      assert.ok(res.statusCode < 500, `a 5xx: ${what}`);
      assert.ok(res.statusCode >= 400, `accepted, a validation is missing: ${what}`);
      assert.equal(res.statusCode, r.expected, `not the status of the first flaw: ${what}`);
      assert.match(String(res.headers["content-type"]), /^application\/json/, what);
      const body = JSON.parse(res.body);
      for (const field of ["errorSource", "messageId", "message"]) {
        assert.equal(typeof body[field], "string", `error body without ${field}: ${what}`);
      }
      if (beforeState) assert.deepEqual(await stateSnapshot(db), beforeState, `state changed: ${what}`);
    }),
    {
      numRuns: RUNS,
      seed,
      includeErrorInReport: true,
      interruptAfterTimeLimit: 100_000 * Math.max(1, RUNS / 3000),
    },
  );

  assert.deepEqual(await stateSnapshot(db), start, "the array is as it was before the fuzz");
  assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200, "the admin's session still works");
  assert.equal(routes.size, shapes.length, "every route was tried");
  const fiveXX = [...statuses].filter(([c]) => c >= 500).reduce((n, [, k]) => n + k, 0);
  t.diagnostic(
    `fuzz: ${tried} bad requests tried across ${routes.size} routes, ${fiveXX} 5xx, state unchanged ` +
      `(answers: ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([c, n]) => `${n}×${c}`)
        .join(", ")}; ` +
      `flaws: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")})`,
  );
});
