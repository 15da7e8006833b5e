import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

// The simulated array's drive types (simulator/seed.ts): 24 × 960 GB, 24 × 1.9 TB, 16 × 3.8 TB.
const SMALL = { code: "SNR5A-R960NC", mib: 915_715, count: 24 };
const MEDIUM = { code: "SNB5A-R1R9NC", mib: 1_831_430, count: 24 };
const LARGE = { code: "SNB5B-R3R8NC", mib: 3_662_860, count: 16 };

const POOLS = `${SIMPLE}/pools`;
const raid5 = (code: string, dataDriveCount = 5) => ({
  driveTypeCode: code,
  dataDriveCount,
  raidLevel: "RAID5",
});

describe("pools", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  /** Posts a pool and waits for its job; answers the completed command-status. */
  async function createPoolJob(body: unknown) {
    const r = await s.post(POOLS, body);
    assert.equal(r.status, 202, r.text);
    return s.waitJob(r.body);
  }
  async function createPool(
    name: string,
    drives: unknown[] = [raid5(SMALL.code)],
    extra: object = {},
  ): Promise<number> {
    const job = await createPoolJob({ name, drives, ...extra });
    assert.equal(job.status, "normal", JSON.stringify(job));
    return Number(job.operationDetails[0].resourceId);
  }
  async function deletePool(id: number) {
    const r = await s.delete(`${POOLS}/${id}`);
    assert.equal(r.status, 202, r.text);
    return s.waitJob(r.body);
  }
  async function createVolumes(poolId: number, capacity: number, number = 1) {
    const r = await s.post(`${SIMPLE}/volumes`, { poolId, capacity, number });
    assert.equal(r.status, 202, r.text);
    const job = await s.waitJob(r.body);
    return job.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId)) as number[];
  }
  async function deleteVolume(id: number) {
    const r = await s.delete(`${SIMPLE}/volumes/${id}`);
    assert.equal(r.status, 202, r.text);
    assert.equal((await s.waitJob(r.body)).status, "normal");
  }
  async function freeDrives(code: string): Promise<number> {
    const r = await s.get(`${SIMPLE}/drives?usageType=FREE&driveTypeCode=${code}`);
    assert.equal(r.status, 200);
    return r.body.count;
  }

  describe("create", () => {
    test("a RAID5 pool of 5 drives: 202, a job that names the pool, and 4 drives' usable capacity", async () => {
      const before = await freeDrives(SMALL.code);
      const r = await s.post(POOLS, { name: "first", drives: [raid5(SMALL.code)] });
      assert.equal(r.status, 202);
      assert.match(
        r.body.statusResource,
        /^\/ConfigurationManager\/simple\/v1\/objects\/command-status\/\d+$/,
      );
      const job = await s.waitJob(r.body);
      assert.equal(job.status, "normal");
      const id = Number(job.operationDetails[0].resourceId);
      assert.deepEqual(job.affectedResources, [`${POOLS}/${id}`]);
      assert.deepEqual(job.operationDetails, [
        { operationType: "CREATE", resourceType: "Pool", resourceId: String(id) },
      ]);

      const pool = (await s.get(`${POOLS}/${id}`)).body;
      assert.equal(pool.name, "first");
      assert.equal(pool.status, "Normal");
      assert.equal(pool.totalCapacity, 4 * SMALL.mib);
      assert.equal(pool.usedCapacity, 0);
      assert.equal(pool.freeCapacity, 4 * SMALL.mib);
      assert.deepEqual(pool.capacityManage, {
        usedCapacityRate: 0,
        thresholdWarning: 70,
        thresholdDepletion: 80,
      });
      assert.deepEqual(pool.configStatus, []);
      assert.equal(pool.numberOfVolumes, 0);
      assert.equal(pool.numberOfTiers, 1);
      assert.equal(pool.encryption, "Disabled");
      assert.equal(pool.effectiveCapacity, pool.totalCapacity);
      assert.equal(pool.numberOfDriveTypes, 1);
      assert.equal(pool.drives.length, 1);
      assert.equal(pool.drives[0].numberOfDrives, 5);
      assert.equal(pool.drives[0].raidLevel, "RAID5");
      assert.equal(pool.drives[0].driveCapacity, 960);
      assert.equal(pool.drives[0].locations.length, 5);
      assert.equal(pool.savingEffects.totalEfficiencyStatus, "Valid");
      assert.equal(await freeDrives(SMALL.code), before - 5);
      const inPool = await s.get(`${SIMPLE}/drives?usageType=DATA`);
      assert.ok(inPool.body.data.filter((d: { poolId: number }) => d.poolId === id).length === 5);
      assert.equal((await deletePool(id)).status, "normal");
      assert.equal(await freeDrives(SMALL.code), before);
    });

    test("RAID1 uses half its drives and RAID6 all but two", async () => {
      const mirror = await createPool("mirror", [
        { driveTypeCode: MEDIUM.code, dataDriveCount: 2, raidLevel: "RAID1" },
      ]);
      const dual = await createPool("dual", [
        { driveTypeCode: MEDIUM.code, dataDriveCount: 9, raidLevel: "RAID6" },
      ]);
      assert.equal((await s.get(`${POOLS}/${mirror}`)).body.totalCapacity, MEDIUM.mib);
      const d = (await s.get(`${POOLS}/${dual}`)).body;
      assert.equal(d.totalCapacity, 7 * MEDIUM.mib);
      // A VSP E pool is a fixed RAID layout: distributed parity is VSP One's.
      assert.equal(d.drives[0].parityGroupType, "DEFAULT");
      await deletePool(mirror);
      await deletePool(dual);
    });

    test("pools take the lowest free ID", async () => {
      const a = await createPool("id-a");
      const b = await createPool("id-b");
      assert.equal(b, a + 1);
      await deletePool(a);
      const c = await createPool("id-c");
      assert.equal(c, a);
      await deletePool(b);
      await deletePool(c);
    });

    test("isEncryptionEnabled shows as encryption Enabled", async () => {
      const id = await createPool("secret", [raid5(SMALL.code)], { isEncryptionEnabled: true });
      assert.equal((await s.get(`${POOLS}/${id}`)).body.encryption, "Enabled");
      await deletePool(id);
    });

    test("several drive groups of one type add their capacities", async () => {
      const id = await createPool("two-groups", [raid5(SMALL.code), raid5(SMALL.code, 6)]);
      const pool = (await s.get(`${POOLS}/${id}`)).body;
      assert.equal(pool.totalCapacity, 4 * SMALL.mib + 5 * SMALL.mib);
      assert.equal(pool.drives[0].numberOfDrives, 11);
      await deletePool(id);
    });
  });

  describe("create: validation (400 before any job)", () => {
    const ok = (over: object = {}) => ({ name: "valid", drives: [raid5(SMALL.code)], ...over });
    const cases: [string, unknown][] = [
      ["name of 33 characters", ok({ name: "n".repeat(33) })],
      ["empty name", ok({ name: "" })],
      ["name with a character not allowed (#)", ok({ name: "bad#name" })],
      ["name that is not a string", ok({ name: 12 })],
      ["missing name", { drives: [raid5(SMALL.code)] }],
      ["missing drives", { name: "x" }],
      ["empty drives", ok({ drives: [] })],
      ["dataDriveCount 0", ok({ drives: [{ ...raid5(SMALL.code), dataDriveCount: 0 }] })],
      ["dataDriveCount 1441", ok({ drives: [{ ...raid5(SMALL.code), dataDriveCount: 1441 }] })],
      ["dataDriveCount as a string", ok({ drives: [{ ...raid5(SMALL.code), dataDriveCount: "5" }] })],
      ["RAID5 with 4 drives", ok({ drives: [raid5(SMALL.code, 4)] })],
      [
        "RAID6 with 8 drives",
        ok({ drives: [{ driveTypeCode: SMALL.code, dataDriveCount: 8, raidLevel: "RAID6" }] }),
      ],
      [
        "RAID1 with an odd count",
        ok({ drives: [{ driveTypeCode: SMALL.code, dataDriveCount: 3, raidLevel: "RAID1" }] }),
      ],
      [
        "unknown RAID level",
        ok({ drives: [{ driveTypeCode: SMALL.code, dataDriveCount: 5, raidLevel: "RAID10" }] }),
      ],
      [
        "parityGroupType other than DDP",
        ok({ drives: [{ ...raid5(SMALL.code), parityGroupType: "Normal" }] }),
      ],
      ["driveTypeCode of 11 characters", ok({ drives: [raid5("SNR5A-R960N")] })],
      ["unknown field in a drive", ok({ drives: [{ ...raid5(SMALL.code), speed: 1 }] })],
      ["unknown field", ok({ tier: 1 })],
      ["isEncryptionEnabled as a string", ok({ isEncryptionEnabled: "true" })],
    ];
    for (const [what, body] of cases) {
      test(`${what} is 400`, async () => {
        const r = await s.post(POOLS, body);
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.errorSource, POOLS);
      });
    }

    test("name of 32 characters from every allowed character is accepted, case-sensitively distinct", async () => {
      const name = "Az09 ,-./:@\\_".padEnd(32, "x");
      assert.equal(name.length, 32);
      const a = await createPool(name);
      const b = await createPool(name.toUpperCase());
      assert.equal((await s.get(`${POOLS}/${a}`)).body.name, name);
      await deletePool(a);
      await deletePool(b);
    });

    test("RAID5 with 5 drives, RAID6 with 9 and RAID1 with 2 are the smallest layouts accepted", async () => {
      const ids = [
        await createPool("min5", [raid5(SMALL.code, 5)]),
        await createPool("min6", [{ driveTypeCode: SMALL.code, dataDriveCount: 9, raidLevel: "RAID6" }]),
        await createPool("min1", [{ driveTypeCode: SMALL.code, dataDriveCount: 2, raidLevel: "RAID1" }]),
      ];
      for (const id of ids) await deletePool(id);
    });

    test("View Only may read pools but not create them (403)", async () => {
      const token = await s.userToken("pool-viewer", ["Storage Administrator (View Only)"]);
      assert.equal((await s.get(POOLS, { token })).status, 200);
      const r = await s.post(POOLS, ok(), { token });
      assert.equal(r.status, 403);
      assert.equal((await s.delete(`${POOLS}/0`, { token })).status, 403);
      assert.equal((await s.patch(`${POOLS}/0`, { name: "x" }, { token })).status, 403);
    });
  });

  describe("create: array rules (the job fails)", () => {
    test("a duplicate name is refused", async () => {
      const id = await createPool("dup");
      const job = await createPoolJob({ name: "dup", drives: [raid5(SMALL.code)] });
      assert.equal(job.status, "error");
      assert.equal(job.errorResource, POOLS);
      assert.deepEqual(job.errorCode, { SSB1: "2e13", SSB2: "0003" });
      assert.match(job.errorMessage, /already exists/);
      assert.deepEqual(job.affectedResources, []);
      await deletePool(id);
    });

    test("more drives than are free is refused and takes no drive", async () => {
      const before = await freeDrives(LARGE.code);
      const job = await createPoolJob({ name: "greedy", drives: [raid5(LARGE.code, LARGE.count + 1)] });
      assert.equal(job.status, "error");
      assert.deepEqual(job.errorCode, { SSB1: "2e13", SSB2: "0011" });
      assert.equal(await freeDrives(LARGE.code), before);
    });

    test("the most drives a request may name (1440) passes validation but not the array", async () => {
      const job = await createPoolJob({ name: "max", drives: [raid5(LARGE.code, 1440)] });
      assert.equal(job.status, "error");
      assert.deepEqual(job.errorCode, { SSB1: "2e13", SSB2: "0011" });
    });

    test("mixed drive types are refused (no Dynamic Tiering)", async () => {
      const job = await createPoolJob({ name: "mixed", drives: [raid5(SMALL.code), raid5(MEDIUM.code)] });
      assert.equal(job.status, "error");
      assert.deepEqual(job.errorCode, { SSB1: "2e13", SSB2: "0012" });
      assert.match(job.errorMessage, /Dynamic Tiering/);
    });

    test("a drive type that is not installed is refused", async () => {
      const job = await createPoolJob({ name: "ghost", drives: [raid5("XXXXX-XXXXXX")] });
      assert.equal(job.status, "error");
      assert.deepEqual(job.errorCode, { SSB1: "2e13", SSB2: "0010" });
    });
  });

  describe("read", () => {
    test("GET of an absent pool is 404; a malformed or out-of-range ID is 400", async () => {
      assert.equal((await s.get(`${POOLS}/127`)).status, 404);
      assert.equal((await s.get(`${POOLS}/128`)).status, 400);
      assert.equal((await s.get(`${POOLS}/-1`)).status, 400);
      assert.equal((await s.get(`${POOLS}/abc`)).status, 400);
    });

    test("list filters: name (partial, case-sensitive), status, configStatus", async () => {
      const a = await createPool("filter-Alpha");
      const b = await createPool("filter-beta");
      const names = async (q: string) =>
        ((await s.get(`${POOLS}${q}`)).body.data as { name: string }[]).map((p) => p.name).sort();
      assert.deepEqual(await names("?name=filter-"), ["filter-Alpha", "filter-beta"]);
      assert.deepEqual(await names("?name=Alpha"), ["filter-Alpha"]);
      assert.deepEqual(await names("?name=alpha"), []);
      // Fill pool b past its warning threshold (70 %) but not to the brim.
      const total = (await s.get(`${POOLS}/${b}`)).body.totalCapacity;
      const vols = await createVolumes(b, Math.ceil(total * 0.75));
      assert.deepEqual(await names("?status=ExceededThreshold"), ["filter-beta"]);
      assert.ok((await names("?status=Normal")).includes("filter-Alpha"));
      assert.deepEqual(await names("?configStatus=PartiallyBlocked"), []);
      const list = (await s.get(POOLS)).body;
      assert.equal(list.count, list.data.length);
      for (const v of vols) await deleteVolume(v);
      await deletePool(a);
      await deletePool(b);
    });

    test("list query validation: unknown status, unknown parameter, empty name are 400", async () => {
      assert.equal((await s.get(`${POOLS}?status=Full`)).status, 400);
      assert.equal((await s.get(`${POOLS}?configStatus=Normal`)).status, 400);
      assert.equal((await s.get(`${POOLS}?color=red`)).status, 400);
      assert.equal((await s.get(`${POOLS}?name=`)).status, 400);
    });

    test("usage: used capacity is the volumes' capacity; a full pool is in Error", async () => {
      const id = await createPool("usage");
      const total = (await s.get(`${POOLS}/${id}`)).body.totalCapacity;
      // 49.5 % used: the rate is reported rounded down.
      const half = Math.floor(total * 0.495);
      const [v1] = await createVolumes(id, half);
      let pool = (await s.get(`${POOLS}/${id}`)).body;
      assert.equal(pool.usedCapacity, half);
      assert.equal(pool.freeCapacity, total - half);
      assert.equal(pool.numberOfVolumes, 1);
      assert.equal(pool.capacityManage.usedCapacityRate, 49);
      assert.equal(pool.status, "Normal");
      const [v2] = await createVolumes(id, total - half);
      pool = (await s.get(`${POOLS}/${id}`)).body;
      assert.equal(pool.freeCapacity, 0);
      assert.equal(pool.status, "Error");
      assert.equal(pool.capacityManage.usedCapacityRate, 100);
      await deleteVolume(v1 as number);
      await deleteVolume(v2 as number);
      await deletePool(id);
    });
  });

  describe("change", () => {
    test("name and thresholds change asynchronously", async () => {
      const id = await createPool("before");
      const r = await s.patch(`${POOLS}/${id}`, {
        name: "after",
        thresholdWarning: 85,
        thresholdDepletion: 90,
      });
      assert.equal(r.status, 202);
      const job = await s.waitJob(r.body);
      assert.equal(job.status, "normal");
      assert.deepEqual(job.operationDetails, [
        { operationType: "UPDATE", resourceType: "Pool", resourceId: String(id) },
      ]);
      const pool = (await s.get(`${POOLS}/${id}`)).body;
      assert.equal(pool.name, "after");
      assert.deepEqual(pool.capacityManage, {
        usedCapacityRate: 0,
        thresholdWarning: 85,
        thresholdDepletion: 90,
      });
      await deletePool(id);
    });

    test("threshold edges: 1 and 100 accepted, 0 and 101 refused", async () => {
      const id = await createPool("edges");
      const patch = async (body: object) => {
        const r = await s.patch(`${POOLS}/${id}`, body);
        if (r.status === 202) assert.equal((await s.waitJob(r.body)).status, "normal");
        return r.status;
      };
      assert.equal(await patch({ thresholdWarning: 1 }), 202);
      assert.equal(await patch({ thresholdDepletion: 100 }), 202);
      const pool = (await s.get(`${POOLS}/${id}`)).body;
      assert.equal(pool.capacityManage.thresholdWarning, 1);
      assert.equal(pool.capacityManage.thresholdDepletion, 100);
      assert.equal(await patch({ thresholdWarning: 0 }), 400);
      assert.equal(await patch({ thresholdWarning: 101 }), 400);
      assert.equal(await patch({ thresholdDepletion: 0 }), 400);
      assert.equal(await patch({ thresholdDepletion: 101 }), 400);
      await deletePool(id);
    });

    test("depletion must stay above warning, given together or against the kept value", async () => {
      const id = await createPool("order");
      assert.equal(
        (await s.patch(`${POOLS}/${id}`, { thresholdWarning: 60, thresholdDepletion: 60 })).status,
        400,
      );
      // Kept depletion is 80: a warning of 80 would equal it.
      const r = await s.patch(`${POOLS}/${id}`, { thresholdWarning: 80 });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /greater than/);
      assert.equal((await s.patch(`${POOLS}/${id}`, { thresholdDepletion: 70 })).status, 400);
      assert.equal((await s.patch(`${POOLS}/${id}`, { thresholdWarning: 79 })).status, 202);
      await deletePool(id);
    });

    test("an empty body, an unknown field, or a bad name is 400; an absent pool is 404", async () => {
      const id = await createPool("patch-400");
      assert.equal((await s.patch(`${POOLS}/${id}`, {})).status, 400);
      assert.equal((await s.patch(`${POOLS}/${id}`, { size: 1 })).status, 400);
      assert.equal((await s.patch(`${POOLS}/${id}`, { name: "x".repeat(33) })).status, 400);
      assert.equal((await s.patch(`${POOLS}/${id}`, { name: "a*b" })).status, 400);
      assert.equal((await s.patch(`${POOLS}/126`, { name: "nobody" })).status, 404);
      assert.equal((await s.patch(`${POOLS}/128`, { name: "nobody" })).status, 400);
      await deletePool(id);
    });

    test("renaming to another pool's name is refused by the array", async () => {
      const a = await createPool("rename-a");
      const b = await createPool("rename-b");
      const r = await s.patch(`${POOLS}/${b}`, { name: "rename-a" });
      assert.equal(r.status, 202);
      const job = await s.waitJob(r.body);
      assert.equal(job.status, "error");
      assert.equal(job.errorResource, `${POOLS}/${b}`);
      assert.deepEqual(job.errorCode, { SSB1: "2e13", SSB2: "0003" });
      assert.equal((await s.get(`${POOLS}/${b}`)).body.name, "rename-b");
      await deletePool(a);
      await deletePool(b);
    });
  });

  describe("expand", () => {
    const expand = (id: number, additionalDrives: unknown) =>
      s.post(`${POOLS}/${id}/actions/expand/invoke`, { additionalDrives });

    test("adds the usable capacity of the new drives", async () => {
      const id = await createPool("grow");
      const r = await expand(id, [raid5(SMALL.code, 6)]);
      assert.equal(r.status, 202);
      const job = await s.waitJob(r.body);
      assert.equal(job.status, "normal");
      assert.deepEqual(job.operationDetails, [
        { operationType: "UPDATE", resourceType: "Pool", resourceId: String(id) },
      ]);
      const pool = (await s.get(`${POOLS}/${id}`)).body;
      assert.equal(pool.totalCapacity, 4 * SMALL.mib + 5 * SMALL.mib);
      assert.equal(pool.drives[0].numberOfDrives, 11);
      await deletePool(id);
    });

    test("another drive type or RAID level is refused by the array", async () => {
      const id = await createPool("grow-mixed");
      for (const drives of [
        [raid5(MEDIUM.code)],
        [{ driveTypeCode: SMALL.code, dataDriveCount: 9, raidLevel: "RAID6" }],
      ]) {
        const r = await expand(id, drives);
        assert.equal(r.status, 202);
        const job = await s.waitJob(r.body);
        assert.equal(job.status, "error");
        assert.deepEqual(job.errorCode, { SSB1: "2e13", SSB2: "0012" });
      }
      assert.equal((await s.get(`${POOLS}/${id}`)).body.totalCapacity, 4 * SMALL.mib);
      await deletePool(id);
    });

    test("validation: impossible layout, empty list, wrong body are 400; absent pool 404", async () => {
      const id = await createPool("grow-400");
      assert.equal((await expand(id, [raid5(SMALL.code, 4)])).status, 400);
      assert.equal((await expand(id, [])).status, 400);
      assert.equal(
        (await s.post(`${POOLS}/${id}/actions/expand/invoke`, { drives: [raid5(SMALL.code)] })).status,
        400,
      );
      assert.equal((await expand(125, [raid5(SMALL.code)])).status, 404);
      await deletePool(id);
    });
  });

  describe("delete", () => {
    test("deleting frees the drives and the pool answers 404 after", async () => {
      const before = await freeDrives(SMALL.code);
      const id = await createPool("bye");
      const job = await deletePool(id);
      assert.equal(job.status, "normal");
      assert.deepEqual(job.affectedResources, [`${POOLS}/${id}`]);
      assert.deepEqual(job.operationDetails, [
        { operationType: "DELETE", resourceType: "Pool", resourceId: String(id) },
      ]);
      assert.equal((await s.get(`${POOLS}/${id}`)).status, 404);
      assert.equal(await freeDrives(SMALL.code), before);
    });

    test("a pool with volumes is refused with SSB 2e11/001f", async () => {
      const id = await createPool("busy");
      const [v] = await createVolumes(id, 1024);
      const job = await deletePool(id);
      assert.equal(job.status, "error");
      assert.equal(job.errorResource, `${POOLS}/${id}`);
      assert.deepEqual(job.errorCode, { SSB1: "2e11", SSB2: "001f" });
      assert.match(job.errorMessage, /^Snapshot or volume exists/);
      assert.equal((await s.get(`${POOLS}/${id}`)).status, 200);
      await deleteVolume(v as number);
      assert.equal((await deletePool(id)).status, "normal");
    });

    test("an absent pool is 404, an ID past 127 is 400", async () => {
      assert.equal((await s.delete(`${POOLS}/100`)).status, 404);
      assert.equal((await s.delete(`${POOLS}/128`)).status, 400);
    });
  });

  describe("drives", () => {
    test("every installed drive is listed, with filters by type and usage", async () => {
      const all = (await s.get(`${SIMPLE}/drives`)).body;
      assert.equal(all.count, SMALL.count + MEDIUM.count + LARGE.count);
      const large = (await s.get(`${SIMPLE}/drives?driveTypeCode=${LARGE.code}`)).body;
      assert.equal(large.count, LARGE.count);
      assert.equal(large.data[0].totalCapacity, LARGE.mib);
      assert.equal(large.data[0].displayDriveCapacity, "3.84 TB");
      const id = await createPool("drive-usage", [raid5(LARGE.code)]);
      const data = (await s.get(`${SIMPLE}/drives?usageType=DATA`)).body.data as { poolId: number }[];
      assert.equal(data.filter((d) => d.poolId === id).length, 5);
      await deletePool(id);
    });

    test("one drive by location; absent 404; malformed 400; bad filter 400", async () => {
      const d = (await s.get(`${SIMPLE}/drives/0-0`)).body;
      assert.equal(d.driveLocationId, "0-0");
      assert.equal(d.driveTypeCode, SMALL.code);
      assert.equal((await s.get(`${SIMPLE}/drives/99-99`)).status, 404);
      assert.equal((await s.get(`${SIMPLE}/drives/zero`)).status, 400);
      assert.equal((await s.get(`${SIMPLE}/drives?usageType=SPARE`)).status, 400);
    });
  });
});
