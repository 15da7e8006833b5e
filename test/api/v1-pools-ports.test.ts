import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FULL, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const LARGE_DRIVE = "SNB5B-R3R8NC";

describe("v1 pools and ports", () => {
  let s: TestServer;
  let scoped: string;
  let poolId: number;

  before(async () => {
    s = await startServer();
    const pool = await s.post(`${SIMPLE}/pools`, {
      name: "cinder_pool",
      drives: [{ driveTypeCode: LARGE_DRIVE, dataDriveCount: 5, raidLevel: "RAID5" }],
    });
    poolId = Number((await s.waitJob(pool.body)).operationDetails[0].resourceId);
    scoped = `${FULL}/storages/${(await s.get(`${FULL}/storages`)).body.data[0].storageDeviceId}`;
  });
  after(() => s.close());

  test("pools in MiB, the same pool as the simple face; Cinder finds it by name", async () => {
    const list = await s.get(`${scoped}/pools`);
    assert.equal(list.status, 200, list.text);
    const found = list.body.data.find((p: { poolName: string }) => p.poolName === "cinder_pool");
    assert.equal(found.poolId, poolId);
    const simple = (await s.get(`${SIMPLE}/pools/${poolId}`)).body;
    assert.equal(found.totalPoolCapacity, simple.totalCapacity);
    assert.equal(found.availableVolumeCapacity, simple.freeCapacity);
    assert.equal(found.totalLocatedCapacity, 0);
    assert.equal(found.poolStatus, "POLN");

    const made = await s.post(
      `${scoped}/ldevs`,
      { byteFormatCapacity: "10G", poolId },
      {
        headers: { "response-job-status": "Completed;", "response-max-wait": "30" },
      },
    );
    assert.equal(made.body.state, "Succeeded", made.text);
    const one = await s.get(`${FULL}/pools/${poolId}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.totalLocatedCapacity, 10240);
    assert.equal(one.body.availableVolumeCapacity, simple.freeCapacity - 10240);
    assert.equal(one.body.numOfLdevs, 1);
  });

  test("an absent pool is 404 with the ID Cinder ignores to report the pool missing", async () => {
    const r = await s.get(`${scoped}/pools/120`);
    assert.equal(r.status, 404);
    assert.equal(r.body.messageId, "KART30013-E");
    assert.ok("errorSource" in r.body);
    assert.equal((await s.get(`${scoped}/pools/128`)).status, 400);
  });

  test("target ports: FC as Cinder's FC driver reads them, iSCSI with address and TCP port", async () => {
    const fc = await s.get(`${scoped}/ports?portAttributes=TAR`);
    assert.equal(fc.status, 200, fc.text);
    assert.ok(fc.body.data.length > 0);
    const fibre = fc.body.data.find((p: { portType: string }) => p.portType === "FIBRE");
    assert.ok(fibre, "the array has FC ports");
    assert.match(fibre.portId, /^CL\d-[A-Z]$/);
    assert.deepEqual(fibre.portAttributes, ["TAR"]);
    assert.equal(typeof fibre.lunSecuritySetting, "boolean");
    assert.match(fibre.wwn, /^[0-9a-f]{16}$/);
    assert.equal(typeof fibre.fabricMode, "boolean");
    assert.ok(["PtoP", "FCAL"].includes(fibre.portConnection));
    const simple = (await s.get(`${SIMPLE}/ports/${fibre.portId}`)).body;
    assert.equal(fibre.wwn, simple.portWwn.toLowerCase());

    const iscsi = await s.get(`${scoped}/ports?portType=ISCSI&portAttributes=TAR`);
    assert.equal(iscsi.status, 200);
    for (const p of iscsi.body.data) assert.equal(p.portType, "ISCSI");
    if (iscsi.body.data.length > 0) {
      const one = await s.get(`${scoped}/ports/${iscsi.body.data[0].portId}`);
      assert.equal(one.status, 200);
      assert.match(one.body.ipv4Address, /^\d+\.\d+\.\d+\.\d+$/);
      assert.match(one.body.tcpPort, /^\d+$/);
    }
    assert.equal((await s.get(`${scoped}/ports?portAttributes=MCU`)).body.count, 0);
  });

  test("ports: malformed filters and IDs are 400, an absent port 404", async () => {
    assert.equal((await s.get(`${scoped}/ports?portType=SAS`)).status, 400);
    assert.equal((await s.get(`${scoped}/ports?portAttributes=XYZ`)).status, 400);
    assert.equal((await s.get(`${scoped}/ports?color=red`)).status, 400);
    assert.equal((await s.get(`${scoped}/ports/CL1`)).status, 400);
    const absent = await s.get(`${scoped}/ports/CL9-Z`);
    assert.equal(absent.status, 404, absent.text);
    assert.equal(absent.body.messageId, "KART30013-E");
  });
});
