/**
 * The console's pages as HTTP (src/http/console-pages.ts): the page for a browser at /, the API's
 * JSON 404 there for every other client, its assets with ETag, long caching and 304, a strict
 * Content-Security-Policy on each, and GET /blockplane/v1/users/me, which tells the page who is
 * signed in. The pages in a browser: test/console/console.test.ts.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Fastify from "fastify";
import type { App } from "../../src/http/app.ts";
import { registerConsolePages } from "../../src/http/console-pages.ts";
import { startServer, type TestServer } from "../support/server.ts";

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

describe("console pages", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  const assetsOf = (html: string) =>
    [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1] as string);

  test("GET / for a browser is the console's page, under a CSP of this server only", async () => {
    const r = await s.get("/", { token: null, headers: HTML });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers["content-type"]), /^text\/html; charset=utf-8/);
    assert.match(r.text, /<div id="app"><\/div>/);
    const csp = String(r.headers["content-security-policy"]);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    assert.equal(r.headers["cache-control"], "no-cache");
    const assets = assetsOf(r.text);
    assert.equal(assets.length, 2, r.text);
    assert.ok(assets.some((a) => /\/console\/app-[A-Z0-9]+\.js$/.test(a)));
    assert.ok(assets.some((a) => /\/console\/app-[A-Z0-9]+\.css$/.test(a)));
    // Nothing inline: the CSP would refuse it.
    assert.doesNotMatch(r.text, /<script>|<style|style="/);
  });

  test("GET / for an API client is the API's JSON 404", async () => {
    const clients: Record<string, string>[] = [
      {},
      { accept: "application/json" },
      { accept: "*/*" },
      { accept: "application/json, text/html;q=0" },
    ];
    for (const headers of clients) {
      const r = await s.get("/", { headers });
      assert.equal(r.status, 404, JSON.stringify(headers));
      assert.match(String(r.headers["content-type"]), /^application\/json/);
      assert.equal(typeof r.body.messageId, "string");
      assert.equal(typeof r.body.message, "string");
    }
  });

  test("assets: ETag, immutable caching, 304 on a match, the CSP; an unknown one is 404", async () => {
    const page = await s.get("/", { token: null, headers: HTML });
    for (const asset of assetsOf(page.text)) {
      const r = await s.get(asset, { token: null });
      assert.equal(r.status, 200, asset);
      assert.match(
        String(r.headers["content-type"]),
        asset.endsWith(".js") ? /^text\/javascript/ : /^text\/css/,
      );
      assert.equal(r.headers["cache-control"], "public, max-age=31536000, immutable");
      assert.match(String(r.headers["content-security-policy"]), /default-src 'self'/);
      const etag = String(r.headers.etag);
      assert.match(etag, /^"[A-Za-z0-9_-]{22}"$/);
      const again = await s.get(asset, { token: null, headers: { "if-none-match": etag } });
      assert.equal(again.status, 304);
      assert.equal(again.text, "");
      const other = await s.get(asset, { token: null, headers: { "if-none-match": '"something-else"' } });
      assert.equal(other.status, 200);
    }
    const pageAgain = await s.get("/", {
      token: null,
      headers: { ...HTML, "if-none-match": String(page.headers.etag) },
    });
    assert.equal(pageAgain.status, 304);
    const missing = await s.get("/console/app-NOSUCH.js", { token: null });
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.messageId, "string");
    const index = await s.get("/console/index.html", { token: null });
    assert.equal(index.status, 404, "the page is served at / only");
  });

  test("the console's URLs are not API routes: no catalog entry, none in the OpenAPI document", async () => {
    assert.ok(!s.bp.app.routeCatalog.some((r) => r.url === "/" || r.url.startsWith("/console")));
    const doc = await s.get("/blockplane/v1/openapi.json", { token: null });
    assert.ok(!Object.keys(doc.body.paths).some((p) => p === "/" || p.startsWith("/console")));
  });

  test("where the console was not built, / says so to a browser (503), and assets are 404", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-console-"));
    const app = Fastify();
    try {
      registerConsolePages(app as unknown as App, { dir: empty });
      const page = await app.inject({ url: "/", headers: HTML });
      assert.equal(page.statusCode, 503);
      assert.match(page.body, /npm run build/);
      assert.match(String(page.headers["content-security-policy"]), /default-src 'self'/);
      assert.equal((await app.inject({ url: "/console/app.js" })).statusCode, 404);
    } finally {
      await app.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test("GET /blockplane/v1/users/me: the caller's own name and roles, for any role; 401 without a session", async () => {
    const admin = await s.get("/blockplane/v1/users/me");
    assert.equal(admin.status, 200, admin.text);
    assert.equal(admin.body.name, "admin");
    assert.ok(admin.body.roles.includes("Security Administrator (View & Modify)"));
    const viewer = await s.userToken("console-viewer", ["Storage Administrator (View Only)"]);
    const me = await s.get("/blockplane/v1/users/me", { token: viewer });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.body.roles, ["Storage Administrator (View Only)"]);
    assert.equal(me.body.name, "console-viewer");
    assert.equal(typeof me.body.id, "number");
    const anonymous = await s.get("/blockplane/v1/users/me", { token: null });
    assert.equal(anonymous.status, 401);
  });
});
