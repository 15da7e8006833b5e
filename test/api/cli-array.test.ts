/**
 * `blockplane array export|reset` against a real server process: the export on stdout and in a
 * file, which a new server takes with --seed; the reset's confirmation; a user without the role
 * refused by the server.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CliUser } from "../support/cli.ts";
import { httpRequest, killAllServers, type ServerProcess, startServerProcess } from "../support/process.ts";
import { basic, SIMPLE } from "../support/server.ts";

const ADMIN_PASSWORD = "cli-array-password";

describe("blockplane array", { timeout: 180_000 }, () => {
  let server: ServerProcess;
  const user = new CliUser("blockplane-cli-array-");
  const cli = (args: string[], dir = user.config) => user.run(args, { BLOCKPLANE_CONFIG_DIR: dir });
  /** A config dir logged in to `s`, beside the current one. */
  const login = (s: ServerProcess, name = "admin", password = ADMIN_PASSWORD) =>
    user.login(s.url, name, password, { keep: true });

  before(async () => {
    const env = { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD, BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0" };
    server = await startServerProcess({ env });
    user.removeLater(server.dataDir);
    user.config = await login(server);
    const made = await cli(["pools", "create", "--name", "cli-pool", "--drive", "SNR5A-R960NC:5:RAID5"]);
    assert.equal(made.code, 0, made.stderr);
    const vols = await cli(["volumes", "create", "--pool-id", "0", "--capacity", "1G", "--number", "2"]);
    assert.equal(vols.code, 0, vols.stderr);
  });
  after(async () => {
    await killAllServers();
    user.cleanup();
  });

  test("export prints the array document; --file writes it, and a server seeded from it has the same array", async () => {
    const printed = await cli(["array", "export"]);
    assert.equal(printed.code, 0, printed.stderr);
    const doc = JSON.parse(printed.stdout);
    assert.equal(doc.format, "blockplane-array/1");
    assert.equal(doc.volumes.length, 2);
    assert.ok(doc.users.every((u: object) => !("passwordHash" in u)));

    const file = path.join(user.freshDir(), "fixture.json");
    const written = await cli(["array", "export", "--file", file, "--password-hashes"]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(
      written.stdout,
      /^Exported the VSP E1090 of http:\/\/127\.0\.0\.1:\d+ \(1 pools, 2 volumes, 0 servers, 0 snapshots, 1 users\) to .*fixture\.json\.\n$/,
    );
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, "a file with hashes is its owner's only");
    const withHashes = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.match(withHashes.users[0].passwordHash, /^\$argon2id\$/);

    // No --admin-password: the admin's hash comes from the file, so the same password logs in.
    const seeded = await startServerProcess({ args: ["--seed", file] });
    user.removeLater(seeded.dataDir);
    const r = await httpRequest(`${seeded.url}${SIMPLE}/sessions`, "POST", {
      authorization: basic("admin", ADMIN_PASSWORD),
    });
    assert.equal(r.status, 200);
    const seededConfig = await login(seeded);
    const again = await cli(["array", "export", "--password-hashes"], seededConfig);
    assert.deepEqual(JSON.parse(again.stdout), withHashes);
  });

  test("reset needs --yes without a terminal, then returns the array to its factory state", async () => {
    const unconfirmed = await cli(["array", "reset"]);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /confirm with --yes/);
    assert.equal(JSON.parse((await cli(["pools", "list", "--json"])).stdout).count, 1);

    const reset = await cli(["array", "reset", "--yes"]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, "The array is back to its factory state.\n");
    assert.equal(JSON.parse((await cli(["pools", "list", "--json"])).stdout).count, 0);
    const asJson = await cli(["array", "reset", "--yes", "--json"]);
    assert.deepEqual(JSON.parse(asJson.stdout).operationDetails, [
      { operationType: "UPDATE", resourceType: "Storage", resourceId: "instance" },
    ]);
  });

  test("a user without the Security Administrator role is refused by the server, exit 1", async () => {
    const made = await cli([
      "users",
      "create",
      "--name",
      "viewer",
      "--password",
      "viewer-password",
      "--role",
      "Storage Administrator (View Only)",
    ]);
    assert.equal(made.code, 0, made.stderr);
    const viewer = await login(server, "viewer", "viewer-password");
    for (const args of [
      ["array", "export"],
      ["array", "reset", "--yes"],
    ]) {
      const r = await cli(args, viewer);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /Security Administrator \(View & Modify\).*KART40049-E/);
      assert.equal(r.stdout, "");
    }
  });

  test("an export to a file that cannot be written exits 2", async () => {
    const r = await cli(["array", "export", "--file", "/nonexistent-dir/fixture.json"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^blockplane: Cannot write \/nonexistent-dir\/fixture\.json: ENOENT\.\n$/);
  });
});
