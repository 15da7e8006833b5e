/**
 * What the server leaves for later to start fast, and that it still does it when asked: route
 * schemas compile at their route's first use (and every one of them is a valid schema that
 * compiles).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

describe("lazy start", { timeout: 120_000 }, () => {
  let s: TestServer;
  before(async () => {
    // With the fault-injection API: every route there is.
    s = await startServer({ BLOCKPLANE_FAULTS: "on" });
  });
  after(() => s.close());

  test("a started server has compiled only the schemas of the routes it has served", async () => {
    // Starting the test server served one login; hundreds of routes wait.
    const atStart = s.bp.app.schemas.counts;
    assert.ok(atStart.compiled <= 5, `compiled at start: ${JSON.stringify(atStart)}`);
    assert.ok(atStart.pending > 500, `pending at start: ${JSON.stringify(atStart)}`);

    const r = await s.get(`${SIMPLE}/storage`);
    assert.equal(r.status, 200);
    const afterOne = s.bp.app.schemas.counts;
    assert.ok(afterOne.compiled > atStart.compiled, "the route's schemas compiled at its first request");
    assert.equal(afterOne.compiled + afterOne.pending, atStart.compiled + atStart.pending);

    // Served again, nothing more compiles.
    assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200);
    assert.deepEqual(s.bp.app.schemas.counts, afterOne);
  });

  test("a validator compiled on first use refuses as one compiled at start did", async () => {
    const first = await s.get(`${SIMPLE}/pools?nope=1`);
    const second = await s.get(`${SIMPLE}/pools?nope=1`);
    assert.equal(first.status, 400);
    assert.equal(second.status, 400);
    assert.equal(first.body.message, second.body.message);
  });

  test("every request schema of every route is valid JSON Schema", () => {
    // The server's Ajv skips the meta-schema check to start fast; it is made here instead.
    const ajv = new Ajv({ strict: false });
    for (const part of s.bp.app.schemas.requestSchemas) {
      assert.ok(
        ajv.validateSchema(part.schema as object),
        `${part.method} ${part.url} ${part.httpPart}: ${ajv.errorsText(ajv.errors)}`,
      );
    }
  });

  test("every schema of every route compiles", () => {
    s.bp.app.schemas.compileAll();
    assert.equal(s.bp.app.schemas.counts.pending, 0);
  });
});
