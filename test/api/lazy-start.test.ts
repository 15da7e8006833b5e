/**
 * What the server leaves for later to start fast, and that it still does it when asked: route
 * schemas compile at their route's first use (and every one of them is a valid schema that
 * compiles), the OpenAPI document is made at its first request, and the documentation pages load
 * at their first request, answering as before.
 */
import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import { Type } from "typebox";
import { OPENAPI_PATH, validatorCompiler } from "../../src/http/app.ts";
import { openApiPath } from "../../src/http/openapi-document.ts";
import { METRICS_PATH } from "../../src/http/routes/health.ts";
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

  test("a query that must be empty passes without Ajv when it is, and is refused by Ajv when not", async (t) => {
    const compiles = t.mock.method(Ajv.prototype, "compile");
    const validate = validatorCompiler()({
      schema: Type.Object({}, { additionalProperties: false }),
      httpPart: "querystring",
      method: "GET",
      url: "/readyz",
    }) as ((data: unknown) => boolean) & { errors?: { keyword: string; params: object }[] | null };
    assert.equal(validate({}), true);
    assert.equal(validate(Object.create(null)), true);
    assert.equal(compiles.mock.callCount(), 0, "no schema compiled for an empty query");
    assert.equal(validate({ nope: "1" }), false);
    assert.equal(compiles.mock.callCount(), 1);
    assert.deepEqual(
      validate.errors?.map((e) => [e.keyword, e.params]),
      [["additionalProperties", { additionalProperty: "nope" }]],
    );
    assert.equal(validate({}), true);
    assert.equal(validate.errors, null);
    compiles.mock.restore();
    // Through the API: the probe answers an empty query, and refuses another as every route does.
    assert.equal((await s.get("/readyz", { token: null })).status, 200);
    const refused = await s.get("/readyz?nope=1", { token: null });
    const other = await s.get(`${SIMPLE}/storage?nope=1`);
    assert.equal(refused.status, 400);
    assert.equal(other.status, 400);
    assert.equal(refused.body.message, other.body.message);
  });

  test("the OpenAPI document is made at its first request, once, and names every route of the catalog", async () => {
    // swagger is not registered on the API's app: the document has an app of its own.
    assert.equal(s.bp.app.hasDecorator("swagger"), false);
    const first = await s.get(OPENAPI_PATH, { token: null });
    assert.equal(first.status, 200);
    const paths = first.body.paths as Record<string, Record<string, unknown>>;
    // (The Prometheus text of /metrics is hidden from the document: no JSON operation.)
    const missing = s.bp.app.routeCatalog
      .filter((r) => r.url !== METRICS_PATH)
      .filter((r) => !paths[openApiPath(r.url)]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, []);
    // Made once: every later request answers the same document.
    assert.equal(await s.bp.app.openapi(), await s.bp.app.openapi());
    assert.deepEqual((await s.get(OPENAPI_PATH, { token: null })).body, first.body);
  });

  test("a GET route answers HEAD itself: the GET's headers and length, no body, no HEAD in the document", async () => {
    const get = await s.get(`${SIMPLE}/storage`);
    const head = await s.request("HEAD", `${SIMPLE}/storage`);
    assert.equal(get.status, 200);
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    assert.equal(head.headers["content-length"], String(Buffer.byteLength(get.text)));
    assert.equal(head.headers["content-type"], get.headers["content-type"]);
    // Refused as the GET is: authentication and validation run for HEAD as well.
    assert.equal((await s.request("HEAD", `${SIMPLE}/storage`, { token: null })).status, 401);
    assert.equal((await s.request("HEAD", `${SIMPLE}/storage?nope=1`)).status, 400);
    const document = await s.get(OPENAPI_PATH, { token: null });
    const withHead = Object.entries(document.body.paths as Record<string, object>)
      .filter(([, item]) => "head" in item)
      .map(([p]) => p);
    assert.deepEqual(withHead, []);
  });

  test("no route takes HEAD; over a real connection a HEAD is the GET's headers, length included, and no byte of body", async () => {
    assert.equal(s.bp.app.hasRoute({ method: "HEAD", url: `${SIMPLE}/storage` }), false);
    assert.equal(s.bp.app.hasRoute({ method: "GET", url: `${SIMPLE}/storage` }), true);
    await s.bp.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = s.bp.app.server.address() as AddressInfo;
    // The whole answer as sent, read off the socket until the server closes it.
    const raw = (method: string, url: string, token: string | null) =>
      new Promise<{ head: string; body: Buffer }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = net.connect(port, "127.0.0.1", () => {
          const auth = token === null ? "" : `Authorization: Session ${token}\r\n`;
          socket.write(`${method} ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`);
        });
        socket.on("data", (d: Buffer) => chunks.push(d));
        socket.on("error", reject);
        socket.on("end", () => {
          const all = Buffer.concat(chunks);
          const end = all.indexOf("\r\n\r\n");
          resolve({ head: all.subarray(0, end).toString("latin1"), body: all.subarray(end + 4) });
        });
      });
    const header = (head: string, name: string) =>
      new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1] ?? null;
    const paths: [string, string | null][] = [
      [`${SIMPLE}/storage`, s.adminToken], // JSON
      ["/blockplane/v1/docs/static/swagger-ui.css", null], // a file of the documentation pages
      ["/nope", null], // no route: the API's 404
    ];
    for (const [url, token] of paths) {
      const get = await raw("GET", url, token);
      const head = await raw("HEAD", url, token);
      assert.equal(head.head.split("\r\n")[0], get.head.split("\r\n")[0], url);
      assert.equal(header(head.head, "content-length"), String(get.body.length), url);
      assert.equal(header(head.head, "content-type"), header(get.head, "content-type"), url);
      assert.equal(head.body.length, 0, url);
    }
    // The request is a HEAD again once its route is found: the metrics say so.
    const metrics = await s.get("/metrics", { token: null });
    assert.match(
      metrics.text,
      /blockplane_http_requests_total\{method="HEAD",route="\/ConfigurationManager\/simple\/v1\/objects\/storage",status="200"\}/,
    );
    assert.match(
      metrics.text,
      /blockplane_http_requests_total\{method="HEAD",route="\(unmatched\)",status="404"\}/,
    );
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

  describe("the documentation pages, loaded at their first request", () => {
    const DOCS = "/blockplane/v1/docs";

    test("the page's document is the one the API serves", async () => {
      const page = await s.get(`${DOCS}/json`, { token: null });
      const api = await s.get(OPENAPI_PATH, { token: null });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body, api.body);
    });

    test("their files are served with their media types, a HEAD with the length and no body", async () => {
      const css = await s.get(`${DOCS}/static/swagger-ui.css`, { token: null });
      assert.equal(css.status, 200);
      assert.match(String(css.headers["content-type"]), /^text\/css/);
      const head = await s.request("HEAD", `${DOCS}/static/swagger-ui.css`, { token: null });
      assert.equal(head.status, 200);
      assert.equal(head.headers["content-length"], String(Buffer.byteLength(css.text)));
      assert.equal(head.text, "");
    });

    test("a path they do not serve is the API's 404", async () => {
      const r = await s.get(`${DOCS}/static/nope.js`, { token: null });
      assert.equal(r.status, 404);
      assert.equal(r.body.messageId, "KART20009-E");
      assert.ok(r.body.requestId);
    });
  });
});
