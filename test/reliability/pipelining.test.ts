/**
 * Requests pipelined on one connection are served in turn: only so many may wait (past that, 503
 * with Retry-After at once, in the answers' order), and a few connections pipelining long lists
 * do not stall everyone else.
 *
 * Fairness under pipelined long lists: a few clients that pipeline the longest page of volumes must
 * not stall everyone else. A server process holds 2000 volumes; a client of its own measures GET
 * of one volume, one request after the other, first alone (the baseline), then while another
 * process keeps 4 connections pipelining `GET volumes?count=500` (each as deep as a connection may
 * pipeline before it is answered 503) round after round. Its requests must all be served (200: the
 * overload protection has no reason to turn it away) and their latency stay within generous
 * multiples of figures of the same run (its latency alone, the server's time per list); the
 * figures are printed.
 * Rounds and time: CI size, times BLOCKPLANE_RELIABILITY_SCALE.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type net from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { MAX_WAITING } from "../../src/http/contract/turns.ts";
import { killAllServers, ROOT, startServerProcess } from "../support/process.ts";
import { assertApiError, RawConnection, rawGet } from "../support/raw-http.ts";
import { Client, makePool, scaled, sleep } from "../support/reliability.ts";
import { ADMIN_PASSWORD, SIMPLE, startServer } from "../support/server.ts";

const VOLUMES = `${SIMPLE}/volumes`;
const STORAGE = `${SIMPLE}/storage`;
const PIPELINER = path.join(ROOT, "test/support/pipeliner.mjs");

after(killAllServers);

interface Latencies {
  n: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Map<number, number>;
}

/** GETs of one volume back to back (10 ms apart) until `until()` says stop; their latencies. */
async function measure(client: Client, url: string, until: () => boolean): Promise<Latencies> {
  const times: number[] = [];
  const statuses = new Map<number, number>();
  while (!until()) {
    const started = performance.now();
    const r = await client.once("GET", url);
    times.push(performance.now() - started);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    await sleep(10);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { n: times.length, p50: at(0.5), p99: at(0.99), max: times.at(-1) ?? 0, statuses };
}

const figures = (l: Latencies) =>
  `p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms (${l.n} requests)`;

/** Runs the pipelining client as a process of its own; answers what it printed. */
function pipeline(options: object): Promise<{ ms: number; statuses: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PIPELINER, JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`the pipelining client exited ${code}: ${out}`));
    });
  });
}

test("past the pipelining depth, a request is answered 503 with Retry-After in its place", async () => {
  const s = await startServer();
  await s.bp.app.listen({ port: 0, host: "127.0.0.1" });
  const c = await RawConnection.open((s.bp.app.server.address() as net.AddressInfo).port);
  try {
    const served = MAX_WAITING + 1;
    const total = served + 10;
    c.write(rawGet(STORAGE, s.adminToken).repeat(total));
    const answers = await c.waitAnswers(total);
    assert.equal(answers.length, total);
    assert.deepEqual(
      answers.map((a) => a.status),
      [...Array(served).fill(200), ...Array(total - served).fill(503)],
    );
    for (const a of answers.slice(served)) {
      assertApiError(a, 503, "KART00003-E", STORAGE);
      assert.equal(a.headers["retry-after"], "5");
      assert.match(a.body.message, /Too many requests are pipelined on this connection/);
      assert.match(a.body.message, /wait for a while and try again/);
    }
    // The connection still serves.
    c.write(rawGet(STORAGE, s.adminToken));
    const next = await c.waitAnswers(total + 1);
    assert.equal(next.at(-1)?.status, 200);
  } finally {
    c.destroy();
    await s.close();
  }
});

test("other clients are served while a few connections pipeline long lists", {
  timeout: 300_000,
}, async (t) => {
  const server = await startServerProcess({ env: { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  const client = new Client(server.url, 4);
  try {
    await client.login();
    const poolId = await makePool(client, "pipelining");
    for (let i = 0; i < 2; i++) {
      const made = await client.request("POST", VOLUMES, { poolId, capacity: 47, number: 1000 });
      assert.equal(made.status, 202, JSON.stringify(made.body));
      assert.equal((await client.waitJob(made.body)).status, "normal");
    }
    const one = `${VOLUMES}/1000`;
    assert.equal((await client.once("GET", one)).status, 200);

    const baselineEnds = Date.now() + 1500;
    const baseline = await measure(client, one, () => Date.now() > baselineEnds);

    let loadDone = false;
    const depth = MAX_WAITING + 1;
    const load = pipeline({
      port: server.port,
      path: `${VOLUMES}?count=500`,
      token: client.token,
      connections: 4,
      depth,
      rounds: scaled(12),
      maxMs: scaled(10_000),
    }).finally(() => {
      loadDone = true;
    });
    const loaded = await measure(client, one, () => loadDone);
    const pipelined = await load;
    const answered = Object.values(pipelined.statuses).reduce((a, b) => a + b, 0);

    const diagnostic =
      `pipelining (4 connections × ${depth} GET volumes?count=500 at once, 2000 volumes): ` +
      `${answered} answered in ${pipelined.ms} ms (${JSON.stringify(pipelined.statuses)}, ` +
      `${(pipelined.ms / answered).toFixed(1)} ms per list); ` +
      `another client's GET volumes/{id}: alone ${figures(baseline)}; beside the pipelines ${figures(loaded)}`;
    t.diagnostic(diagnostic);

    assert.equal(pipelined.statuses["200"], answered, "every pipelined request within the depth is served");
    assert.deepEqual([...loaded.statuses.keys()], [200], "the other client is never turned away");
    assert.ok(loaded.n >= 20, `the other client got only ${loaded.n} requests through`);
    // Generous bounds, relative to two figures of the same run: the other client's latency alone,
    // and the time the server took per pipelined list. Served in turn, the other client waits
    // behind about one list per pipelining connection; served all at once, behind every list
    // pipelined, and its median alone is tens of lists.
    const perList = pipelined.ms / answered;
    const p50Bound = 10 * baseline.p50 + 8 * perList;
    const p99Bound = Math.max(250, 10 * baseline.p99, 20 * perList);
    const maxBound = Math.max(1000, 20 * baseline.max, 40 * perList);
    const over = (what: string, value: number, bound: number) =>
      `${what} ${value.toFixed(1)} ms > ${bound.toFixed(1)} ms (${perList.toFixed(1)} ms per list)`;
    assert.ok(loaded.p50 <= p50Bound, over("p50", loaded.p50, p50Bound));
    assert.ok(loaded.p99 <= p99Bound, over("p99", loaded.p99, p99Bound));
    assert.ok(loaded.max <= maxBound, over("max", loaded.max, maxBound));
  } finally {
    client.close();
    await server.stop();
  }
});
