/**
 * `blockplane faults` against real server processes: rules added, listed, felt by the API and
 * removed through the CLI; the server's refusals and the CLI's own checks; reset-array's
 * confirmation; and, on a server without faults, the plain statement that they are not enabled.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CliUser } from "../support/cli.ts";
import { killAllServers, type ServerProcess, startServerProcess } from "../support/process.ts";
import { SIMPLE } from "../support/server.ts";

const ADMIN_PASSWORD = "cli-faults-password";
const NOT_ENABLED = /^blockplane: Fault injection is not enabled on http:\/\/127\.0\.0\.1:\d+: .*--faults on/;

describe("blockplane faults", { timeout: 180_000 }, () => {
  let faulty: ServerProcess;
  let plain: ServerProcess;
  let plainConfig: string;
  const user = new CliUser("blockplane-cli-faults-");
  const cli = (args: string[]) => user.run(args);
  const json = (args: string[]) => user.json(args);
  /** A GET of the API with the CLI's own session, bypassing the CLI's retries of a 503. */
  const apiGet = (url: string) => user.apiGet(faulty.url, url);

  before(async () => {
    // Overload shedding off: a busy test machine must not add 503s of its own.
    const env = { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD, BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0" };
    [faulty, plain] = await Promise.all([
      startServerProcess({ env: { ...env, BLOCKPLANE_FAULTS: "on" } }),
      startServerProcess({ env }),
    ]);
    user.removeLater(faulty.dataDir);
    user.removeLater(plain.dataDir);
    [user.config, plainConfig] = await Promise.all([
      user.login(faulty.url, "admin", ADMIN_PASSWORD, { keep: true }),
      user.login(plain.url, "admin", ADMIN_PASSWORD, { keep: true }),
    ]);
  });
  after(async () => {
    await killAllServers();
    user.cleanup();
  });

  test("add a rule, see it listed and answering 503, delete it; add more and clear them", async () => {
    assert.equal((await json(["faults", "list"])).count, 0);

    const busy = await json([
      "faults",
      "add",
      "--id",
      "busy-storage",
      "--action",
      "busy",
      "--method",
      "get",
      "--path",
      `${SIMPLE}/storage`,
      "--retry-after",
      "7",
    ]);
    assert.equal(busy.id, "busy-storage");
    assert.equal(busy.scope, "request");
    assert.deepEqual(busy.match, { method: "GET", path: `${SIMPLE}/storage` });
    assert.equal(busy.retryAfterSeconds, 7);

    const listed = await json(["faults", "list"]);
    assert.deepEqual(
      listed.data.map((r: { id: string }) => r.id),
      ["busy-storage"],
    );
    const table = await cli(["faults", "list"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+ACTION\s+SCOPE\s+MATCH\s+SETTINGS\s+FIRES\n/);
    assert.match(
      table.stdout,
      /\nbusy-storage\s+busy\s+request\s+GET \S+\/storage\s+retryAfterSeconds=7\s+unlimited\n/,
    );

    const refused = await apiGet(`${SIMPLE}/storage`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["retry-after"], "7");
    assert.equal(refused.body.messageId, "KART00003-E");

    const removed = await json(["faults", "delete", "busy-storage"]);
    assert.deepEqual(removed.operationDetails, [
      { operationType: "DELETE", resourceType: "FaultRule", resourceId: "busy-storage" },
    ]);
    assert.equal((await apiGet(`${SIMPLE}/storage`)).status, 200);

    // --rule's JSON with flags laid over it, match fields merged one by one.
    const failItem = await json([
      "faults",
      "add",
      "--rule",
      '{"match":{"operation":"createVolumes"},"action":"fail-item","count":5}',
      "--item",
      "3",
      "--error-code",
      "2e11:b0b0",
      "--count",
      "1",
    ]);
    assert.equal(failItem.scope, "device");
    assert.deepEqual(failItem.match, { operation: "createVolumes", item: 3 });
    assert.deepEqual(failItem.errorCode, { SSB1: "2e11", SSB2: "b0b0" });
    assert.equal(failItem.remaining, 1);

    const latency = await cli([
      "faults",
      "add",
      "--action",
      "latency",
      "--resource-type",
      "Volume",
      "--latency-ms",
      "50",
    ]);
    assert.equal(latency.code, 0, latency.stderr);
    const latencyId = /^Added fault rule (\S+)\.\n/.exec(latency.stdout)?.[1];
    assert.ok(latencyId, latency.stdout);
    assert.match(latency.stdout, /\nsettings\s+latencyMs=50\n/);
    assert.equal((await json(["faults", "get", latencyId])).latencyMs, 50);

    const cleared = await cli(["faults", "clear"]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(cleared.stdout, `Deleted FaultRule ${failItem.id} ${latencyId}.\n`);
    assert.equal((await json(["faults", "list"])).count, 0);
    assert.equal((await cli(["faults", "clear"])).stdout, "There were no fault rules.\n");
  });

  test("the server's refusals exit 1 with its message; the CLI's own checks exit 2", async () => {
    const [misfit, unknown, noAction, badCode] = await Promise.all([
      cli(["faults", "add", "--action", "busy", "--latency-ms", "5"]),
      cli(["faults", "delete", "no-such-rule"]),
      cli(["faults", "add", "--method", "GET"]),
      cli(["faults", "add", "--action", "fail-item", "--error-code", "2e11"]),
    ]);
    assert.equal(misfit.code, 1);
    assert.match(misfit.stderr, /"latencyMs" does not apply to action "busy".*\[KART40048-E\]/);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /The fault rule no-such-rule does not exist/);
    assert.equal(noAction.code, 2);
    assert.match(noAction.stderr, /Give --action/);
    assert.equal(badCode.code, 2);
    assert.match(badCode.stderr, /SSB1:SSB2/);
    assert.equal((await json(["faults", "list"])).count, 0);
  });

  test("reset-array needs --yes without a terminal, then returns the array to its factory state", async () => {
    await json(["pools", "create", "--name", "before-reset", "--drive", "SNB5A-R1R9NC:5:RAID5"]);
    const unconfirmed = await cli(["faults", "reset-array"]);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /confirm with --yes/);
    assert.equal((await json(["pools", "list"])).count, 1);

    const reset = await cli(["faults", "reset-array", "--yes"]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, "The array is back to its factory state.\n");
    assert.equal((await json(["pools", "list"])).count, 0);
  });

  test("on a server without faults, every faults command says they are not enabled and exits 1", async () => {
    const results = await Promise.all(
      [
        ["faults", "list"],
        ["faults", "add", "--action", "busy"],
        ["faults", "delete", "some-rule"],
        ["faults", "clear"],
        ["faults", "reset-array", "--yes"],
      ].map((args) => user.run(args, { BLOCKPLANE_CONFIG_DIR: plainConfig })),
    );
    for (const r of results) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, NOT_ENABLED);
      assert.equal(r.stdout, "");
    }
  });
});
