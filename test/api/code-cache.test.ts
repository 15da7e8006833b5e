/**
 * The server process of dist/ keeps V8's code cache of its bundle (src/bundle/code-cache.ts): a
 * start with none writes it once it is over (a second after it listens, or at exit if sooner), private
 * to the user, and a run that starts no server writes none; a start with it uses it
 * and leaves it as it is; a damaged cache is refused by V8 and written anew; "off" keeps none, and
 * neither does a process that asks for source maps (Node maps only what its own loader compiled).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { httpRequest, killAllServers, spawnServer, startServerProcess, tempDir } from "../support/process.ts";

describe("code cache", { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  after(async () => {
    await killAllServers();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Starts the server with `cacheDir`, checks that it answers, and stops it. */
  async function startAndStop(dataDir: string, cacheDir: string): Promise<void> {
    const server = await startServerProcess({ dataDir, env: { BLOCKPLANE_CODE_CACHE_DIR: cacheDir } });
    assert.equal((await httpRequest(`${server.url}/readyz`, "GET")).status, 200);
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  }

  const cacheFiles = (dir: string) =>
    fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".v8")) : [];

  test("written at the first exit, private; used as it is by the next start; a damaged one replaced", async () => {
    const root = tempDir();
    dirs.push(root);
    const cacheDir = path.join(root, "cache");
    const dataDir = path.join(root, "data");

    await startAndStop(dataDir, cacheDir);
    const [file] = cacheFiles(cacheDir);
    assert.ok(file, "a cache was written");
    assert.match(file, /^server\.cjs-[0-9a-f]{32}\.v8$/);
    const full = path.join(cacheDir, file);
    assert.equal(fs.statSync(cacheDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(full).mode & 0o777, 0o600);
    const written = fs.readFileSync(full);
    assert.ok(written.length > 100_000, `${written.length} bytes`);

    const before = fs.statSync(full).mtimeMs;
    await startAndStop(dataDir, cacheDir);
    assert.equal(fs.statSync(full).mtimeMs, before, "a cache that was used is not written again");

    fs.writeFileSync(full, "not a code cache");
    await startAndStop(dataDir, cacheDir);
    assert.deepEqual(cacheFiles(cacheDir), [file]);
    assert.ok(fs.readFileSync(full).length > 100_000, "the damaged cache was written anew");
  });

  test("written a second after the start, while the server runs; none after --help", async () => {
    const root = tempDir();
    dirs.push(root);
    const cacheDir = path.join(root, "cache");
    const help = await spawnServer({ args: ["--help"], env: { BLOCKPLANE_CODE_CACHE_DIR: cacheDir } });
    assert.deepEqual(await help.exited, { code: 0, signal: null });
    assert.deepEqual(cacheFiles(cacheDir), [], "a run that served nothing leaves no cache");

    // A cache written after a long run would miss the start's functions V8 has flushed meanwhile:
    // it is written while the server still runs, soon after its start.
    const server = await startServerProcess({
      dataDir: path.join(root, "data"),
      env: { BLOCKPLANE_CODE_CACHE_DIR: cacheDir },
    });
    const deadline = Date.now() + 30_000;
    while (cacheFiles(cacheDir).length === 0) {
      assert.ok(Date.now() < deadline, "no cache written while the server runs");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(server.child.exitCode, null, "written before any exit");
    const full = path.join(cacheDir, cacheFiles(cacheDir)[0] as string);
    const written = fs.statSync(full);
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    assert.equal(fs.statSync(full).mtimeMs, written.mtimeMs, "not written again at exit");
  });

  test("with source maps asked for, the bundle loads through Node's own loader, without a cache", async () => {
    const root = tempDir();
    dirs.push(root);
    const cacheDir = path.join(root, "cache");
    const server = await startServerProcess({
      dataDir: path.join(root, "data"),
      env: { BLOCKPLANE_CODE_CACHE_DIR: cacheDir, NODE_OPTIONS: "--enable-source-maps" },
    });
    assert.equal((await httpRequest(`${server.url}/readyz`, "GET")).status, 200);
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    assert.deepEqual(cacheFiles(cacheDir), []);
  });

  test('"off" keeps no cache', async () => {
    const root = tempDir();
    dirs.push(root);
    await startAndStop(path.join(root, "data"), "off");
    assert.deepEqual(
      fs.readdirSync(root).filter((f) => f !== "data"),
      [],
    );
    // And relative to the working directory, "off" names no directory either.
    assert.equal(fs.existsSync(path.resolve("off")), false);
  });
});
