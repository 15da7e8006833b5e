/**
 * 503 + Retry-After when the server cannot take more: the bounded queue of configuration
 * operations is full, the process is overloaded (event-loop delay, heap), or it is shutting down.
 * Each answer is the API's error body with the phrase clients retry on.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { Busy } from "../../src/domain/errors.ts";
import { assemble, type Blockplane } from "../../src/server.ts";
import { enqueue, gate, sleep, uniqueKind, waitProgress } from "../support/jobs.ts";
import { RawConnection, rawGet } from "../support/raw-http.ts";
import { freshDatabase, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const RETRY_PHRASE = /wait for a while and try again/;

function assertBusyBody(body: Record<string, unknown>, source: string, reason: RegExp) {
  assert.equal(body.errorSource, source);
  assert.equal(body.messageId, "KART00003-E");
  assert.match(String(body.message), reason);
  assert.match(String(body.message), RETRY_PHRASE);
  assert.equal(typeof body.requestId, "string");
}

/**
 * A server assembled without the harness's login (under a tiny overload threshold even the login
 * would be turned away): requests here carry no credentials, and pressure answers before
 * authentication, so 503 means pressure and 401 means none.
 */
async function bareServer(
  overrides: Record<string, string>,
): Promise<{ bp: Blockplane; close(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-overload-"));
  const env: Record<string, string> = {
    BLOCKPLANE_DATA_DIR: dataDir,
    BLOCKPLANE_ADMIN_PASSWORD: "test-admin-password",
    BLOCKPLANE_LOG_LEVEL: "silent",
    ...overrides,
  };
  if (process.env.BLOCKPLANE_TEST_DATABASE_URL) {
    env.BLOCKPLANE_DATABASE_URL = await freshDatabase(process.env.BLOCKPLANE_TEST_DATABASE_URL);
  }
  const bp = await assemble(loadConfig([], env));
  return {
    bp,
    async close() {
      await bp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Keeps the event loop busy for `ms`: what a synchronous stall does to a server. */
function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe("bounded queue of configuration operations", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ BLOCKPLANE_MAX_PENDING_JOBS: "2", BLOCKPLANE_JOB_CONCURRENCY: "1" });
  });
  after(() => s.close());

  test("past the bound a new operation is 503 with Retry-After; once the queue drains it is accepted", async () => {
    const held = gate();
    const kind = uniqueKind("held");
    s.bp.jobs.register(kind, async () => {
      await held.promise;
      return { done: [], failures: [] };
    });
    const running = await enqueue(s, kind);
    const queued = await enqueue(s, kind);
    await waitProgress(s, running, "processing");

    const r = await s.post(`${SIMPLE}/volumes`, { poolId: 0, capacity: 1024 });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.headers["retry-after"], "5");
    assertBusyBody(r.body, `${SIMPLE}/volumes`, /2 configuration operations are queued or running/);
    await assert.rejects(s.bp.jobs.enqueue(kind, {}, null), Busy);

    held.open();
    await s.waitJob(running);
    await s.waitJob(queued);
    // Near the bound the count is refreshed at most every 50 ms: past that it sees the queue drained.
    await sleep(60);
    const accepted = await s.post(`${SIMPLE}/volumes`, { poolId: 0, capacity: 1024 });
    assert.equal(accepted.status, 202, accepted.text);
    await s.waitJob(accepted.body);
  });
});

describe("process overload", () => {
  test("a heap past its limit answers every request 503 before authentication", async () => {
    const server = await bareServer({
      BLOCKPLANE_OVERLOAD_HEAP_BYTES: "1",
      BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0",
      BLOCKPLANE_OVERLOAD_SAMPLE_MS: "50",
    });
    try {
      let r = await server.bp.app.inject({ method: "GET", url: `${SIMPLE}/storage` });
      // The first sample comes one interval after start.
      for (let i = 0; i < 500 && r.statusCode !== 503; i++) {
        await sleep(10);
        r = await server.bp.app.inject({ method: "GET", url: `${SIMPLE}/storage` });
      }
      assert.equal(r.statusCode, 503, r.body);
      assert.equal(r.headers["retry-after"], "5");
      assert.equal(r.headers["www-authenticate"], undefined, "refused before authentication");
      assert.ok(r.headers["x-request-id"]);
      assertBusyBody(
        JSON.parse(r.body),
        `${SIMPLE}/storage`,
        /overloaded \(its memory heap is nearly full\)\. The server might be temporarily busy\./,
      );
    } finally {
      await server.close();
    }
  });

  test("an event loop delayed past its limit answers 503", async () => {
    const server = await bareServer({
      BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "1",
      BLOCKPLANE_OVERLOAD_SAMPLE_MS: "50",
      BLOCKPLANE_BUSY_RETRY_AFTER_S: "9",
    });
    try {
      const first = await server.bp.app.inject({ method: "GET", url: `${SIMPLE}/storage` });
      assert.equal(first.statusCode, 401, "start-up is not overload");
      await sleep(150);
      let r = first;
      // Stall the loop, then let the sampler run before the request (its timer is due first).
      for (let i = 0; i < 10 && r.statusCode !== 503; i++) {
        blockLoop(300);
        await sleep(1);
        r = await server.bp.app.inject({ method: "GET", url: `${SIMPLE}/storage` });
      }
      assert.equal(r.statusCode, 503, r.body);
      assert.equal(r.headers["retry-after"], "9");
      assertBusyBody(JSON.parse(r.body), `${SIMPLE}/storage`, /overloaded \(its event loop is delayed\)/);
    } finally {
      await server.close();
    }
  });

  test("the defaults turn every threshold on", () => {
    const config = loadConfig([], {});
    assert.equal(config.overload.maxEventLoopDelayMs, 1000);
    assert.ok(config.overload.maxHeapUsedBytes > 0);
    assert.ok(config.overload.maxRssBytes > 0);
    assert.equal(config.maxPendingJobs, 256);
    const off = loadConfig([], { BLOCKPLANE_OVERLOAD_HEAP_BYTES: "0", BLOCKPLANE_OVERLOAD_RSS_BYTES: "0" });
    assert.equal(off.overload.maxHeapUsedBytes, 0);
    assert.equal(off.overload.maxRssBytes, 0);
    assert.throws(() => loadConfig([], { BLOCKPLANE_OVERLOAD_SAMPLE_MS: "49" }), /between 50 and/);
    assert.throws(() => loadConfig([], { BLOCKPLANE_FAULTS: "maybe" }), /on or off/);
  });
});

describe("shutting down", () => {
  test("a request that arrives while the server closes is 503 with Retry-After and the API's body", async () => {
    const s = await startServer({ BLOCKPLANE_FAULTS: "on" });
    const storage = `${SIMPLE}/storage`;
    // Keeps the first request in flight while the close begins.
    const rule = await s.post("/blockplane/v1/faults", {
      match: { path: storage },
      action: "latency",
      latencyMs: 1500,
    });
    assert.equal(rule.status, 200);
    await s.bp.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = s.bp.app.server.address() as net.AddressInfo;
    const c = await RawConnection.open(port);
    const request = rawGet(storage, s.adminToken);
    c.write(request);
    await sleep(300);
    const closing = s.close();
    await sleep(100);
    // Pipelined behind the one under way: they arrive while the server closes.
    c.write(request + request);
    const [first, ...refused] = await c.waitAnswers(3);
    assert.ok((await c.waitClosed(5000)) !== undefined, "the connection is closed after the last 503");
    await closing;

    assert.equal(first?.status, 200, "the request under way finishes");
    assert.notEqual(first?.headers.connection, "close", "requests wait behind it");
    assert.equal(refused.length, 2, "every request that arrived during the close is answered");
    for (const r of refused) {
      assert.equal(r.status, 503);
      assert.equal(r.headers["retry-after"], "5");
      assertBusyBody(r.body, storage, /shutting down/);
    }
    assert.equal(refused.at(-1)?.headers.connection, "close", "the last answer ends the connection");
  });
});
