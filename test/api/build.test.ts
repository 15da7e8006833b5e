/**
 * The build (scripts/build.mjs): `npm start` builds dist/ when it is missing and runs it, a build
 * is redone only when a source is newer than the last, and what the CLI and the SDK load at start
 * holds none of the server's packages.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ensureBuilt, META } from "../../scripts/build.mjs";
import { startCommand } from "../support/package.ts";
import { cleanEnv, httpRequest, ROOT, tempDir } from "../support/process.ts";

const BUILD_TREE = [
  "src",
  "scripts",
  "bin",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "tsconfig.build.json",
];

/** A copy of the checkout's sources and build inputs, sharing its node_modules, with no dist/. */
function checkoutCopy(): string {
  const dir = tempDir("blockplane-build-");
  for (const entry of BUILD_TREE) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

interface Output {
  imports: { path: string; kind: string; external?: boolean }[];
  inputs: Record<string, unknown>;
}

/** The packages an output and every chunk it imports statically (not lazily) hold or import. */
function packagesLoadedAtStart(output: string): Set<string> {
  const outputs: Record<string, Output> = JSON.parse(fs.readFileSync(META, "utf8")).outputs;
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [output];
  while (queue.length > 0) {
    const next = queue.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    const out = outputs[next];
    assert.ok(out, `${next} is not in ${META}`);
    for (const input of Object.keys(out.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m?.[1]) packages.add(m[1]);
    }
    for (const i of out.imports) {
      if (i.kind !== "import-statement") continue;
      if (i.external) {
        if (!i.path.startsWith("node:")) packages.add(i.path);
      } else queue.push(i.path);
    }
  }
  return packages;
}

describe("build", { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test("npm start builds a missing dist/ and serves from it", async () => {
    const copy = checkoutCopy();
    dirs.push(copy);
    const server = await startCommand(
      "npm",
      ["start", "--", "--port", "0", "--data-dir", path.join(copy, "data"), "--log-level", "info"],
      { cwd: copy, env: cleanEnv() },
    );
    try {
      assert.ok(fs.existsSync(path.join(copy, "dist/main.js")));
      const ready = await httpRequest(`${server.url}/readyz`, "GET");
      assert.equal(ready.status, 200);
    } finally {
      await server.stop();
    }
  });

  test("a build is redone only when a source is newer than the last", () => {
    const copy = checkoutCopy();
    dirs.push(copy);
    const build = () =>
      execFileSync(process.execPath, ["scripts/build.mjs", "--if-stale"], {
        cwd: copy,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    const run = (what: string) => {
      const started = fs.statSync(path.join(copy, "dist/.stamp"), { throwIfNoEntry: false })?.mtimeMs;
      build();
      const stamp = fs.statSync(path.join(copy, "dist/.stamp")).mtimeMs;
      return { what, rebuilt: stamp !== started };
    };
    assert.deepEqual(run("missing"), { what: "missing", rebuilt: true });
    assert.deepEqual(run("unchanged"), { what: "unchanged", rebuilt: false });
    // A source saved after the build (the stamp has the time the build started).
    const now = new Date();
    fs.utimesSync(path.join(copy, "src/domain/roles.ts"), now, now);
    assert.deepEqual(run("newer source"), { what: "newer source", rebuilt: true });
    assert.deepEqual(run("unchanged again"), { what: "unchanged again", rebuilt: false });
    // A file added, then removed: each changes its directory.
    const added = path.join(copy, "src/domain/added.ts");
    fs.writeFileSync(added, "export {};\n");
    assert.deepEqual(run("added source"), { what: "added source", rebuilt: true });
    fs.rmSync(added);
    assert.deepEqual(run("removed source"), { what: "removed source", rebuilt: true });
  });

  test("the CLI and the SDK load none of the server's packages at start", async () => {
    await ensureBuilt();
    const server = ["fastify", "kysely", "typebox", "pino", "ajv", "better-sqlite3", "pg", "@node-rs/argon2"];
    const cli = packagesLoadedAtStart("dist/cli.js");
    assert.deepEqual(
      server.filter((p) => cli.has(p)),
      [],
      `the CLI loads ${[...cli].join(", ")}`,
    );
    assert.deepEqual([...packagesLoadedAtStart("dist/client.js")], ["openapi-fetch"]);
  });

  test("the server's bundle loads node:https and node:http2 only when a server needs them", async () => {
    await ensureBuilt();
    // Node's list of the built-in modules it has loaded, before and after loading the bundle (and
    // Fastify's server module in it). An HTTPS server still gets them: test/api/process.test.ts.
    const script = `
      const before = new Set(process.moduleLoadList);
      const server = require(${JSON.stringify(path.join(ROOT, "dist/server.cjs"))});
      const loaded = () => process.moduleLoadList.filter((m) => !before.has(m) && /^NativeModule (https|http2)$/.test(m));
      const atLoad = loaded();
      process.stdout.write(JSON.stringify({ exports: typeof server.assemble, atLoad }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" }));
    assert.deepEqual(out, { exports: "function", atLoad: [] });
  });

  test("the server's router compiles its functions once per distinct text, not per route", async () => {
    await ensureBuilt();
    // Every function compiled from text (new Function) while the API's routes are declared.
    const script = `
      const server = require(${JSON.stringify(path.join(ROOT, "dist/server.cjs"))});
      const Compile = Function;
      let compiled = 0;
      globalThis.Function = new Proxy(Compile, {
        construct: (target, args) => (compiled++, Reflect.construct(target, args)),
        apply: (target, self, args) => (compiled++, Reflect.apply(target, self, args)),
      });
      (async () => {
        const bp = await server.assemble(server.loadConfig(["--store", "memory"], {}), { deferInitialAdmin: true });
        await bp.app.ready();
        const routes = bp.app.routeCatalog.length;
        const found = bp.app.routeCatalog.every((r) => bp.app.hasRoute({ method: r.method, url: r.url }));
        await bp.close();
        process.stdout.write(JSON.stringify({ compiled, routes, found }));
      })();
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" }));
    assert.ok(out.routes > 100, `routes: ${out.routes}`);
    assert.equal(out.found, true);
    assert.ok(out.compiled < out.routes, `${out.compiled} functions compiled for ${out.routes} routes`);
  });

  test("the server's bundle opens a SQLite store with better-sqlite3's addon by its path", async () => {
    await ensureBuilt();
    // What Node's CommonJS loader has loaded once a store is open: the bundle holds
    // better-sqlite3's JavaScript, so only the addon itself, and not the bindings package.
    const script = `
      const server = require(${JSON.stringify(path.join(ROOT, "dist/server.cjs"))});
      (async () => {
        const bp = await server.assemble(server.loadConfig(["--store", "memory"], {}), { deferInitialAdmin: true });
        const ready = await bp.app.inject({ method: "GET", url: "/readyz" });
        await bp.close();
        const files = Object.keys(require.cache).filter((f) => /better-sqlite3|[\\/]bindings[\\/]/.test(f));
        process.stdout.write(JSON.stringify({ ready: ready.statusCode, files }));
      })();
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" }));
    assert.deepEqual(out, {
      ready: 200,
      files: [
        fs.realpathSync(path.join(ROOT, "node_modules/better-sqlite3/build/Release/better_sqlite3.node")),
      ],
    });
  });
});
