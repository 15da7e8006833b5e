import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Reply, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const CONNECTIONS = `${SIMPLE}/volume-server-connections`;
const ALREADY_CONNECTED = { SSB1: "2e32", SSB2: "0001" };

describe("volume-server connections", () => {
  let s: TestServer;
  let poolId: number;
  /** Volumes made for the tests, taken one by one so each test has its own. */
  let spare: number[];
  /** A server with paths through CL1-A and CL2-A, and one without any path. */
  let fc: number;
  let bare: number;

  async function done(r: Reply) {
    assert.equal(r.status, 202, r.text);
    return s.waitJob(r.body);
  }
  async function ok(r: Reply) {
    const job = await done(r);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return job;
  }
  const ids = (job: { operationDetails: { resourceId: string }[] }) =>
    job.operationDetails.map((d: { resourceId: string }) => d.resourceId) as string[];
  const take = (n: number) => spare.splice(0, n);

  async function createServer(nickname: string, ports: string[], wwn: string): Promise<number> {
    const job = await ok(
      await s.post(`${SIMPLE}/servers`, { serverNickname: nickname, protocol: "FC", osType: "Linux" }),
    );
    const id = Number(ids(job)[0]);
    if (ports.length > 0) {
      await ok(await s.post(`${SIMPLE}/servers/${id}/hbas`, { hbas: [{ hbaWwn: wwn }] }));
      await ok(await s.post(`${SIMPLE}/servers/${id}/paths`, { hbaWwn: wwn, portIds: ports }));
    }
    return id;
  }
  const connect = (volumeIds: number[], serverIds: number[], token?: string) =>
    s.post(CONNECTIONS, { volumeIds, serverIds }, token ? { token } : {});

  before(async () => {
    s = await startServer();
    const pool = await ok(
      await s.post(`${SIMPLE}/pools`, {
        name: "conn",
        drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
      }),
    );
    poolId = Number(ids(pool)[0]);
    spare = ids(await ok(await s.post(`${SIMPLE}/volumes`, { poolId, capacity: 100, number: 40 }))).map(
      Number,
    );
    fc = await createServer("host-fc", ["CL1-A", "CL2-A"], "10000000c9000001");
    bare = await createServer("host-bare", [], "");
  });
  after(() => s.close());

  describe("connect", () => {
    test("every volume to every server, each pair its own item, at the lowest free LUN on every port", async () => {
      const [v1, v2] = take(2) as [number, number];
      const job = await ok(await connect([v1, v2], [fc, bare]));
      assert.deepEqual(ids(job), [`${v1},${fc}`, `${v1},${bare}`, `${v2},${fc}`, `${v2},${bare}`]);
      assert.deepEqual(
        job.operationDetails.map((d: { operationType: string; resourceType: string }) => [
          d.operationType,
          d.resourceType,
        ]),
        Array(4).fill(["CREATE", "VolumeServerConnection"]),
      );
      assert.equal(job.affectedResources[0], `${CONNECTIONS}/${v1},${fc}`);

      const first = await s.get(`${CONNECTIONS}/${v1},${fc}`);
      assert.equal(first.status, 200);
      const lun = first.body.luns[0].lun;
      assert.deepEqual(first.body, {
        id: `${v1},${fc}`,
        volumeId: v1,
        serverId: fc,
        luns: [
          { lun, portId: "CL1-A" },
          { lun, portId: "CL2-A" },
        ],
      });
      const second = await s.get(`${CONNECTIONS}/${v2},${fc}`);
      assert.deepEqual(
        second.body.luns.map((l: { lun: number }) => l.lun),
        [lun + 1, lun + 1],
      );
      // A server without a path keeps the LUN but presents it on no port.
      const noPath = await s.get(`${CONNECTIONS}/${v1},${bare}`);
      assert.deepEqual(noPath.body.luns, []);
    });

    test("IDs written as decimal text connect the same pairs as numbers", async () => {
      // A volume just created is named by the ID cut from its affectedResources: text.
      const [v1] = take(1) as [number];
      const job = await ok(await s.post(CONNECTIONS, { volumeIds: [String(v1)], serverIds: [fc] }));
      assert.deepEqual(ids(job), [`${v1},${fc}`]);
      assert.equal((await s.get(`${CONNECTIONS}/${v1},${fc}`)).status, 200);
      const both = await s.post(CONNECTIONS, { volumeIds: [String(v1)], serverIds: [String(bare)] });
      assert.deepEqual(ids(await ok(both)), [`${v1},${bare}`]);
    });

    test("a freed LUN is the next one given", async () => {
      const [v1, v2, v3] = take(3) as [number, number, number];
      await ok(await connect([v1, v2], [bare]));
      const lunOf = async (v: number) => (await s.get(`${CONNECTIONS}/${v},${fc}`)).body.luns[0]?.lun;
      await ok(await connect([v1, v2], [fc]));
      const freed = await lunOf(v1);
      await ok(await s.delete(`${CONNECTIONS}/${v1},${fc}`));
      await ok(await connect([v3], [fc]));
      assert.equal(await lunOf(v3), freed);
    });

    test("a pair already connected fails alone: error status, the other pair done", async () => {
      const [v1, v2] = take(2) as [number, number];
      await ok(await connect([v2], [fc]));
      const job = await done(await connect([v1, v2], [fc]));
      assert.equal(job.status, "error");
      assert.deepEqual(ids(job), [`${v1},${fc}`]);
      assert.deepEqual(job.affectedResources, [`${CONNECTIONS}/${v1},${fc}`]);
      assert.equal(job.errorResource, `${CONNECTIONS}/${v2},${fc}`);
      assert.deepEqual(job.errorCode, ALREADY_CONNECTED);
      assert.match(job.errorMessage, new RegExp(`volume ${v2} is already connected to the server ${fc}`));
      // One command-status per pair, in request order: the first names its connection, the second
      // reports the refusal alone.
      const [first, second] = job.statuses;
      assert.equal(job.statuses.length, 2);
      assert.equal(first.status, "normal");
      assert.deepEqual(first.affectedResources, [`${CONNECTIONS}/${v1},${fc}`]);
      assert.deepEqual(first.operationDetails, [
        { operationType: "CREATE", resourceType: "VolumeServerConnection", resourceId: `${v1},${fc}` },
      ]);
      assert.deepEqual(second, {
        id: second.id,
        progress: "completed",
        status: "error",
        affectedResources: [],
        operationDetails: [],
        errorResource: `${CONNECTIONS}/${v2},${fc}`,
        errorCode: ALREADY_CONNECTED,
        errorMessage: job.errorMessage,
      });
      assert.notEqual(first.id, second.id);
    });

    test("an absent volume or server fails its pairs alone", async () => {
      const [v1] = take(1) as [number];
      const job = await done(await connect([v1, 65279], [fc, 4095]));
      assert.equal(job.status, "error");
      assert.deepEqual(ids(job), [`${v1},${fc}`]);
      assert.equal(job.statuses.length, 4, "one status per volume × server pair");
      assert.equal(job.failures.length, 3);
      const messages = job.failures.map((e: { errorMessage: string }) => e.errorMessage).join("\n");
      assert.match(messages, /The server 4095 does not exist/);
      assert.match(messages, /The volume 65279 does not exist/);
    });
  });

  describe("connect: validation", () => {
    const cases: [string, unknown, number][] = [
      ["volumeIds empty", { volumeIds: [], serverIds: [0] }, 400],
      ["serverIds empty", { volumeIds: [0], serverIds: [] }, 400],
      ["volumeIds missing", { serverIds: [0] }, 400],
      ["serverIds missing", { volumeIds: [0] }, 400],
      ["volume ID -1", { volumeIds: [-1], serverIds: [0] }, 400],
      ["volume ID 65280", { volumeIds: [65280], serverIds: [0] }, 400],
      ["volume ID 65279", { volumeIds: [65279], serverIds: [4095] }, 202],
      ["server ID 4096", { volumeIds: [0], serverIds: [4096] }, 400],
      ["volume ID as text out of range", { volumeIds: ["65280"], serverIds: [0] }, 400],
      ["server ID as text out of range", { volumeIds: [0], serverIds: ["4096"] }, 400],
      ["volume ID as hexadecimal text", { volumeIds: ["0x10"], serverIds: [0] }, 400],
      ["volume ID as empty text", { volumeIds: [""], serverIds: [0] }, 400],
      ["volume ID as signed text", { volumeIds: ["-1"], serverIds: [0] }, 400],
      ["one volume as number and as text", { volumeIds: [1, "1"], serverIds: [0] }, 400],
      ["volume ID 1.5", { volumeIds: [1.5], serverIds: [0] }, 400],
      ["duplicate volume IDs", { volumeIds: [1, 1], serverIds: [0] }, 400],
      ["duplicate server IDs", { volumeIds: [1], serverIds: [0, 0] }, 400],
      ["unknown field", { volumeIds: [0], serverIds: [0], lun: 3 }, 400],
      ["1001 volumes", { volumeIds: Array.from({ length: 1001 }, (_, i) => i), serverIds: [0] }, 400],
      ["65 servers", { volumeIds: [0], serverIds: Array.from({ length: 65 }, (_, i) => i) }, 400],
    ];
    for (const [name, body, status] of cases) {
      test(`${name} → ${status}`, async () => {
        const r = await s.post(CONNECTIONS, body);
        assert.equal(r.status, status, r.text);
        if (status === 202) await s.waitJob(r.body);
      });
    }
  });

  describe("list", () => {
    let lister: number;
    let other: number;
    let vols: number[];
    before(async () => {
      lister = await createServer("list-alpha", ["CL3-A"], "10000000c9000003");
      other = await createServer("list-beta", ["CL4-A"], "10000000c9000004");
      vols = take(3);
      const [a, b, c] = vols as [number, number, number];
      // a: alpha; b: alpha and beta; c: alpha and beta.
      await ok(await connect([a, b, c], [lister]));
      await ok(await connect([b, c], [other]));
    });

    test("filtered by serverId, with totalCount and hasNext", async () => {
      const r = await s.get(`${CONNECTIONS}?serverId=${lister}`);
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.data.map((c: { id: string }) => c.id),
        vols.map((v) => `${v},${lister}`),
      );
      assert.equal(r.body.count, 3);
      assert.equal(r.body.totalCount, 3);
      assert.equal(r.body.hasNext, false);
      assert.deepEqual(r.body.data[0].luns, [{ lun: 0, portId: "CL3-A" }]);
    });

    test("filtered by a part of the server nickname", async () => {
      const r = await s.get(`${CONNECTIONS}?serverNickname=${encodeURIComponent("list-b")}`);
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.data.map((c: { serverId: number }) => c.serverId),
        [other, other],
      );
    });

    test("paging: count and startVolumeId, a page never splits a volume", async () => {
      const [a, b, c] = vols as [number, number, number];
      const start = `startVolumeId=${a}`;
      // From a: (a,alpha) (b,alpha) (b,beta) (c,alpha) (c,beta) … ; 2 would split b, so only a's.
      const p1 = await s.get(`${CONNECTIONS}?${start}&count=2`);
      assert.equal(p1.status, 200);
      assert.deepEqual(
        p1.body.data.map((x: { id: string }) => x.id),
        [`${a},${lister}`],
      );
      assert.equal(p1.body.count, 1);
      assert.equal(p1.body.hasNext, true);
      // One volume alone fills the page: it is split rather than answered empty.
      const p2 = await s.get(`${CONNECTIONS}?startVolumeId=${b}&count=1`);
      assert.deepEqual(
        p2.body.data.map((x: { id: string }) => x.id),
        [`${b},${lister}`],
      );
      assert.equal(p2.body.hasNext, true);
      const p3 = await s.get(`${CONNECTIONS}?startVolumeId=${b}&count=3`);
      assert.deepEqual(
        p3.body.data.map((x: { id: string }) => x.id),
        [`${b},${lister}`, `${b},${other}`],
      );
      const last = await s.get(`${CONNECTIONS}?startVolumeId=${c}&serverId=${other}`);
      assert.deepEqual(
        last.body.data.map((x: { id: string }) => x.id),
        [`${c},${other}`],
      );
      assert.equal(last.body.hasNext, false);
      assert.equal(last.body.totalCount, 2, "totalCount ignores the start");
    });

    const cases: [string, number][] = [
      ["count=0", 400],
      ["count=1", 200],
      ["count=2048", 200],
      ["count=2049", 400],
      ["startVolumeId=-1", 400],
      ["startVolumeId=65279", 200],
      ["startVolumeId=65280", 400],
      ["serverId=4096", 400],
      ["serverId=x", 400],
      ["serverId=1&serverNickname=a", 400],
      ["serverNickname=", 400],
      ["volumeId=1", 400],
    ];
    for (const [query, status] of cases) {
      test(`?${query} → ${status}`, async () => {
        const r = await s.get(`${CONNECTIONS}?${query}`);
        assert.equal(r.status, status, r.text);
      });
    }
  });

  describe("get one", () => {
    for (const bad of ["100,x", "100", "1,2,3", "x", "65280,1", "1,4096", "-1,1", "1,+2"]) {
      test(`"${bad}" → 400`, async () => {
        const r = await s.get(`${CONNECTIONS}/${bad}`);
        assert.equal(r.status, 400, r.text);
      });
    }
    test("a well-formed but absent connection → 404", async () => {
      const r = await s.get(`${CONNECTIONS}/65279,4095`);
      assert.equal(r.status, 404);
      assert.equal(r.body.errorSource, `${CONNECTIONS}/65279,4095`);
    });
  });

  describe("disconnect", () => {
    test("removes the connection: its job names it, and it is gone", async () => {
      const [v1] = take(1) as [number];
      await ok(await connect([v1], [fc]));
      const job = await ok(await s.delete(`${CONNECTIONS}/${v1},${fc}`));
      assert.deepEqual(job.operationDetails, [
        { operationType: "DELETE", resourceType: "VolumeServerConnection", resourceId: `${v1},${fc}` },
      ]);
      assert.equal((await s.get(`${CONNECTIONS}/${v1},${fc}`)).status, 404);
    });
    test("an absent connection → 404, a malformed ID → 400", async () => {
      assert.equal((await s.delete(`${CONNECTIONS}/65279,4095`)).status, 404);
      assert.equal((await s.delete(`${CONNECTIONS}/65279`)).status, 400);
    });
  });

  describe("permissions", () => {
    test("View Only reads but gets 403 on connect and disconnect; Provisioning connects", async () => {
      const viewer = await s.userToken("conn-viewer", ["Storage Administrator (View Only)"]);
      const provisioner = await s.userToken("conn-prov", ["Storage Administrator (Provisioning)"]);
      const [v1] = take(1) as [number];
      assert.equal((await connect([v1], [fc], viewer)).status, 403);
      const r = await connect([v1], [fc], provisioner);
      assert.equal(r.status, 202);
      assert.equal((await s.waitJob(r.body, provisioner)).status, "normal");
      assert.equal((await s.get(`${CONNECTIONS}/${v1},${fc}`, { token: viewer })).status, 200);
      assert.equal((await s.get(CONNECTIONS, { token: viewer })).status, 200);
      assert.equal((await s.delete(`${CONNECTIONS}/${v1},${fc}`, { token: viewer })).status, 403);
    });
  });

  // Last: the jobs these start are left running when the server closes.
  describe("connect: the largest requests", () => {
    test("1000 volumes are accepted", async () => {
      const r = await connect(
        Array.from({ length: 1000 }, (_, i) => 65279 - i),
        [4095],
      );
      assert.equal(r.status, 202, r.text);
    });
    test("64 servers are accepted", async () => {
      const r = await connect(
        [65279],
        Array.from({ length: 64 }, (_, i) => 4095 - i),
      );
      assert.equal(r.status, 202, r.text);
    });
  });
});
