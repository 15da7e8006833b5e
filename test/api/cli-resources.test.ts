/**
 * The `blockplane` resource commands against a real server process: the whole lifecycle (pool,
 * volumes, server with HBAs and paths, connections, snapshots, deleting everything), output forms,
 * jobs, and the exit codes: 0 ok, 1 API error or failed job, 2 usage, 3 partial success.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { progressBar } from "../../src/cli/progress.ts";
import { CliUser } from "../support/cli.ts";
import { killAllServers, runCli, type ServerProcess, startServerProcess } from "../support/process.ts";

const ADMIN_PASSWORD = "cli-resources-password";

describe("blockplane resource commands", { timeout: 180_000 }, () => {
  let server: ServerProcess;
  const user = new CliUser("blockplane-cli-res-");
  const cli = (args: string[], env: Record<string, string> = {}) => user.run(args, env);
  const json = (args: string[]) => user.json(args);
  const created = (status: { operationDetails: { operationType: string; resourceId: string }[] }) =>
    status.operationDetails.filter((d) => d.operationType === "CREATE").map((d) => d.resourceId);

  before(async () => {
    server = await startServerProcess({
      // Overload shedding off: a busy test machine must not turn these commands' requests into 503s.
      env: { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD, BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0" },
    });
    user.removeLater(server.dataDir);
    await user.login(server.url, "admin", ADMIN_PASSWORD);
  });
  after(async () => {
    await killAllServers();
    user.cleanup();
  });

  test("the whole lifecycle through the CLI, deleting everything at the end", async () => {
    const drives = await json(["drives", "list", "--free"]);
    assert.ok(drives.count >= 5);

    const pool = await json(["pools", "create", "--name", "cli-pool", "--drive", "SNB5A-R1R9NC:5:RAID5"]);
    assert.equal(pool.status, "normal");
    const poolId = created(pool)[0] as string;

    const volumes = await json([
      "volumes",
      "create",
      "--pool-id",
      poolId,
      "--capacity",
      "1G",
      "--number",
      "3",
      "--nickname",
      "clivol",
      "--start-number",
      "1",
    ]);
    const volumeIds = created(volumes);
    assert.equal(volumeIds.length, 3);
    const table = await cli(["volumes", "list", "--pool-id", poolId]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+NICKNAME\s+POOL\s+CAPACITY/);
    assert.match(table.stdout, /clivol2\s+\d+\s+1 GiB/);

    const server1 = await json(["servers", "create", "--nickname", "cli-host", "--protocol", "FC"]);
    const serverId = created(server1)[0] as string;
    const wwns = ["100000109b1a2d01", "100000109b1a2d02"];
    const hbas = await json([
      "servers",
      "hbas",
      "add",
      serverId,
      "--wwn",
      wwns[0] as string,
      "--wwn",
      wwns[1] as string,
    ]);
    assert.equal(created(hbas).length, 2);
    await Promise.all(
      wwns.map((wwn) =>
        json(["servers", "paths", "add", serverId, "--hba", wwn, "--port", "CL1-A", "--port", "CL2-A"]),
      ),
    );
    const [host, paths] = await Promise.all([
      json(["servers", "get", serverId]),
      json(["servers", "paths", "list", serverId]),
    ]);
    assert.equal(host.numberOfPaths, 4);
    assert.equal(paths.count, 4);

    const connected = await json([
      "connections",
      "create",
      "--volume",
      volumeIds.join(","),
      "--server",
      serverId,
    ]);
    assert.equal(created(connected).length, 3);
    const connections = await json(["connections", "list", "--server-id", serverId]);
    assert.equal(connections.count, 3);

    const snapshots = await json([
      "snapshots",
      "create",
      "--volume",
      volumeIds.join(","),
      "--pool-id",
      poolId,
      "--group",
      "cli group",
    ]);
    assert.equal(created(snapshots).length, 3);
    assert.equal((await json(["snapshots", "groups", "get", "cli group"])).count, 3);

    // Deleting, in the order the array requires; several IDs run one job each.
    const words = await cli(["snapshots", "groups", "delete", "cli group"]);
    assert.equal(words.code, 0, words.stderr);
    assert.match(words.stdout, /^Deleted Snapshot /);
    const disconnect = await cli(["connections", "delete", ...volumeIds.map((v) => `${v},${serverId}`)]);
    assert.equal(disconnect.code, 0, disconnect.stderr);
    assert.equal(disconnect.stdout.trim().split("\n").length, 3);
    const [serverGone, volumesGone] = await Promise.all([
      cli(["servers", "delete", serverId]),
      cli(["volumes", "delete", ...volumeIds]),
    ]);
    assert.equal(serverGone.code, 0, serverGone.stderr);
    assert.equal(volumesGone.code, 0, volumesGone.stderr);
    assert.equal((await cli(["pools", "delete", poolId])).code, 0);

    const gone = await cli(["pools", "get", poolId]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^blockplane: .*does not exist.*\[KART30013-E\]/);
    assert.equal(gone.stdout, "");
  });

  describe("exit codes and jobs", { concurrency: true }, () => {
    let poolId: string;
    let volumeId: string;
    before(async () => {
      const pool = await json(["pools", "create", "--name", "cli-codes", "--drive", "SNR5A-R960NC:5:RAID5"]);
      poolId = created(pool)[0] as string;
      volumeId = created(
        await json(["volumes", "create", "--pool-id", poolId, "--capacity", "100"]),
      )[0] as string;
    });

    test("a multi-resource job that partly fails exits 3, naming every failure and what was done", async () => {
      const args = [
        "snapshots",
        "create",
        "--volume",
        `${volumeId},65000`,
        "--pool-id",
        poolId,
        "--group",
        "cli-partial",
      ];
      const r = await cli(args);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /1 item\(s\) failed:\n {2}- job \d+: .*65000/);
      assert.match(r.stderr, /1 item\(s\) done:\n {2}- CREATE Snapshot /);
      const asJson = await cli([...args.slice(0, -1), "cli-partial-2", "--json"]);
      assert.equal(asJson.code, 3);
      // The failed items' command-statuses, one per failed snapshot.
      const failed = JSON.parse(asJson.stdout);
      assert.equal(failed.length, 1);
      assert.equal(failed[0].status, "error");
      assert.match(failed[0].errorMessage, /65000/);
    });

    test("a job that fails exits 1 with its message and SSB code", async () => {
      const r = await cli(["pools", "delete", poolId]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^blockplane: Job \d+ failed: .*\(SSB1 2e11, SSB2 001f\)/m);
    });

    test("a 400 exits 1 with the server's message", async () => {
      const r = await cli([
        "volumes",
        "create",
        "--pool-id",
        poolId,
        "--capacity",
        "100",
        "--nickname",
        "bad*name",
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /baseName.*\[KART40048-E\]/);
    });

    test("usage errors exit 2 before calling the server", async () => {
      const results = await Promise.all([
        cli(["volumes", "get", "abc"]),
        cli(["volumes", "create", "--capacity", "1G"]),
        cli(["volumes", "create", "--pool-id", "0", "--capacity", "lots"]),
        cli(["volumes", "update", "1"]),
        cli(["pools", "create", "--name", "x", "--drive", "nonsense"]),
        cli(["connections", "get", "12"]),
        cli(["servers", "create", "--nickname", "x"]),
      ]);
      for (const r of results) assert.equal(r.code, 2, r.stderr);
      assert.match(results[2]?.stderr ?? "", /Not a capacity/);
      assert.match(results[3]?.stderr ?? "", /Give either --nickname or --saving/);
    });

    test("--no-wait prints the job; jobs wait, get and delete work on it", async () => {
      const r = await cli(["volumes", "expand", volumeId, "--capacity", "10", "--no-wait"]);
      assert.equal(r.code, 0, r.stderr);
      const id = /Accepted: job (\d+)/.exec(r.stdout)?.[1];
      assert.ok(id, r.stdout);
      const waited = await cli(["jobs", "wait", id]);
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stdout, /Updated Volume /);
      const status = await json([
        "jobs",
        "get",
        `/ConfigurationManager/simple/v1/objects/command-status/${id}`,
      ]);
      assert.equal(status.progress, "completed");
      assert.equal((await cli(["jobs", "delete", id])).code, 0);
      assert.equal((await cli(["jobs", "get", id])).code, 1);
    });

    test("without a terminal, waiting shows no progress bar", async () => {
      const r = await cli(["volumes", "update", volumeId, "--saving", "COMPRESSION"]);
      assert.equal(r.code, 0, r.stderr);
      // Only a note of a busy server's retry may appear (a loaded test machine): never the bar.
      assert.doesNotMatch(r.stderr, /\r|waiting for the job|\[=+/);
      assert.match(r.stdout, /^Updated Volume \d+\.\n$/);
    });

    test("on a terminal the progress bar shows the job's state on stderr, and clears its line at the end", () => {
      const written: string[] = [];
      const terminal = {
        isTTY: true,
        write: (t: string) => written.push(t),
      } as unknown as NodeJS.WriteStream;
      const bar = progressBar(terminal, "waiting for the job");
      bar.update({ id: 1, progress: "processing" });
      bar.stop();
      const CLEAR = "\r\u001b[2K";
      assert.ok(written[0]?.startsWith(`${CLEAR}waiting for the job [`), written[0]);
      assert.match(written[0] ?? "", /\] unexecuted \d+\.\ds$/);
      assert.equal(written.at(-1), CLEAR);
      const pipe = { isTTY: false, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream;
      const before = written.length;
      progressBar(pipe, "x").stop();
      assert.equal(written.length, before);
    });

    test("ports: list as a table, update synchronously", async () => {
      const list = await cli(["ports", "list", "--protocol", "FC"]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^ID\s+PROTOCOL\s+SPEED\s+SECURITY/);
      assert.match(list.stdout, /\nCL1-A\s+FC\s/);
      const changed = await json(["ports", "update", "CL3-B", "--security", "off"]);
      assert.deepEqual(changed.operationDetails, [
        { operationType: "UPDATE", resourceType: "Port", resourceId: "CL3-B" },
      ]);
      assert.equal((await json(["ports", "get", "CL3-B"])).portSecurity, false);
    });

    test("--help names every resource command", async () => {
      const r = await cli(["--help"]);
      assert.equal(r.code, 0);
      for (const c of [
        "pools",
        "drives",
        "volumes",
        "servers",
        "ports",
        "connections",
        "snapshots",
        "jobs",
        "maintenance",
        "faults",
      ]) {
        assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
      }
    });
  });

  describe("sessions", { concurrency: true }, () => {
    const staleSession = () => {
      const dir = user.freshDir();
      fs.writeFileSync(
        path.join(dir, "session.json"),
        JSON.stringify({ url: server.url, user: "admin", token: "0".repeat(32), sessionId: 999 }),
        { mode: 0o600 },
      );
      return dir;
    };

    test("an invalid session exits 1 and says to log in again", async () => {
      const r = await runCli(["volumes", "list"], { BLOCKPLANE_CONFIG_DIR: staleSession() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /The specified token is invalid.*blockplane login/s);
    });

    test("with BLOCKPLANE_PASSWORD an invalid session is renewed, and the new one saved", async () => {
      const dir = staleSession();
      const r = await runCli(["pools", "list"], {
        BLOCKPLANE_CONFIG_DIR: dir,
        BLOCKPLANE_PASSWORD: ADMIN_PASSWORD,
      });
      assert.equal(r.code, 0, r.stderr);
      const saved = JSON.parse(fs.readFileSync(path.join(dir, "session.json"), "utf8"));
      assert.notEqual(saved.token, "0".repeat(32));
      assert.match(saved.token, /^[0-9a-f]{32}$/);
    });
  });
});
