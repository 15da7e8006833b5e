/**
 * A real client's whole sequence against a server started with the README's command (`npm start`):
 * session, storage instance, pool, 10 volumes, a server with 2 WWNs, connections, snapshots, and
 * deleting everything, polling every command-status (scripts/client-sequence.mjs).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { after, test } from "node:test";
import { cleanEnv, freePort, ROOT, tempDir } from "../support/process.ts";
import { freshDatabase } from "../support/server.ts";

const PASSWORD = "sequence-password";
let stopServer: (() => void) | undefined;
after(() => stopServer?.());

test("the client sequence runs green against `npm start`", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const testDatabase = process.env.BLOCKPLANE_TEST_DATABASE_URL;
  const env = cleanEnv(
    {
      BLOCKPLANE_PORT: String(port),
      BLOCKPLANE_DATA_DIR: path.join(tempDir(), "data"),
      BLOCKPLANE_ADMIN_PASSWORD: PASSWORD,
      ...(testDatabase ? { BLOCKPLANE_DATABASE_URL: await freshDatabase(testDatabase) } : {}),
    },
    // The README's command on its own defaults: the default model and its seeded pool.
    false,
  );
  // Its own process group, so that npm, the shell and the server stop together.
  const npm = spawn("npm", ["start"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  stopServer = () => {
    if (npm.exitCode === null) process.kill(-(npm.pid as number), "SIGTERM");
  };
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const watch = (d: Buffer) => {
      output += d.toString();
      if (output.includes("blockplane is listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    npm.stdout?.on("data", watch);
    npm.stderr?.on("data", watch);
    npm.on("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });

  const run = spawnSync(
    process.execPath,
    ["scripts/client-sequence.mjs", `http://127.0.0.1:${port}`, "admin", PASSWORD],
    { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(run.status, 0, `client sequence failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /client sequence: every step passed/);
  for (const step of [
    "create 10 volumes",
    "register a server with 2 WWNs",
    "snapshot them",
    "delete everything",
  ]) {
    assert.ok(run.stdout.includes(step), `step "${step}" ran`);
  }
});
