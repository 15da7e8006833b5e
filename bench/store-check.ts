/**
 * What the integrity check at start-up costs on a full array: fills an embedded store to the
 * array's 65,280 volumes, stops, and opens it again several times, reporting the time of the
 * check (PRAGMA quick_check) and, for comparison, of the full PRAGMA integrity_check.
 *
 *   node --import tsx bench/store-check.ts
 */
import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { openStore } from "../src/store/db.ts";
import { SIMPLE, startServer } from "../test/support/server.ts";

const TOTAL = 65_280;
const s = await startServer({ BLOCKPLANE_SEED_POOL: "on", BLOCKPLANE_ARRAY_MODEL: "VSP E1090" });
const dataDir = s.dataDir;
try {
  for (let made = 0; made < TOTAL; ) {
    const number = Math.min(1000, TOTAL - made);
    const r = await s.post(`${SIMPLE}/volumes`, { poolId: 0, capacity: 100, number });
    if (r.status !== 202) throw new Error(`create: ${r.status} ${r.text}`);
    await s.waitJob(r.body.at(-1));
    made += number;
  }
  await s.bp.close();
  const file = path.join(dataDir, "blockplane.db");
  const mib = fs.statSync(file).size / 2 ** 20;
  const checks: number[] = [];
  for (let i = 0; i < 5; i++) {
    const store = await openStore({ dataDir });
    checks.push(store.integrityCheckMs ?? Number.NaN);
    await store.close();
  }
  const db = new SQLite(file, { readonly: true });
  const t0 = performance.now();
  db.pragma("integrity_check");
  const full = performance.now() - t0;
  db.close();
  const sorted = [...checks].sort((a, b) => a - b);
  process.stdout.write(
    `store of ${TOTAL} volumes: ${mib.toFixed(1)} MiB; quick_check at opening ${checks.map((c) => c.toFixed(0)).join(", ")} ms (median ${sorted[2]?.toFixed(0)} ms); full integrity_check ${full.toFixed(0)} ms\n`,
  );
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
