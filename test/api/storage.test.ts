import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FULL, type Reply, SIMPLE, startServer, type TestServer } from "../support/server.ts";

// The simulated array's drives (simulator/seed.ts).
const DRIVES = [
  { code: "SNR5A-R960NC", mib: 915_715, count: 24 },
  { code: "SNB5A-R1R9NC", mib: 1_831_430, count: 24 },
  { code: "SNB5B-R3R8NC", mib: 3_662_860, count: 16 },
];
const ALL_DRIVES = DRIVES.reduce((n, d) => n + d.count, 0);
const PHYSICAL = DRIVES.reduce((n, d) => n + d.count * d.mib, 0);
const SMALL = DRIVES[0] as (typeof DRIVES)[number];

describe("storage system, health and the full API's storage instance", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  async function done(r: Reply) {
    assert.equal(r.status, 202, r.text);
    const job = await s.waitJob(r.body);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return job.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId)) as number[];
  }

  test("a new array: no pools, no volumes, every drive free", async () => {
    const r = await s.get(`${SIMPLE}/storage`);
    assert.equal(r.status, 200);
    assert.equal(r.body.modelName, "VSP E1090");
    assert.equal(r.body.serial, "700001");
    assert.equal(r.body.numberOfTotalVolumes, 0);
    assert.equal(r.body.numberOfFreeDrives, ALL_DRIVES);
    assert.equal(r.body.totalPhysicalCapacity, PHYSICAL);
    assert.equal(r.body.totalPoolCapacity, 0);
    assert.equal(r.body.usedPoolCapacity, 0);
    assert.equal(r.body.freePoolCapacity, 0);
    assert.equal(r.body.warningLedStatus, "OFF");
    assert.equal(r.body.savingEffects.totalEfficiencyStatus, "Valid");
    const health = await s.get(`${SIMPLE}/health-status`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, {
      poolStatus: { summary: "Normal", abnormalItems: [] },
      snapshotStatus: { summary: "Normal", abnormalItems: [] },
    });
  });

  test("the full API's storage instance names a VSP E model, as clients check", async () => {
    const r = await s.get(`${FULL}/storages/instance`);
    assert.equal(r.status, 200);
    assert.match(r.body.model, /VSP E/);
    assert.equal(r.body.serialNumber, 700001);
    assert.equal(typeof r.body.storageDeviceId, "string");
  });

  test("pools and volumes show in the totals; a pool past its threshold shows in health", async () => {
    const [a] = await done(
      await s.post(`${SIMPLE}/pools`, {
        name: "health-a",
        drives: [{ driveTypeCode: SMALL.code, dataDriveCount: 5, raidLevel: "RAID5" }],
      }),
    );
    const [b] = await done(
      await s.post(`${SIMPLE}/pools`, {
        name: "health-b",
        drives: [{ driveTypeCode: SMALL.code, dataDriveCount: 5, raidLevel: "RAID5" }],
      }),
    );
    const poolCapacity = 4 * SMALL.mib;
    // Pool a past its 70 % warning threshold, pool b full.
    const va = await done(
      await s.post(`${SIMPLE}/volumes`, { poolId: a, capacity: Math.ceil(poolCapacity * 0.75) }),
    );
    const vb = await done(
      await s.post(`${SIMPLE}/volumes`, { poolId: b, capacity: poolCapacity / 4, number: 4 }),
    );
    const used = Math.ceil(poolCapacity * 0.75) + poolCapacity;

    const st = (await s.get(`${SIMPLE}/storage`)).body;
    assert.equal(st.numberOfTotalVolumes, 5);
    assert.equal(st.numberOfFreeDrives, ALL_DRIVES - 10);
    assert.equal(st.totalPoolCapacity, 2 * poolCapacity);
    assert.equal(st.usedPoolCapacity, used);
    assert.equal(st.freePoolCapacity, 2 * poolCapacity - used);
    assert.equal(st.totalPoolCapacityWithTiPool, st.totalPoolCapacity);
    assert.equal(st.warningLedStatus, "ON");

    const health = (await s.get(`${SIMPLE}/health-status`)).body;
    assert.equal(health.poolStatus.summary, "Error");
    const byStatus = Object.fromEntries(
      health.poolStatus.abnormalItems.map((i: { status: string; poolIds: number[] }) => [
        i.status,
        i.poolIds,
      ]),
    );
    assert.deepEqual(byStatus, { ExceededThreshold: [a], Error: [b] });

    // Emptied and deleted, the array is back where it started.
    for (const v of [...va, ...vb]) await done(await s.delete(`${SIMPLE}/volumes/${v}`));
    for (const p of [a, b]) await done(await s.delete(`${SIMPLE}/pools/${p}`));
    const back = (await s.get(`${SIMPLE}/storage`)).body;
    assert.equal(back.numberOfTotalVolumes, 0);
    assert.equal(back.numberOfFreeDrives, ALL_DRIVES);
    assert.equal(back.totalPoolCapacity, 0);
    assert.equal((await s.get(`${SIMPLE}/health-status`)).body.poolStatus.summary, "Normal");
  });
});
