import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Busy, DeviceRefused, InternalError, NotFound } from "../../src/domain/errors.ts";
import { type ExecutionResult, eachItem, type JobOutcome, succeeded } from "../../src/services/jobs.ts";
import { JobsStore } from "../../src/store/jobs.ts";
import {
  deviceWait,
  enqueue,
  gate,
  idOf,
  jobCounts,
  sleep,
  statusUrl,
  uniqueKind,
  userId,
  waitProgress,
} from "../support/jobs.ts";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

const VIEWER = ["Storage Administrator (View Only)"];

function volume(id: number): ExecutionResult {
  return succeeded("CREATE", "Volume", id, `${SIMPLE}/volumes/${id}`);
}

const ok = (...ids: number[]): JobOutcome => ({ done: ids.map(volume), failures: [] });

describe("command-status lifecycle", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ BLOCKPLANE_JOB_CONCURRENCY: "3" });
  });
  after(() => s.close());

  test("unexecuted → processing → completed; status and results only once completed", async () => {
    const kind = uniqueKind("lifecycle");
    const gates = [gate(), gate(), gate(), gate()];
    s.bp.jobs.register<{ i: number }>(kind, async ({ i }) => {
      await gates[i]?.promise;
      return ok(100 + i);
    });
    const urls: string[] = [];
    for (let i = 0; i < 4; i++) urls.push(await enqueue(s, kind, { i }));
    // Three run (the concurrency), the fourth waits its turn.
    for (const url of urls.slice(0, 3)) {
      const st = await waitProgress(s, url, "processing");
      assert.deepEqual(st, { id: idOf(url), progress: "processing" });
    }
    const waiting = await s.get(urls[3] as string);
    assert.equal(waiting.status, 200);
    assert.deepEqual(waiting.body, { id: idOf(urls[3] as string), progress: "unexecuted" });

    gates[0]?.open();
    const first = await s.waitJob(urls[0] as string);
    assert.deepEqual(first, {
      id: idOf(urls[0] as string),
      progress: "completed",
      status: "normal",
      affectedResources: [`${SIMPLE}/volumes/100`],
      operationDetails: [{ operationType: "CREATE", resourceType: "Volume", resourceId: "100" }],
    });
    // The freed slot takes the waiting job.
    assert.equal((await waitProgress(s, urls[3] as string, "processing")).progress, "processing");
    for (const g of gates) g.open();
    for (const url of urls) assert.equal((await s.waitJob(url)).status, "normal");
  });

  test("a multi-item success lists every item's resources and details in order", async () => {
    const kind = uniqueKind("many");
    s.bp.jobs.register(kind, async () => ok(5, 6, 7));
    const st = await s.waitJob(await enqueue(s, kind));
    assert.equal(st.status, "normal");
    assert.deepEqual(
      st.affectedResources,
      [5, 6, 7].map((id) => `${SIMPLE}/volumes/${id}`),
    );
    assert.deepEqual(
      st.operationDetails.map((d: { resourceId: string }) => d.resourceId),
      ["5", "6", "7"],
    );
    assert.equal(st.errorResponses, undefined);
  });

  test("a single failed item reports errorResource, errorCode and errorMessage, and no errorResponses", async () => {
    const kind = uniqueKind("single-failure");
    s.bp.jobs.register(kind, async () => ({
      done: [],
      failures: [
        {
          error: new DeviceRefused("The pool 63 cannot be deleted because it holds volumes.", {
            messageId: "KART30000-E",
            errorCode: { SSB1: "2e11", SSB2: "001f" },
          }),
          resource: `${SIMPLE}/pools/63`,
        },
      ],
    }));
    const url = await enqueue(s, kind);
    const st = await s.waitJob(url);
    assert.deepEqual(st, {
      id: idOf(url),
      progress: "completed",
      status: "error",
      affectedResources: [],
      operationDetails: [],
      errorResource: `${SIMPLE}/pools/63`,
      errorCode: { SSB1: "2e11", SSB2: "001f" },
      errorMessage: "The pool 63 cannot be deleted because it holds volumes.",
    });
  });

  test("a partly failed multi-item job reports the most severe error, every failure and what succeeded", async () => {
    const kind = uniqueKind("partial");
    const refused = new DeviceRefused("The capacity of pool 1 is exhausted.", {
      messageId: "KART30000-E",
      errorCode: { SSB1: "2e31", SSB2: "0011" },
      solution: "Add capacity to the pool.",
    });
    const busy = new Busy("The volume 12 is busy. Please wait for a while and try again.", 5, {
      messageId: "KART00003-E",
      errorCode: { SSB1: "2e10", SSB2: "0200" },
      solution: "Please wait for a while and try again.",
    });
    // The handler reports the failures in item order; the status orders them most severe first.
    s.bp.jobs.register(kind, async () => ({
      done: [volume(10), volume(13)],
      failures: [
        { error: refused, resource: `${SIMPLE}/volumes/11` },
        { error: busy, resource: `${SIMPLE}/volumes/12` },
      ],
    }));
    const url = await enqueue(s, kind);
    const st = await s.waitJob(url);
    assert.deepEqual(st, {
      id: idOf(url),
      progress: "completed",
      status: "error",
      affectedResources: [`${SIMPLE}/volumes/10`, `${SIMPLE}/volumes/13`],
      operationDetails: [
        { operationType: "CREATE", resourceType: "Volume", resourceId: "10" },
        { operationType: "CREATE", resourceType: "Volume", resourceId: "13" },
      ],
      errorResource: `${SIMPLE}/volumes/12`,
      errorCode: { SSB1: "2e10", SSB2: "0200" },
      errorMessage: busy.message,
      errorResponses: [
        {
          errorSource: `${SIMPLE}/volumes/12`,
          messageId: "KART00003-E",
          message: busy.message,
          solution: "Please wait for a while and try again.",
          errorCode: { SSB1: "2e10", SSB2: "0200" },
        },
        {
          errorSource: `${SIMPLE}/volumes/11`,
          messageId: "KART30000-E",
          message: refused.message,
          solution: "Add capacity to the pool.",
          errorCode: { SSB1: "2e31", SSB2: "0011" },
        },
      ],
      partialSuccessResponses: [volume(10), volume(13)],
    });
  });

  test("when every item of a multi-item job fails, partialSuccessResponses is empty and each error has a messageId", async () => {
    const kind = uniqueKind("all-failed");
    s.bp.jobs.register(kind, async () => ({
      done: [],
      failures: [1, 2].map((id) => ({
        error: new NotFound(`The volume ${id} does not exist.`),
        resource: `${SIMPLE}/volumes/${id}`,
      })),
    }));
    const st = await s.waitJob(await enqueue(s, kind));
    assert.equal(st.status, "error");
    assert.deepEqual(st.partialSuccessResponses, []);
    assert.deepEqual(
      st.errorResponses.map((e: { errorSource: string }) => e.errorSource),
      [`${SIMPLE}/volumes/1`, `${SIMPLE}/volumes/2`],
    );
    for (const e of st.errorResponses) assert.match(e.messageId, /^KART\d{5}-[EW]$/);
    assert.equal(st.errorCode, undefined, "no SSB code: the array did not raise it");
  });

  test("a handler's internal failure is reported with a generic message and no internals", async () => {
    for (const thrown of [
      new Error("ECONNREFUSED /var/lib/secret/blockplane.db"),
      new InternalError("invariant broken in /var/lib/secret/table"),
    ]) {
      const kind = uniqueKind("crash");
      s.bp.jobs.register(kind, async () => {
        throw thrown;
      });
      const url = await enqueue(s, kind);
      const st = await s.waitJob(url);
      assert.equal(st.status, "error");
      assert.equal(st.errorMessage, "The operation failed because of an internal error.");
      assert.equal(st.errorResource, url);
      assert.equal(st.errorResponses, undefined);
      assert.doesNotMatch(JSON.stringify(st), /secret|ECONNREFUSED|invariant/);
    }
  });

  test("a handler's BlockplaneError is reported as it is", async () => {
    const kind = uniqueKind("refused");
    s.bp.jobs.register(kind, async () => {
      throw new DeviceRefused("The server 3 has paths and cannot be deleted.", {
        messageId: "KART30000-E",
        errorCode: { SSB1: "2e11", SSB2: "0a0b" },
      });
    });
    const url = await enqueue(s, kind);
    const st = await s.waitJob(url);
    assert.equal(st.status, "error");
    assert.equal(st.errorMessage, "The server 3 has paths and cannot be deleted.");
    assert.deepEqual(st.errorCode, { SSB1: "2e11", SSB2: "0a0b" });
    assert.equal(st.errorResource, url);
  });

  test("DELETE answers what it deleted, and the status is gone", async () => {
    const kind = uniqueKind("delete");
    s.bp.jobs.register(kind, async () => ok(1));
    const url = await enqueue(s, kind);
    await s.waitJob(url);
    const del = await s.delete(url);
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, {
      affectedResources: [url],
      operationDetails: [
        { operationType: "DELETE", resourceType: "CommandStatus", resourceId: String(idOf(url)) },
      ],
    });
    assert.equal((await s.get(url)).status, 404);
    assert.equal((await s.delete(url)).status, 404);
  });

  test("DELETE of an unfinished operation's status is refused and the status stays", async () => {
    const kind = uniqueKind("delete-running");
    const g = gate();
    s.bp.jobs.register(kind, async () => {
      await g.promise;
      return ok(2);
    });
    const url = await enqueue(s, kind);
    await waitProgress(s, url, "processing");
    const del = await s.delete(url);
    assert.equal(del.status, 400);
    assert.match(del.body.message, /has not completed/);
    g.open();
    assert.equal((await s.waitJob(url)).status, "normal");
    assert.equal((await s.delete(url)).status, 200);
  });

  test("another user can neither see nor delete someone's status; the owner and a security administrator can", async () => {
    const kind = uniqueKind("owner");
    s.bp.jobs.register(kind, async () => ok(3));
    const ownerToken = await s.userToken("job-owner", VIEWER);
    const otherToken = await s.userToken("job-stranger", VIEWER);
    const url = await enqueue(s, kind, {}, await userId(s.bp.store.db, "job-owner"));
    const st = await s.waitJob(url, ownerToken);
    assert.equal(st.status, "normal");

    const seen = await s.get(url, { token: otherToken });
    assert.equal(seen.status, 404);
    assert.match(seen.body.message, /does not exist/);
    assert.equal((await s.delete(url, { token: otherToken })).status, 404);
    // The admin holds the Security Administrator role: it sees every status.
    assert.equal((await s.get(url)).status, 200);
    // The stranger's failed delete left it in place for its owner.
    assert.equal((await s.delete(url, { token: ownerToken })).status, 200);
    assert.equal((await s.get(url, { token: ownerToken })).status, 404);
  });

  test("a status started by an administrator is hidden from a viewer", async () => {
    const kind = uniqueKind("admin-owned");
    s.bp.jobs.register(kind, async () => ok(4));
    const url = await enqueue(s, kind, {}, await userId(s.bp.store.db, "admin"));
    await s.waitJob(url);
    const viewer = await s.userToken("job-viewer", VIEWER);
    assert.equal((await s.get(url, { token: viewer })).status, 404);
  });

  for (const [raw, expected] of [
    ["abc", 400],
    ["-1", 400],
    ["1.5", 400],
    ["1e3", 400],
    [String(Number.MAX_SAFE_INTEGER + 1), 400],
    ["99999999999999999999", 400],
    ["0", 404],
    [String(Number.MAX_SAFE_INTEGER), 404],
  ] as const) {
    test(`command-status id "${raw}" → ${expected} on GET and DELETE`, async () => {
      const url = `${SIMPLE}/command-status/${raw}`;
      const got = await s.get(url);
      assert.equal(got.status, expected);
      assert.equal(got.body.errorSource, url);
      assert.equal((await s.delete(url)).status, expected);
    });
  }

  test("the OpenAPI document describes the command-status object", async () => {
    const r = await s.get("/blockplane/v1/openapi.json");
    assert.equal(r.status, 200);
    const op = r.body.paths["/ConfigurationManager/simple/v1/objects/command-status/{id}"].get;
    const schema = op.responses["200"].content["application/json"].schema;
    const props =
      schema.properties ?? r.body.components?.schemas?.[schema.$ref?.split("/").pop()]?.properties;
    for (const field of [
      "id",
      "progress",
      "status",
      "affectedResources",
      "operationDetails",
      "errorResource",
      "errorCode",
      "errorMessage",
      "errorResponses",
      "partialSuccessResponses",
    ]) {
      assert.ok(props?.[field], `documents ${field}`);
    }
  });
});

describe("item statuses of a multi-resource job", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ BLOCKPLANE_MAX_PENDING_JOBS: "2" });
  });
  after(() => s.close());

  /** A job kind over items that waits for `g`, then creates volume `n` for item n, failing item 2. */
  function itemKind(name: string, g: { promise: Promise<void> }) {
    const kind = uniqueKind(name);
    s.bp.jobs.register<{ items: number[] }>(kind, async (p, ctx) => {
      await g.promise;
      return eachItem(
        ctx,
        p.items,
        (n) => `${SIMPLE}/volumes/${n}`,
        async (n) => {
          if (n === 2)
            throw new DeviceRefused("The volume 2 cannot be created.", {
              errorCode: { SSB1: "2e30", SSB2: "0001" },
            });
          return volume(n);
        },
      );
    });
    return kind;
  }

  test("each item has its own status: the job's progress until it completes, then its own outcome", async () => {
    const g = gate();
    const kind = itemKind("items", g);
    const ids = await s.bp.jobs.enqueueItems(kind, { items: [1, 2, 3] }, null, 3);
    assert.equal(new Set(ids).size, 3);
    const urls = ids.map(statusUrl);
    for (const url of urls) {
      const st = await waitProgress(s, url, "processing");
      assert.deepEqual(st, { id: idOf(url), progress: "processing" });
    }
    // The queue holds one job, however many statuses it has.
    assert.equal(await new JobsStore(s.bp.store).countActive(), 1);
    g.open();
    const [one, two, three] = await Promise.all(urls.map((url) => s.waitJob(url)));
    assert.deepEqual(one, {
      id: ids[0],
      progress: "completed",
      status: "normal",
      affectedResources: [`${SIMPLE}/volumes/1`],
      operationDetails: [{ operationType: "CREATE", resourceType: "Volume", resourceId: "1" }],
    });
    assert.deepEqual(two, {
      id: ids[1],
      progress: "completed",
      status: "error",
      affectedResources: [],
      operationDetails: [],
      errorResource: `${SIMPLE}/volumes/2`,
      errorCode: { SSB1: "2e30", SSB2: "0001" },
      errorMessage: "The volume 2 cannot be created.",
    });
    assert.deepEqual(three.affectedResources, [`${SIMPLE}/volumes/3`]);
    assert.equal(await new JobsStore(s.bp.store).countActive(), 0);
  });

  test("an item's status cannot be deleted before its job completes; afterwards each goes alone", async () => {
    const g = gate();
    const kind = itemKind("delete-items", g);
    const urls = (await s.bp.jobs.enqueueItems(kind, { items: [1, 3] }, null, 2)).map(statusUrl);
    await waitProgress(s, urls[1] as string, "processing");
    const early = await s.delete(urls[1] as string);
    assert.equal(early.status, 400);
    assert.match(early.body.message, /has not completed/);
    g.open();
    await s.waitJob(urls[1] as string);
    // The job's own status (item 0) goes first: the other item's status stays complete.
    assert.equal((await s.delete(urls[0] as string)).status, 200);
    assert.equal((await s.get(urls[0] as string)).status, 404);
    const left = await s.get(urls[1] as string);
    assert.equal(left.body.status, "normal");
    assert.deepEqual(left.body.affectedResources, [`${SIMPLE}/volumes/3`]);
    assert.equal((await s.delete(urls[1] as string)).status, 200);
  });

  test("item statuses belong to the user who started the job", async () => {
    const g = gate();
    g.open();
    const kind = itemKind("owned-items", g);
    const ownerToken = await s.userToken("items-owner", VIEWER);
    const otherToken = await s.userToken("items-stranger", VIEWER);
    const owner = await userId(s.bp.store.db, "items-owner");
    const urls = (await s.bp.jobs.enqueueItems(kind, { items: [1, 3] }, owner, 2)).map(statusUrl);
    for (const url of urls) {
      assert.equal((await s.waitJob(url, ownerToken)).status, "normal");
      assert.equal((await s.get(url, { token: otherToken })).status, 404);
      assert.equal((await s.delete(url, { token: otherToken })).status, 404);
    }
  });

  test("a handler that fails as a whole fails every item's status", async () => {
    const kind = uniqueKind("items-throw");
    s.bp.jobs.register(kind, async () => {
      throw new DeviceRefused("The storage system refused the whole operation.", {
        errorCode: { SSB1: "2e10", SSB2: "0000" },
      });
    });
    const urls = (await s.bp.jobs.enqueueItems(kind, {}, null, 3)).map(statusUrl);
    for (const url of urls) {
      const st = await s.waitJob(url);
      assert.equal(st.status, "error");
      assert.equal(st.errorMessage, "The storage system refused the whole operation.");
      assert.deepEqual(st.errorCode, { SSB1: "2e10", SSB2: "0000" });
    }
  });

  test("the bound on pending jobs counts a job of many items once", async () => {
    // The service trusts its count of unfinished jobs for a second: let the jobs of the tests
    // before, all finished, drop out of it.
    await sleep(1100);
    const g = gate();
    const kind = itemKind("bound-items", g);
    const first = await s.bp.jobs.enqueueItems(kind, { items: [1, 3, 4, 5] }, null, 4);
    const second = await s.bp.jobs.enqueueItems(kind, { items: [1] }, null, 1);
    await assert.rejects(s.bp.jobs.enqueueItems(kind, { items: [1] }, null, 1), Busy);
    g.open();
    for (const id of [...first, ...second]) assert.equal((await s.waitJob(statusUrl(id))).status, "normal");
  });
});

describe("job worker", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ BLOCKPLANE_JOB_CONCURRENCY: "3" });
  });
  after(() => s.close());

  test("runs at most jobConcurrency jobs at once, and that many when there is work", async () => {
    const kind = uniqueKind("concurrency");
    let active = 0;
    let most = 0;
    s.bp.jobs.register(kind, async () => {
      active++;
      most = Math.max(most, active);
      await sleep(30);
      active--;
      return ok(1);
    });
    const urls = await Promise.all(Array.from({ length: 10 }, () => enqueue(s, kind)));
    for (const url of urls) assert.equal((await s.waitJob(url)).status, "normal");
    assert.equal(most, 3);
  });

  test("a job enqueued here starts at once, not on the next poll (1 s)", async () => {
    const kind = uniqueKind("prompt");
    s.bp.jobs.register(kind, async () => ok(1));
    // Five in a row: waiting for polls, each after the first would wait for the next one (≥ 4 s in
    // all); started at once, all five take a fraction of one poll interval.
    const started = Date.now();
    for (let i = 0; i < 5; i++) await s.waitJob(await enqueue(s, kind));
    const took = Date.now() - started;
    assert.ok(took < 1500, `five jobs took ${took} ms`);
  });

  test("the handler gets an idempotency key per item, stable for the job", async () => {
    const kind = uniqueKind("keys");
    const keys: string[] = [];
    s.bp.jobs.register(kind, async (_p, ctx) => {
      keys.push(ctx.opKey(0), ctx.opKey(1), ctx.opKey("x"));
      return ok(1);
    });
    const url = await enqueue(s, kind);
    await s.waitJob(url);
    const id = idOf(url);
    assert.deepEqual(keys, [`job:${id}:0`, `job:${id}:1`, `job:${id}:x`]);
  });

  test("a device call that misses its deadline is a recorded failure, not a retry", async () => {
    const kind = uniqueKind("timeout");
    s.bp.jobs.register(kind, async (_p, ctx) => {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(10)]);
      try {
        await deviceWait(signal);
        return ok(1);
      } catch (error) {
        return { done: [], failures: [{ error: error as DeviceRefused, resource: `${SIMPLE}/volumes/1` }] };
      }
    });
    const st = await s.waitJob(await enqueue(s, kind));
    assert.equal(st.status, "error");
    assert.match(st.errorMessage, /did not answer/);
  });
});

describe("command-status retention", () => {
  test("completed statuses older than the TTL are pruned; newer ones and unfinished ones stay", async () => {
    let shift = 0;
    const s = await startServer(
      { BLOCKPLANE_JOB_TTL_MS: "60000", BLOCKPLANE_JOB_LEASE_MS: "3600000" },
      { now: () => Date.now() + shift },
    );
    try {
      const quick = uniqueKind("ttl");
      const held = uniqueKind("ttl-held");
      const g = gate();
      s.bp.jobs.register(quick, async () => ok(1));
      s.bp.jobs.register(held, async () => {
        await g.promise;
        return ok(2);
      });
      const old = await enqueue(s, quick);
      await s.waitJob(old);
      const running = await enqueue(s, held);
      await waitProgress(s, running, "processing");
      shift += 60_001;
      const fresh = await enqueue(s, quick);
      await s.waitJob(fresh);

      assert.equal(await s.bp.jobs.prune(), 1);
      assert.equal((await s.get(old)).status, 404);
      assert.equal((await s.get(fresh)).status, 200);
      assert.equal((await s.get(running)).status, 200, "an unfinished job is never pruned, however old");
      g.open();
      assert.equal((await s.waitJob(running)).status, "normal");
    } finally {
      await s.close();
    }
  });

  test("the periodic sweep prunes expired statuses without any request", async () => {
    const s = await startServer({ BLOCKPLANE_JOB_TTL_MS: "1000" });
    try {
      const kind = uniqueKind("sweep");
      s.bp.jobs.register(kind, async () => ok(1));
      const url = await enqueue(s, kind);
      await s.waitJob(url);
      assert.equal((await s.get(url)).status, 200);
      const deadline = Date.now() + 5000;
      while ((await s.get(url)).status === 200) {
        assert.ok(Date.now() < deadline, "the expired status was not swept");
        await sleep(50);
      }
      assert.equal((await s.get(url)).status, 404);
    } finally {
      await s.close();
    }
  });

  describe("beyond the maximum count", () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({ BLOCKPLANE_JOB_MAX_COUNT: "5", BLOCKPLANE_JOB_CONCURRENCY: "3" });
    });
    after(() => s.close());

    test("the oldest completed statuses go first, as jobs are enqueued", async () => {
      const kind = uniqueKind("max");
      s.bp.jobs.register(kind, async () => ok(1));
      const urls: string[] = [];
      for (let i = 0; i < 8; i++) {
        urls.push(await enqueue(s, kind));
        await s.waitJob(urls[i] as string);
      }
      assert.deepEqual(await jobCounts(s.bp.store.db), { total: 5, unfinished: 0 });
      for (const [i, url] of urls.entries())
        assert.equal((await s.get(url)).status, i < 3 ? 404 : 200, `job ${i}`);
    });

    test("unfinished jobs are never pruned, even past the maximum", async () => {
      const kind = uniqueKind("max-held");
      const g = gate();
      s.bp.jobs.register(kind, async () => {
        await g.promise;
        return ok(1);
      });
      const urls: string[] = [];
      for (let i = 0; i < 7; i++) urls.push(await enqueue(s, kind));
      assert.deepEqual(await jobCounts(s.bp.store.db), { total: 7, unfinished: 7 });
      for (const url of urls) assert.equal((await s.get(url)).status, 200);
      g.open();
      for (const url of urls) assert.equal((await s.waitJob(url)).status, "normal");
    });
  });

  test("a burst of enqueues keeps the bound without waiting for the sweep", async () => {
    const s = await startServer({ BLOCKPLANE_JOB_MAX_COUNT: "20", BLOCKPLANE_JOB_CONCURRENCY: "2" });
    try {
      const quick = uniqueKind("burst-fill");
      const held = uniqueKind("burst");
      const g = gate();
      s.bp.jobs.register(quick, async () => ok(1));
      s.bp.jobs.register(held, async () => {
        await g.promise;
        return ok(2);
      });
      const filled: string[] = [];
      for (let i = 0; i < 20; i++) filled.push(await enqueue(s, quick));
      for (const url of filled) await s.waitJob(url);
      assert.deepEqual(await jobCounts(s.bp.store.db), { total: 20, unfinished: 0 });

      const burst = await Promise.all(Array.from({ length: 10 }, () => enqueue(s, held)));
      assert.deepEqual(await jobCounts(s.bp.store.db), { total: 20, unfinished: 10 });
      for (const [i, url] of filled.entries())
        assert.equal((await s.get(url)).status, i < 10 ? 404 : 200, `job ${i}`);
      g.open();
      for (const url of burst) assert.equal((await s.waitJob(url)).status, "normal");
    } finally {
      await s.close();
    }
  });
});

describe("command-status list", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());
  const LIST = `${SIMPLE}/command-status`;

  test("each user's statuses in id order, as GET answers each; everyone's for a Security Administrator", async () => {
    const kind = uniqueKind("listed");
    s.bp.jobs.register<{ n: number }>(kind, async ({ n }) => ok(n));
    const mineToken = await s.userToken("list-owner", VIEWER);
    const otherToken = await s.userToken("list-stranger", VIEWER);
    const mine = await userId(s.bp.store.db, "list-owner");
    const urls = [await enqueue(s, kind, { n: 1 }, mine), await enqueue(s, kind, { n: 2 }, mine)];
    const theirs = await enqueue(s, kind, { n: 3 }, await userId(s.bp.store.db, "list-stranger"));
    const statuses = await Promise.all(urls.map((u) => s.waitJob(u, mineToken)));
    await s.waitJob(theirs, otherToken);

    const own = await s.get(LIST, { token: mineToken });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body, { data: statuses, count: 2, totalCount: 2, hasNext: false });
    const all = await s.get(LIST);
    assert.deepEqual(
      all.body.data.map((st: { id: number }) => st.id).filter((id: number) => id >= idOf(urls[0] as string)),
      [idOf(urls[0] as string), idOf(urls[1] as string), idOf(theirs)],
    );
  });

  test("pages by startId and count, with hasNext; filters by progress and status", async () => {
    const kind = uniqueKind("paged");
    const g = gate();
    s.bp.jobs.register<{ n: number }>(kind, async ({ n }) => {
      if (n === 3) await g.promise;
      if (n === 2)
        throw new DeviceRefused("The volume 2 cannot be created.", {
          errorCode: { SSB1: "2e30", SSB2: "0001" },
        });
      return ok(n);
    });
    const owner = await s.userToken("pager", VIEWER);
    const id = await userId(s.bp.store.db, "pager");
    const urls = [];
    for (const n of [1, 2, 3]) urls.push(await enqueue(s, kind, { n }, id));
    const ids = urls.map(idOf);
    await s.waitJob(urls[1] as string, owner);
    await waitProgress(s, urls[2] as string, "processing");

    const first = await s.get(`${LIST}?count=2`, { token: owner });
    assert.deepEqual(
      first.body.data.map((st: { id: number }) => st.id),
      ids.slice(0, 2),
    );
    assert.equal(first.body.hasNext, true);
    assert.equal(first.body.totalCount, 3);
    const next = await s.get(`${LIST}?startId=${(ids[1] as number) + 1}&count=2`, { token: owner });
    assert.deepEqual(next.body.data, [{ id: ids[2], progress: "processing" }]);
    assert.equal(next.body.hasNext, false);

    const running = await s.get(`${LIST}?progress=processing`, { token: owner });
    assert.deepEqual(
      running.body.data.map((st: { id: number }) => st.id),
      [ids[2]],
    );
    const failed = await s.get(`${LIST}?status=error`, { token: owner });
    assert.deepEqual(
      failed.body.data.map((st: { id: number; errorMessage: string }) => [st.id, st.errorMessage]),
      [[ids[1], "The volume 2 cannot be created."]],
    );
    g.open();
    await s.waitJob(urls[2] as string, owner);
  });

  test("an item's status is listed with its job's progress until the job completes", async () => {
    const kind = uniqueKind("listed-items");
    const g = gate();
    s.bp.jobs.register<{ items: number[] }>(kind, async (p, ctx) => {
      await g.promise;
      return eachItem(
        ctx,
        p.items,
        (n) => `${SIMPLE}/volumes/${n}`,
        async (n) => volume(n),
      );
    });
    const ids = await s.bp.jobs.enqueueItems(kind, { items: [7, 8] }, null, 2);
    await waitProgress(s, statusUrl(ids[1] as number), "processing");
    const during = await s.get(`${LIST}?startId=${ids[0]}&progress=processing`);
    assert.deepEqual(during.body.data, [
      { id: ids[0], progress: "processing" },
      { id: ids[1], progress: "processing" },
    ]);
    g.open();
    await s.waitJob(statusUrl(ids[1] as number));
    const after = await s.get(`${LIST}?startId=${ids[1]}`);
    assert.equal(after.body.data[0].status, "normal");
  });

  for (const query of ["count=0", "count=101", "startId=-1", "progress=done", "status=ok", "other=1"]) {
    test(`?${query} is a 400`, async () => {
      assert.equal((await s.get(`${LIST}?${query}`)).status, 400);
    });
  }
});
