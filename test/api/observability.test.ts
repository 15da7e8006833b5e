/**
 * What the server tells its operators: liveness and readiness probes, Prometheus metrics, request
 * ids in log lines; and that the authentication cache never outlives a change made on this instance.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config.ts";
import { assemble } from "../../src/server.ts";
import {
  ADMIN_PASSWORD,
  basic,
  freshDatabase,
  SIMPLE,
  startServer,
  type TestServer,
} from "../support/server.ts";

const VOLUMES = `${SIMPLE}/volumes`;
const VOLUME_ROUTE = `${VOLUMES}/:id`;
const FAULTS = "/blockplane/v1/faults";
/** The device deadline of the server with faults: short, so that a silent array fails fast. */
const DEADLINE_MS = 300;

/** One sample line of the text format: name, optional labels, value. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the exposition text, failing on any line that is not a comment or a well-formed sample. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      // The format escapes backslash, double quote and newline in label values.
      labels[k as string] = (v as string).replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (among others); undefined if none. */
function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

describe("observability", () => {
  let s: TestServer;
  let pool: number;

  before(async () => {
    s = await startServer({ BLOCKPLANE_FAULTS: "on", BLOCKPLANE_DEVICE_TIMEOUT_MS: String(DEADLINE_MS) });
    const r = await s.post(`${SIMPLE}/pools`, {
      name: "obs-pool",
      drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
    });
    assert.equal(r.status, 202, r.text);
    const job = await s.waitJob(r.body);
    assert.equal(job.status, "normal", JSON.stringify(job));
    pool = Number(job.operationDetails[0].resourceId);
  });
  after(() => s.close());

  async function metrics(headers: Record<string, string> = {}): Promise<Sample[]> {
    const r = await s.get("/metrics", { token: null, headers });
    assert.equal(r.status, 200, r.text);
    return parseMetrics(r.text);
  }

  async function createVolume(): Promise<number> {
    const r = await s.post(VOLUMES, { poolId: pool, capacity: 100 });
    assert.equal(r.status, 202, r.text);
    const job = await s.waitJob(r.body);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return Number(job.operationDetails[0].resourceId);
  }

  /** Adds a fault rule and answers a function that removes it. */
  async function fault(rule: object): Promise<() => Promise<void>> {
    const r = await s.post(FAULTS, rule);
    assert.equal(r.status, 200, r.text);
    return async () => {
      const d = await s.delete(`${FAULTS}/${r.body.id}`);
      assert.equal(d.status, 200, d.text);
    };
  }

  describe("probes", () => {
    test("GET /healthz answers 200 {status: ok} without credentials, with a request id", async () => {
      const r = await s.get("/healthz", { token: null });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: "ok" });
      assert.match(String(r.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    });

    test("GET /readyz answers 200 when the store and the array answer", async () => {
      const r = await s.get("/readyz", { token: null });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { status: "ok", checks: { store: "ok", device: "ok" } });
    });

    test("GET /readyz answers 503 with Retry-After and the error body when the array is silent", async () => {
      const remove = await fault({ action: "timeout", match: { operation: "health" } });
      try {
        const r = await s.get("/readyz", { token: null });
        assert.equal(r.status, 503, r.text);
        assert.ok(Number(r.headers["retry-after"]) >= 1, `Retry-After: ${r.headers["retry-after"]}`);
        assert.equal(r.body.errorSource, "/readyz");
        assert.equal(r.body.requestId, r.headers["x-request-id"]);
        assert.match(r.body.message, /not ready: the storage system does not answer/);
        assert.match(r.body.message, /wait for a while and try again/);
      } finally {
        await remove();
      }
      assert.equal(
        (await s.get("/readyz", { token: null })).status,
        200,
        "ready again once the fault is gone",
      );
    });

    test("GET /readyz passes on the array's own Retry-After when the array is busy", async () => {
      const remove = await fault({ action: "busy", retryAfterSeconds: 42, match: { operation: "health" } });
      try {
        const r = await s.get("/readyz", { token: null });
        assert.equal(r.status, 503, r.text);
        assert.equal(r.headers["retry-after"], "42");
      } finally {
        await remove();
      }
    });

    test("probes take no query parameters", async () => {
      assert.equal((await s.get("/healthz?verbose=1", { token: null })).status, 400);
    });
  });

  describe("GET /metrics", () => {
    test("is public text in the exposition format, whatever the Accept header", async () => {
      const r = await s.get("/metrics", { token: null, headers: { accept: "text/plain" } });
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
      const samples = parseMetrics(r.text);
      assert.ok(samples.length > 0);
      for (const name of ["process_resident_memory_bytes", "process_cpu_seconds_total"]) {
        assert.ok((sampleValue(samples, name) ?? 0) > 0, `${name} is reported`);
      }
      // Every metric family is declared once with its type.
      const types = r.text.split("\n").filter((l) => l.startsWith("# TYPE "));
      assert.equal(new Set(types).size, types.length);
    });

    test("counts requests by route pattern and status code, never by raw URL", async () => {
      const id = await createVolume();
      const before = await metrics();
      const ok = { method: "GET", route: VOLUME_ROUTE, status: "200" };
      const missing = { method: "GET", route: VOLUME_ROUTE, status: "404" };
      assert.equal((await s.get(`${VOLUMES}/${id}`)).status, 200);
      assert.equal((await s.get(`${VOLUMES}/${id}`)).status, 200);
      assert.equal((await s.get(`${VOLUMES}/65279`)).status, 404);
      const after = await metrics();
      const count = (samples: Sample[], labels: Record<string, string>) =>
        sampleValue(samples, "blockplane_http_requests_total", labels) ?? 0;
      assert.equal(count(after, ok) - count(before, ok), 2);
      assert.equal(count(after, missing) - count(before, missing), 1);
      for (const sample of after.filter((x) => x.labels.route !== undefined)) {
        assert.doesNotMatch(
          sample.labels.route as string,
          /\/\d+(\/|$)/,
          `a raw URL as label: ${sample.labels.route}`,
        );
      }
      // The latency histogram of the route: cumulative buckets ending in +Inf, which equals the count.
      const buckets = after.filter(
        (x) =>
          x.name === "blockplane_http_request_duration_seconds_bucket" && x.labels.route === VOLUME_ROUTE,
      );
      assert.ok(buckets.length > 2);
      const values = buckets.map((b) => b.value);
      assert.deepEqual(
        values,
        [...values].sort((a, b) => a - b),
        "buckets are cumulative",
      );
      assert.equal(buckets.at(-1)?.labels.le, "+Inf");
      assert.equal(
        buckets.at(-1)?.value,
        sampleValue(after, "blockplane_http_request_duration_seconds_count", {
          method: "GET",
          route: VOLUME_ROUTE,
        }),
      );
    });

    test("requests that match no route count under one label", async () => {
      const before = await metrics();
      const labels = { method: "GET", route: "(unmatched)", status: "404" };
      assert.equal((await s.get("/no/such/path/12345")).status, 404);
      const after = await metrics();
      assert.equal(
        (sampleValue(after, "blockplane_http_requests_total", labels) ?? 0) -
          (sampleValue(before, "blockplane_http_requests_total", labels) ?? 0),
        1,
      );
      assert.ok(!after.some((x) => x.labels.route?.includes("no/such")));
    });

    test("times device calls by operation and counts their failures by kind", async () => {
      const id = await createVolume();
      const before = await metrics();
      const calls = (samples: Sample[]) =>
        sampleValue(samples, "blockplane_device_call_duration_seconds_count", { operation: "getVolume" }) ??
        0;
      const notFound = (samples: Sample[]) =>
        sampleValue(samples, "blockplane_device_call_errors_total", {
          operation: "getVolume",
          kind: "not-found",
        }) ?? 0;
      assert.equal((await s.get(`${VOLUMES}/${id}`)).status, 200);
      assert.equal((await s.get(`${VOLUMES}/65278`)).status, 404);
      const after = await metrics();
      assert.equal(calls(after) - calls(before), 2);
      assert.equal(notFound(after) - notFound(before), 1);
    });

    test("counts device calls that miss their deadline", async () => {
      const timeouts = (samples: Sample[]) =>
        sampleValue(samples, "blockplane_device_timeouts_total", { operation: "storage" }) ?? 0;
      const before = await metrics();
      const remove = await fault({ action: "timeout", match: { operation: "storage" } });
      try {
        const r = await s.get(`${SIMPLE}/storage`);
        assert.equal(r.status, 504, r.text);
      } finally {
        await remove();
      }
      const after = await metrics();
      assert.equal(timeouts(after) - timeouts(before), 1);
      const waited =
        sampleValue(after, "blockplane_device_call_duration_seconds_sum", { operation: "storage" }) ?? 0;
      assert.ok(waited >= DEADLINE_MS / 1000, `the timed-out call counts the ${DEADLINE_MS} ms waited`);
    });

    test("reports jobs by state from the store, and job runs by kind and outcome", async () => {
      const state = (samples: Sample[], name: string) =>
        sampleValue(samples, "blockplane_jobs", { state: name });
      const runs = (samples: Sample[]) =>
        sampleValue(samples, "blockplane_job_run_duration_seconds_count", {
          kind: "volumes.create",
          outcome: "normal",
        }) ?? 0;
      const before = await metrics();
      await createVolume();
      const after = await metrics();
      for (const name of ["unexecuted", "processing", "completed_normal", "completed_error"]) {
        assert.notEqual(state(after, name), undefined, `state ${name} is always reported`);
      }
      assert.equal((state(after, "completed_normal") ?? 0) - (state(before, "completed_normal") ?? 0), 1);
      assert.equal(runs(after) - runs(before), 1);
    });

    test("reports the live sessions", async () => {
      const live = async () => sampleValue(await metrics(), "blockplane_sessions_live") ?? -1;
      const before = await live();
      const r = await s.post(`${SIMPLE}/sessions`, undefined, {
        token: null,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(await live(), before + 1);
      assert.equal(
        (await s.delete(`${SIMPLE}/sessions/${r.body.sessionId}`, { token: r.body.token })).status,
        200,
      );
      assert.equal(await live(), before);
    });
  });

  describe("authentication cache", () => {
    test("a discarded session is refused at once", async () => {
      const r = await s.post(`${SIMPLE}/sessions`, undefined, {
        token: null,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      });
      const token = r.body.token;
      assert.equal((await s.get(`${SIMPLE}/storage`, { token })).status, 200);
      assert.equal((await s.get(`${SIMPLE}/storage`, { token })).status, 200);
      assert.equal((await s.delete(`${SIMPLE}/sessions/${r.body.sessionId}`)).status, 200);
      assert.equal((await s.get(`${SIMPLE}/storage`, { token })).status, 401);
    });

    test("a role change and a deletion take effect on the user's live session at once", async () => {
      const token = await s.userToken("cached-user", ["Storage Administrator (Provisioning)"]);
      const users = await s.get("/blockplane/v1/users");
      const id = users.body.data.find((u: { name: string }) => u.name === "cached-user").id;
      const create = () => s.post(VOLUMES, { poolId: pool, capacity: 47, number: 1 }, { token });
      assert.equal((await create()).status, 202);
      const changed = await s.patch(`/blockplane/v1/users/${id}`, {
        roles: ["Storage Administrator (View Only)"],
      });
      assert.equal(changed.status, 200, changed.text);
      assert.equal((await create()).status, 403);
      assert.equal((await s.get(`${SIMPLE}/storage`, { token })).status, 200);
      assert.equal((await s.delete(`/blockplane/v1/users/${id}`)).status, 200);
      assert.equal((await s.get(`${SIMPLE}/storage`, { token })).status, 401);
    });
  });
});

describe("the array's gauges", () => {
  let s: TestServer;
  /** Every statusResource the API answered: each is one command status in the store. */
  const statuses: string[] = [];

  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  /** Runs one asynchronous operation (a POST, or a DELETE without a body), notes its statuses, and answers the merged outcome. */
  async function run(url: string, body?: unknown) {
    const r = body === undefined ? await s.delete(url) : await s.post(url, body);
    assert.equal(r.status, 202, r.text);
    const refs = Array.isArray(r.body) ? r.body : [r.body];
    statuses.push(...refs.map((x: { statusResource: string }) => x.statusResource));
    return s.waitJob(r.body);
  }
  async function ok(url: string, body: unknown): Promise<number[]> {
    const job = await run(url, body);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return job.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId));
  }

  test("report pools' capacity, resource counts, jobs by state, live sessions and the build", async () => {
    const drives = (n: number) => [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: n, raidLevel: "RAID5" }];
    const [gold] = (await ok(`${SIMPLE}/pools`, { name: "gold", drives: drives(5) })) as [number];
    const [silver] = (await ok(`${SIMPLE}/pools`, { name: "silver\\2", drives: drives(5) })) as [number];
    const volumes = await ok(VOLUMES, { poolId: gold, capacity: 1000, number: 3 });
    await ok(VOLUMES, { poolId: silver, capacity: 300 });
    const servers: number[] = [];
    for (const [i, wwn] of ["10000000c9000101", "10000000c9000102"].entries()) {
      const [id] = (await ok(`${SIMPLE}/servers`, {
        serverNickname: `metrics-host-${i}`,
        protocol: "FC",
        osType: "Linux",
      })) as [number];
      await ok(`${SIMPLE}/servers/${id}/hbas`, { hbas: [{ hbaWwn: wwn }] });
      await ok(`${SIMPLE}/servers/${id}/paths`, { hbaWwn: wwn, portIds: ["CL1-A"] });
      servers.push(id);
    }
    await ok(`${SIMPLE}/volume-server-connections`, { volumeIds: volumes.slice(0, 2), serverIds: servers });
    await ok(`${SIMPLE}/snapshots`, {
      params: [{ masterVolumeId: volumes[0], poolId: gold, snapshotGroupName: "nightly", type: "Snapshot" }],
    });
    // A pool that still holds volumes cannot be deleted: a job that ends in error.
    const refused = await run(`${SIMPLE}/pools/${gold}`);
    assert.equal(refused.status, "error", JSON.stringify(refused));
    const session = await s.post(`${SIMPLE}/sessions`, undefined, {
      token: null,
      headers: { authorization: basic("admin", ADMIN_PASSWORD) },
    });
    assert.equal(session.status, 200, session.text);

    const r = await s.get("/metrics", { token: null });
    assert.equal(r.status, 200, r.text);
    const samples = parseMetrics(r.text);
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);

    // Each pool as GET pools reports it, in bytes.
    const pools = await s.get(`${SIMPLE}/pools`);
    assert.equal(pools.status, 200, pools.text);
    assert.equal(pools.body.data.length, 2);
    for (const pool of pools.body.data) {
      const labels = { pool_id: String(pool.id), pool_name: pool.name };
      assert.equal(value("blockplane_pool_capacity_bytes", labels), pool.totalCapacity * 1024 * 1024);
      assert.equal(value("blockplane_pool_used_bytes", labels), pool.usedCapacity * 1024 * 1024);
    }
    assert.equal(value("blockplane_pool_used_bytes", { pool_id: String(gold) }), 3000 * 1024 * 1024);
    assert.equal(value("blockplane_pool_used_bytes", { pool_name: "silver\\2" }), 300 * 1024 * 1024);

    assert.equal(value("blockplane_volumes"), 4);
    assert.equal(value("blockplane_servers"), 2);
    assert.equal(value("blockplane_connections"), 4);
    assert.equal(value("blockplane_snapshots"), 1);

    assert.equal(value("blockplane_jobs", { state: "completed_normal" }), statuses.length - 1);
    assert.equal(value("blockplane_jobs", { state: "completed_error" }), 1);
    assert.equal(value("blockplane_jobs", { state: "unexecuted" }), 0);
    assert.equal(value("blockplane_jobs", { state: "processing" }), 0);
    // The tests' own admin session and the one made above.
    assert.equal(value("blockplane_sessions_live"), 2);

    const version = JSON.parse(
      fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ).version;
    assert.equal(value("blockplane_build_info", { version, node: process.version }), 1);
  });
});

describe("request ids in log lines", () => {
  test("every line logged for a request carries its id, which the answer names too", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line));
        done();
      },
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-obs-"));
    const env: Record<string, string> = {
      BLOCKPLANE_DATA_DIR: dataDir,
      BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    };
    if (process.env.BLOCKPLANE_TEST_DATABASE_URL) {
      env.BLOCKPLANE_DATABASE_URL = await freshDatabase(process.env.BLOCKPLANE_TEST_DATABASE_URL);
    }
    const bp = await assemble(loadConfig([], env), { logger: pino({ level: "info" }, sink) });
    try {
      const ok = await bp.app.inject({
        method: "POST",
        url: `${SIMPLE}/sessions`,
        headers: { authorization: basic("admin", ADMIN_PASSWORD) },
      });
      const bad = await bp.app.inject({
        method: "GET",
        url: `${VOLUMES}/x`,
        headers: { authorization: "nope" },
      });
      const probe = await bp.app.inject({ method: "GET", url: "/healthz" });
      assert.equal(ok.statusCode, 200);
      assert.equal(bad.statusCode, 401);
      assert.equal(probe.statusCode, 200);
      // Probes, every few seconds from every balancer, log only warnings.
      assert.equal(lines.filter((l) => l.reqId === probe.headers["x-request-id"]).length, 0);
      for (const answer of [ok, bad]) {
        const id = answer.headers["x-request-id"];
        const mine = lines.filter((l) => l.reqId === id);
        assert.ok(mine.length >= 2, `the request ${id} and its answer are logged with its id`);
      }
      assert.equal(JSON.parse(bad.body).requestId, bad.headers["x-request-id"]);
      // Lines about a request or its answer all carry a request id.
      const aboutRequests = lines.filter((l) => l.req !== undefined || l.res !== undefined);
      assert.ok(aboutRequests.length >= 4);
      for (const l of aboutRequests) assert.equal(typeof l.reqId, "string", JSON.stringify(l));
    } finally {
      await bp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
