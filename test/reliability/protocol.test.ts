/**
 * The HTTP layer against requests no HTTP client would frame that way, sent over bare sockets
 * (test/support/raw-http.ts) to a server listening on loopback, with its log lines captured:
 * - a body in a content coding or a charset the API does not take is 415, one that is not UTF-8
 *   400, and neither changes anything;
 * - a path out of the docs page's files is 404, with no error in the log;
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
import { head, type RawAnswer, rawExchange } from "../support/raw-http.ts";
import { stateSnapshot } from "../support/reliability.ts";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

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
  s = await startServer({ BLOCKPLANE_SEED_POOL: "on" }, { logger: pino(loggerOptions("info"), sink) });
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

/** Runs `send` and checks that the array, the sessions and the jobs are as they were before it. */
async function unchanged<T>(send: () => Promise<T>): Promise<T> {
  const before = await stateSnapshot(s.bp.store.db);
  const result = await send();
  // A job queued by mistake would be in the store by now; so would a change done in the handler.
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await stateSnapshot(s.bp.store.db), before, "nothing changed");
  return result;
}

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
