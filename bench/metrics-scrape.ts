/**
 * What a scrape of GET /metrics costs on a full array: fills a store to the array's 65,280 volumes,
 * with servers, volume-server connections and snapshots, then times scrapes (the store's gauges
 * are read at each one). On the embedded store by default; on PostgreSQL when
 * BLOCKPLANE_TEST_DATABASE_URL names a server whose role may create databases.
 *
 *   node --import tsx bench/metrics-scrape.ts
 */
import { arrayCounts, countLiveSessions, jobCountsByState, poolCapacities } from "../src/store/stats.ts";
import { SIMPLE, startServer, type TestServer } from "../test/support/server.ts";

const VOLUMES = 65_280;
const SERVERS = 16;
/** Volumes connected to each server. */
const CONNECTED = 250;
const SNAPSHOTS = 1000;
const SCRAPES = 50;

async function run(s: TestServer, url: string, body: unknown): Promise<string[]> {
  const r = await s.post(url, body);
  if (r.status !== 202) throw new Error(`${url}: ${r.status} ${r.text}`);
  const job = await s.waitJob(r.body);
  if (job.status !== "normal") throw new Error(`${url}: ${JSON.stringify(job.failures?.[0] ?? job)}`);
  return job.operationDetails.map((d: { resourceId: string }) => d.resourceId);
}

/** The median of `n` runs of `f`, in milliseconds. */
async function median(n: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return [...times].sort((a, b) => a - b)[Math.floor(n / 2)] ?? 0;
}

const s = await startServer({ BLOCKPLANE_SEED_POOL: "on", BLOCKPLANE_ARRAY_MODEL: "VSP E1090" });
try {
  const fillStarted = performance.now();
  const volumes: number[] = [];
  while (volumes.length < VOLUMES) {
    const number = Math.min(1000, VOLUMES - volumes.length);
    volumes.push(...(await run(s, `${SIMPLE}/volumes`, { poolId: 0, capacity: 100, number })).map(Number));
  }
  for (let i = 0; i < SERVERS; i++) {
    const [id] = await run(s, `${SIMPLE}/servers`, {
      serverNickname: `bench-${i}`,
      protocol: "FC",
      osType: "Linux",
    });
    const wwn = `10000000c9${String(i).padStart(6, "0")}`;
    await run(s, `${SIMPLE}/servers/${id}/hbas`, { hbas: [{ hbaWwn: wwn }] });
    await run(s, `${SIMPLE}/servers/${id}/paths`, { hbaWwn: wwn, portIds: ["CL1-A"] });
    const mine = volumes.slice(i * CONNECTED, (i + 1) * CONNECTED);
    await run(s, `${SIMPLE}/volume-server-connections`, { volumeIds: mine, serverIds: [Number(id)] });
  }
  for (let i = 0; i < SNAPSHOTS; i += 100) {
    const params = volumes
      .slice(i, i + 100)
      .map((v) => ({ masterVolumeId: v, poolId: 0, snapshotGroupName: `bench-${i}`, type: "Snapshot" }));
    await run(s, `${SIMPLE}/snapshots`, { params });
  }
  const fillS = (performance.now() - fillStarted) / 1000;

  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const t0 = performance.now();
    const r = await s.get("/metrics", { token: null });
    times.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`/metrics: ${r.status}`);
    bytes = r.text.length;
    const volumesLine = /^blockplane_volumes (\d+)$/m.exec(r.text)?.[1];
    if (Number(volumesLine) !== VOLUMES) throw new Error(`blockplane_volumes ${volumesLine}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
  process.stdout.write(
    `${s.config.databaseUrl ? "postgres" : "sqlite"}: ${VOLUMES} volumes, ${SERVERS} servers, ` +
      `${SERVERS * CONNECTED} connections, ${SNAPSHOTS} snapshots (filled in ${fillS.toFixed(0)} s); ` +
      `GET /metrics (${bytes} bytes) over ${SCRAPES} scrapes: median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1 - 1e-9)} ms\n`,
  );
  const store = s.bp.store;
  const reads = {
    poolCapacities: () => poolCapacities(store),
    arrayCounts: () => arrayCounts(store),
    jobCountsByState: () => jobCountsByState(store),
    countLiveSessions: () => countLiveSessions(store, Date.now()),
  };
  const each: string[] = [];
  for (const [name, read] of Object.entries(reads))
    each.push(`${name} ${(await median(SCRAPES, read)).toFixed(1)} ms`);
  process.stdout.write(`store reads (median): ${each.join(", ")}\n`);
} finally {
  await s.close();
}
