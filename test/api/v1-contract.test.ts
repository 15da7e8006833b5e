import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ADMIN_PASSWORD, basic, FULL, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const LARGE_DRIVE = "SNB5B-R3R8NC";
/** The message IDs clients read as "locked" and retry on for hours: never an answer of ours. */
const LOCKED = ["KART40050-E", "KART40051-E", "KART40052-E"];

describe("v1 contract: path forms, errors, jobs and the synchronous wait, sessions", () => {
  let s: TestServer;
  let poolId: number;
  let storageId: string;
  let scoped: string;

  before(async () => {
    // Faults on, to make a job slow on purpose; the array otherwise as every test has it.
    s = await startServer({ BLOCKPLANE_FAULTS: "on", BLOCKPLANE_DEVICE_TIMEOUT_MS: "20000" });
    const pool = await s.post(`${SIMPLE}/pools`, {
      name: "v1c",
      drives: [{ driveTypeCode: LARGE_DRIVE, dataDriveCount: 5, raidLevel: "RAID5" }],
    });
    poolId = Number((await s.waitJob(pool.body)).operationDetails[0].resourceId);
    storageId = (await s.get(`${FULL}/storages`)).body.data[0].storageDeviceId;
    scoped = `${FULL}/storages/${storageId}`;
  });
  after(() => s.close());

  describe("storages and the storage device ID of the server-edition form", () => {
    test("the list names this array; storages/{id} and storages/instance answer it", async () => {
      const list = await s.get(`${FULL}/storages`);
      assert.equal(list.status, 200);
      assert.equal(list.body.count, 1);
      assert.match(storageId, /^\d{12}$/);
      const one = await s.get(`${FULL}/storages/${storageId}`);
      assert.equal(one.status, 200, one.text);
      assert.equal(one.body.storageDeviceId, storageId);
      assert.equal((await s.get(`${FULL}/storages/instance`)).body.storageDeviceId, storageId);
    });

    test("another array's ID is 404 and a malformed one 400, on every resource under it", async () => {
      for (const path of ["", "/ldevs/0", "/pools", "/jobs/1", "/sessions"]) {
        const other = await s.get(`${FULL}/storages/886000123456${path}`);
        assert.equal(other.status, 404, `${path}: ${other.text}`);
        assert.equal(other.body.messageId, "KART30013-E");
        const malformed = await s.get(`${FULL}/storages/88600012345x${path}`);
        assert.equal(malformed.status, 400, `${path}: ${malformed.text}`);
      }
      // Nothing is created under another array's ID.
      const r = await s.post(`${FULL}/storages/886000123456/ldevs`, { byteFormatCapacity: "1G", poolId });
      assert.equal(r.status, 404);
    });

    test("both forms serve the same handler", async () => {
      const a = await s.get(`${FULL}/ldevs/0`);
      const b = await s.get(`${scoped}/ldevs/0`);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, b.body);
    });
  });

  describe("errors the clients branch on", () => {
    test("an unknown v1 URL is 404 KART20009-E; no answer ever carries a 'locked' ID", async () => {
      for (const url of [`${scoped}/no-such-things`, `${FULL}/ldevs/0/actions/fly/invoke`]) {
        const r = await s.get(url);
        assert.equal(r.status, 404);
        assert.equal(r.body.messageId, "KART20009-E");
        assert.equal(r.body.errorSource, url);
      }
      const answers = [
        await s.get(`${scoped}/ldevs/0`, { headers: { accept: "text/html" } }),
        await s.request("POST", `${scoped}/ldevs`, {
          headers: { "content-type": "text/plain" },
          payload: "x",
        }),
        await s.get(`${scoped}/jobs/99999999`),
        await s.get(`${scoped}/nothing`),
      ];
      assert.deepEqual(
        answers.map((r) => r.status),
        [406, 415, 404, 404],
      );
      for (const r of answers) assert.ok(!LOCKED.includes(r.body.messageId), r.text);
    });

    test("401 without a session, with WWW-Authenticate, on both forms", async () => {
      for (const url of [`${FULL}/ldevs/0`, `${scoped}/ldevs/0`]) {
        const r = await s.get(url, { token: null });
        assert.equal(r.status, 401);
        assert.match(String(r.headers["www-authenticate"]), /^Session/);
      }
    });

    test("a busy array is 503 KART00003-E with Retry-After, the ID Cinder retries busy on", async () => {
      const rule = await s.post("/blockplane/v1/faults", {
        match: { operation: "getVolume" },
        action: "busy",
        retryAfterSeconds: 7,
        count: 1,
      });
      assert.equal(rule.status, 200, rule.text);
      const r = await s.get(`${scoped}/ldevs/0`);
      assert.equal(r.status, 503, r.text);
      assert.equal(r.body.messageId, "KART00003-E");
      assert.equal(r.headers["retry-after"], "7");
    });
  });

  describe("jobs", () => {
    test("without Response-Job-Status the change answers at once; GET jobs/{id} follows it at both forms", async () => {
      const r = await s.post(`${scoped}/ldevs`, { byteFormatCapacity: "1G", poolId });
      assert.equal(r.status, 202, r.text);
      assert.ok(["Initializing", "Running", "Completed"].includes(r.body.status));
      const deadline = Date.now() + 30_000;
      let job = r.body;
      while (job.status !== "Completed" && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 10));
        job = (await s.get(`${scoped}/jobs/${r.body.jobId}`)).body;
      }
      assert.equal(job.state, "Succeeded");
      assert.equal(job.self, `${scoped}/jobs/${r.body.jobId}`);
      const embedded = await s.get(`${FULL}/jobs/${r.body.jobId}`);
      assert.equal(embedded.status, 200);
      assert.deepEqual(embedded.body.affectedResources, job.affectedResources);
      // The same job is a command-status of the simple face: one jobs table.
      const status = await s.get(`${SIMPLE}/command-status/${r.body.jobId}`);
      assert.equal(status.body.status, "normal");
      assert.equal(status.body.operationDetails[0].resourceType, "Volume");
    });

    test("the wait runs out: the job is answered as it stands, then completes", async () => {
      const rule = await s.post("/blockplane/v1/faults", {
        match: { operation: "createVolumes" },
        action: "latency",
        latencyMs: 1500,
        count: 1,
      });
      assert.equal(rule.status, 200, rule.text);
      const started = Date.now();
      const r = await s.post(
        `${scoped}/ldevs`,
        { byteFormatCapacity: "1G", poolId },
        { headers: { "response-job-status": "Completed;", "response-max-wait": "1" } },
      );
      const held = Date.now() - started;
      assert.equal(r.status, 202, r.text);
      assert.notEqual(r.body.status, "Completed");
      assert.equal(r.body.completedTime, undefined);
      assert.ok(held >= 900 && held < 1450, `held ${held} ms`);

      // Held again with a longer wait by a second request: answered as soon as the job completes.
      const deadline = Date.now() + 30_000;
      let job = r.body;
      while (job.status !== "Completed" && Date.now() < deadline) {
        job = (await s.get(`${scoped}/jobs/${r.body.jobId}`)).body;
        await new Promise((res) => setTimeout(res, 20));
      }
      assert.equal(job.state, "Succeeded");
    });

    test("a held answer of a failed job is 202 Completed/Failed with the error clients read", async () => {
      const r = await s.post(
        `${scoped}/ldevs`,
        { byteFormatCapacity: "16T", poolId },
        { headers: { "response-job-status": "Completed;", "response-max-wait": "30" } },
      );
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.status, "Completed");
      assert.equal(r.body.state, "Failed");
      assert.equal(r.body.error.messageId, "KART30000-E");
      assert.deepEqual(r.body.error.errorCode, { SSB1: "2e30", SSB2: "0002" });
      assert.equal(r.body.error.errorSource, `${scoped}/ldevs`);
    });

    test("malformed wait headers are 400 and nothing is queued", async () => {
      const count = async () => (await s.get(`${FULL}/ldevs?count=16384`)).body.count;
      const before = await count();
      for (const headers of [
        { "response-job-status": "Started;" } as Record<string, string>,
        { "response-job-status": "Completed;", "response-max-wait": "soon" },
        { "response-job-status": "Completed;", "response-max-wait": "-1" },
      ]) {
        const r = await s.post(`${scoped}/ldevs`, { byteFormatCapacity: "1G", poolId }, { headers });
        assert.equal(r.status, 400, `${JSON.stringify(headers)}: ${r.text}`);
      }
      assert.equal(await count(), before);
    });

    test("a user reads their own jobs; another's is 404; a Security Administrator reads all", async () => {
      const token = await s.userToken("v1-prov", ["Storage Administrator (Provisioning)"]);
      const r = await s.post(
        `${scoped}/ldevs`,
        { byteFormatCapacity: "1G", poolId },
        { token, headers: { "response-job-status": "Completed;", "response-max-wait": "30" } },
      );
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.userId, "v1-prov");
      assert.equal((await s.get(`${scoped}/jobs/${r.body.jobId}`, { token })).status, 200);
      const admin = await s.get(`${scoped}/jobs/${r.body.jobId}`);
      assert.equal(admin.body.userId, "v1-prov");
      const other = await s.userToken("v1-other", ["Storage Administrator (View Only)"]);
      assert.equal((await s.get(`${scoped}/jobs/${r.body.jobId}`, { token: other })).status, 404);
    });
  });

  describe("sessions at both forms", () => {
    test("create, keep-alive GET, list, and DELETE; an absent session is 404", async () => {
      for (const base of [FULL, scoped]) {
        const made = await s.post(`${base}/sessions`, undefined, {
          token: null,
          headers: { authorization: basic("admin", ADMIN_PASSWORD), "content-type": "application/json" },
        });
        assert.equal(made.status, 200, made.text);
        const { token, sessionId } = made.body;
        assert.ok(Number.isInteger(sessionId));
        const alive = await s.get(`${base}/sessions/${sessionId}`, { token });
        assert.equal(alive.status, 200, alive.text);
        assert.equal(alive.body.sessionId, sessionId);
        assert.equal(alive.body.userId, "admin");
        const list = await s.get(`${base}/sessions`, { token });
        assert.ok(list.body.data.some((x: { sessionId: number }) => x.sessionId === sessionId));
        assert.equal((await s.get(`${base}/sessions/999999`, { token })).status, 404);
        const gone = await s.delete(`${base}/sessions/${sessionId}`, { token });
        assert.equal(gone.status, 200, gone.text);
        assert.equal(gone.body.affectedResources[0], `${base}/sessions/${sessionId}`);
        assert.equal((await s.get(`${base}/sessions`, { token })).status, 401);
      }
    });
  });
});
