import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Reply, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const SNAPSHOTS = `${SIMPLE}/snapshots`;
const GROUPS = `${SIMPLE}/snapshot-groups`;
const VOLUMES = `${SIMPLE}/volumes`;
const SSB = {
  noPool: { SSB1: "2e30", SSB2: "0001" },
  poolFull: { SSB1: "2e30", SSB2: "0002" },
  noFreeSnapshotId: { SSB1: "2e31", SSB2: "0010" },
  alreadyInGroup: { SSB1: "2e31", SSB2: "0011" },
  alreadyMapped: { SSB1: "2e31", SSB2: "0012" },
};
const START = Date.parse("2030-01-02T03:04:05Z");

describe("snapshots and snapshot groups", () => {
  let s: TestServer;
  /** The array's clock: frozen, moved on by the tests that need time to pass. */
  let clock = START;
  let poolId: number;
  /** A pool nearly filled by one large volume. */
  let smallPool: number;
  let large: number;
  let spare: number[];

  async function done(r: Reply, token?: string) {
    assert.equal(r.status, 202, r.text);
    return s.waitJob(r.body, token);
  }
  async function ok(r: Reply) {
    const job = await done(r);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return job;
  }
  const ids = (job: { operationDetails: { resourceId: string }[] }) =>
    job.operationDetails.map((d: { resourceId: string }) => d.resourceId) as string[];
  const take = (n: number) => spare.splice(0, n);
  const param = (masterVolumeId: number, snapshotGroupName: string, type = "Snapshot", pool = poolId) => ({
    masterVolumeId,
    poolId: pool,
    snapshotGroupName,
    type,
  });
  const snap = (params: unknown[], token?: string) => s.post(SNAPSHOTS, { params }, token ? { token } : {});
  const get = async (id: string) => {
    const r = await s.get(`${SNAPSHOTS}/${id}`);
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  async function createPool(name: string): Promise<number> {
    const job = await ok(
      await s.post(`${SIMPLE}/pools`, {
        name,
        drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
      }),
    );
    return Number(ids(job)[0]);
  }
  async function createVolumes(pool: number, capacity: number, number: number): Promise<number[]> {
    return ids(await ok(await s.post(VOLUMES, { poolId: pool, capacity, number }))).map(Number);
  }

  before(async () => {
    s = await startServer({}, { now: () => clock });
    poolId = await createPool("snap");
    smallPool = await createPool("snap-small");
    spare = await createVolumes(poolId, 100, 40);
    [large] = (await createVolumes(smallPool, 2_000_000, 1)) as [number];
  });
  after(() => s.close());

  describe("take", () => {
    test("a snapshot: its job names it, and it is split (PSUS) at the lowest free ID, 3", async () => {
      const [mv] = take(1) as [number];
      const job = await ok(await snap([param(mv, "take-1")]));
      assert.deepEqual(job.operationDetails, [
        { operationType: "CREATE", resourceType: "Snapshot", resourceId: `${mv},3` },
      ]);
      assert.deepEqual(job.affectedResources, [`${SNAPSHOTS}/${mv},3`]);
      assert.deepEqual(await get(`${mv},3`), {
        id: `${mv},3`,
        masterVolumeId: mv,
        snapshotId: 3,
        status: "PSUS",
        snapshotDate: "2030-01-02T03:04:05Z",
        snapshotGroupName: "take-1",
        rootVolumeId: mv,
        poolId,
        usedCapacityPerRootVolume: 0,
        isVolumeCapacityExpanding: false,
        type: "Snapshot",
        retentionPeriod: 0,
      });
    });

    test("the next snapshot of a volume takes the next free ID, and a freed ID is taken again", async () => {
      const [mv] = take(1) as [number];
      assert.deepEqual(ids(await ok(await snap([param(mv, "n-1"), param(mv, "n-2"), param(mv, "n-3")]))), [
        `${mv},3`,
        `${mv},4`,
        `${mv},5`,
      ]);
      await ok(await s.delete(`${SNAPSHOTS}/${mv},4`));
      assert.deepEqual(ids(await ok(await snap([param(mv, "n-4")]))), [`${mv},4`]);
    });

    test("a Mapped Snapshot also creates its volume: master's size, named after the master", async () => {
      const [mv] = take(1) as [number];
      const job = await ok(await snap([param(mv, "mapped-1", "Mapped Snapshot")]));
      const [snapDetail, volumeDetail] = job.operationDetails;
      assert.deepEqual(snapDetail, {
        operationType: "CREATE",
        resourceType: "Snapshot",
        resourceId: `${mv},3`,
      });
      assert.equal(volumeDetail.operationType, "CREATE");
      assert.equal(volumeDetail.resourceType, "Volume");
      const volumeId = Number(volumeDetail.resourceId);
      assert.deepEqual(job.affectedResources, [`${SNAPSHOTS}/${mv},3`, `${VOLUMES}/${volumeId}`]);
      const shown = await get(`${mv},3`);
      assert.equal(shown.mappedVolumeId, volumeId);
      assert.equal(shown.type, "Mapped Snapshot");
      const volume = await s.get(`${VOLUMES}/${volumeId}`);
      assert.equal(volume.status, 200);
      assert.equal(volume.body.nickname, `Snapshot of ID:${mv}`);
      assert.equal(volume.body.totalCapacity, 100);
      assert.equal(volume.body.poolId, poolId);
    });

    test("a Snap Clone creates its volume too", async () => {
      const [mv] = take(1) as [number];
      const job = await ok(await snap([param(mv, "clone-1", "Snap Clone")]));
      assert.deepEqual(
        job.operationDetails.map((d: { resourceType: string }) => d.resourceType),
        ["Snapshot", "Volume"],
      );
      assert.equal((await get(`${mv},3`)).type, "Snap Clone");
    });

    test("a missing or null type is a plain snapshot", async () => {
      const [mv] = take(1) as [number];
      await ok(await snap([{ masterVolumeId: mv, poolId, snapshotGroupName: "untyped-1" }]));
      await ok(await snap([{ masterVolumeId: mv, poolId, snapshotGroupName: "untyped-2", type: null }]));
      assert.equal((await get(`${mv},3`)).type, "Snapshot");
      assert.equal((await get(`${mv},4`)).type, "Snapshot");
    });

    test("a snapshot of a mapped snapshot volume keeps the root volume of the chain", async () => {
      const [mv] = take(1) as [number];
      const job = await ok(await snap([param(mv, "root-1", "Mapped Snapshot")]));
      const mapped = Number(job.operationDetails[1].resourceId);
      await ok(await snap([param(mapped, "root-2")]));
      assert.equal((await get(`${mapped},3`)).rootVolumeId, mv);
    });

    test("one master volume twice in one group: the second is refused", async () => {
      const [mv] = take(1) as [number];
      await ok(await snap([param(mv, "dup")]));
      const job = await done(await snap([param(mv, "dup")]));
      assert.equal(job.status, "error");
      assert.deepEqual(job.errorCode, SSB.alreadyInGroup);
      assert.match(job.errorMessage, /already has a snapshot in the snapshot group "dup"/);
    });

    test("an absent master volume among three params: 2 done, 1 failed", async () => {
      const [a, b] = take(2) as [number, number];
      const job = await done(await snap([param(a, "three"), param(65279, "three"), param(b, "three")]));
      assert.equal(job.status, "error");
      assert.deepEqual(ids(job), [`${a},3`, `${b},3`]);
      assert.equal(job.errorResource, SNAPSHOTS);
      assert.equal(job.errorMessage, "The volume 65279 does not exist.");
      assert.equal(job.errorCode, undefined);
      // Each param has its own command-status, in request order.
      const [first, second, third] = job.statuses;
      assert.equal(job.statuses.length, 3);
      assert.deepEqual(first.affectedResources, [`${SNAPSHOTS}/${a},3`]);
      assert.deepEqual(first.operationDetails, [
        { operationType: "CREATE", resourceType: "Snapshot", resourceId: `${a},3` },
      ]);
      assert.equal(second.status, "error");
      assert.equal(second.errorResource, SNAPSHOTS);
      assert.equal(second.errorMessage, "The volume 65279 does not exist.");
      assert.deepEqual(second.affectedResources, []);
      assert.equal(third.status, "normal");
      assert.deepEqual(third.affectedResources, [`${SNAPSHOTS}/${b},3`]);
    });

    test("an absent pool is refused", async () => {
      const [mv] = take(1) as [number];
      const job = await done(await snap([param(mv, "nopool", "Snapshot", 127)]));
      assert.equal(job.status, "error");
      assert.deepEqual(job.errorCode, SSB.noPool);
      assert.equal((await s.get(`${SNAPSHOTS}?masterVolumeId=${mv}`)).body.count, 0);
    });

    test("a mapped volume that does not fit in the pool is refused, and no snapshot is left", async () => {
      const job = await done(await snap([param(large, "too-big", "Mapped Snapshot", smallPool)]));
      assert.equal(job.status, "error");
      assert.deepEqual(job.errorCode, SSB.poolFull);
      assert.equal((await s.get(`${SNAPSHOTS}?masterVolumeId=${large}`)).body.count, 0);
      // A plain snapshot needs no volume and is taken.
      await ok(await snap([param(large, "fits", "Snapshot", smallPool)]));
    });

    test("a volume with snapshots cannot be deleted", async () => {
      const [mv] = take(1) as [number];
      await ok(await snap([param(mv, "keep")]));
      const job = await done(await s.delete(`${VOLUMES}/${mv}`));
      assert.equal(job.status, "error");
      assert.equal((await s.get(`${VOLUMES}/${mv}`)).status, 200);
    });
  });

  describe("take: validation", () => {
    const valid = { masterVolumeId: 0, poolId: 0, snapshotGroupName: "g", type: "Snapshot" };
    const cases: [string, unknown, number][] = [
      ["no params", { params: [] }, 400],
      ["no body field", {}, 400],
      ["unknown body field", { params: [valid], force: true }, 400],
      ["unknown param field", { params: [{ ...valid, isConsistencyGroup: true }] }, 400],
      ["masterVolumeId -1", { params: [{ ...valid, masterVolumeId: -1 }] }, 400],
      ["masterVolumeId 65280", { params: [{ ...valid, masterVolumeId: 65280 }] }, 400],
      ["masterVolumeId as text", { params: [{ ...valid, masterVolumeId: "1" }] }, 400],
      ["masterVolumeId missing", { params: [{ poolId: 0, snapshotGroupName: "g" }] }, 400],
      ["poolId 128", { params: [{ ...valid, poolId: 128 }] }, 400],
      ["poolId missing", { params: [{ masterVolumeId: 0, snapshotGroupName: "g" }] }, 400],
      ["group name missing", { params: [{ masterVolumeId: 0, poolId: 0 }] }, 400],
      ["group name empty", { params: [{ ...valid, snapshotGroupName: "" }] }, 400],
      ["group name of 33 characters", { params: [{ ...valid, snapshotGroupName: "g".repeat(33) }] }, 400],
      ["group name with /", { params: [{ ...valid, snapshotGroupName: "a/b" }] }, 400],
      ["group name with \\", { params: [{ ...valid, snapshotGroupName: "a\\b" }] }, 400],
      ["group name of dots", { params: [{ ...valid, snapshotGroupName: "..." }] }, 400],
      ["group name with a control character", { params: [{ ...valid, snapshotGroupName: "a\tb" }] }, 400],
      ["unknown type", { params: [{ ...valid, type: "Clone" }] }, 400],
      ["1001 params", { params: Array(1001).fill(valid) }, 400],
    ];
    for (const [name, body, status] of cases) {
      test(`${name} → ${status}`, async () => {
        const r = await s.post(SNAPSHOTS, body);
        assert.equal(r.status, status, r.text);
      });
    }

    test("the largest accepted values: masterVolumeId 65279, poolId 127, a 32-character name with dots", async () => {
      const r = await snap([
        { ...valid, masterVolumeId: 65279, poolId: 127, snapshotGroupName: `.${"g".repeat(30)}.` },
      ]);
      const job = await done(r);
      assert.equal(job.errorMessage, "The volume 65279 does not exist.");
    });
  });

  describe("list", () => {
    let a: number;
    let b: number;
    before(async () => {
      [a, b] = take(2) as [number, number];
      // Forward by less than a session's idle timeout (300 s) at a time, so the sessions stay alive.
      clock = Date.parse("2030-01-02T03:05:00Z");
      await ok(await snap([param(a, "list-x"), param(b, "list-x")]));
      clock = Date.parse("2030-01-02T03:06:00.500Z");
      await ok(await snap([param(a, "list-y")]));
    });

    const query = async (q: string) => {
      const r = await s.get(`${SNAPSHOTS}?${q}`);
      assert.equal(r.status, 200, r.text);
      return r.body;
    };
    const idsOf = (body: { data: { id: string }[] }) => body.data.map((x: { id: string }) => x.id);

    test("by master volume, in snapshot ID order, with count, totalCount and hasNext", async () => {
      const body = await query(`masterVolumeId=${a}`);
      assert.deepEqual(idsOf(body), [`${a},3`, `${a},4`]);
      assert.equal(body.count, 2);
      assert.equal(body.totalCount, 2);
      assert.equal(body.hasNext, false);
    });

    test("by group name: exact, not partial", async () => {
      assert.deepEqual(idsOf(await query("snapshotGroupName=list-x")), [`${a},3`, `${b},3`]);
      assert.deepEqual(idsOf(await query("snapshotGroupName=list-")), []);
    });

    test("by date: inclusive to the second", async () => {
      const at = (t: string) => encodeURIComponent(t);
      assert.deepEqual(
        idsOf(await query(`masterVolumeId=${a}&snapshotDateFrom=${at("2030-01-02T03:06:00Z")}`)),
        [`${a},4`],
      );
      assert.deepEqual(
        idsOf(await query(`masterVolumeId=${a}&snapshotDateTo=${at("2030-01-02T03:06:00Z")}`)),
        [`${a},3`, `${a},4`],
      );
      assert.deepEqual(
        idsOf(await query(`masterVolumeId=${a}&snapshotDateTo=${at("2030-01-02T03:05:59Z")}`)),
        [`${a},3`],
      );
      const both = await query(
        `snapshotDateFrom=${at("2030-01-02T03:05:00Z")}&snapshotDateTo=${at("2030-01-02T03:05:00Z")}`,
      );
      assert.deepEqual(idsOf(both), [`${a},3`, `${b},3`]);
      assert.equal((await get(`${a},4`)).snapshotDate, "2030-01-02T03:06:00Z");
    });

    test("paging from startId", async () => {
      const first = await query(`snapshotGroupName=list-x&count=1`);
      assert.deepEqual(idsOf(first), [`${a},3`]);
      assert.equal(first.hasNext, true);
      assert.equal(first.totalCount, 2);
      const next = await query(`snapshotGroupName=list-x&count=1&startId=${a},4`);
      assert.deepEqual(idsOf(next), [`${b},3`]);
      assert.equal(next.hasNext, false);
      assert.equal(next.totalCount, 2, "totalCount ignores the start");
    });

    const cases: [string, number][] = [
      ["count=0", 400],
      ["count=1", 200],
      ["count=1000", 200],
      ["count=1001", 400],
      ["masterVolumeId=65279", 200],
      ["masterVolumeId=65280", 400],
      ["startId=0,0", 200],
      ["startId=65279,1023", 200],
      ["startId=1", 400],
      ["startId=1,x", 400],
      ["startId=1,2,3", 400],
      ["startId=1,1024", 400],
      ["snapshotDateFrom=2030-01-02T03:05:00Z", 200],
      ["snapshotDateFrom=2031-05-01", 400],
      ["snapshotDateFrom=2031-05-01T10:00:00", 400],
      ["snapshotDateFrom=2031-05-01T10:00:00.000Z", 400],
      ["snapshotDateTo=2031-13-01T10:00:00Z", 400],
      ["snapshotDateTo=2031-02-30T10:00:00Z", 400],
      ["snapshotDateTo=2031-02-01T24:00:00Z", 400],
      [`snapshotGroupName=${"g".repeat(33)}`, 400],
      ["groupName=x", 400],
    ];
    for (const [q, status] of cases) {
      test(`?${q} → ${status}`, async () => {
        const r = await s.get(`${SNAPSHOTS}?${q}`);
        assert.equal(r.status, status, r.text);
      });
    }
  });

  describe("get one", () => {
    for (const bad of ["1,x", "1", "1,2,3", "65280,3", "1,1024", "x"]) {
      test(`"${bad}" → 400`, async () => {
        assert.equal((await s.get(`${SNAPSHOTS}/${bad}`)).status, 400);
      });
    }
    test("a well-formed but absent snapshot → 404", async () => {
      const r = await s.get(`${SNAPSHOTS}/65279,3`);
      assert.equal(r.status, 404);
      assert.equal(r.body.message, "The snapshot 65279,3 does not exist.");
    });
  });

  describe("map", () => {
    const map = (id: string, body: unknown) => s.post(`${SNAPSHOTS}/${id}/actions/map/invoke`, body);

    test("creates the volume and sets mappedVolumeId; mapping again is refused", async () => {
      const [mv] = take(1) as [number];
      await ok(await snap([param(mv, "map-1")]));
      const job = await ok(await map(`${mv},3`, { poolId }));
      assert.equal(job.operationDetails[0].resourceId, `${mv},3`);
      assert.equal(job.operationDetails[0].operationType, "UPDATE");
      const volumeId = Number(job.operationDetails[1].resourceId);
      const shown = await get(`${mv},3`);
      assert.equal(shown.mappedVolumeId, volumeId);
      assert.equal(shown.type, "Mapped Snapshot");
      assert.equal((await s.get(`${VOLUMES}/${volumeId}`)).body.nickname, `Snapshot of ID:${mv}`);

      const again = await done(await map(`${mv},3`, { poolId }));
      assert.equal(again.status, "error");
      assert.deepEqual(again.errorCode, SSB.alreadyMapped);
      assert.equal(again.errorResource, `${SNAPSHOTS}/${mv},3`);
    });

    test("an absent pool fails the job", async () => {
      const [mv] = take(1) as [number];
      await ok(await snap([param(mv, "map-2")]));
      const job = await done(await map(`${mv},3`, { poolId: 127 }));
      assert.deepEqual(job.errorCode, SSB.noPool);
      assert.equal((await get(`${mv},3`)).mappedVolumeId, undefined);
    });

    test("validation: 404 for an absent snapshot, 400 for a bad body or ID", async () => {
      assert.equal((await map("65279,3", { poolId })).status, 404);
      assert.equal((await map("65279", { poolId })).status, 400);
      assert.equal((await map("65279,3", {})).status, 400);
      assert.equal((await map("65279,3", { poolId: 128 })).status, 400);
      assert.equal((await map("65279,3", { poolId: -1 })).status, 400);
      assert.equal((await map("65279,3", { poolId, extra: 1 })).status, 400);
    });
  });

  describe("restore", () => {
    const restore = (id: string, body?: unknown) => s.post(`${SNAPSHOTS}/${id}/actions/restore/invoke`, body);

    test("ends in PSUS, also while the master volume is connected to a server", async () => {
      const [mv] = take(1) as [number];
      await ok(await snap([param(mv, "restore-1")]));
      const server = Number(
        ids(
          await ok(
            await s.post(`${SIMPLE}/servers`, {
              serverNickname: "restore-host",
              protocol: "FC",
              osType: "Linux",
            }),
          ),
        )[0],
      );
      await ok(await s.post(`${SIMPLE}/volume-server-connections`, { volumeIds: [mv], serverIds: [server] }));
      const job = await ok(await restore(`${mv},3`));
      assert.deepEqual(job.operationDetails, [
        { operationType: "UPDATE", resourceType: "Snapshot", resourceId: `${mv},3` },
      ]);
      assert.equal((await get(`${mv},3`)).status, "PSUS");
      await ok(await restore(`${mv},3`, {}));
    });

    test("404 for an absent snapshot, 400 for a body with fields", async () => {
      assert.equal((await restore("65279,3")).status, 404);
      assert.equal((await restore("65279,3", { force: true })).status, 400);
      assert.equal((await restore("65279,x")).status, 400);
    });
  });

  describe("delete", () => {
    test("deletes the snapshot and keeps the volume it was mapped to", async () => {
      const [mv] = take(1) as [number];
      const made = await ok(await snap([param(mv, "del-1", "Mapped Snapshot")]));
      const volumeId = Number(made.operationDetails[1].resourceId);
      const job = await ok(await s.delete(`${SNAPSHOTS}/${mv},3`));
      assert.deepEqual(job.operationDetails, [
        { operationType: "DELETE", resourceType: "Snapshot", resourceId: `${mv},3` },
      ]);
      assert.equal((await s.get(`${SNAPSHOTS}/${mv},3`)).status, 404);
      assert.equal((await s.get(`${VOLUMES}/${volumeId}`)).status, 200);
      // Without snapshots, the master volume can be deleted.
      await ok(await s.delete(`${VOLUMES}/${mv}`));
    });

    test("404 for an absent snapshot, 400 for a malformed ID", async () => {
      assert.equal((await s.delete(`${SNAPSHOTS}/65279,3`)).status, 404);
      assert.equal((await s.delete(`${SNAPSHOTS}/65279`)).status, 400);
    });
  });

  describe("snapshot groups", () => {
    let members: number[];
    before(async () => {
      members = take(3);
      await ok(await snap(members.map((mv) => param(mv, "grp one"))));
    });

    test("the list names every group once, in name order", async () => {
      const r = await s.get(GROUPS);
      assert.equal(r.status, 200);
      const names = r.body.data.map((g: { name: string }) => g.name);
      assert.equal(r.body.count, names.length);
      assert.ok(names.includes("grp one"));
      assert.equal(new Set(names).size, names.length);
      assert.deepEqual(names, [...names].sort());
      assert.deepEqual(Object.keys(r.body.data[0]), ["name"]);
    });

    test("one group: its members, paged from startSnapshotId", async () => {
      const [m1, m2, m3] = members as [number, number, number];
      const all = await s.get(`${GROUPS}/grp%20one`);
      assert.equal(all.status, 200, all.text);
      assert.deepEqual(all.body, {
        name: "grp one",
        snapshots: [m1, m2, m3].map((masterVolumeId) => ({ masterVolumeId, snapshotId: 3 })),
        count: 3,
        totalCount: 3,
        hasNext: false,
      });
      const page = await s.get(`${GROUPS}/grp%20one?startSnapshotId=${m2},3&count=1`);
      assert.deepEqual(page.body.snapshots, [{ masterVolumeId: m2, snapshotId: 3 }]);
      assert.equal(page.body.hasNext, true);
      assert.equal(page.body.count, 1);
      // The name some clients use for the start.
      const alias = await s.get(`${GROUPS}/grp%20one?startId=${m3},3`);
      assert.deepEqual(alias.body.snapshots, [{ masterVolumeId: m3, snapshotId: 3 }]);
    });

    const cases: [string, number][] = [
      ["grp%20one?count=0", 400],
      ["grp%20one?count=1000", 200],
      ["grp%20one?count=1001", 400],
      ["grp%20one?startSnapshotId=1", 400],
      ["grp%20one?startSnapshotId=0,0&startId=0,0", 400],
      ["grp%20one?start=0,0", 400],
      ["a%2Fb", 400],
      ["a%5Cb", 400],
      ["...", 400],
      ["%2E%2E%2E", 400],
      ["g".repeat(33), 400],
      ["no-such-group", 404],
    ];
    for (const [path, status] of cases) {
      test(`GET ${path} → ${status}`, async () => {
        const r = await s.get(`${GROUPS}/${path}`);
        assert.equal(r.status, status, r.text);
      });
    }

    test("delete: every member its own item, then the group is gone", async () => {
      const job = await ok(await s.delete(`${GROUPS}/grp%20one`));
      assert.deepEqual(
        job.operationDetails,
        members.map((mv) => ({ operationType: "DELETE", resourceType: "Snapshot", resourceId: `${mv},3` })),
      );
      assert.equal((await s.get(`${GROUPS}/grp%20one`)).status, 404);
      for (const mv of members) assert.equal((await s.get(`${SNAPSHOTS}/${mv},3`)).status, 404);
      assert.ok(!(await s.get(GROUPS)).body.data.some((g: { name: string }) => g.name === "grp one"));
    });

    test("delete: 404 for an absent group, 400 for a name that cannot be one", async () => {
      assert.equal((await s.delete(`${GROUPS}/no-such-group`)).status, 404);
      assert.equal((await s.delete(`${GROUPS}/a%2Fb`)).status, 400);
      assert.equal((await s.delete(`${GROUPS}/..%2E`)).status, 400);
    });
  });

  describe("permissions", () => {
    test("Provisioning alone gets 403 on taking snapshots; Local Copy takes them; View Only reads", async () => {
      const provisioner = await s.userToken("snap-prov", ["Storage Administrator (Provisioning)"]);
      const copier = await s.userToken("snap-copy", ["Storage Administrator (Local Copy)"]);
      const viewer = await s.userToken("snap-view", ["Storage Administrator (View Only)"]);
      const [mv] = take(1) as [number];
      assert.equal((await snap([param(mv, "perm")], provisioner)).status, 403);
      assert.equal((await snap([param(mv, "perm")], viewer)).status, 403);
      const job = await done(await snap([param(mv, "perm")], copier), copier);
      assert.equal(job.status, "normal");
      assert.equal((await s.get(`${SNAPSHOTS}/${mv},3`, { token: viewer })).status, 200);
      assert.equal((await s.get(`${GROUPS}/perm`, { token: viewer })).status, 200);
      const asProvisioner = { token: provisioner };
      assert.equal(
        (await s.post(`${SNAPSHOTS}/${mv},3/actions/map/invoke`, { poolId }, asProvisioner)).status,
        403,
      );
      assert.equal(
        (await s.post(`${SNAPSHOTS}/${mv},3/actions/restore/invoke`, undefined, asProvisioner)).status,
        403,
      );
      assert.equal((await s.delete(`${SNAPSHOTS}/${mv},3`, asProvisioner)).status, 403);
      assert.equal((await s.delete(`${GROUPS}/perm`, asProvisioner)).status, 403);
    });
  });

  describe("limits", () => {
    test("a master volume holds 1021 snapshots (IDs 3-1023); the next is refused", async () => {
      const [mv] = take(1) as [number];
      const params = Array.from({ length: 1021 }, (_, i) => param(mv, `lim-${i}`));
      await ok(await snap(params.slice(0, 1000)));
      const job = await ok(await snap(params.slice(1000)));
      assert.equal(job.operationDetails.at(-1).resourceId, `${mv},1023`);
      const over = await done(await snap([param(mv, "lim-over")]));
      assert.equal(over.status, "error");
      assert.deepEqual(over.errorCode, SSB.noFreeSnapshotId);
      assert.equal((await s.get(`${SNAPSHOTS}?masterVolumeId=${mv}`)).body.totalCount, 1021);
    });
  });
});
