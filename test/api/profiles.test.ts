/**
 * Array profiles: each model's drives, ports and firmware; the default model and its seeded pool;
 * the storage fields VSP One clients decode; distributed-parity (DDP) pools and their
 * recommendations; the full API's storage objects.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { PROFILES } from "../../src/device/simulator/profiles.ts";
import { assemble } from "../../src/server.ts";
import { FULL, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const POOLS = `${SIMPLE}/pools`;
const RECOMMENDED = `${SIMPLE}/recommended-pool-configurations`;

async function done(s: TestServer, r: { status: number; text: string; body: { statusResource: string } }) {
  assert.equal(r.status, 202, r.text);
  return s.waitJob(r.body.statusResource);
}

describe("configuration of the model", () => {
  test("the default model is a VSP One B20 with its own firmware, and a pool is seeded", () => {
    const c = loadConfig([], {});
    assert.equal(c.array.model, "VSP One B28");
    assert.equal(c.array.profile.family, "VSP One B20");
    assert.equal(c.array.dkcMicroVersion, c.array.profile.dkcMicroVersion);
    assert.equal(c.array.seedPool, true);
    assert.equal(loadConfig(["--seed-pool", "off"], {}).array.seedPool, false);
    assert.throws(() => loadConfig(["--seed-pool", "maybe"], {}), ConfigError);
  });

  test("a model is matched without regard to case; the firmware flags still win", () => {
    const c = loadConfig(["--array-model", "vsp  e990", "--array-dkc-version", "93-07-22-60/00"], {});
    assert.equal(c.array.model, "VSP E990");
    assert.equal(c.array.dkcMicroVersion, "93-07-22-60/00");
    assert.equal(c.array.gumVersion, "93-07-21/00");
  });

  test("an unknown model is a start-up error that lists the known ones", () => {
    assert.throws(
      () => loadConfig([], { BLOCKPLANE_ARRAY_MODEL: "VSP G370" }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /unknown array model "VSP G370"/);
        for (const m of ["VSP E590", "VSP E790", "VSP E990", "VSP E1090", "VSP One B23", "VSP One B28"])
          assert.ok(err.message.includes(m), m);
        return true;
      },
    );
  });

  test("a store seeded as one model refuses to start as another", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-model-"));
    const env = (model: string) => ({
      BLOCKPLANE_DATA_DIR: dataDir,
      BLOCKPLANE_ADMIN_PASSWORD: "test-admin-password",
      BLOCKPLANE_LOG_LEVEL: "silent",
      BLOCKPLANE_ARRAY_MODEL: model,
    });
    try {
      const first = await assemble(loadConfig([], env("VSP One B24")));
      await first.close();
      await assert.rejects(
        assemble(loadConfig([], env("VSP E1090"))),
        /holds the simulated array of a VSP One B24/,
      );
      const again = await assemble(loadConfig([], env("vsp one b24")));
      await again.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("every profile", () => {
  for (const profile of PROFILES) {
    test(`${profile.model}: its drives, ports, firmware, and a seeded pool of its layout`, async () => {
      const s = await startServer({ BLOCKPLANE_ARRAY_MODEL: profile.model, BLOCKPLANE_SEED_POOL: "on" });
      try {
        const st = (await s.get(`${SIMPLE}/storage`)).body;
        assert.equal(st.modelName, profile.model);
        assert.equal(st.dkcMicroVersion, profile.dkcMicroVersion);
        const all = profile.drives.reduce((n, d) => n + d.count, 0);
        assert.ok(all <= profile.limits.maxDrives);
        const seed = profile.seedPool;
        assert.equal(st.numberOfFreeDrives, all - seed.dataDriveCount);
        assert.equal(
          st.totalPhysicalCapacity,
          profile.drives.reduce((n, d) => n + d.count * d.capacityMib, 0),
        );
        const seedType = profile.drives.find((d) => d.code === seed.driveTypeCode);
        assert.ok(seedType);
        assert.equal(st.totalPoolPhysicalCapacity, seed.dataDriveCount * seedType.capacityMib);
        for (const d of profile.drives) {
          const r = await s.get(`${SIMPLE}/drives?driveTypeCode=${d.code}`);
          assert.equal(r.body.count, d.count, d.code);
        }

        const ports = (await s.get(`${SIMPLE}/ports`)).body.data as { id: string; protocol: string }[];
        const ids = (protocol: string) =>
          ports
            .filter((p) => p.protocol === protocol)
            .map((p) => p.id)
            .sort();
        assert.deepEqual(ids("FC"), [...profile.ports.fc].sort());
        assert.deepEqual(ids("iSCSI"), [...profile.ports.iscsi].sort());
        assert.deepEqual(ids("NVME_TCP"), [...profile.ports.nvmeTcp].sort());
        assert.equal(profile.ports.nvmeTcp.length > 0, profile.family === "VSP One B20");

        const pool = (await s.get(`${POOLS}/0`)).body;
        assert.equal(pool.name, seed.name);
        assert.equal(pool.status, "Normal");
        assert.equal(pool.drives[0].numberOfDrives, seed.dataDriveCount);
        assert.equal(pool.drives[0].raidLevel, seed.raidLevel);
        assert.equal(pool.drives[0].parityGroupType, profile.family === "VSP One B20" ? "DDP" : "DEFAULT");
        assert.equal(pool.totalCapacity, (seed.dataDriveCount - 2) * seedType.capacityMib);
        const instance = (await s.get(`${FULL}/storages/instance`)).body;
        assert.equal(instance.model, profile.model);
        assert.equal(instance.detailDkcMicroVersion, profile.dkcMicroVersion);
      } finally {
        await s.close();
      }
    });
  }
});

describe("the default array: a VSP One B28 with a usable pool", () => {
  let s: TestServer;
  before(async () => {
    // What `npm start` gives: the server's own defaults.
    s = await startServer({ BLOCKPLANE_ARRAY_MODEL: "", BLOCKPLANE_SEED_POOL: "" });
  });
  after(() => s.close());

  test("a volume can be made in the seeded pool at once", async () => {
    const pools = (await s.get(POOLS)).body;
    assert.equal(pools.count, 1);
    assert.equal(pools.data[0].id, 0);
    assert.equal(pools.data[0].drives[0].parityGroupType, "DDP");
    const r = await s.post(`${SIMPLE}/volumes`, { poolId: 0, capacity: 1024 });
    assert.equal(r.status, 202, r.text);
    const job = await s.waitJob(r.body[0].statusResource);
    assert.equal(job.status, "normal", JSON.stringify(job));
    const volumeId = Number(job.operationDetails[0].resourceId);
    assert.equal((await done(s, await s.delete(`${SIMPLE}/volumes/${volumeId}`))).status, "normal");
  });

  test("GET storage: the VSP One fields, and the estimates only when asked", async () => {
    const plain = await s.get(`${SIMPLE}/storage`);
    assert.equal(plain.status, 200);
    assert.equal(plain.body.modelName, "VSP One B28");
    assert.equal(typeof plain.body.esmOsVersion, "string");
    assert.equal(plain.body.esmStatus, "Normal");
    assert.equal(typeof plain.body.ipAddressIpv4Service, "string");
    assert.equal(typeof plain.body.ipAddressIpv6Service, "string");
    assert.ok(Number.isInteger(plain.body.totalPoolPhysicalCapacity));
    assert.equal(plain.body.totalPoolPhysicalCapacityWithTiPool, plain.body.totalPoolPhysicalCapacity);
    assert.equal(plain.body.estimatedConfigurablePoolCapacity, undefined);
    const no = await s.get(`${SIMPLE}/storage?withEstimatedConfigurableCapacities=false`);
    assert.equal(no.status, 200);
    assert.equal(no.body.estimatedConfigurablePoolCapacity, undefined);

    const est = (await s.get(`${SIMPLE}/storage?withEstimatedConfigurableCapacities=true`)).body;
    // The free drives (12 of 1.9 TB, 24 of 3.8 TB, 12 of 7.6 TB, 12 of 15 TB) as RAID6 DDP pools.
    const expected = 10 * 1_831_430 + 22 * 3_662_860 + 10 * 7_325_720 + 10 * 14_651_440;
    assert.equal(est.estimatedConfigurablePoolCapacity, expected);
    assert.equal(est.estimatedConfigurableVolumeCapacity, expected + est.freePoolCapacity);
    assert.equal((await s.get(`${SIMPLE}/storage?withEstimatedConfigurableCapacities=yes`)).status, 400);
    assert.equal((await s.get(`${SIMPLE}/storage?withEstimated=true`)).status, 400);
  });

  test("the full API: storages/instance with detailInfoType, the list, one by ID", async () => {
    const base = (await s.get(`${FULL}/storages/instance`)).body;
    assert.match(base.model, /VSP One/);
    assert.equal(typeof base.svpIp, "string");
    assert.equal(typeof base.ctl1MicroVersion, "string");
    assert.equal(typeof base.ctl2MicroVersion, "string");
    assert.equal(base.isCompressionAccelerationAvailable, undefined);
    const comp = await s.get(`${FULL}/storages/instance?detailInfoType=compressionAcceleration`);
    assert.equal(comp.status, 200);
    assert.equal(comp.body.isCompressionAccelerationAvailable, true);
    assert.equal((await s.get(`${FULL}/storages/instance?detailInfoType=class`)).status, 400);

    const list = (await s.get(`${FULL}/storages`)).body;
    assert.equal(list.count, 1);
    assert.deepEqual(Object.keys(list.data[0]).sort(), [
      "ctl1Ip",
      "ctl2Ip",
      "model",
      "serialNumber",
      "storageDeviceId",
      "svpIp",
    ]);
    assert.equal(list.data[0].serialNumber, 700001);
    const one = await s.get(`${FULL}/storages/${list.data[0].storageDeviceId}?detailInfoType=version`);
    assert.equal(one.status, 200);
    assert.equal(one.body.detailDkcMicroVersion, base.dkcMicroVersion);
    assert.equal((await s.get(`${FULL}/storages/900000000001`)).status, 404);
    assert.equal((await s.get(`${FULL}/storages/abc`)).status, 400);
  });

  test("NVMe/TCP ports: filtered by protocol, with their settings, not settable as iSCSI", async () => {
    const r = await s.get(`${SIMPLE}/ports?protocol=NVME_TCP`);
    assert.equal(r.status, 200);
    assert.equal(r.body.count, 4);
    const p = r.body.data[0];
    assert.equal(p.protocol, "NVME_TCP");
    assert.equal(p.portWwn, undefined);
    assert.equal(p.iscsiInformation, undefined);
    assert.equal(p.nvmeTcpInformation.tcpPort, 4420);
    assert.equal(p.nvmeTcpInformation.discoveryTcpPort, 8009);
    assert.equal(typeof p.nvmeTcpInformation.ipv4Information.address, "string");
    assert.equal((await s.get(`${SIMPLE}/ports/${p.id}`)).body.nvmeTcpInformation.mtuSize, "NUMBER_9000");
    const bad = await s.patch(`${SIMPLE}/ports/${p.id}`, { iscsiInformation: { tcpPort: 3260 } });
    assert.equal(bad.status, 400);
    assert.equal((await s.get(`${SIMPLE}/ports/${p.id}`)).body.nvmeTcpInformation.tcpPort, 4420);
  });
});

describe("distributed-parity pools on a VSP One B26", () => {
  let s: TestServer;
  const D1 = { code: "SNB5B-R1R9NC", mib: 1_831_430 };
  const D3 = { code: "SNB5C-R3R8NC", mib: 3_662_860 };
  before(async () => {
    s = await startServer({ BLOCKPLANE_ARRAY_MODEL: "VSP One B26", BLOCKPLANE_SEED_POOL: "on" });
  });
  after(() => s.close());

  test("recommendations for a new pool: each drive type, RAID6 and RAID5, all its free drives", async () => {
    const r = await s.get(RECOMMENDED);
    assert.equal(r.status, 200);
    const raid6 = r.body.data.find(
      (c: { driveTypeCode: string; raidLevel: string }) =>
        c.driveTypeCode === D1.code && c.raidLevel === "RAID6",
    );
    // 24 drives, 12 of them in the seeded pool.
    assert.deepEqual(raid6, {
      driveTypeCode: D1.code,
      raidLevel: "RAID6",
      parityGroupType: "DDP",
      numberOfCurrentDataDrives: 0,
      numberOfCurrentFreeDrives: 12,
      numberOfRecommendedAddDataDrives: 12,
      numberOfRecommendedRemainedFreeDrives: 0,
      currentPoolCapacity: 0,
      afterOperationPoolCapacity: 10 * D1.mib,
    });
    assert.equal(r.body.count, 6);
    const forPool = (await s.get(`${RECOMMENDED}?poolId=0`)).body;
    // Drives join a DDP pool at either level; clients look for the RAID6 entry.
    assert.deepEqual(
      forPool.data.map((c: { raidLevel: string }) => c.raidLevel),
      ["RAID6", "RAID5"],
    );
    assert.equal(forPool.data[0].numberOfCurrentDataDrives, 12);
    assert.equal(forPool.data[0].currentPoolCapacity, 10 * D1.mib);
    assert.equal(forPool.data[0].afterOperationPoolCapacity, 22 * D1.mib);
    assert.equal((await s.get(`${RECOMMENDED}?poolId=5`)).status, 404);
    assert.equal((await s.get(`${RECOMMENDED}?poolId=x`)).status, 400);
    assert.equal((await s.get(`${RECOMMENDED}?pool=1`)).status, 400);
  });

  test("create as the DDP clients send it, expand by one drive, refuse what DDP forbids", async () => {
    const created = await done(
      s,
      await s.post(POOLS, {
        name: "ddp-a",
        isEncryptionEnabled: true,
        drives: [{ driveTypeCode: D3.code, dataDriveCount: 9, raidLevel: "RAID6", parityGroupType: "DDP" }],
      }),
    );
    assert.equal(created.status, "normal", JSON.stringify(created));
    const id = Number(created.operationDetails[0].resourceId);
    let pool = (await s.get(`${POOLS}/${id}`)).body;
    assert.equal(pool.encryption, "Enabled");
    assert.equal(pool.totalCapacity, 7 * D3.mib);
    assert.equal(pool.drives[0].parityGroupType, "DDP");

    const grown = await done(
      s,
      await s.post(`${POOLS}/${id}/actions/expand/invoke`, {
        additionalDrives: [
          { driveTypeCode: D3.code, dataDriveCount: 1, raidLevel: "RAID6", parityGroupType: "DDP" },
        ],
      }),
    );
    assert.equal(grown.status, "normal", JSON.stringify(grown));
    pool = (await s.get(`${POOLS}/${id}`)).body;
    assert.equal(pool.totalCapacity, 8 * D3.mib);
    assert.equal(pool.drives[0].numberOfDrives, 10);

    // A fixed layout cannot join a distributed-parity pool.
    const mixed = await done(
      s,
      await s.post(`${POOLS}/${id}/actions/expand/invoke`, {
        additionalDrives: [{ driveTypeCode: D3.code, dataDriveCount: 9, raidLevel: "RAID6" }],
      }),
    );
    assert.equal(mixed.status, "error");
    assert.match(mixed.errorMessage, /distributed parity/);

    const few = await s.post(POOLS, {
      name: "ddp-b",
      drives: [{ driveTypeCode: D3.code, dataDriveCount: 8, raidLevel: "RAID6", parityGroupType: "DDP" }],
    });
    assert.equal(few.status, 400);
    const mirror = await s.post(POOLS, {
      name: "ddp-c",
      drives: [{ driveTypeCode: D3.code, dataDriveCount: 2, raidLevel: "RAID1", parityGroupType: "DDP" }],
    });
    assert.equal(mirror.status, 400);
    assert.match(mirror.body.message, /RAID5 or RAID6/);
    assert.equal((await done(s, await s.delete(`${POOLS}/${id}`))).status, "normal");
  });

  test("a DDP spec taken from the recommendations, without a RAID level, is RAID6; a fixed one needs it", async () => {
    const created = await done(
      s,
      await s.post(POOLS, {
        name: "ddp-auto",
        drives: [{ driveTypeCode: D3.code, dataDriveCount: 9, raidLevel: null, parityGroupType: "DDP" }],
      }),
    );
    assert.equal(created.status, "normal", JSON.stringify(created));
    const id = Number(created.operationDetails[0].resourceId);
    const pool = (await s.get(`${POOLS}/${id}`)).body;
    assert.equal(pool.drives[0].raidLevel, "RAID6");
    // Grown without a level, it keeps its own.
    const grown = await done(
      s,
      await s.post(`${POOLS}/${id}/actions/expand/invoke`, {
        additionalDrives: [{ driveTypeCode: D3.code, dataDriveCount: 1, parityGroupType: "DDP" }],
      }),
    );
    assert.equal(grown.status, "normal", JSON.stringify(grown));
    const fixed = await s.post(POOLS, {
      name: "fixed-nolevel",
      drives: [{ driveTypeCode: D3.code, dataDriveCount: 9 }],
    });
    assert.equal(fixed.status, 400);
    assert.match(fixed.body.message, /needs a raidLevel/);
    assert.equal((await done(s, await s.delete(`${POOLS}/${id}`))).status, "normal");
  });
});

describe("a VSP E has neither DDP pools nor recommendations", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  test("parityGroupType DDP is a 400; recommended-pool-configurations is a 404", async () => {
    const r = await s.post(POOLS, {
      name: "no-ddp",
      drives: [
        { driveTypeCode: "SNB5A-R1R9NC", dataDriveCount: 9, raidLevel: "RAID6", parityGroupType: "DDP" },
      ],
    });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /VSP E1090 has no distributed-parity/);
    assert.equal((await s.get(POOLS)).body.count, 0);
    assert.equal((await s.get(RECOMMENDED)).status, 404);
    const st = (await s.get(`${SIMPLE}/storage?withEstimatedConfigurableCapacities=true`)).body;
    assert.equal(st.estimatedConfigurablePoolCapacity, undefined);
    assert.equal(st.esmStatus, undefined);
    assert.equal((await s.get(`${SIMPLE}/ports?protocol=NVME_TCP`)).body.count, 0);
  });
});
