/**
 * Connections over real sockets, apart from what their requests ask: a request not received whole
 * within the request timeout (here 1000 ms) is answered 408 and closed within about that time; an
 * idle keep-alive connection is closed after the keep-alive timeout (here 2000 ms, advertised in
 * `Keep-Alive: timeout=2`; Node closes it a second later); a connection
 * and a graceful close drains: requests arriving on new or idle
 * connections are answered 503 with Retry-After and `Connection: close` while the requests under
 * way finish normally, and only then does the server stop listening. The times are printed.
 */
import assert from "node:assert/strict";
import type net from "node:net";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { assertApiError, RawConnection, rawGet } from "../support/raw-http.ts";
import { sleep } from "../support/reliability.ts";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

const REQUEST_TIMEOUT_MS = 1000;
const KEEP_ALIVE_TIMEOUT_MS = 2000;
/** Node closes an idle connection this long after the keep-alive timeout it advertises. */
const KEEP_ALIVE_MARGIN_MS = 1000;
const STORAGE = `${SIMPLE}/storage`;
const POOLS = `${SIMPLE}/pools`;
/** How late past a timeout a close may come on a busy machine (the server checks every 100 ms). */
const SLACK_MS = 600;

async function listening(s: TestServer): Promise<number> {
  await s.bp.app.listen({ port: 0, host: "127.0.0.1" });
  return (s.bp.app.server.address() as net.AddressInfo).port;
}

test("the defaults: 30 s to receive a request, 5 s idle before a keep-alive connection closes", () => {
  const config = loadConfig([], {});
  assert.equal(config.requestTimeoutMs, 30_000);
  assert.equal(config.keepAliveTimeoutMs, 5000);
  assert.equal(loadConfig(["--keep-alive-timeout-ms", "65000"], {}).keepAliveTimeoutMs, 65_000);
  assert.throws(() => loadConfig([], { BLOCKPLANE_KEEP_ALIVE_TIMEOUT_MS: "99" }), /between 100 and/);
});

describe("request and keep-alive timeouts", () => {
  let s: TestServer;
  let port: number;
  before(async () => {
    s = await startServer({
      BLOCKPLANE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      BLOCKPLANE_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    });
    port = await listening(s);
  });
  after(() => s.close());

  test("a request not received whole within the request timeout is answered 408 and closed", async (t) => {
    const volumes = `${SIMPLE}/volumes`;
    const cases = [
      { label: "nothing sent", send: "" },
      { label: "half the headers", send: `GET ${STORAGE} HTTP/1.1\r\nHost: 127.0.0.1\r\n` },
      {
        label: "headers, half the body",
        send: `POST ${volumes} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\nAuthorization: Session ${s.adminToken}\r\n\r\n{"poolId": 0,`,
      },
    ];
    const figures = await Promise.all(
      cases.map(async ({ label, send }) => {
        const c = await RawConnection.open(port);
        const opened = performance.now();
        if (send) c.write(send);
        const closed = await c.waitClosed(REQUEST_TIMEOUT_MS + 4000);
        c.destroy();
        assert.ok(closed !== undefined, `${label}: still open ${REQUEST_TIMEOUT_MS + 4000} ms later`);
        const ms = closed - opened;
        const [answer, ...more] = c.answers();
        assert.ok(answer, `${label}: closed without an answer`);
        assert.equal(more.length, 0);
        // Answered below the router: no request reached a route, so no errorSource is named.
        assertApiError(answer, 408, "KART40048-E", "");
        assert.match(answer.body.message, /not received in full within 1000 ms/);
        assert.equal(answer.headers.connection, "close");
        assert.ok(
          ms >= REQUEST_TIMEOUT_MS - 5,
          `${label}: answered after ${ms.toFixed(0)} ms, before the timeout`,
        );
        assert.ok(
          ms <= REQUEST_TIMEOUT_MS + SLACK_MS,
          `${label}: answered after ${ms.toFixed(0)} ms, more than ${SLACK_MS} ms past the timeout`,
        );
        return `${ms.toFixed(0)} ms (${label})`;
      }),
    );
    t.diagnostic(`request timeout ${REQUEST_TIMEOUT_MS} ms: 408 and closed after ${figures.join(", ")}`);
  });

  test("a request sent slowly but whole in time is served; idle, its connection closes after the keep-alive timeout", async (t) => {
    const c = await RawConnection.open(port);
    try {
      const request = rawGet(STORAGE, s.adminToken);
      c.write(request.slice(0, 30));
      await sleep(REQUEST_TIMEOUT_MS / 2);
      c.write(request.slice(30));
      const [answer] = await c.waitAnswers(1);
      const answered = performance.now();
      assert.equal(answer?.status, 200, answer?.text);
      assert.equal(answer?.headers.connection, "keep-alive");
      assert.equal(answer?.headers["keep-alive"], `timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);

      // Idle for longer than the request timeout: that is not a request arriving late.
      const limit = KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_MARGIN_MS;
      const closed = await c.waitClosed(limit + 4000);
      assert.ok(closed !== undefined, `an idle connection still open ${limit + 4000} ms later`);
      const idle = closed - answered;
      assert.equal(c.answers().length, 1, "closed without a word: no 408 for an idle connection");
      assert.ok(idle >= KEEP_ALIVE_TIMEOUT_MS, `closed after ${idle.toFixed(0)} ms idle`);
      assert.ok(idle <= limit + SLACK_MS, `closed after ${idle.toFixed(0)} ms idle`);
      t.diagnostic(
        `keep-alive timeout ${KEEP_ALIVE_TIMEOUT_MS} ms: an idle connection closed after ${idle.toFixed(0)} ms`,
      );
    } finally {
      c.destroy();
    }
  });
});

describe("graceful shutdown", () => {
  test("while requests under way finish, new and idle connections are answered 503 with Retry-After and Connection: close", async (t) => {
    const s = await startServer({ BLOCKPLANE_FAULTS: "on" });
    const connections: RawConnection[] = [];
    try {
      const slowMs = 1500;
      const rule = await s.post("/blockplane/v1/faults", {
        match: { path: STORAGE },
        action: "latency",
        latencyMs: slowMs,
      });
      assert.equal(rule.status, 200, rule.text);
      const port = await listening(s);
      const open = async () => {
        const c = await RawConnection.open(port);
        connections.push(c);
        return c;
      };

      // A request under way when the close begins, and a connection kept alive, idle by then.
      const inFlight = await open();
      inFlight.write(rawGet(STORAGE, s.adminToken));
      const idle = await open();
      idle.write(rawGet(POOLS, s.adminToken));
      assert.equal((await idle.waitAnswers(1))[0]?.status, 200);
      await sleep(200);

      const closeBegan = performance.now();
      let stopped: number | undefined;
      const closing = s.bp.close().then(() => {
        stopped = performance.now();
      });
      await sleep(100);

      idle.write(rawGet(POOLS, s.adminToken));
      const fresh = await open();
      fresh.write(rawGet(POOLS, s.adminToken));
      for (const [label, c] of [
        ["an idle keep-alive connection", idle],
        ["a new connection", fresh],
      ] as const) {
        const answer = (await c.waitAnswers(label === "a new connection" ? 1 : 2)).at(-1);
        assert.ok(answer, `${label}: no answer`);
        assertApiError(answer, 503, "KART00003-E", POOLS);
        assert.equal(answer.headers["retry-after"], "5", label);
        assert.equal(answer.headers.connection, "close", label);
        assert.match(answer.body.message, /shutting down/);
        assert.ok((await c.waitClosed(2000)) !== undefined, `${label}: closed after its answer`);
      }
      assert.equal(stopped, undefined, "still draining while the request under way runs");

      const [finished] = await inFlight.waitAnswers(1, slowMs + 5000);
      assert.equal(finished?.status, 200, finished?.text);
      assert.equal(finished?.body.modelName, "VSP E1090");
      assert.equal(finished?.headers.connection, "close", "its connection is not to be used again");
      assert.ok((await inFlight.waitClosed(2000)) !== undefined);
      await closing;
      const drainedMs = (stopped ?? 0) - closeBegan;
      await assert.rejects(RawConnection.open(port), /ECONNREFUSED/, "no longer listening");
      t.diagnostic(
        `shutdown: the request under way answered 200; an idle keep-alive and a new connection answered 503 ` +
          `with Retry-After and Connection: close meanwhile; stopped ${drainedMs.toFixed(0)} ms after the close began`,
      );
    } finally {
      for (const c of connections) c.destroy();
      await s.close();
    }
  });
});
