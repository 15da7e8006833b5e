/**
 * Volumes' QoS settings: what a fresh volume answers, a change (asynchronous) read back, each rule
 * of a change refused with 400 and nothing changed, roles, absent and malformed IDs, the settings
 * going with their volume, a re-run of the same idempotency key, and a restart.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";
import { createSimulator } from "../../src/device/simulator/index.ts";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

const VOLUMES = `${SIMPLE}/volumes`;
const qosUrl = (id: number | string) => `${VOLUMES}/${id}/qos-setting`;

const DEFAULTS = (volumeId: number) => ({
  volumeId,
  threshold: {
    isUpperIopsEnabled: false,
    isUpperTransferRateEnabled: false,
    isLowerIopsEnabled: false,
    isLowerTransferRateEnabled: false,
    isResponsePriorityEnabled: false,
  },
  alertSetting: { isUpperAlertEnabled: false, isLowerAlertEnabled: false, isResponseAlertEnabled: false },
  alertTime: {},
});

describe("volume QoS settings", () => {
  let s: TestServer;
  let pool: number;

  before(async () => {
    s = await startServer();
    const r = await s.post(`${SIMPLE}/pools`, {
      name: "qos-pool",
      drives: [{ driveTypeCode: "SNB5B-R3R8NC", dataDriveCount: 5, raidLevel: "RAID5" }],
    });
    assert.equal(r.status, 202, r.text);
    const job = await s.waitJob(r.body.statusResource);
    assert.equal(job.status, "normal", JSON.stringify(job));
    pool = Number(job.operationDetails[0].resourceId);
  });
  after(() => s.close());

  async function createVolume(server = s): Promise<number> {
    const r = await server.post(VOLUMES, { poolId: pool, capacity: 1024 });
    assert.equal(r.status, 202, r.text);
    const job = await server.waitJob(r.body[0].statusResource);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return Number(job.operationDetails[0].resourceId);
  }
  /** PATCHes QoS and answers the completed command-status. */
  async function change(id: number, body: object, server = s) {
    const r = await server.patch(qosUrl(id), body);
    assert.equal(r.status, 202, r.text);
    assert.ok(!Array.isArray(r.body), "PATCH qos-setting answers one statusResource object");
    assert.match(r.body.statusResource, /^\/ConfigurationManager\/simple\/v1\/objects\/command-status\/\d+$/);
    const job = await server.waitJob(r.body.statusResource);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return job;
  }
  async function qos(id: number, server = s) {
    const r = await server.get(qosUrl(id));
    assert.equal(r.status, 200, r.text);
    return r.body;
  }

  test("a fresh volume has every limit and alert disabled, and no value", async () => {
    const id = await createVolume();
    assert.deepEqual(await qos(id), DEFAULTS(id));
  });

  test("a threshold change is read back, with the target response time of its priority", async () => {
    const id = await createVolume();
    const job = await change(id, {
      threshold: {
        isUpperIopsEnabled: true,
        upperIops: 5000,
        isLowerIopsEnabled: true,
        lowerIops: 1000,
        isUpperTransferRateEnabled: true,
        upperTransferRate: 200,
        isLowerTransferRateEnabled: false,
        isResponsePriorityEnabled: true,
        responsePriority: 2,
      },
    });
    assert.deepEqual(job.affectedResources, [`${VOLUMES}/${id}`]);
    assert.deepEqual(job.operationDetails, [
      { operationType: "UPDATE", resourceType: "Volume", resourceId: String(id) },
    ]);
    assert.deepEqual((await qos(id)).threshold, {
      isUpperIopsEnabled: true,
      upperIops: 5000,
      isUpperTransferRateEnabled: true,
      upperTransferRate: 200,
      isLowerIopsEnabled: true,
      lowerIops: 1000,
      isLowerTransferRateEnabled: false,
      isResponsePriorityEnabled: true,
      responsePriority: 2,
      targetResponseTime: 5,
    });
    for (const [priority, target] of [
      [3, 1],
      [1, 10],
    ]) {
      await change(id, { threshold: { responsePriority: priority } });
      const t = (await qos(id)).threshold;
      assert.equal(t.responsePriority, priority);
      assert.equal(t.targetResponseTime, target);
    }
  });

  test("only the attributes named change; the alert settings keep apart from the thresholds", async () => {
    const id = await createVolume();
    await change(id, {
      threshold: {
        isUpperIopsEnabled: true,
        upperIops: 3000,
        isResponsePriorityEnabled: true,
        responsePriority: 3,
      },
    });
    await change(id, {
      alertSetting: {
        isUpperAlertEnabled: true,
        upperAlertAllowableTime: 60,
        isResponseAlertEnabled: true,
        responseAlertAllowableTime: 30,
      },
    });
    await change(id, { threshold: { upperIops: 4000 } });
    const got = await qos(id);
    assert.equal(got.threshold.upperIops, 4000);
    assert.equal(got.threshold.responsePriority, 3, "untouched");
    assert.deepEqual(got.alertSetting, {
      isUpperAlertEnabled: true,
      upperAlertAllowableTime: 60,
      isLowerAlertEnabled: false,
      isResponseAlertEnabled: true,
      responseAlertAllowableTime: 30,
    });
    await change(id, { alertSetting: { isResponseAlertEnabled: false } });
    assert.equal((await qos(id)).alertSetting.isResponseAlertEnabled, false);
    assert.equal((await qos(id)).alertSetting.responseAlertAllowableTime, undefined);
  });

  test("a disabled limit loses its value, and the alert watching no limit any more is disabled", async () => {
    const id = await createVolume();
    await change(id, { threshold: { isUpperIopsEnabled: true, upperIops: 3000 } });
    await change(id, { alertSetting: { isUpperAlertEnabled: true, upperAlertAllowableTime: 10 } });
    await change(id, { threshold: { isUpperIopsEnabled: false } });
    assert.deepEqual(await qos(id), DEFAULTS(id));
  });

  test("the bodies the Terraform provider sends: every flag, zero values left out", async () => {
    const id = await createVolume();
    await change(id, {
      threshold: {
        isUpperIopsEnabled: true,
        upperIops: 3000,
        isUpperTransferRateEnabled: true,
        upperTransferRate: 200,
        isLowerIopsEnabled: true,
        lowerIops: 1000,
        isLowerTransferRateEnabled: true,
        lowerTransferRate: 50,
        isResponsePriorityEnabled: true,
        responsePriority: 3,
      },
    });
    await change(id, {
      alertSetting: {
        isUpperAlertEnabled: true,
        upperAlertAllowableTime: 60,
        isLowerAlertEnabled: false,
        isResponseAlertEnabled: true,
        responseAlertAllowableTime: 30,
      },
    });
    const got = await qos(id);
    assert.equal(got.threshold.lowerTransferRate, 50);
    assert.equal(got.alertSetting.upperAlertAllowableTime, 60);
    assert.equal(got.alertSetting.isLowerAlertEnabled, false);
  });

  describe("refusals: 400, nothing changed", () => {
    let id: number;
    let initial: unknown;
    before(async () => {
      id = await createVolume();
      await change(id, {
        threshold: {
          isUpperIopsEnabled: true,
          upperIops: 5000,
          isLowerIopsEnabled: true,
          lowerIops: 1000,
          isUpperTransferRateEnabled: true,
          upperTransferRate: 400,
          isLowerTransferRateEnabled: true,
          lowerTransferRate: 100,
        },
      });
      initial = await qos(id);
    });

    const cases: [string, object, RegExp][] = [
      ["upper IOPS below 100", { threshold: { upperIops: 99 } }, /upperIops/],
      ["upper IOPS above 2,147,483,647", { threshold: { upperIops: 2_147_483_648 } }, /upperIops/],
      ["lower IOPS below 100", { threshold: { lowerIops: 99 } }, /lowerIops/],
      ["transfer rate 0", { threshold: { upperTransferRate: 0 } }, /upperTransferRate/],
      ["transfer rate above 2,097,151", { threshold: { lowerTransferRate: 2_097_152 } }, /lowerTransferRate/],
      [
        "priority 0",
        { threshold: { isResponsePriorityEnabled: true, responsePriority: 0 } },
        /responsePriority/,
      ],
      [
        "priority 4",
        { threshold: { isResponsePriorityEnabled: true, responsePriority: 4 } },
        /responsePriority/,
      ],
      [
        "alert time 0",
        { alertSetting: { isUpperAlertEnabled: true, upperAlertAllowableTime: 0 } },
        /upperAlertAllowableTime/,
      ],
      [
        "alert time 601",
        { alertSetting: { isLowerAlertEnabled: true, lowerAlertAllowableTime: 601 } },
        /lowerAlertAllowableTime/,
      ],
      ["a non-integer IOPS", { threshold: { upperIops: 1500.5 } }, /upperIops/],
      [
        "a flag that is not a boolean",
        { threshold: { isUpperIopsEnabled: "yes", upperIops: 2000 } },
        /isUpperIopsEnabled/,
      ],
      [
        "an enabled limit without its value",
        { threshold: { isResponsePriorityEnabled: true } },
        /responsePriority is required/,
      ],
      [
        "an enabled alert without its time",
        { alertSetting: { isUpperAlertEnabled: true } },
        /upperAlertAllowableTime is required/,
      ],
      [
        "a value with its flag false",
        { threshold: { isUpperIopsEnabled: false, upperIops: 2000 } },
        /cannot be specified when/,
      ],
      ["a value of a disabled limit", { threshold: { responsePriority: 2 } }, /while it is disabled/],
      ["upper IOPS equal to the lower", { threshold: { upperIops: 1000 } }, /must be greater than the lower/],
      [
        "lower IOPS above the stored upper",
        { threshold: { lowerIops: 6000 } },
        /upper limit on IOPS \(5000\) must be greater/,
      ],
      [
        "upper transfer rate below the lower",
        { threshold: { upperTransferRate: 50 } },
        /transfer rate \(50 MiB\/s\) must be greater/,
      ],
      [
        "thresholds and alerts at once",
        { threshold: { upperIops: 6000 }, alertSetting: { isUpperAlertEnabled: false } },
        /not both/,
      ],
      ["neither thresholds nor alerts", {}, /Specify threshold or alertSetting/],
      ["an empty threshold", { threshold: {} }, /threshold/],
      [
        "the target response time, which the array sets",
        { threshold: { targetResponseTime: 5 } },
        /targetResponseTime/,
      ],
      ["an unknown attribute", { threshold: { upperIops: 6000, burstIops: 9000 } }, /burstIops/],
      [
        "an alert on a response priority not enabled",
        { alertSetting: { isResponseAlertEnabled: true, responseAlertAllowableTime: 5 } },
        /needs a response priority/,
      ],
      [
        "alertTime, which the array reports",
        { alertTime: { upperAlertTime: "2025-01-01T00:00:00Z" } },
        /alertTime/,
      ],
    ];
    for (const [what, body, message] of cases) {
      test(what, async () => {
        const r = await s.patch(qosUrl(id), body);
        assert.equal(r.status, 400, r.text);
        assert.match(r.body.message, message);
        assert.deepEqual(await qos(id), initial);
      });
    }

    test("an alert on limits that are not enabled", async () => {
      const fresh = await createVolume();
      for (const alertSetting of [
        { isUpperAlertEnabled: true, upperAlertAllowableTime: 10 },
        { isLowerAlertEnabled: true, lowerAlertAllowableTime: 10 },
      ]) {
        const r = await s.patch(qosUrl(fresh), { alertSetting });
        assert.equal(r.status, 400, r.text);
        assert.match(r.body.message, /needs an? (upper|lower) limit/);
      }
      assert.deepEqual(await qos(fresh), DEFAULTS(fresh));
    });
  });

  test("the array checks a change again against the state it locks", async () => {
    // What a job accepted before another change committed meets: the rules apply to the state the
    // array holds when the job runs, not the one the route read.
    const id = await createVolume();
    await change(id, { threshold: { isUpperIopsEnabled: true, upperIops: 5000 } });
    const device = await createSimulator(s.bp.store, { identity: s.config.array });
    const held = await qos(id);
    await assert.rejects(
      device.setVolumeQos(
        id,
        { threshold: { isLowerIopsEnabled: true, lowerIops: 5000 } },
        { signal: new AbortController().signal, opKey: "qos-test:late" },
      ),
      { kind: "invalid", message: /must be greater than the lower limit/ },
    );
    assert.deepEqual(await qos(id), held);
    await assert.rejects(
      device.setVolumeQos(65000, { threshold: { upperIops: 200 } }, { signal: new AbortController().signal }),
      { kind: "not-found" },
    );
  });

  test("reading needs any role; changing needs System Resource Management", async () => {
    const id = await createVolume();
    const viewer = await s.userToken("qos-viewer", ["Storage Administrator (View Only)"]);
    const provisioner = await s.userToken("qos-prov", ["Storage Administrator (Provisioning)"]);
    const resources = await s.userToken("qos-sysres", ["Storage Administrator (System Resource Management)"]);
    const body = { threshold: { isUpperIopsEnabled: true, upperIops: 2000 } };
    assert.equal((await s.get(qosUrl(id), { token: viewer })).status, 200);
    for (const token of [viewer, provisioner]) {
      const r = await s.patch(qosUrl(id), body, { token });
      assert.equal(r.status, 403, r.text);
    }
    assert.deepEqual(await qos(id), DEFAULTS(id), "nothing changed by a refused caller");
    const r = await s.patch(qosUrl(id), body, { token: resources });
    assert.equal(r.status, 202, r.text);
    assert.equal((await s.waitJob(r.body.statusResource, resources)).status, "normal");
    assert.equal((await qos(id)).threshold.upperIops, 2000);
    assert.equal((await s.get(qosUrl(id), { token: null })).status, 401);
  });

  test("an absent volume is 404; a malformed ID is 400", async () => {
    const body = { threshold: { isUpperIopsEnabled: true, upperIops: 2000 } };
    assert.equal((await s.get(qosUrl(65000))).status, 404);
    assert.equal((await s.patch(qosUrl(65000), body)).status, 404);
    for (const bad of ["abc", "65280", "-1", "1.5"]) {
      assert.equal((await s.get(qosUrl(bad))).status, 400, bad);
      assert.equal((await s.patch(qosUrl(bad), body)).status, 400, bad);
    }
  });

  test("the settings go with their volume: a new volume at the same ID starts fresh", async () => {
    const id = await createVolume();
    await change(id, { threshold: { isUpperIopsEnabled: true, upperIops: 2000 } });
    const r = await s.delete(`${VOLUMES}/${id}`);
    assert.equal(r.status, 202, r.text);
    assert.equal((await s.waitJob(r.body.statusResource)).status, "normal");
    assert.equal((await s.get(qosUrl(id))).status, 404);
    const again = await createVolume();
    assert.equal(again, id, "the lowest free ID is taken again");
    assert.deepEqual(await qos(again), DEFAULTS(again));
  });

  test("the same idempotency key answers the recorded outcome and changes nothing more", async () => {
    const id = await createVolume();
    const device = await createSimulator(s.bp.store, { identity: s.config.array });
    const opts = { signal: new AbortController().signal, opKey: "qos-test:rerun" };
    const first = await device.setVolumeQos(
      id,
      { threshold: { isUpperIopsEnabled: true, upperIops: 2000 } },
      opts,
    );
    const again = await device.setVolumeQos(
      id,
      { threshold: { isUpperIopsEnabled: true, upperIops: 9000 } },
      opts,
    );
    assert.deepEqual(again, first);
    assert.equal((await qos(id)).threshold.upperIops, 2000);
  });
});

describe("volume QoS settings across a restart", () => {
  test("a change survives the process", async () => {
    const first = await startServer();
    let dataDir: string | undefined = first.config.dataDir;
    let second: TestServer | undefined;
    try {
      const p = await first.post(`${SIMPLE}/pools`, {
        name: "qos-restart",
        drives: [{ driveTypeCode: "SNB5B-R3R8NC", dataDriveCount: 5, raidLevel: "RAID5" }],
      });
      const pool = Number((await first.waitJob(p.body.statusResource)).operationDetails[0].resourceId);
      const v = await first.post(VOLUMES, { poolId: pool, capacity: 1024 });
      const id = Number((await first.waitJob(v.body[0].statusResource)).operationDetails[0].resourceId);
      const c = await first.patch(qosUrl(id), {
        threshold: {
          isLowerIopsEnabled: true,
          lowerIops: 800,
          isResponsePriorityEnabled: true,
          responsePriority: 1,
        },
      });
      assert.equal(c.status, 202, c.text);
      assert.equal((await first.waitJob(c.body.statusResource)).status, "normal");
      const a = await first.patch(qosUrl(id), {
        alertSetting: { isLowerAlertEnabled: true, lowerAlertAllowableTime: 600 },
      });
      assert.equal((await first.waitJob(a.body.statusResource)).status, "normal");
      const expected = (await first.get(qosUrl(id))).body;
      await first.bp.close();

      second = await startServer(
        first.config.databaseUrl
          ? { BLOCKPLANE_DATABASE_URL: first.config.databaseUrl }
          : { BLOCKPLANE_DATA_DIR: first.config.dataDir },
      );
      const r = await second.get(qosUrl(id));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, expected);
      assert.equal(r.body.threshold.lowerIops, 800);
      assert.equal(r.body.threshold.targetResponseTime, 10);
      assert.equal(r.body.alertSetting.lowerAlertAllowableTime, 600);
    } finally {
      await second?.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      dataDir = undefined;
    }
  });
});
