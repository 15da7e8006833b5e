/**
 * The HTTP layer against requests no HTTP client would frame that way, sent over bare sockets
 * (test/support/raw-http.ts) to a server listening on loopback, with its log lines captured:
 * - a request is executed only when it is whole, and then it is answered: a body sent without
 *   Content-Length is refused and changes nothing; the answers of whole requests ahead of garbage
 *   in a pipeline all arrive, in order, before the 400 for the garbage and the close;
 * - a body in a content coding or a charset the API does not take is 415, one that is not UTF-8
 *   400, and neither changes anything;
 * - a path out of the docs page's files is 404, with no error in the log;
 * - what Node's server refuses below the router (parse errors, no Host, headers too large, a slow
 *   request, CONNECT) answers the API's error body with X-Request-Id, and is logged under that id;
 * - a caller's well-formed X-Request-Id is kept in the header, the error body and the log.
 * State is the array's tables hashed and the counts of sessions and jobs (stateSnapshot), before and
 * after each refused request. The figures print as `# protocol …` lines.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import pino from "pino";
import { loggerOptions } from "../../src/http/observability.ts";
import { head, type RawAnswer, type RawExchange, rawExchange } from "../support/raw-http.ts";
import { stateSnapshot } from "../support/reliability.ts";
import { ADMIN_PASSWORD, basic, SIMPLE, startServer, type TestServer } from "../support/server.ts";

/** Short, so that the slow request's 408 comes within a test's patience. */
const REQUEST_TIMEOUT_MS = 1000;
const VOLUMES = `${SIMPLE}/volumes`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const logs: Record<string, unknown>[] = [];
let s: TestServer;
let port: number;
let volumeIds: number[];
let serverId: number;

const auth = () => ({ Authorization: `Session ${s.adminToken}` });
const json = (body: unknown) => JSON.stringify(body);

// biome-ignore lint/suspicious/noExplicitAny: a command-status or an answer read by tests
async function ok(r: { status: number; body: unknown; text: string }, status = 202): Promise<any> {
  assert.equal(r.status, status, r.text);
  return status === 202 ? s.waitJob(r.body as { statusResource: string }) : r.body;
}

before(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line));
      done();
    },
  });
  s = await startServer(
    { BLOCKPLANE_SEED_POOL: "on", BLOCKPLANE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
    { logger: pino(loggerOptions("info"), sink) },
  );
  await s.bp.app.listen({ port: 0, host: "127.0.0.1" });
  port = (s.bp.app.server.address() as AddressInfo).port;
  const pools = await s.get(`${SIMPLE}/pools`);
  const poolId = pools.body.data[0].id;
  const made = await ok(await s.post(VOLUMES, { poolId, capacity: 100, number: 6 }));
  volumeIds = made.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId));
  const server = await ok(await s.post(`${SIMPLE}/servers`, { serverNickname: "raw", protocol: "FC" }));
  serverId = Number(server.operationDetails[0].resourceId);
  const wwn = "50060e8000c0ffee";
  await ok(await s.post(`${SIMPLE}/servers/${serverId}/hbas`, { hbas: [{ hbaWwn: wwn }] }));
  await ok(await s.post(`${SIMPLE}/servers/${serverId}/paths`, { hbaWwn: wwn, portIds: ["CL1-A"] }));
  await ok(
    await s.post(`${SIMPLE}/volume-server-connections`, {
      volumeIds: [volumeIds[0]],
      serverIds: [serverId],
    }),
  );
});
after(async () => {
  await s?.close();
});

/** The API's error body, its request id the answer's header, with `status` and `messageId`. */
function assertErrorAnswer(a: RawAnswer | undefined, status: number, messageId: string): RawAnswer {
  assert.ok(a, "an answer");
  assert.equal(a.status, status, a.text);
  assert.match(a.headers["content-type"] ?? "", /^application\/json/);
  assert.equal(typeof a.body?.errorSource, "string", a.text);
  assert.equal(a.body.messageId, messageId, a.text);
  assert.equal(typeof a.body.message, "string");
  assert.ok(a.headers["x-request-id"], "X-Request-Id");
  assert.equal(a.body.requestId, a.headers["x-request-id"]);
  return a;
}

function statuses(ex: RawExchange): number[] {
  return ex.answers.map((a) => a.status);
}

/** Runs `send` and checks that the array, the sessions and the jobs are as they were before it. */
async function unchanged<T>(send: () => Promise<T>): Promise<T> {
  const before = await stateSnapshot(s.bp.store.db);
  const result = await send();
  // A job queued by mistake would be in the store by now; so would a change done in the handler.
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await stateSnapshot(s.bp.store.db), before, "nothing changed");
  return result;
}

/** A session of the admin's own, other than the test's. */
async function spareSession(): Promise<string> {
  const r = await s.post(`${SIMPLE}/sessions`, undefined, {
    token: null,
    headers: { authorization: basic("admin", ADMIN_PASSWORD) },
  });
  assert.equal(r.status, 200, r.text);
  return r.body.sessionId;
}

describe("framing", () => {
  test("a body sent without Content-Length is refused with 400, and nothing is done", async () => {
    const spare = await spareSession();
    const cases: [string, string, Record<string, string>, string][] = [
      ["DELETE", `${VOLUMES}/${volumeIds[1]}`, auth(), json({ force: true })],
      ["DELETE", `${SIMPLE}/sessions/${spare}`, auth(), "{}"],
      ["DELETE", `${SIMPLE}/servers/${serverId}`, auth(), json({ keepLunConfig: true })],
      ["PATCH", `${VOLUMES}/${volumeIds[1]}`, auth(), json({ nickname: "unframed" })],
      ["POST", VOLUMES, auth(), json({ poolId: 0, capacity: 100 })],
      ["POST", `${SIMPLE}/sessions`, { Authorization: basic("admin", ADMIN_PASSWORD) }, "{}"],
    ];
    for (const [method, url, headers, body] of cases) {
      const ex = await unchanged(() => rawExchange(port, [head(method, url, headers) + body]));
      assert.deepEqual(statuses(ex), [400], `${method} ${url}`);
      const a = assertErrorAnswer(ex.answers[0], 400, "KART40048-E");
      assert.equal(a.body.errorSource, url);
      assert.match(a.body.message, /without Content-Length/);
      assert.ok(ex.closed, "the connection is closed");
    }
    // The spare session still serves: its deletion was refused.
    assert.equal((await s.get(`${SIMPLE}/storage`, { token: spare })).status, 200);
    console.log(
      `# protocol (unframed bodies): ${cases.length} requests of 3 methods refused with 400, 0 changes`,
    );
  });

  test("the answers of whole requests ahead of garbage arrive in order, then 400 and the close", async () => {
    // Two whole requests and garbage in one write: both executed, both answered.
    const renamed = volumeIds[2] as number;
    const rename = json({ nickname: "piped" });
    const piped = await rawExchange(port, [
      head("GET", `${SIMPLE}/storage`, auth()) +
        head("PATCH", `${VOLUMES}/${renamed}`, {
          ...auth(),
          "Content-Type": "application/json",
          "Content-Length": String(rename.length),
        }) +
        rename +
        "GARBAGE\r\n\r\n",
    ]);
    assert.deepEqual(statuses(piped), [200, 200, 400]);
    assert.equal(piped.answers[0]?.body.modelName, "VSP E1090");
    assertErrorAnswer(piped.answers[2], 400, "KART40048-E");
    assert.equal(piped.answers[2]?.body.errorSource, "");
    assert.ok(piped.closed);
    assert.equal((await s.get(`${VOLUMES}/${renamed}`)).body.nickname, "piped");

    // A framed DELETE (Content-Length: 0) before garbage runs and says so.
    const deleted = volumeIds[3] as number;
    const framed = await rawExchange(port, [
      `${head("DELETE", `${VOLUMES}/${deleted}`, { ...auth(), "Content-Length": "0" })}{"x":1}`,
    ]);
    assert.deepEqual(statuses(framed), [202, 400]);
    await s.waitJob(framed.answers[0]?.body);
    assert.equal((await s.get(`${VOLUMES}/${deleted}`)).status, 404);

    // A broken request after a whole one: the whole one is answered first.
    const broken = await unchanged(() =>
      rawExchange(port, [
        `${head("GET", `${SIMPLE}/storage`, auth())}GET / HTTP/1.1\r\nHost localhost\r\n\r\n`,
      ]),
    );
    assert.deepEqual(statuses(broken), [200, 400]);
    assertErrorAnswer(broken.answers[1], 400, "KART40048-E");

    // A body that arrives after its request ran (here: after its answer) is the next request's
    // garbage: the request was executed, and its answer comes before the 400.
    const late = volumeIds[4] as number;
    const lateEx = await rawExchange(port, [head("DELETE", `${VOLUMES}/${late}`, auth()), '{"x":1}'], {
      afterAnswer: true,
    });
    assert.deepEqual(statuses(lateEx), [202, 400]);
    await s.waitJob(lateEx.answers[0]?.body);
    assert.equal((await s.get(`${VOLUMES}/${late}`)).status, 404);
    console.log(
      "# protocol (pipelines): 4 pipelines ending in garbage, every whole request answered before the 400 (2+1+1+1 answers), each closed",
    );
  });

  test("a chunked body broken mid-way is answered 400 once and changes nothing", async () => {
    const ex = await unchanged(() =>
      rawExchange(port, [
        `${head("POST", VOLUMES, { ...auth(), "Content-Type": "application/json", "Transfer-Encoding": "chunked" })}5\r\n{"poo\r\nZZ\r\n`,
      ]),
    );
    assert.deepEqual(statuses(ex), [400]);
    assertErrorAnswer(ex.answers[0], 400, "KART40048-E");
    assert.ok(ex.closed);
  });
});

describe("content coding and charset", () => {
  const target = () => `${VOLUMES}/${volumeIds[5]}`;
  const patch = (headers: Record<string, string>, body: Buffer) =>
    rawExchange(port, [
      Buffer.concat([
        Buffer.from(
          head("PATCH", target(), {
            ...auth(),
            "Content-Type": "application/json",
            "Content-Length": String(body.length),
            Connection: "close",
            ...headers,
          }),
        ),
        body,
      ]),
    ]);

  test("a Content-Encoding or a charset the API does not take is 415, and nothing changes", async () => {
    const plain = Buffer.from(json({ nickname: "encoded" }));
    const cases: [string, Record<string, string>, Buffer][] = [
      ["plain body labelled gzip", { "Content-Encoding": "gzip" }, plain],
      ["gzip body", { "Content-Encoding": "gzip" }, gzipSync(plain)],
      ["br", { "Content-Encoding": "br" }, plain],
      ["two codings", { "Content-Encoding": "gzip, identity" }, plain],
      ["latin-1", { "Content-Type": "application/json; charset=iso-8859-1" }, plain],
      [
        "UTF-16",
        { "Content-Type": "application/json; charset=utf-16le" },
        Buffer.from(plain.toString(), "utf16le"),
      ],
      ["unknown charset", { "Content-Type": 'application/json; charset="klingon"' }, plain],
    ];
    for (const [name, headers, body] of cases) {
      const ex = await unchanged(() => patch(headers, body));
      const a = assertErrorAnswer(ex.answers[0], 415, "KART40061-E");
      assert.match(a.body.message, /Content-Encoding|charset/, name);
    }
    console.log(`# protocol (content coding): ${cases.length} bodies refused with 415, 0 changes`);
  });

  test("a body that is not UTF-8 is 400, and nothing changes", async () => {
    // The maintenance message takes any text: read as U+FFFD, these bytes would start maintenance.
    const put = (body: Buffer) =>
      rawExchange(port, [
        Buffer.concat([
          Buffer.from(
            head("PUT", "/blockplane/v1/maintenance", {
              ...auth(),
              "Content-Type": "application/json",
              "Content-Length": String(body.length),
              Connection: "close",
            }),
          ),
          body,
        ]),
      ]);
    const invalid = [
      [0xc3, 0x28], // a lead byte without its continuation
      [0xed, 0xa0, 0x80], // a surrogate
      [0xc0, 0xaf], // an overlong "/"
      [0xff],
    ];
    for (const bytes of invalid) {
      const body = Buffer.concat([Buffer.from('{"message":"down '), Buffer.from(bytes), Buffer.from('"}')]);
      const ex = await unchanged(() => put(body));
      const a = assertErrorAnswer(ex.answers[0], 400, "KART40048-E");
      assert.match(a.body.message, /not valid UTF-8/);
    }
    // Nor in the simple API's fields, which have patterns of their own.
    const nickname = Buffer.concat([
      Buffer.from('{"nickname":"bad'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const a = assertErrorAnswer((await unchanged(() => patch({}, nickname))).answers[0], 400, "KART40048-E");
    assert.match(a.body.message, /not valid UTF-8/);
  });

  test("identity, and UTF-8 by any of its names, are taken", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ "Content-Encoding": "identity" }, "ident"],
      [{ "Content-Type": 'application/json; charset="UTF-8"' }, "quoted"],
      [{ "Content-Type": "application/json;charset=utf8" }, "alias"],
      [{}, "plain"],
    ];
    for (const [headers, nickname] of cases) {
      const ex = await patch(headers, Buffer.from(json({ nickname })));
      assert.equal(ex.answers[0]?.status, 200, ex.answers[0]?.text);
      assert.equal((await s.get(target())).body.nickname, nickname);
    }
  });
});

describe("the docs page's files", () => {
  test("a path out of their directory is 404 with the error body, without credentials, and logs no error", async () => {
    const from = logs.length;
    const paths = [
      "/blockplane/v1/docs/static/../../package.json",
      "/blockplane/v1/docs/static/../../../../../../etc/passwd",
      "/blockplane/v1/docs/static/./../../src/main.ts",
      "/blockplane/v1/docs/static/..%2f..%2fpackage.json",
      "/blockplane/v1/docs/static/..\\..\\package.json",
    ];
    for (const path of paths) {
      const ex = await rawExchange(port, [head("GET", path, { Connection: "close" })]);
      const a = assertErrorAnswer(ex.answers[0], 404, "KART20009-E");
      assert.equal(a.body.errorSource, path);
    }
    // The files' other refusals are the client's too: 400, not 500.
    const range = await rawExchange(port, [
      head("GET", "/blockplane/v1/docs/static/swagger-ui.css", {
        Range: "bytes=99999999-",
        Connection: "close",
      }),
    ]);
    assertErrorAnswer(range.answers[0], 400, "KART40048-E");
    const bad = logs
      .slice(from)
      .filter((l) => Number(l.level) >= 50 || JSON.stringify(l).includes('"stack"'));
    assert.deepEqual(bad, [], "no error and no stack in the log");
    console.log(`# protocol (docs): ${paths.length} paths out of the docs' files 404, 0 error lines logged`);
  });
});

describe("below the router", () => {
  /** Sends `data` on its own connection and checks the one answer, its close and its log line. */
  async function refused(data: string, status: number, messageId: string, waitMs?: number) {
    const ex = await unchanged(() => rawExchange(port, [data], waitMs ? { waitMs } : {}));
    assert.equal(ex.answers.length, 1, JSON.stringify(ex.answers));
    const a = assertErrorAnswer(ex.answers[0], status, messageId);
    assert.match(a.body.requestId, UUID);
    assert.ok(
      logs.some((l) => l.reqId === a.body.requestId),
      `a log line names ${a.body.requestId}`,
    );
    return { ex, a };
  }

  test("every refusal answers the API's error body with X-Request-Id, and is logged under it", async () => {
    const parser = await refused("GET / HTTP/1.1\r\nHost localhost\r\n\r\n", 400, "KART40048-E");
    assert.ok(parser.ex.closed);
    await refused("FOO / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "KART40048-E");
    const noHost = await refused(
      head("GET", `${SIMPLE}/storage`, { ...auth(), Connection: "close" }, { host: false }),
      400,
      "KART40048-E",
    );
    assert.match(noHost.a.body.message, /Host/);
    assert.equal(noHost.a.body.errorSource, `${SIMPLE}/storage`);
    const big = await refused(head("GET", "/healthz", { "X-Big": "a".repeat(20_000) }), 431, "KART40048-E");
    assert.ok(big.ex.closed);
    const connect = await refused(
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
      404,
      "KART20009-E",
    );
    assert.equal(connect.a.body.errorSource, "example.com:443");
    assert.ok(connect.ex.closed);
    // Half a request, then nothing.
    const slow = await refused(
      "GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
      408,
      "KART40048-E",
      REQUEST_TIMEOUT_MS + 5000,
    );
    assert.ok(slow.ex.closed);
    assert.ok(slow.ex.elapsedMs >= REQUEST_TIMEOUT_MS - 50, `408 after ${slow.ex.elapsedMs} ms`);
    // Node looks for late requests every second here (every 30 s by default).
    assert.ok(slow.ex.elapsedMs <= REQUEST_TIMEOUT_MS + 4000, `408 after ${slow.ex.elapsedMs} ms`);
    console.log(
      `# protocol (below the router): parse error 400, unknown method 400, no Host 400, 20 kB header 431, CONNECT 404, slow request 408 after ${slow.ex.elapsedMs} ms (request timeout ${REQUEST_TIMEOUT_MS} ms); each with the error body and a logged request id`,
    );
  });
});

describe("request ids", () => {
  const ask = (url: string, id: string | string[]) => {
    const ids = [id].flat();
    const lines = ids.map((v) => `X-Request-Id: ${v}\r\n`).join("");
    return rawExchange(port, [
      `GET ${url} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Session ${s.adminToken}\r\n${lines}Connection: close\r\n\r\n`,
    ]);
  };

  test("a well-formed id of the caller's is kept in the header, the error body and the log", async () => {
    for (const id of ["trace-42:abc.DEF_9", "x".repeat(128), "7"]) {
      const served = (await ask(`${SIMPLE}/storage`, id)).answers[0];
      assert.equal(served?.status, 200);
      assert.equal(served?.headers["x-request-id"], id);
      const missing = assertErrorAnswer(
        (await ask(`${SIMPLE}/nothing-here`, id)).answers[0],
        404,
        "KART20009-E",
      );
      assert.equal(missing.body.requestId, id);
      assert.ok(logs.filter((l) => l.reqId === id).length >= 4, `the log names ${id}`);
    }
  });

  test("a malformed id is replaced by a fresh one, not refused", async () => {
    const malformed: (string | string[])[] = [
      "x".repeat(129),
      "has space",
      "a/b",
      "ünï",
      "<script>",
      ["a", "b"],
    ];
    for (const id of malformed) {
      const a = (await ask(`${SIMPLE}/storage`, id)).answers[0];
      assert.equal(a?.status, 200, JSON.stringify(id));
      assert.match(a?.headers["x-request-id"] ?? "", UUID, JSON.stringify(id));
    }
    // An empty one too.
    const empty = await rawExchange(port, [
      `GET /nothing-here HTTP/1.1\r\nHost: localhost\r\nX-Request-Id:\r\nConnection: close\r\n\r\n`,
    ]);
    assert.match(assertErrorAnswer(empty.answers[0], 404, "KART20009-E").body.requestId, UUID);
    console.log(
      `# protocol (request ids): 3 well-formed ids kept, ${malformed.length + 1} malformed replaced`,
    );
  });
});
