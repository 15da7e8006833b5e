import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FULL, SIMPLE, startServer, type TestServer } from "../support/server.ts";

// The array of the tests (VSP E1090, serial from its profile): its storage device ID is read once.
const WAIT = { "response-job-status": "Completed;", "response-max-wait": "30" };
const LARGE_DRIVE = "SNB5B-R3R8NC";

describe("v1 ldevs", () => {
  let s: TestServer;
  let poolId: number;
  /** The server-edition prefix `/v1/objects/storages/{storageDeviceId}`, as Cinder uses it. */
  let scoped: string;

  before(async () => {
    s = await startServer();
    const pool = await s.post(`${SIMPLE}/pools`, {
      name: "v1pool",
      drives: [{ driveTypeCode: LARGE_DRIVE, dataDriveCount: 5, raidLevel: "RAID5" }],
    });
    assert.equal(pool.status, 202, pool.text);
    poolId = Number((await s.waitJob(pool.body)).operationDetails[0].resourceId);
    const storages = await s.get(`${FULL}/storages`);
    assert.equal(storages.status, 200, storages.text);
    scoped = `${FULL}/storages/${storages.body.data[0].storageDeviceId}`;
  });
  after(() => s.close());

  /** POST ldevs with the wait Cinder asks for; answers the completed job. */
  async function create(body: object, base = scoped) {
    const r = await s.post(`${base}/ldevs`, body, { headers: WAIT });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.status, "Completed", r.text);
    return r.body;
  }
  async function createdId(body: object, base = scoped): Promise<number> {
    const job = await create(body, base);
    assert.equal(job.state, "Succeeded", JSON.stringify(job));
    return Number(job.affectedResources[0].split("/").at(-1));
  }

  test("POST ldevs held until the job completes: Cinder's request and the job it reads", async () => {
    const body = { byteFormatCapacity: "1G", poolId, isParallelExecutionEnabled: true };
    const job = await create(body);
    assert.equal(job.state, "Succeeded");
    assert.ok(Number.isInteger(job.jobId));
    assert.equal(job.self, `${scoped}/jobs/${job.jobId}`);
    assert.equal(job.userId, "admin");
    assert.match(job.createdTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(job.completedTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(job.request, {
      requestUrl: `${scoped}/ldevs`,
      requestMethod: "POST",
      requestBody: JSON.stringify(body),
    });
    assert.match(job.affectedResources[0], new RegExp(`^${scoped}/ldevs/\\d+$`));
    assert.equal(job.error, undefined);
  });

  test("an LDEV is a volume: made on the v1 face, seen and changed on the simple face, and back", async () => {
    const id = await createdId({ byteFormatCapacity: "2G", poolId });
    const ldev = (await s.get(`${scoped}/ldevs/${id}`)).body;
    assert.equal(ldev.ldevId, id);
    assert.equal(ldev.emulationType, "OPEN-V-CVS");
    assert.equal(ldev.status, "NML");
    assert.deepEqual(ldev.attributes, ["CVS", "HDP"]);
    assert.equal(ldev.blockCapacity, 2 * 1024 * 2048);
    assert.equal(ldev.byteFormatCapacity, "2.00 G");
    assert.equal(ldev.poolId, poolId);
    assert.equal(ldev.numOfPorts, 0);
    assert.deepEqual(ldev.ports, []);
    assert.equal(ldev.dataReductionMode, "disabled");
    assert.equal(ldev.label, undefined, "no label until one is set");

    const volume = await s.get(`${SIMPLE}/volumes/${id}`);
    assert.equal(volume.status, 200);
    assert.equal(volume.body.totalCapacity, 2048);
    assert.equal(volume.body.poolId, poolId);

    const label = "15960cc738c94c5bb4f1365be5eeed44";
    const put = await s.request("PUT", `${scoped}/ldevs/${id}`, { body: { label }, headers: WAIT });
    assert.equal(put.status, 202, put.text);
    assert.equal(put.body.state, "Succeeded");
    assert.equal((await s.get(`${SIMPLE}/volumes/${id}`)).body.nickname, label);

    const renamed = await s.patch(`${SIMPLE}/volumes/${id}`, { nickname: "from-simple" });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal((await s.get(`${FULL}/ldevs/${id}`)).body.label, "from-simple");

    // A volume made on the simple face is an LDEV of the v1 face.
    const made = await s.post(`${SIMPLE}/volumes`, { poolId, capacity: 100 });
    const simpleId = Number((await s.waitJob(made.body)).operationDetails[0].resourceId);
    const seen = await s.get(`${scoped}/ldevs/${simpleId}`);
    assert.equal(seen.body.blockCapacity, 100 * 2048);
  });

  test("ldevId and startLdevId/endLdevId choose the number; a taken one fails with the real SSB codes", async () => {
    assert.equal(await createdId({ byteFormatCapacity: "100M", poolId, ldevId: 500 }), 500);
    const taken = await create({ byteFormatCapacity: "100M", poolId, ldevId: 500 });
    assert.equal(taken.state, "Failed");
    assert.equal(taken.error.messageId, "KART30000-E");
    assert.deepEqual(taken.error.errorCode, { SSB1: "2e22", SSB2: "0001" });
    assert.equal(taken.affectedResources.length, 0);

    assert.equal(
      await createdId({ byteFormatCapacity: "100M", poolId, startLdevId: 500, endLdevId: 502 }),
      501,
    );
    assert.equal(await createdId({ blockCapacity: 204800, poolId, startLdevId: 500, endLdevId: 502 }), 502);
    const full = await create({ byteFormatCapacity: "100M", poolId, startLdevId: 500, endLdevId: 502 });
    assert.equal(full.state, "Failed");
    assert.deepEqual(full.error.errorCode, { SSB1: "2e11", SSB2: "2209" });
  });

  test("a free LDEV number is NOT DEFINED, never 404; past the array's last number is 400", async () => {
    const r = await s.get(`${scoped}/ldevs/60000`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.emulationType, "NOT DEFINED");
    assert.equal(r.body.ldevId, 60000);
    const beyond = await s.get(`${scoped}/ldevs/65280`);
    assert.equal(beyond.status, 400);
    assert.equal((await s.get(`${scoped}/ldevs/x`)).status, 400);
  });

  test("changes of an absent LDEV are 404 with the ID clients never retry, and queue nothing", async () => {
    for (const [method, path, body] of [
      ["PUT", "/ldevs/61000", { label: "x" }],
      ["DELETE", "/ldevs/61000", undefined],
      ["PUT", "/ldevs/61000/actions/expand/invoke", { parameters: { additionalByteFormatCapacity: "1G" } }],
      ["PUT", "/ldevs/61000/actions/discard-zero-page/invoke", undefined],
    ] as const) {
      const r = await s.request(method, `${scoped}${path}`, { ...(body ? { body } : {}), headers: WAIT });
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.messageId, "KART30013-E");
    }
  });

  test("invalid bodies are 400 before anything is queued", async () => {
    const before = (await s.get(`${FULL}/ldevs?count=16384`)).body.count;
    for (const body of [
      { byteFormatCapacity: "1X", poolId },
      { byteFormatCapacity: "1.0001G", poolId },
      { poolId },
      { byteFormatCapacity: "1G", blockCapacity: 2097152, poolId },
      { blockCapacity: 1000, poolId },
      { byteFormatCapacity: "1G", poolId, ldevId: 5, startLdevId: 1 },
      { byteFormatCapacity: "1G", poolId, startLdevId: 9, endLdevId: 3 },
      { byteFormatCapacity: "1G", poolId, dataReductionMode: "zip" },
      { byteFormatCapacity: "1G" },
      { byteFormatCapacity: "46M", poolId },
      { byteFormatCapacity: "257T", poolId },
    ]) {
      const r = await s.post(`${scoped}/ldevs`, body, { headers: WAIT });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    }
    const unknown = await s.post(`${scoped}/ldevs`, { byteFormatCapacity: "1G", poolId, capacityInGB: 1 });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.messageId, "KART40038-E", "an unsupported body field has the real ID");
    assert.equal((await s.get(`${FULL}/ldevs?count=16384`)).body.count, before);
  });

  test("expand, discard zero pages and delete, at the embedded path form too", async () => {
    const id = await createdId({ byteFormatCapacity: "1G", poolId }, FULL);
    const expand = await s.request("PUT", `${FULL}/ldevs/${id}/actions/expand/invoke`, {
      body: { parameters: { additionalByteFormatCapacity: "1G" } },
      headers: WAIT,
    });
    assert.equal(expand.status, 202, expand.text);
    assert.equal(expand.body.state, "Succeeded");
    assert.equal(expand.body.affectedResources[0], `${FULL}/ldevs/${id}`);
    assert.equal((await s.get(`${FULL}/ldevs/${id}`)).body.blockCapacity, 2 * 1024 * 2048);

    const discard = await s.request("PUT", `${FULL}/ldevs/${id}/actions/discard-zero-page/invoke`, {
      headers: WAIT,
    });
    assert.equal(discard.status, 202, discard.text);
    assert.equal(discard.body.state, "Succeeded");

    const del = await s.request("DELETE", `${FULL}/ldevs/${id}`, {
      headers: { ...WAIT, "content-type": "application/json" },
    });
    assert.equal(del.status, 202, del.text);
    assert.equal(del.body.state, "Succeeded");
    assert.equal((await s.get(`${FULL}/ldevs/${id}`)).body.emulationType, "NOT DEFINED");
    assert.equal((await s.get(`${SIMPLE}/volumes/${id}`)).status, 404);
  });

  test("set-qos over the QoS of the simple face, read back with detailInfoType=qos", async () => {
    const id = await createdId({ byteFormatCapacity: "1G", poolId });
    const set = await s.request("PUT", `${scoped}/ldevs/${id}/actions/set-qos/invoke`, {
      body: { parameters: { upperIops: 5000 } },
      headers: WAIT,
    });
    assert.equal(set.status, 202, set.text);
    assert.equal(set.body.state, "Succeeded", set.text);
    const qos = await s.get(`${SIMPLE}/volumes/${id}/qos-setting`);
    assert.equal(qos.body.threshold.upperIops, 5000);
    const ldev = await s.get(`${scoped}/ldevs/${id}?detailInfoType=qos`);
    assert.deepEqual(ldev.body.qos, { upperIops: 5000 });
    const listed = await s.get(`${scoped}/ldevs?headLdevId=${id}&count=1&detailInfoType=qos`);
    assert.deepEqual(listed.body.data[0].qos, { upperIops: 5000 });

    // The array's rules refuse before anything is queued: the lower limit above the upper one.
    const bad = await s.request("PUT", `${scoped}/ldevs/${id}/actions/set-qos/invoke`, {
      body: { parameters: { lowerIops: 6000 } },
      headers: WAIT,
    });
    assert.equal(bad.status, 400, bad.text);
  });

  test("GET ldevs by headLdevId and count: defined (dpVolume) and undefined numbers", async () => {
    const a = await createdId({ byteFormatCapacity: "100M", poolId, ldevId: 1000 });
    const b = await createdId({ byteFormatCapacity: "100M", poolId, ldevId: 1002 });
    const defined = await s.get(`${scoped}/ldevs?headLdevId=1000&count=3&ldevOption=dpVolume`);
    assert.equal(defined.status, 200, defined.text);
    assert.deepEqual(
      defined.body.data.slice(0, 2).map((l: { ldevId: number }) => l.ldevId),
      [a, b],
    );
    const free = await s.get(`${scoped}/ldevs?headLdevId=1000&count=2&ldevOption=undefined`);
    assert.deepEqual(
      free.body.data.map((l: { ldevId: number; emulationType: string }) => [l.ldevId, l.emulationType]),
      [
        [1001, "NOT DEFINED"],
        [1003, "NOT DEFINED"],
      ],
    );
    assert.equal((await s.get(`${scoped}/ldevs?ldevOption=all`)).status, 400);
    assert.equal((await s.get(`${scoped}/ldevs?count=16385`)).status, 400);
  });

  test("a View Only user reads LDEVs but may not change them (403)", async () => {
    const token = await s.userToken("v1-viewer", ["Storage Administrator (View Only)"]);
    assert.equal((await s.get(`${scoped}/ldevs/0`, { token })).status, 200);
    const r = await s.post(`${scoped}/ldevs`, { byteFormatCapacity: "1G", poolId }, { token });
    assert.equal(r.status, 403, r.text);
  });
});
