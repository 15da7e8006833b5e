/**
 * Crash: a real server process killed with SIGKILL at random points while it creates 1000 volumes,
 * restarted on the same store (same --data-dir, or the same --database-url on PostgreSQL), must keep
 * every promise it made before dying, and leave nothing half done:
 * - the create request is killed 0-300 ms after it was sent: before or after its 202, before,
 *   inside or after the job's transaction. A job that was recorded (always, once a 202 was
 *   answered) ends completed: normal, or an error with a message; one never recorded made nothing;
 * - a create that ends normal made exactly 1000 volumes, never more (no duplicate from the re-run),
 *   and its command-status names exactly the volumes that exist;
 * - synchronous changes (volume renames) run beside the create until the kill: each one answered
 *   200 is there after the restart, and so is a last one killed right after its answer;
 * - the pool's used capacity is the sum of its volumes' capacities.
 *
 * Rounds: 3 in CI, times BLOCKPLANE_RELIABILITY_SCALE; each round kills the server once.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, test } from "node:test";
import { openStore, type Store } from "../../src/store/db.ts";
import { killAllServers, type ServerProcess, startServerProcess } from "../support/process.ts";
import { type Answer, Client, scaled, sleep } from "../support/reliability.ts";
import { ADMIN_PASSWORD, SIMPLE } from "../support/server.ts";

const ROUNDS = scaled(3);
const PER_ROUND = 1000;
/** Volumes made before the first round, so that there is one to rename from the start. */
const SEED_VOLUMES = 8;
/** A short lease: the restarted server takes over the dead one's job as soon as it is up. */
const LEASE_MS = 500;

const VOLUMES = `${SIMPLE}/volumes`;

interface Volume {
  id: number;
  nickname: string;
  totalCapacity: number;
}

type Expected = Map<number, { nickname: string; capacity: number }>;

/** Every volume of the array, page by page (500 a page). */
async function allVolumes(client: Client): Promise<Volume[]> {
  const out: Volume[] = [];
  let start = 0;
  for (;;) {
    const r = await client.request("GET", `${VOLUMES}?startVolumeId=${start}&count=500`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...(r.body.data as Volume[]));
    if (!r.body.hasNext || r.body.data.length === 0) return out;
    start = (r.body.data.at(-1) as Volume).id + 1;
  }
}

/**
 * One kill delay per round (ms after the request was sent, 0-300), stratified so that even three
 * rounds spread over the window, and skewed to its start: on this machine the request is answered
 * and its job done within some tens of milliseconds, which is where a kill finds the most to break.
 */
function killDelays(rounds: number): number[] {
  const delays = Array.from({ length: rounds }, (_, i) =>
    Math.floor(300 * ((i + Math.random()) / rounds) ** 2),
  );
  for (let i = delays.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [delays[i], delays[j]] = [delays[j] as number, delays[i] as number];
  }
  return delays;
}

/**
 * The array holds exactly the volumes acknowledged so far, with their acknowledged nicknames and
 * capacities, and the pool's used capacity is the sum of those capacities.
 */
async function checkArray(client: Client, poolId: number, expected: Expected): Promise<void> {
  const volumes = await allVolumes(client);
  assert.equal(volumes.length, expected.size, "no volume lost, none made twice");
  for (const v of volumes) {
    const want = expected.get(v.id);
    assert.ok(want, `volume ${v.id} (${v.nickname}) was never acknowledged`);
    assert.equal(v.nickname, want.nickname, `volume ${v.id} keeps its acknowledged nickname`);
    assert.equal(v.totalCapacity, want.capacity);
  }
  const p = await client.request("GET", `${SIMPLE}/pools/${poolId}`);
  assert.equal(p.status, 200);
  const sum = volumes.reduce((s, v) => s + v.totalCapacity, 0);
  assert.equal(p.body.usedCapacity, sum, "pool used capacity = sum of its volumes' capacities");
  assert.equal(p.body.numberOfVolumes, volumes.length);
}

/** The command-status ids of a multi-resource job, in item order (the job's own first). */
async function itemStatusesOf(store: Store, jobId: number): Promise<number[]> {
  const rows = await store.db
    .selectFrom("jobs")
    .select(["id", "item"])
    .where((eb) => eb.or([eb("id", "=", jobId), eb("leader_id", "=", jobId)]))
    .orderBy("item")
    .execute();
  return rows.map((r) => Number(r.id));
}

/** The job that creates the volumes named `baseName`, if the dead server recorded one. */
async function jobOf(store: Store, baseName: string) {
  const rows = await store.db
    .selectFrom("jobs")
    .select(["id", "progress"])
    .where("kind", "=", "volumes.create")
    .where("params", "like", `%"baseName":"${baseName}"%`)
    .execute();
  assert.ok(rows.length <= 1, `one request recorded ${rows.length} jobs`);
  return rows[0];
}

/** Where the kill landed, read from the store while no server runs. */
async function killPoint(store: Store, baseName: string): Promise<string> {
  const job = await jobOf(store, baseName);
  const made = await store.db
    .selectFrom("volumes")
    .select((e) => e.fn.countAll<number>().as("n"))
    .where("nickname", "like", `${baseName}%`)
    .executeTakeFirstOrThrow();
  if (!job) return "before the request was recorded";
  if (job.progress === "unexecuted") return "before the job ran";
  if (job.progress === "completed") return "after the job completed";
  return Number(made.n) > 0 ? "between the volumes' commit and the job's record" : "inside the job";
}

/**
 * Renames acknowledged volumes, one request after the other, until the server stops answering;
 * records each rename answered 200 in `expected`. Answers how many were, and the one in flight.
 */
async function renameUntilKilled(client: Client, expected: Expected, prefix: string) {
  const ids = [...expected.keys()];
  let acknowledged = 0;
  for (;;) {
    const id = ids[Math.floor(Math.random() * ids.length)] as number;
    const nickname = `${prefix}${acknowledged}`;
    const r = await client.request("PATCH", `${VOLUMES}/${id}`, { nickname }).catch((err: Error) => err);
    if (r instanceof Error) return { acknowledged, inFlight: { id, nickname } };
    assert.equal(r.status, 200, JSON.stringify(r.body));
    (expected.get(id) as { nickname: string }).nickname = nickname;
    acknowledged++;
  }
}

after(killAllServers);

test(`kill -9 during ${ROUNDS} creations of ${PER_ROUND} volumes and after acknowledged changes`, {
  // Each round restarts a process (seconds on a busy machine) and checks every volume.
  timeout: 60_000 + 40_000 * ROUNDS,
}, async (t) => {
  const options = {
    args: ["--job-lease-ms", String(LEASE_MS)],
    env: { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD },
  };
  let server: ServerProcess = await startServerProcess(options);
  const { dataDir, databaseUrl } = server;
  // The restarts: the same data dir, and on PostgreSQL the same database.
  const again = { ...options, dataDir, ...(databaseUrl ? { databaseUrl } : {}) };
  let client = new Client(server.url);
  const store = await openStore({ dataDir, databaseUrl });
  let busyRetries = 0;
  const kill = async () => {
    busyRetries += client.retried;
    server.child.kill("SIGKILL");
    await server.exited;
    client.close();
  };
  const restart = async () => {
    server = await startServerProcess(again);
    client = new Client(server.url);
    await client.login();
  };
  try {
    await client.login();
    const pool = await client.request("POST", `${SIMPLE}/pools`, {
      name: "crash",
      drives: [{ driveTypeCode: "SNB5A-R1R9NC", dataDriveCount: 6, raidLevel: "RAID5" }],
    });
    assert.equal(pool.status, 202, JSON.stringify(pool.body));
    const poolJob = await client.waitJob(pool.body);
    assert.equal(poolJob.status, "normal", JSON.stringify(poolJob));
    const poolId = Number(poolJob.operationDetails[0].resourceId);

    const seeded = await client.request("POST", VOLUMES, {
      poolId,
      capacity: 47,
      number: SEED_VOLUMES,
      nicknameParam: { baseName: "seed", startNumber: 0 },
    });
    assert.equal(seeded.status, 202, JSON.stringify(seeded.body));
    const seedJob = await client.waitJob(seeded.body);
    assert.equal(seedJob.status, "normal");
    /** Every volume the server acknowledged, with the nickname and capacity it must have. */
    const expected: Expected = new Map(
      seedJob.operationDetails.map((d: { resourceId: string }, i: number) => [
        Number(d.resourceId),
        { nickname: `seed${i}`, capacity: 47 },
      ]),
    );
    const jobs: string[] = seeded.body.map((x: { statusResource: string }) => x.statusResource);
    const landed = new Map<string, number>();
    let acknowledged = 0;
    let renamed = 0;
    const delays = killDelays(ROUNDS);

    for (let round = 1; round <= ROUNDS; round++) {
      const baseName = `k${round}x`;
      const capacity = 47 + Math.floor(Math.random() * 54);
      const delay = delays[round - 1] as number;
      const sent: Promise<Answer | Error> = client
        .request("POST", VOLUMES, {
          poolId,
          capacity,
          number: PER_ROUND,
          nicknameParam: { baseName, startNumber: 0, numberOfDigits: 4 },
        })
        .catch((err: Error) => err);
      // Beside it, synchronous renames one after the other until the kill: each answered 200 must
      // survive it; the one in flight when the server dies may have happened or not.
      const renaming = renameUntilKilled(client, expected, `r${round}-`);
      await sleep(delay);
      await kill();
      const { acknowledged: kept, inFlight } = await renaming;
      renamed += kept;
      const answer = await sent;
      // Killed before it answered, the request has no answer; once answered, it is a 202.
      const accepted = !(answer instanceof Error);
      if (accepted) {
        assert.equal(answer.status, 202, JSON.stringify(answer.body));
        acknowledged++;
      }
      const where = `${await killPoint(store, baseName)}${accepted ? "" : " (no 202 yet)"}`;
      landed.set(where, (landed.get(where) ?? 0) + 1);
      t.diagnostic(`round ${round}: killed ${delay} ms after the request was sent, ${where}`);

      const job = await jobOf(store, baseName);
      // The job and one status per volume were recorded together, or nothing was.
      const statusIds = job ? await itemStatusesOf(store, job.id) : [];
      if (job) assert.equal(statusIds.length, PER_ROUND, "one command-status per volume, all or none");
      if (accepted) {
        assert.ok(job, "an acknowledged request has its job");
        assert.deepEqual(
          answer.body.map((x: { statusResource: string }) => x.statusResource),
          statusIds.map((id) => `${SIMPLE}/command-status/${id}`),
        );
      }
      await restart();
      if (inFlight) {
        const v = await client.request("GET", `${VOLUMES}/${inFlight.id}`);
        const before = (expected.get(inFlight.id) as { nickname: string }).nickname;
        assert.ok(
          [before, inFlight.nickname].includes(v.body.nickname),
          `the rename in flight at the kill happened or not: ${v.body.nickname}`,
        );
        (expected.get(inFlight.id) as { nickname: string }).nickname = v.body.nickname;
      }
      const ofRound = async () => (await allVolumes(client)).filter((v) => v.nickname.startsWith(baseName));
      if (!job) {
        assert.deepEqual(await ofRound(), [], "a request never recorded made nothing");
      } else {
        const urls = statusIds.map((id) => `${SIMPLE}/command-status/${id}`);
        jobs.push(...urls);
        const st = await client.waitJob(urls);
        const made = await ofRound();
        assert.equal(st.progress, "completed");
        // Every volume's status ended in a defined state, a failed one with its message.
        for (const item of st.statuses) {
          assert.equal(item.progress, "completed");
          if (item.status === "error") assert.ok(item.errorMessage.length > 0, "an error with a message");
          else assert.equal(item.affectedResources.length, 1, "a created volume's status names it");
        }
        if (st.status === "normal") {
          assert.deepEqual(
            made.map((v) => v.nickname).sort(),
            Array.from({ length: PER_ROUND }, (_, i) => `${baseName}${String(i).padStart(4, "0")}`),
            `round ${round}: exactly ${PER_ROUND} volumes, each nickname once (none made twice)`,
          );
        } else {
          assert.equal(st.status, "error", JSON.stringify(st).slice(0, 500));
        }
        // The command-status names exactly the volumes that exist, each once.
        const named = (st.operationDetails as { resourceId: string; resourceType: string }[]).map((d) => {
          assert.equal(d.resourceType, "Volume");
          return Number(d.resourceId);
        });
        assert.deepEqual(
          [...named].sort((a, b) => a - b),
          made.map((v) => v.id),
          "operationDetails are the round's volumes",
        );
        assert.deepEqual(
          [...st.affectedResources].sort(),
          made.map((v) => `${VOLUMES}/${v.id}`).sort(),
          "affectedResources are the round's volumes",
        );
        for (const v of made) {
          assert.equal(v.totalCapacity, capacity);
          expected.set(v.id, { nickname: v.nickname, capacity });
        }
      }
      await checkArray(client, poolId, expected);
    }

    // Last, one synchronous change acknowledged with 200 and the kill right after the answer.
    const ids = [...expected.keys()];
    const target = ids[Math.floor(Math.random() * ids.length)] as number;
    const patched = await client.request("PATCH", `${VOLUMES}/${target}`, { nickname: "last-words" });
    await kill();
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    (expected.get(target) as { nickname: string }).nickname = "last-words";
    renamed++;
    await restart();
    await checkArray(client, poolId, expected);

    // Every job recorded during the test, and every job the store holds, has completed.
    for (const url of jobs) {
      const r = await client.request("GET", url);
      assert.equal(r.status, 200);
      assert.equal(r.body.progress, "completed", `${url}: ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    const unfinished = await store.db
      .selectFrom("jobs")
      .select("id")
      .where("progress", "!=", "completed")
      .execute();
    assert.deepEqual(unfinished, [], "no job left unfinished");

    t.diagnostic(
      `crash: ${ROUNDS + 1} kills survived, ${expected.size} volumes checked, ` +
        `${acknowledged} of ${ROUNDS} creates answered 202 before their kill, ${jobs.length} jobs completed, ` +
        `${renamed} renames answered 200 before a kill kept ` +
        `(kills landed: ${[...landed].map(([k, n]) => `${n} ${k}`).join("; ")}); ` +
        `${busyRetries + client.retried} answers were 503 and retried after Retry-After`,
    );
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
  } finally {
    client.close();
    server.child.kill("SIGKILL");
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
