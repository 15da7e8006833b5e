/**
 * The fault-injection control API (docs/faults.md): rules of every action produce the contract's
 * 5xx answers (503 busy and maintenance with Retry-After, 504 timeout, 500/503 partial success),
 * a late answer after the deadline changes nothing, and reset returns the array to its factory
 * state. Faults disabled: the URLs do not exist. (Crash points: faults-crash.test.ts.)
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { transact } from "../../src/device/simulator/context.ts";
import { DeviceTimeout } from "../../src/domain/errors.ts";
import { simContext, sleep } from "../support/jobs.ts";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

const FAULTS = "/blockplane/v1/faults";
const RESET = `${FAULTS}/actions/reset-array/invoke`;
const RETRY_PHRASE = /wait for a while and try again/;
/** Long enough for any read of a loaded test machine; short enough to wait for in a test. */
const DEADLINE_MS = 1000;
const INJECTED = { SSB1: "2e11", SSB2: "b0b0" };
/** Free drives of the simulated array as it leaves the factory (simulator/seed.ts). */
const FACTORY_FREE_DRIVES = 24 + 24 + 16;

describe("fault injection", () => {
  let s: TestServer;
  let pool: number;

  before(async () => {
    s = await startServer({ BLOCKPLANE_FAULTS: "on", BLOCKPLANE_DEVICE_TIMEOUT_MS: String(DEADLINE_MS) });
    pool = await createPool("faults-pool");
  });
  afterEach(async () => {
    assert.equal((await s.delete(FAULTS)).status, 200);
  });
  after(() => s.close());

  async function createPool(name: string): Promise<number> {
    const r = await s.post(`${SIMPLE}/pools`, {
      name,
      drives: [{ driveTypeCode: "SNB5B-R3R8NC", dataDriveCount: 5, raidLevel: "RAID5" }],
    });
    assert.equal(r.status, 202, r.text);
    const job = await s.waitJob(r.body);
    assert.equal(job.status, "normal", JSON.stringify(job));
    return Number(job.operationDetails[0].resourceId);
  }
  async function addRule(rule: object) {
    const r = await s.post(FAULTS, rule);
    assert.equal(r.status, 200, r.text);
    return r.body;
  }
  async function volumeCount(): Promise<number> {
    const r = await s.get(`${SIMPLE}/storage`);
    assert.equal(r.status, 200, r.text);
    return r.body.numberOfTotalVolumes;
  }
  async function createVolumes(number: number) {
    const r = await s.post(`${SIMPLE}/volumes`, { poolId: pool, capacity: 1024, number });
    assert.equal(r.status, 202, r.text);
    return s.waitJob(r.body);
  }
  function assertErrorBody(body: Record<string, unknown>, source: string, messageId: string) {
    assert.equal(body.errorSource, source);
    assert.equal(body.messageId, messageId);
    assert.match(String(body.message), RETRY_PHRASE);
    assert.equal(typeof body.requestId, "string");
  }

  describe("rules", () => {
    test("add answers the rule with its id, scope and defaults; list, get and delete it", async () => {
      const rule = await addRule({ match: { operation: "storage" }, action: "busy", count: 2 });
      assert.match(rule.id, /^[A-Za-z0-9._-]+$/);
      assert.equal(rule.scope, "device");
      assert.equal(rule.probability, 1);
      assert.equal(rule.retryAfterSeconds, 5);
      assert.equal(rule.remaining, 2);
      assert.ok(!Number.isNaN(Date.parse(rule.createdTime)));

      const named = await addRule({
        id: "slow-pools",
        match: { path: `${SIMPLE}/pools` },
        action: "latency",
        latencyMs: 1,
      });
      assert.equal(named.id, "slow-pools");
      assert.equal(named.scope, "request");

      const list = await s.get(FAULTS);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.data.map((r: { id: string }) => r.id),
        [rule.id, "slow-pools"],
      );
      assert.equal(list.body.count, 2);
      assert.deepEqual((await s.get(`${FAULTS}/slow-pools`)).body, named);

      const del = await s.delete(`${FAULTS}/slow-pools`);
      assert.equal(del.status, 200);
      assert.deepEqual(del.body.operationDetails, [
        { operationType: "DELETE", resourceType: "FaultRule", resourceId: "slow-pools" },
      ]);
      assert.equal((await s.get(`${FAULTS}/slow-pools`)).status, 404);
      assert.equal((await s.delete(`${FAULTS}/slow-pools`)).status, 404);

      const all = await s.delete(FAULTS);
      assert.equal(all.status, 200);
      assert.deepEqual(all.body.affectedResources, [`${FAULTS}/${rule.id}`]);
      assert.equal((await s.get(FAULTS)).body.count, 0);
    });

    const invalid: [string, object][] = [
      ["an unknown operation", { match: { operation: "formatArray" }, action: "busy" }],
      ["an unknown resource type", { match: { resourceType: "Cable" }, action: "busy" }],
      ["fail-item on a request", { match: { path: "/x" }, action: "fail-item" }],
      ["latency without latencyMs", { action: "latency" }],
      ["a field of another action", { action: "busy", latencyMs: 5 }],
      ["a bad regular expression", { match: { path: "^(" }, action: "busy" }],
      ["crash without a point", { action: "crash" }],
      ["an unknown crash point", { action: "crash", point: "during-lunch" }],
      ["a crash point of no operation", { action: "crash", point: "before-formatArray" }],
      ["probability above 1", { action: "busy", probability: 1.5 }],
      ["count 0", { action: "busy", count: 0 }],
      ["an unknown action", { action: "explode" }],
      ["an unknown field", { action: "busy", severity: "high" }],
    ];
    for (const [what, rule] of invalid) {
      test(`${what} is 400`, async () => {
        const r = await s.post(FAULTS, rule);
        assert.equal(r.status, 400, r.text);
        assert.equal((await s.get(FAULTS)).body.count, 0);
      });
    }

    test("a duplicate id is 400", async () => {
      await addRule({ id: "twice", action: "busy", match: { operation: "health" } });
      const r = await s.post(FAULTS, { id: "twice", action: "busy", match: { operation: "health" } });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /exists already/);
    });

    test("a user without the Security Administrator role gets 403", async () => {
      const token = await s.userToken("fault-viewer", ["Storage Administrator (Provisioning)"]);
      assert.equal((await s.get(FAULTS, { token })).status, 403);
      assert.equal((await s.post(FAULTS, { action: "busy" }, { token })).status, 403);
      assert.equal((await s.post(RESET, undefined, { token })).status, 403);
    });
  });

  describe("503 busy", () => {
    test("a busy rule on a device operation answers 503 with Retry-After, once per count", async () => {
      const rule = await addRule({
        match: { operation: "storage" },
        action: "busy",
        retryAfterSeconds: 7,
        count: 1,
      });
      const r = await s.get(`${SIMPLE}/storage`);
      assert.equal(r.status, 503);
      assert.equal(r.headers["retry-after"], "7");
      assertErrorBody(r.body, `${SIMPLE}/storage`, "KART00003-E");
      assert.match(r.body.message, /The server might be temporarily busy/);
      assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200);
      assert.equal((await s.get(`${FAULTS}/${rule.id}`)).body.remaining, 0);
    });

    test("a rule with only method and path acts on the request before its handler", async () => {
      await addRule({
        match: { method: "get", path: `${SIMPLE}/pools` },
        action: "busy",
        message: "Pools are rebalancing.",
      });
      const r = await s.get(`${SIMPLE}/pools/${pool}`);
      assert.equal(r.status, 503);
      assert.match(r.body.message, /^The storage system is busy: Pools are rebalancing\. /);
      assert.equal(r.headers["retry-after"], "5");
      assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200, "other paths are not faulted");
      assert.equal((await s.get(FAULTS)).status, 200, "the fault API itself is never faulted");
    });

    test("a regular-expression path matches only what it says", async () => {
      await addRule({
        match: { path: "^/ConfigurationManager/simple/v1/objects/pools/\\d+$" },
        action: "busy",
      });
      assert.equal((await s.get(`${SIMPLE}/pools/${pool}`)).status, 503);
      assert.equal((await s.get(`${SIMPLE}/pools`)).status, 200);
    });

    test("probability 0 never fires", async () => {
      await addRule({ match: { operation: "storage" }, action: "busy", probability: 0 });
      for (let i = 0; i < 5; i++) assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200);
    });
  });

  describe("503 maintenance", () => {
    test("a maintenance window answers 503 with the window's remaining time as Retry-After", async () => {
      const rule = await addRule({
        match: { resourceType: "Storage" },
        action: "maintenance",
        durationSeconds: 30,
      });
      assert.ok(Date.parse(rule.windowEndTime) - Date.parse(rule.createdTime) === 30_000);
      const r = await s.get(`${SIMPLE}/health-status`);
      assert.equal(r.status, 503);
      assertErrorBody(r.body, `${SIMPLE}/health-status`, "KART70001-E");
      assert.match(r.body.message, /under maintenance/);
      const retry = Number(r.headers["retry-after"]);
      assert.ok(retry >= 1 && retry <= 30, `Retry-After ${retry}`);
      assert.equal((await s.get(`${SIMPLE}/pools`)).status, 200, "other resource types are not faulted");
    });
  });

  describe("504 timeout", () => {
    test("a call that never answers is 504 at the deadline", async () => {
      await addRule({ match: { operation: "storage" }, action: "timeout", count: 1 });
      const r = await s.get(`${SIMPLE}/storage`);
      assert.equal(r.status, 504);
      assertErrorBody(r.body, `${SIMPLE}/storage`, "KART70002-E");
      assert.equal(r.headers["retry-after"], undefined);
      assert.equal((await s.get(`${SIMPLE}/storage`)).status, 200);
    });

    test("a request-level timeout answers 504 after the deadline", async () => {
      await addRule({ match: { method: "GET", path: `${SIMPLE}/drives` }, action: "timeout" });
      const r = await s.get(`${SIMPLE}/drives`);
      assert.equal(r.status, 504);
      assert.equal(r.body.messageId, "KART70002-E");
    });

    test("a job item that times out every time fails with the timeout, and nothing was created", async () => {
      const before = await volumeCount();
      await addRule({ match: { operation: "createVolumes" }, action: "timeout" });
      const job = await createVolumes(2);
      assert.equal(job.status, "error");
      assert.match(job.errorMessage, /did not answer within 1000 ms/);
      assert.match(job.errorMessage, RETRY_PHRASE);
      assert.deepEqual(job.affectedResources, []);
      assert.equal(await volumeCount(), before, "a read after the timeout tells the truth");
    });

    test("a change whose deadline passes while it runs is rolled back, its key left free", async () => {
      const ctx = simContext(s);
      const controller = new AbortController();
      const change = transact(ctx, { signal: controller.signal, opKey: "late-change" }, async (tx) => {
        await tx.insertInto("array_meta").values({ key: "test.late-change", value: "1" }).execute();
        controller.abort();
        return "done";
      });
      await assert.rejects(change, DeviceTimeout);
      const db = s.bp.store.db;
      const row = await db
        .selectFrom("array_meta")
        .select("key")
        .where("key", "=", "test.late-change")
        .executeTakeFirst();
      assert.equal(row, undefined, "the change was rolled back");
      // The same key acts when tried again: nothing was recorded for it.
      const again = await transact(
        ctx,
        { signal: new AbortController().signal, opKey: "late-change" },
        async (tx) => {
          await tx.insertInto("array_meta").values({ key: "test.late-change", value: "2" }).execute();
          return "again";
        },
      );
      assert.equal(again, "again");
    });

    test("a late answer after the deadline changes nothing; the item's retry under its key does it once", async () => {
      const before = await volumeCount();
      // The first try reaches the array after its deadline; the retry (same key) goes straight through.
      await addRule({
        match: { operation: "createVolumes" },
        action: "latency",
        latencyMs: DEADLINE_MS * 2,
        count: 1,
      });
      const job = await createVolumes(3);
      assert.equal(job.status, "normal", JSON.stringify(job));
      assert.equal(job.affectedResources.length, 3);
      assert.equal(await volumeCount(), before + 3);
      // The late first try reaches the array now, with its deadline long past: it must add nothing.
      await sleep(DEADLINE_MS * 1.5);
      assert.equal(await volumeCount(), before + 3);
    });
  });

  describe("500/503 partial success", () => {
    test("a batch retried after a timeout refuses the same element, whatever the rules say by then", async () => {
      const before = await volumeCount();
      await addRule({ match: { operation: "createVolumes", item: 2 }, action: "fail-item", count: 1 });
      await addRule({
        match: { operation: "createVolumes" },
        action: "latency",
        latencyMs: DEADLINE_MS * 2,
        count: 1,
      });
      // Both rules are spent by the first try; its retry (same key) must still leave element 2 out.
      const job = await createVolumes(3);
      assert.equal(job.status, "error", JSON.stringify(job));
      assert.equal(job.affectedResources.length, 2);
      assert.equal(await volumeCount(), before + 2);
      await sleep(DEADLINE_MS * 1.5);
      assert.equal(await volumeCount(), before + 2, "the late first try added nothing");
    });

    test("fail-item on item 3 of POST volumes number=5: 4 done, 1 error with the rule's SSB code", async () => {
      const before = await volumeCount();
      await addRule({
        match: { operation: "createVolumes", item: 3 },
        action: "fail-item",
        errorCode: INJECTED,
        message: "The parity group is blocked.",
      });
      const job = await createVolumes(5);
      assert.equal(job.status, "error");
      assert.equal(job.affectedResources.length, 4);
      assert.equal(job.operationDetails.length, 4);
      // The third volume's own status reports the rule's error; the others each name their volume.
      assert.deepEqual(
        job.statuses.map((st: { status: string }) => st.status),
        ["normal", "normal", "error", "normal", "normal"],
      );
      const third = job.statuses[2];
      assert.deepEqual(third.errorCode, INJECTED);
      assert.equal(third.errorMessage, "The parity group is blocked.");
      assert.equal(third.errorResource, `${SIMPLE}/volumes`);
      assert.deepEqual(third.affectedResources, []);
      assert.equal(await volumeCount(), before + 4, "the refused item was not created");
    });

    test("fail-item on a per-item job: the nth pair fails alone", async () => {
      const created = await createVolumes(1);
      const volumeId = Number(created.operationDetails[0].resourceId);
      const servers = [];
      for (const nickname of ["fault-host-a", "fault-host-b", "fault-host-c"]) {
        const r = await s.post(`${SIMPLE}/servers`, { serverNickname: nickname, protocol: "FC" });
        assert.equal(r.status, 202, r.text);
        const job = await s.waitJob(r.body);
        servers.push(Number(job.operationDetails[0].resourceId));
      }
      await addRule({
        match: { operation: "createConnection", item: 2 },
        action: "fail-item",
        errorCode: INJECTED,
      });
      const r = await s.post(`${SIMPLE}/volume-server-connections`, {
        volumeIds: [volumeId],
        serverIds: servers,
      });
      assert.equal(r.status, 202, r.text);
      const job = await s.waitJob(r.body);
      assert.equal(job.status, "error");
      assert.equal(job.affectedResources.length, 2);
      assert.equal(job.errorResource, `${SIMPLE}/volume-server-connections/${volumeId},${servers[1]}`);
      assert.deepEqual(job.errorCode, INJECTED);
    });

    test("GET ports failing on its second part answers 500 with the FC ports read so far", async () => {
      const all = await s.get(`${SIMPLE}/ports`);
      assert.equal(all.status, 200);
      const fc = all.body.data.filter((p: { protocol: string }) => p.protocol === "FC");
      await addRule({ match: { operation: "listPorts", item: 2 }, action: "fail-item", errorCode: INJECTED });
      const r = await s.get(`${SIMPLE}/ports`);
      assert.equal(r.status, 500);
      assert.deepEqual(Object.keys(r.body).sort(), ["errorResponses", "partialSuccessResponses"]);
      assert.equal(r.body.errorResponses.length, 1);
      assert.deepEqual(r.body.errorResponses[0].errorCode, INJECTED);
      assert.equal(r.body.errorResponses[0].errorSource, `${SIMPLE}/ports`);
      assert.equal(r.body.errorResponses[0].messageId, "KART30000-E");
      assert.equal(r.headers["retry-after"], undefined);
      assert.deepEqual(
        [...r.body.partialSuccessResponses].sort((a: { id: string }, b: { id: string }) =>
          a.id.localeCompare(b.id),
        ),
        [...fc].sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id)),
      );
      // One part only: the rule's second call never comes.
      assert.equal((await s.get(`${SIMPLE}/ports?protocol=iSCSI`)).status, 200);
    });

    test("GET ports busy on its second part answers 503 with Retry-After and the FC ports", async () => {
      await addRule({ match: { operation: "listPorts", item: 2 }, action: "busy", retryAfterSeconds: 3 });
      const r = await s.get(`${SIMPLE}/ports`);
      assert.equal(r.status, 503);
      assert.equal(r.headers["retry-after"], "3");
      assert.equal(r.body.errorResponses[0].messageId, "KART00003-E");
      assert.match(r.body.errorResponses[0].message, RETRY_PHRASE);
      assert.equal(r.body.partialSuccessResponses.length, 8);
      assert.ok(r.body.partialSuccessResponses.every((p: { protocol: string }) => p.protocol === "FC"));
    });
  });

  describe("reset", () => {
    test("returns the array to its factory state", async () => {
      await createVolumes(2);
      const port = await s.patch(`${SIMPLE}/ports/CL1-A`, { portSecurity: false });
      assert.equal(port.status, 200, port.text);
      const server = await s.post(`${SIMPLE}/servers`, { serverNickname: "reset-host", protocol: "FC" });
      await s.waitJob(server.body);
      const rule = await addRule({ match: { operation: "health" }, action: "busy" });

      const r = await s.post(RESET);
      assert.equal(r.status, 200, r.text);
      const storage = (await s.get(`${SIMPLE}/storage`)).body;
      assert.equal(storage.numberOfTotalVolumes, 0);
      assert.equal(storage.numberOfTotalServers, 0);
      assert.equal(storage.numberOfFreeDrives, FACTORY_FREE_DRIVES);
      assert.equal(storage.totalPoolCapacity, 0);
      assert.equal((await s.get(`${SIMPLE}/pools`)).body.count, 0);
      assert.equal((await s.get(`${SIMPLE}/ports/CL1-A`)).body.portSecurity, true);
      assert.equal((await s.get(`${SIMPLE}/ports`)).body.count, 16);
      assert.equal((await s.get(`${FAULTS}/${rule.id}`)).status, 200, "rules are not the array's");
      // The array works again from scratch.
      pool = await createPool("faults-pool-2");
      assert.equal((await createVolumes(1)).status, "normal");
    });
  });
});

describe("fault injection disabled", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  test("the fault URLs do not exist", async () => {
    for (const [method, url] of [
      ["GET", FAULTS],
      ["POST", FAULTS],
      ["DELETE", FAULTS],
      ["DELETE", `${FAULTS}/x`],
      ["POST", RESET],
    ] as const) {
      const r = await s.request(method, url, method === "POST" ? { body: { action: "busy" } } : {});
      assert.equal(r.status, 404, `${method} ${url}`);
    }
    assert.ok(!s.bp.app.routeCatalog.some((r) => r.url.startsWith(FAULTS)));
  });
});
