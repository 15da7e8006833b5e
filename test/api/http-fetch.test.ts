/**
 * The CLI's fetch over node:http (src/cli/http-fetch.ts) answers as Node's fetch does, against a
 * server listening on a real port: statuses, headers and bodies, bodies sent, answers without a
 * body, and failures (no server, an aborted request) rejected the same way.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { httpFetch } from "../../src/cli/http-fetch.ts";
import { createClient } from "../../src/client/index.ts";
import { freePort } from "../support/process.ts";
import { ADMIN_PASSWORD, basic, SIMPLE, startServer, type TestServer } from "../support/server.ts";

describe("the CLI's fetch", { timeout: 120_000 }, () => {
  let server: TestServer;
  let base: string;
  before(async () => {
    server = await startServer();
    await server.bp.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(server.bp.app.server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  /** The same request through both fetches: status, the headers both carry, and the body. */
  async function both(url: string, init: RequestInit = {}) {
    const answers = [];
    for (const f of [httpFetch, (r: Request) => fetch(r)]) {
      const r = await f(new Request(`${base}${url}`, init));
      answers.push({
        status: r.status,
        ok: r.ok,
        type: r.headers.get("content-type"),
        retryAfter: r.headers.get("retry-after"),
        body: await r.text(),
      });
    }
    return answers;
  }

  const session = { authorization: `Session ${"x".repeat(32)}`, accept: "application/json" };

  test("answers as fetch: a JSON document, an error body, a refusal", async () => {
    const [ours, theirs] = await both(`${SIMPLE}/storage`, {
      headers: { authorization: `Session ${server.adminToken}` },
    });
    assert.equal(ours?.status, 200);
    assert.equal(JSON.parse(ours?.body ?? "").modelName, JSON.parse(theirs?.body ?? "").modelName);
    assert.equal(ours?.type, theirs?.type);

    const [bad, badToo] = await both(`${SIMPLE}/storage`, { headers: session });
    assert.equal(bad?.status, 401);
    assert.equal(bad?.status, badToo?.status);
    assert.equal(JSON.parse(bad?.body ?? "").messageId, JSON.parse(badToo?.body ?? "").messageId);
  });

  test("sends a body; an answer without one has none", async () => {
    const login = await httpFetch(
      new Request(`${base}${SIMPLE}/sessions`, {
        method: "POST",
        headers: { authorization: basic("admin", ADMIN_PASSWORD), "content-type": "application/json" },
        body: JSON.stringify({ aliveTime: 30 }),
      }),
    );
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    assert.match(token, /^[0-9a-f]{32}$/);

    const [head, headToo] = await both("/healthz", { method: "HEAD" });
    assert.deepEqual(head, headToo);
    assert.equal(head?.body, "");
  });

  test("fails as fetch: no server is a TypeError with the network error as cause; an abort its reason", async () => {
    // A port nothing listens on (fetch refuses port 1 and other "bad ports" before connecting).
    const nowhere = new Request(`http://127.0.0.1:${await freePort()}/`);
    const ours = await httpFetch(nowhere).catch((e: unknown) => e);
    const theirs = await fetch(nowhere.clone()).catch((e: unknown) => e);
    assert.ok(ours instanceof TypeError);
    assert.ok(theirs instanceof TypeError);
    const code = (e: unknown) => ((e as Error).cause as { code?: string }).code;
    assert.equal(code(ours), "ECONNREFUSED");
    assert.equal(code(ours), code(theirs));

    const aborted = await httpFetch(new Request(`${base}/healthz`, { signal: AbortSignal.abort() })).catch(
      (e: unknown) => e,
    );
    assert.equal((aborted as Error).name, "AbortError");
  });

  test("the SDK works over it as over fetch", async () => {
    const bp = createClient({ baseUrl: base, user: "admin", password: ADMIN_PASSWORD, fetch: httpFetch });
    const storage = await bp.GET("/ConfigurationManager/simple/v1/objects/storage");
    assert.equal(storage.ok, true);
    const missing = await bp.GET("/ConfigurationManager/simple/v1/objects/pools/{id}", {
      params: { path: { id: 99 } },
    });
    assert.equal(missing.ok, false);
    assert.equal(missing.ok ? 0 : missing.status, 404);
    await bp.close();
  });
});
