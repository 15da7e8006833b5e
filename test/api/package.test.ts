/**
 * The npm package: packed from this checkout and installed with `npm install -g` into a scratch
 * prefix (test/support/package.ts), it holds the compiled code and no sources, installs no
 * TypeScript tooling, and `blockplane serve` runs from it on plain Node; the CLI and the SDK
 * (`blockplane/client`) of the install talk to that server, and the SDK's declarations type-check
 * a consumer with plain tsc.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { type CommandServer, type Installed, packAndInstall, startCommand } from "../support/package.ts";
import { cleanEnv, httpRequest, ROOT, tempDir } from "../support/process.ts";
import { freshDatabase } from "../support/server.ts";

const run = promisify(execFile);
const PASSWORD = "package-test-password";

describe("package", { timeout: 300_000 }, () => {
  let scratch: string;
  let installed: Installed;
  let server: CommandServer | undefined;
  before(async () => {
    scratch = tempDir("blockplane-package-");
    installed = await packAndInstall(scratch);
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test("the tarball holds the compiled code, the command and the notices, and no sources", () => {
    for (const file of [
      "package.json",
      "README.md",
      "bin/blockplane.mjs",
      "dist/main.js",
      "dist/server.cjs",
      "dist/index.js",
      "dist/cli.js",
      "dist/client.js",
      "dist/THIRD-PARTY-NOTICES.md",
    ]) {
      assert.ok(installed.files.includes(file), `${file} is missing from ${installed.files.join(", ")}`);
    }
    const sources = installed.files.filter((f) => /^(src|test|scripts|bench)\//.test(f) || f.endsWith(".ts"));
    assert.deepEqual(
      sources.filter((f) => !f.endsWith(".d.ts")),
      [],
    );
  });

  test("the install has no TypeScript tooling: tsx, esbuild and typescript are not needed", () => {
    const modules = fs.readdirSync(path.join(installed.packageDir, "node_modules"));
    assert.deepEqual(
      modules.filter((m) => ["tsx", "esbuild", "typescript"].includes(m)),
      [],
    );
  });

  test("blockplane serve --port 0 from the install answers /readyz; its CLI logs in and reads the storage", async () => {
    const dataDir = path.join(scratch, "data");
    const testDatabase = process.env.BLOCKPLANE_TEST_DATABASE_URL;
    const store = testDatabase ? ["--database-url", await freshDatabase(testDatabase)] : [];
    server = await startCommand(
      installed.bin,
      [
        "serve",
        "--port",
        "0",
        "--data-dir",
        dataDir,
        ...store,
        "--log-level",
        "info",
        "--admin-password",
        PASSWORD,
      ],
      // Away from the checkout: nothing resolves to its node_modules.
      { cwd: scratch },
    );
    const ready = await httpRequest(`${server.url}/readyz`, "GET");
    assert.equal(ready.status, 200);

    const env = cleanEnv({ BLOCKPLANE_CONFIG_DIR: path.join(scratch, "config") });
    const cli = (...args: string[]) => run(installed.bin, args, { cwd: scratch, env });
    const login = await cli("login", "--url", server.url, "--user", "admin", "--password", PASSWORD);
    assert.match(login.stdout, /Logged in/);
    const storage = await cli("storage", "get");
    assert.match(storage.stdout, /VSP E1090/);
  });

  test("blockplane/client imports from the install and calls the server", async () => {
    assert.ok(server, "the server of the test before");
    const consumer = path.join(scratch, "consumer");
    fs.mkdirSync(path.join(consumer, "node_modules"), { recursive: true });
    fs.symlinkSync(installed.packageDir, path.join(consumer, "node_modules/blockplane"));
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ type: "module" }));
    fs.writeFileSync(
      path.join(consumer, "call.js"),
      [
        'import { createClient } from "blockplane/client";',
        "const [baseUrl, password] = process.argv.slice(2);",
        'const bp = createClient({ baseUrl, user: "admin", password });',
        'const storage = await bp.GET("/ConfigurationManager/simple/v1/objects/storage");',
        "await bp.close();",
        "process.stdout.write(JSON.stringify(storage));",
      ].join("\n"),
    );
    const called = await run(process.execPath, ["call.js", server.url, PASSWORD], {
      cwd: consumer,
      env: cleanEnv(),
    });
    const storage = JSON.parse(called.stdout);
    assert.equal(storage.ok, true);
    assert.equal(storage.data.modelName, "VSP E1090");
  });

  test("the SDK's declarations type-check a consumer with plain tsc", async () => {
    const consumer = path.join(scratch, "typed");
    fs.mkdirSync(path.join(consumer, "node_modules"), { recursive: true });
    fs.symlinkSync(installed.packageDir, path.join(consumer, "node_modules/blockplane"));
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ type: "module" }));
    fs.writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [path.join(ROOT, "node_modules/@types")],
          types: ["node"],
        },
        files: ["use.ts"],
      }),
    );
    const use = (body: string) =>
      fs.writeFileSync(
        path.join(consumer, "use.ts"),
        [
          'import { createClient, type Result } from "blockplane/client";',
          'const bp = createClient({ baseUrl: "http://127.0.0.1:8080", user: "admin", password: "x" });',
          body,
        ].join("\n"),
      );
    const tsc = () =>
      run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", consumer], {
        cwd: consumer,
      });
    use(
      [
        'const pools = await bp.GET("/ConfigurationManager/simple/v1/objects/pools");',
        "const ids: number[] = pools.ok ? pools.data.data.map((p) => p.id) : [];",
        "const r: Result<unknown> = pools;",
        "export { ids, r };",
      ].join("\n"),
    );
    await tsc();
    // And the types do check: a path the API does not have is an error (at line 3, the call).
    use('await bp.GET("/ConfigurationManager/simple/v1/objects/nope");');
    await assert.rejects(tsc(), (err: { stdout: string }) => /use\.ts\(3,/.test(err.stdout));
  });
});
