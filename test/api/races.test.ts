/**
 * Array rules under races between two Blockplane instances on one PostgreSQL database: changes
 * sent to both at once must end as they would one after the other — each rule holds, a loser gets
 * the array's documented refusal, and no race surfaces as an internal error (a duplicate key).
 *
 * PostgreSQL only: on SQLite one instance owns its data directory, so there is no second instance
 * to race with.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freshDatabase, type Reply, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const PG_URL = process.env.BLOCKPLANE_TEST_DATABASE_URL || undefined;
const SKIP_REASON =
  "PostgreSQL only: several instances share a database only on PostgreSQL (SQLite serves one instance)";

const POOLS = `${SIMPLE}/pools`;
const VOLUMES = `${SIMPLE}/volumes`;
const SERVERS = `${SIMPLE}/servers`;
const SNAPSHOTS = `${SIMPLE}/snapshots`;
const CONNECTIONS = `${SIMPLE}/volume-server-connections`;

const REFUSED = {
  poolFull: { SSB1: "2e30", SSB2: "0002" },
  poolNameTaken: { SSB1: "2e13", SSB2: "0003" },
  notEnoughDrives: { SSB1: "2e13", SSB2: "0011" },
  serverNicknameTaken: { SSB1: "2e11", SSB2: "a002" },
  hbaTaken: { SSB1: "2e11", SSB2: "a003" },
  snapshotGroupTaken: { SSB1: "2e31", SSB2: "0011" },
};

/** Rounds of each race: a race may not be hit every time, so it is run several times. */
const ROUNDS = 4;

// biome-ignore lint/suspicious/noExplicitAny: a command-status as the API answers it
type Job = any;

const idsOf = (job: Job): number[] =>
  job.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId));

if (!PG_URL) {
  test("races between two instances on one database", { skip: SKIP_REASON }, () => {});
} else {
  describe("races between two instances on one PostgreSQL database", () => {
    let a: TestServer;
    let b: TestServer;

    /** The completed job that `r` (a 202 on `s`) started. */
    async function job(s: TestServer, r: Reply): Promise<Job> {
      assert.equal(r.status, 202, r.text);
      return s.waitJob(r.body);
    }
    async function ok(s: TestServer, r: Reply): Promise<Job> {
      const j = await job(s, r);
      assert.equal(j.status, "normal", JSON.stringify(j));
      return j;
    }
    /** Sends one request to each instance at the same time and answers both finished jobs. */
    async function race(
      onA: (s: TestServer) => Promise<Reply>,
      onB: (s: TestServer) => Promise<Reply>,
    ): Promise<[Job, Job]> {
      const [ra, rb] = await Promise.all([onA(a), onB(b)]);
      return Promise.all([job(a, ra), job(b, rb)]);
    }
    /** Exactly one of two jobs succeeded; the other was refused with `code`. */
    function oneWins(jobs: [Job, Job], code: { SSB1: string; SSB2: string }): Job {
      const winners = jobs.filter((j) => j.status === "normal");
      const losers = jobs.filter((j) => j.status !== "normal");
      assert.equal(winners.length, 1, `exactly one wins: ${JSON.stringify(jobs)}`);
      assert.deepEqual(losers[0].errorCode, code, JSON.stringify(losers[0]));
      return winners[0];
    }
    const raid1 = (driveTypeCode: string, dataDriveCount = 2) => [
      { driveTypeCode, dataDriveCount, raidLevel: "RAID1" },
    ];
    async function createPool(name: string): Promise<number> {
      const j = await ok(a, await a.post(POOLS, { name, drives: raid1("SNR5A-R960NC") }));
      return idsOf(j)[0] as number;
    }
    /** Every volume's ID, page by page. */
    async function volumeIds(): Promise<number[]> {
      const all: number[] = [];
      for (let start = 0; ; ) {
        const r = await a.get(`${VOLUMES}?count=500&startVolumeId=${start}`);
        assert.equal(r.status, 200, r.text);
        all.push(...r.body.data.map((v: { id: number }) => v.id));
        if (!r.body.hasNext) return all;
        start = (all.at(-1) as number) + 1;
      }
    }

    before(async () => {
      const url = await freshDatabase(PG_URL as string);
      a = await startServer({ BLOCKPLANE_DATABASE_URL: url });
      b = await startServer({ BLOCKPLANE_DATABASE_URL: url });
    });
    after(async () => {
      await a?.close();
      await b?.close();
    });

    test("one token serves both instances", async () => {
      assert.equal((await b.get(POOLS, { token: a.adminToken })).status, 200);
      assert.equal((await a.get(POOLS, { token: b.adminToken })).status, 200);
    });

    describe("volumes", () => {
      let left: number;
      let right: number;
      let tight: number;
      before(async () => {
        left = await createPool("race-left");
        right = await createPool("race-right");
        tight = await createPool("race-tight");
      });

      test("volumes created at once into different pools on the two instances get distinct IDs", async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const jobs = await race(
            (s) => s.post(VOLUMES, { poolId: left, capacity: 47, number: 60 }),
            (s) => s.post(VOLUMES, { poolId: right, capacity: 47, number: 60 }),
          );
          for (const j of jobs) assert.equal(j.status, "normal", `round ${round}: ${JSON.stringify(j)}`);
          const made = jobs.flatMap(idsOf);
          assert.equal(made.length, 120);
          assert.equal(new Set(made).size, 120, `round ${round}: an ID was given twice`);
        }
        const all = await volumeIds();
        assert.equal(all.length, ROUNDS * 120);
        assert.equal(new Set(all).size, all.length);
      });

      test("the last free capacity of a pool goes to one of two creates; the other is refused", async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const pool = (await a.get(`${POOLS}/${tight}`)).body;
          const free = pool.totalCapacity - pool.usedCapacity;
          assert.ok(free >= 47, `round ${round}: the pool has room for one volume`);
          const jobs = await race(
            (s) => s.post(VOLUMES, { poolId: tight, capacity: free, number: 1 }),
            (s) => s.post(VOLUMES, { poolId: tight, capacity: free, number: 1 }),
          );
          const winner = oneWins(jobs, REFUSED.poolFull);
          const loser = jobs.find((j) => j !== winner);
          assert.equal(loser.errorMessage, "The pool capacity is insufficient.");
          const after = (await b.get(`${POOLS}/${tight}`)).body;
          assert.equal(after.usedCapacity, pool.totalCapacity, "never both: the pool is exactly full");
          assert.equal(after.numberOfVolumes, round + 1);
          // Leave room for the next round by halving the volume just made: delete it, make a smaller one.
          const [id] = idsOf(winner);
          await ok(a, await a.delete(`${VOLUMES}/${id}`));
          await ok(a, await a.post(VOLUMES, { poolId: tight, capacity: Math.floor(free / 2), number: 1 }));
        }
      });

      test("a snapshot mapped on one instance while volumes are created on the other gets its own volume ID", async () => {
        const [master] = idsOf(await ok(a, await a.post(VOLUMES, { poolId: left, capacity: 47, number: 1 })));
        for (let round = 0; round < ROUNDS; round++) {
          const made = await ok(
            a,
            await a.post(SNAPSHOTS, {
              params: [{ masterVolumeId: master, poolId: left, snapshotGroupName: `race-map-${round}` }],
            }),
          );
          const snapshot = made.operationDetails[0].resourceId as string;
          const [created, mapped] = await race(
            (s) => s.post(VOLUMES, { poolId: right, capacity: 47, number: 40 }),
            (s) => s.post(`${SNAPSHOTS}/${snapshot}/actions/map/invoke`, { poolId: left }),
          );
          assert.equal(created.status, "normal", JSON.stringify(created));
          assert.equal(mapped.status, "normal", JSON.stringify(mapped));
          const mappedVolume = (await b.get(`${SNAPSHOTS}/${snapshot}`)).body.mappedVolumeId as number;
          assert.equal(typeof mappedVolume, "number");
          assert.ok(
            !idsOf(created).includes(mappedVolume),
            `round ${round}: the mapped volume's ID was given twice`,
          );
        }
        const all = await volumeIds();
        assert.equal(new Set(all).size, all.length);
      });

      test("mapped snapshots taken at once on both instances get distinct volume IDs", async () => {
        const [m1, m2] = idsOf(await ok(a, await a.post(VOLUMES, { poolId: left, capacity: 47, number: 2 })));
        for (let round = 0; round < ROUNDS; round++) {
          // Different master volumes and pools: no row lock is shared but the volume IDs.
          const take = (masterVolumeId: number | undefined, poolId: number) => (s: TestServer) =>
            s.post(SNAPSHOTS, {
              params: [
                {
                  masterVolumeId,
                  poolId,
                  snapshotGroupName: `race-mapped-${round}`,
                  type: "Mapped Snapshot",
                },
              ],
            });
          const jobs = await race(take(m1, left), take(m2, right));
          const mappedIds = [];
          for (const j of jobs) {
            assert.equal(j.status, "normal", JSON.stringify(j));
            const got = (await a.get(`${SNAPSHOTS}/${j.operationDetails[0].resourceId}`)).body;
            mappedIds.push(got.mappedVolumeId);
          }
          assert.notEqual(mappedIds[0], mappedIds[1], `round ${round}: both mapped to one volume ID`);
        }
      });
    });

    describe("pools", () => {
      test("two pools of one name at once: one is made, the other is refused as a duplicate", async () => {
        for (let round = 0; round < 2; round++) {
          const name = `race-twin-${round}`;
          const create = (s: TestServer) => s.post(POOLS, { name, drives: raid1("SNR5A-R960NC") });
          oneWins(await race(create, create), REFUSED.poolNameTaken);
          const named = (await b.get(`${POOLS}?name=${name}`)).body.data;
          assert.equal(named.length, 1);
        }
      });

      test("two pools of different names at once get distinct IDs and distinct drives", async () => {
        for (let round = 0; round < 2; round++) {
          const [p, q] = await race(
            (s) => s.post(POOLS, { name: `race-p-${round}`, drives: raid1("SNB5A-R1R9NC") }),
            (s) => s.post(POOLS, { name: `race-q-${round}`, drives: raid1("SNB5A-R1R9NC") }),
          );
          assert.equal(p.status, "normal", JSON.stringify(p));
          assert.equal(q.status, "normal", JSON.stringify(q));
          const [pid] = idsOf(p);
          const [qid] = idsOf(q);
          assert.notEqual(pid, qid);
          const pd = (await a.get(`${POOLS}/${pid}`)).body.drives[0].locations as string[];
          const qd = (await a.get(`${POOLS}/${qid}`)).body.drives[0].locations as string[];
          assert.deepEqual(
            pd.filter((d) => qd.includes(d)),
            [],
            "no drive is in both pools",
          );
        }
      });

      test("two pools wanting most of the free drives of a type: one is made, the other finds too few", async () => {
        for (let round = 0; round < 2; round++) {
          const create = (name: string) => (s: TestServer) =>
            s.post(POOLS, { name, drives: raid1("SNB5B-R3R8NC", 10) });
          const winner = oneWins(
            await race(create(`race-big-${round}-a`), create(`race-big-${round}-b`)),
            REFUSED.notEnoughDrives,
          );
          const free = (await b.get(`${SIMPLE}/drives?driveTypeCode=SNB5B-R3R8NC&usageType=FREE`)).body;
          assert.equal(free.data.length, 6);
          await ok(a, await a.delete(`${POOLS}/${idsOf(winner)[0]}`));
        }
      });
    });

    describe("servers, connections and snapshots", () => {
      let pool: number;
      before(async () => {
        pool = await createPool("race-hosts");
      });
      const server = (nickname: string) => (s: TestServer) =>
        s.post(SERVERS, { serverNickname: nickname, protocol: "FC", osType: "Linux" });

      test("two servers of one nickname at once: one is made, the other is refused", async () => {
        for (let round = 0; round < 2; round++) {
          const create = server(`race-host-${round}`);
          oneWins(await race(create, create), REFUSED.serverNicknameTaken);
        }
      });

      test("two servers at once get distinct IDs; one WWN added to both at once goes to one", async () => {
        const [p, q] = await race(server("race-s1"), server("race-s2"));
        assert.equal(p.status, "normal", JSON.stringify(p));
        assert.equal(q.status, "normal", JSON.stringify(q));
        const [s1] = idsOf(p);
        const [s2] = idsOf(q);
        assert.notEqual(s1, s2);
        const hba = { hbas: [{ hbaWwn: "10000000c9aa0001" }] };
        oneWins(
          await race(
            (s) => s.post(`${SERVERS}/${s1}/hbas`, hba),
            (s) => s.post(`${SERVERS}/${s2}/hbas`, hba),
          ),
          REFUSED.hbaTaken,
        );
      });

      test("volumes connected to one server at once on both instances get distinct LUNs", async () => {
        const [host] = idsOf(await ok(a, await server("race-lun")(a)));
        const volumes = idsOf(
          await ok(a, await a.post(VOLUMES, { poolId: pool, capacity: 47, number: 2 * ROUNDS })),
        );
        for (let round = 0; round < ROUNDS; round++) {
          const [j1, j2] = await race(
            (s) => s.post(CONNECTIONS, { volumeIds: [volumes[2 * round]], serverIds: [host] }),
            (s) => s.post(CONNECTIONS, { volumeIds: [volumes[2 * round + 1]], serverIds: [host] }),
          );
          assert.equal(j1.status, "normal", JSON.stringify(j1));
          assert.equal(j2.status, "normal", JSON.stringify(j2));
        }
        const rows = await a.bp.store.db
          .selectFrom("connections")
          .select("lun")
          .where("server_id", "=", host as number)
          .orderBy("lun")
          .execute();
        assert.deepEqual(
          rows.map((r) => Number(r.lun)),
          Array.from({ length: 2 * ROUNDS }, (_, i) => i),
        );
      });

      test("snapshots of one volume taken at once get distinct snapshot IDs; one group holds one of them", async () => {
        const [master] = idsOf(await ok(a, await a.post(VOLUMES, { poolId: pool, capacity: 47, number: 1 })));
        const take = (group: string) => (s: TestServer) =>
          s.post(SNAPSHOTS, { params: [{ masterVolumeId: master, poolId: pool, snapshotGroupName: group }] });
        for (let round = 0; round < ROUNDS; round++) {
          const [p, q] = await race(take(`race-g-${round}-a`), take(`race-g-${round}-b`));
          assert.equal(p.status, "normal", JSON.stringify(p));
          assert.equal(q.status, "normal", JSON.stringify(q));
          assert.notEqual(p.operationDetails[0].resourceId, q.operationDetails[0].resourceId);
        }
        oneWins(await race(take("race-g-same"), take("race-g-same")), REFUSED.snapshotGroupTaken);
      });
    });
  });
}
