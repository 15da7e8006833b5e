/**
 * The SDK (src/client) against a server listening on a real port: the committed OpenAPI document
 * and types equal what the server serves, the whole lifecycle of the resources through the typed
 * client, session reuse and renewal, Retry-After on 503, job polling with backoff, and failures
 * that keep errorResponses and partialSuccessResponses.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { OPENAPI_FILE, SCHEMA_FILE, schemaTypes } from "../../scripts/openapi.ts";
import {
  type BlockplaneClient,
  createClient,
  createdIds,
  type FetchFn,
  isPartial,
} from "../../src/client/index.ts";
import { OPENAPI_PATH } from "../../src/http/app.ts";
import { ADMIN_PASSWORD, basic, FULL, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const S = "/ConfigurationManager/simple/v1/objects" as const;

async function listen(server: TestServer): Promise<string> {
  await server.bp.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = server.bp.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

describe("SDK", { timeout: 120_000 }, () => {
  let server: TestServer;
  let baseUrl: string;
  let bp: BlockplaneClient;
  const clients: BlockplaneClient[] = [];
  const client = (options: Partial<Parameters<typeof createClient>[0]> = {}) => {
    const c = createClient({ baseUrl, user: "admin", password: ADMIN_PASSWORD, ...options });
    clients.push(c);
    return c;
  };

  before(async () => {
    // As the document is generated: with the fault-injection API. Overload shedding is off: a busy
    // test machine must not turn these tests' requests into 503s.
    server = await startServer({ BLOCKPLANE_FAULTS: "on", BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0" });
    baseUrl = await listen(server);
    bp = client();
  });
  after(async () => {
    for (const c of clients) await c.close();
    await server?.close();
  });

  test("the committed openapi.json and schema.d.ts are what the server serves (npm run sdk:generate)", async () => {
    const served = await (await fetch(`${baseUrl}${OPENAPI_PATH}`)).json();
    const committed = JSON.parse(fs.readFileSync(OPENAPI_FILE, "utf8"));
    assert.deepEqual(committed, served, "src/client/openapi.json is stale: run npm run sdk:generate");
    assert.equal(
      fs.readFileSync(SCHEMA_FILE, "utf8"),
      schemaTypes(served),
      "src/client/schema.d.ts is stale: run npm run sdk:generate",
    );
  });

  test("the whole lifecycle: pool, volumes, server with HBAs and paths, connections, snapshots, delete all", async () => {
    const storage = await bp.GET(`${S}/storage`);
    assert.ok(storage.ok, storage.ok ? "" : storage.message);
    assert.equal(storage.data.serial, server.config.array.serial);

    const progress: string[] = [];
    const pool = await bp.run(
      bp.POST(`${S}/pools`, {
        body: {
          name: "sdk-pool",
          drives: [{ driveTypeCode: "SNB5A-R1R9NC", dataDriveCount: 5, raidLevel: "RAID5" }],
        },
      }),
      { onProgress: (s) => progress.push(s.progress) },
    );
    assert.ok(pool.ok, pool.ok ? "" : pool.message);
    assert.equal(progress.at(-1), "completed");
    const poolId = Number(createdIds(pool.data, "Pool")[0]);
    const gotPool = await bp.GET(`${S}/pools/{id}`, { params: { path: { id: poolId } } });
    assert.ok(gotPool.ok);
    assert.equal(gotPool.data.name, "sdk-pool");

    const volumes = await bp.run(
      bp.POST(`${S}/volumes`, {
        body: { poolId, capacity: 1024, number: 3, nicknameParam: { baseName: "sdkvol", startNumber: 1 } },
      }),
    );
    assert.ok(volumes.ok, volumes.ok ? "" : volumes.message);
    const volumeIds = createdIds(volumes.data, "Volume").map(Number);
    assert.equal(volumeIds.length, 3);
    const listed = await bp.GET(`${S}/volumes`, { params: { query: { poolId } } });
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.data.data.map((v) => v.nickname),
      ["sdkvol1", "sdkvol2", "sdkvol3"],
    );

    // A nickname change is synchronous: run takes the 200 answer as it is.
    const renamed = await bp.run(
      bp.PATCH(`${S}/volumes/{id}`, {
        params: { path: { id: volumeIds[0] as number } },
        body: { nickname: "sdk-renamed" },
      }),
    );
    assert.ok(renamed.ok);
    assert.equal(renamed.data.jobs.length, 0);
    assert.equal(renamed.data.operationDetails[0]?.operationType, "UPDATE");

    const created = await bp.run(
      bp.POST(`${S}/servers`, { body: { serverNickname: "sdk-host", protocol: "FC" } }),
    );
    assert.ok(created.ok, created.ok ? "" : created.message);
    const serverId = Number(createdIds(created.data, "Server")[0]);
    const wwns = ["100000109b1a2c01", "100000109b1a2c02"];
    const hbas = await bp.run(
      bp.POST(`${S}/servers/{id}/hbas`, {
        params: { path: { id: serverId } },
        body: { hbas: wwns.map((hbaWwn) => ({ hbaWwn })) },
      }),
    );
    assert.ok(hbas.ok, hbas.ok ? "" : hbas.message);
    for (const hbaWwn of wwns) {
      const path = await bp.run(
        bp.POST(`${S}/servers/{id}/paths`, {
          params: { path: { id: serverId } },
          body: { hbaWwn, portIds: ["CL1-A", "CL2-A"] },
        }),
      );
      assert.ok(path.ok, path.ok ? "" : path.message);
    }
    const host = await bp.GET(`${S}/servers/{id}`, { params: { path: { id: serverId } } });
    assert.ok(host.ok);
    assert.equal(host.data.numberOfPaths, 4);
    const onePath = await bp.GET(`${S}/servers/{id}/paths/{pathId}`, {
      params: { path: { id: serverId, pathId: `${wwns[0]},CL1-A` } },
    });
    assert.ok(onePath.ok, onePath.ok ? "" : onePath.message);
    assert.equal(onePath.data.portId, "CL1-A");

    const connected = await bp.run(
      bp.POST(`${S}/volume-server-connections`, { body: { volumeIds, serverIds: [serverId] } }),
    );
    assert.ok(connected.ok, connected.ok ? "" : connected.message);
    assert.equal(connected.data.operationDetails.length, 3);
    const connection = await bp.GET(`${S}/volume-server-connections/{id}`, {
      params: { path: { id: `${volumeIds[0]},${serverId}` } },
    });
    assert.ok(connection.ok);
    assert.equal(connection.data.luns.length, 2);

    const snapped = await bp.run(
      bp.POST(`${S}/snapshots`, {
        body: {
          params: volumeIds.map((masterVolumeId) => ({
            masterVolumeId,
            poolId,
            snapshotGroupName: "sdk group",
          })),
        },
      }),
    );
    assert.ok(snapped.ok, snapped.ok ? "" : snapped.message);
    const group = await bp.GET(`${S}/snapshot-groups/{name}`, { params: { path: { name: "sdk group" } } });
    assert.ok(group.ok, group.ok ? "" : group.message);
    assert.equal(group.data.count, 3);

    // Deleting everything, in the order the array requires.
    const steps = [
      bp.DELETE(`${S}/snapshot-groups/{name}`, { params: { path: { name: "sdk group" } } }),
      ...volumeIds.map((v) =>
        bp.DELETE(`${S}/volume-server-connections/{id}`, { params: { path: { id: `${v},${serverId}` } } }),
      ),
    ];
    for (const step of steps) {
      const done = await bp.run(step);
      assert.ok(done.ok, done.ok ? "" : done.message);
    }
    const deletedServer = await bp.run(
      bp.DELETE(`${S}/servers/{id}`, { params: { path: { id: serverId } }, body: {} }),
    );
    assert.ok(deletedServer.ok, deletedServer.ok ? "" : deletedServer.message);
    for (const id of volumeIds) {
      const done = await bp.run(bp.DELETE(`${S}/volumes/{id}`, { params: { path: { id } } }));
      assert.ok(done.ok, done.ok ? "" : done.message);
    }
    const deletedPool = await bp.run(bp.DELETE(`${S}/pools/{id}`, { params: { path: { id: poolId } } }));
    assert.ok(deletedPool.ok, deletedPool.ok ? "" : deletedPool.message);

    const gone = await bp.GET(`${S}/pools/{id}`, { params: { path: { id: poolId } } });
    assert.equal(gone.ok, false);
    assert.ok(!gone.ok);
    assert.equal(gone.status, 404);
    assert.equal(gone.error?.messageId, "KART30013-E");
    assert.equal(gone.error?.errorSource, `${S}/pools/${poolId}`);
  });

  test("a multi-resource job that fails part-way is a failure with errorResponses and partialSuccessResponses", async () => {
    const pool = await bp.run(
      bp.POST(`${S}/pools`, {
        body: {
          name: "sdk-partial",
          drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
        },
      }),
    );
    assert.ok(pool.ok, pool.ok ? "" : pool.message);
    const poolId = Number(createdIds(pool.data)[0]);
    const volume = await bp.run(bp.POST(`${S}/volumes`, { body: { poolId, capacity: 100 } }));
    assert.ok(volume.ok);
    const volumeId = Number(createdIds(volume.data)[0]);

    const absent = 65_000;
    const result = await bp.run(
      bp.POST(`${S}/snapshots`, {
        body: {
          params: [
            { masterVolumeId: volumeId, poolId, snapshotGroupName: "sdk-partial" },
            { masterVolumeId: absent, poolId, snapshotGroupName: "sdk-partial" },
          ],
        },
      }),
    );
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.ok(isPartial(result));
    // Every item's status was waited for: the failed one is named, the other is what was done.
    assert.equal(result.job?.status, "error");
    assert.equal(result.failedJobs?.length, 1);
    assert.equal(result.failedJobs?.[0], result.job);
    assert.match(result.job?.errorMessage ?? "", new RegExp(String(absent)));
    assert.equal(result.partialSuccessResponses?.length, 1);
    assert.deepEqual(
      (result.partialSuccessResponses?.[0] as { operationDetails?: unknown[] } | undefined)?.operationDetails,
      [{ operationType: "CREATE", resourceType: "Snapshot", resourceId: `${volumeId},3` }],
    );
    assert.equal(result.message, result.job?.errorMessage);
  });

  test("a 400 is a failure carrying the error object", async () => {
    const r = await bp.POST(`${S}/volumes`, { body: { poolId: 0, capacity: 46 } });
    assert.ok(!r.ok);
    assert.equal(r.status, 400);
    assert.equal(r.error?.messageId, "KART40048-E");
    assert.match(r.message, /capacity/);
  });

  test("one session is created and reused for every request", async () => {
    const c = client();
    const first = await c.session();
    assert.ok(first.ok);
    await Promise.all([c.GET(`${S}/storage`), c.GET(`${S}/pools`), c.GET(`${S}/ports`)]);
    const again = await c.session();
    assert.ok(again.ok);
    assert.equal(again.data.token, first.data.token);
  });

  test("concurrent first requests share one login (at the full API, whose sessionId is a number)", async () => {
    let logins = 0;
    const counting: FetchFn = (request) => {
      if (request.method === "POST" && new URL(request.url).pathname === `${FULL}/sessions`) logins++;
      return fetch(request);
    };
    const c = client({ fetch: counting });
    const answers = await Promise.all([c.GET(`${S}/storage`), c.GET(`${S}/pools`), c.GET(`${S}/drives`)]);
    assert.ok(answers.every((a) => a.ok));
    assert.equal(logins, 1);
  });

  test("a session discarded on the server is renewed once and the request repeated", async () => {
    const c = client();
    const old = await c.session();
    assert.ok(old.ok);
    const discard = await fetch(`${baseUrl}${SIMPLE}/sessions/${old.data.sessionId}`, {
      method: "DELETE",
      headers: { authorization: `Session ${old.data.token}` },
    });
    assert.equal(discard.status, 200);
    const r = await c.GET(`${S}/storage`);
    assert.ok(r.ok, r.ok ? "" : r.message);
    const renewed = await c.session();
    assert.ok(renewed.ok);
    assert.notEqual(renewed.data.token, old.data.token);
  });

  test("a given session without credentials is not renewed: the 401 comes back", async () => {
    const c = client({
      user: undefined,
      password: undefined,
      session: { token: "0".repeat(32), sessionId: 1 },
    });
    const r = await c.GET(`${S}/storage`);
    assert.ok(!r.ok);
    assert.equal(r.status, 401);
    assert.match(r.message, /The specified token is invalid/);
  });

  test("wrong credentials: the login's 401 is the answer", async () => {
    const r = await client({ password: "wrong-password" }).GET(`${S}/storage`);
    assert.ok(!r.ok);
    assert.equal(r.status, 401);
    assert.match(r.message, /user name or password is incorrect/);
  });

  test("a server that is not there is a failure with status 0", async () => {
    const r = await createClient({ baseUrl: "http://127.0.0.1:1", user: "a", password: "b" }).GET(
      `${S}/storage`,
    );
    assert.ok(!r.ok);
    assert.equal(r.status, 0);
    assert.match(r.message, /Cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  test("a busy storage system (503 with Retry-After) is waited out and the request sent again", async () => {
    const rule = await bp.POST("/blockplane/v1/faults", {
      body: { match: { method: "GET", path: `${S}/ports` }, action: "busy", retryAfterSeconds: 2, count: 1 },
    });
    assert.ok(rule.ok, rule.ok ? "" : rule.message);
    const waits: number[] = [];
    const r = await client({ sleep: async (ms) => void waits.push(ms) }).GET(`${S}/ports`);
    assert.ok(r.ok, r.ok ? "" : r.message);
    assert.deepEqual(waits, [2000]);
  });

  test("waitForJob polls with backoff from 50 ms doubling to 2 s, calling onProgress", async () => {
    // The job's first 8 reads answer that it is still in progress; then the real status comes.
    let reads = 0;
    const slow: FetchFn = async (request) => {
      if (request.method === "GET" && request.url.includes("/command-status/") && reads++ < 8) {
        const id = Number(request.url.split("/").pop());
        return Response.json({ id, progress: reads === 1 ? "unexecuted" : "processing" });
      }
      return fetch(request);
    };
    const waits: number[] = [];
    const c = client({ fetch: slow, sleep: async (ms) => void waits.push(ms) });
    const made = await c.POST(`${S}/servers`, { body: { serverNickname: "sdk-backoff", protocol: "iSCSI" } });
    assert.ok(made.ok, made.ok ? "" : made.message);
    // The real job is done before the pretence starts, so the read after it finds it completed.
    assert.ok((await bp.waitForJob(made.data)).ok);
    const seen: string[] = [];
    const done = await c.waitForJob(made.data, { onProgress: (s) => seen.push(s.progress) });
    assert.ok(done.ok, done.ok ? "" : done.message);
    assert.deepEqual(waits, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
    assert.deepEqual(seen.slice(0, 2), ["unexecuted", "processing"]);
    assert.equal(seen.at(-1), "completed");
  });

  test("waitForJob gives up after timeoutMs with the last status", async () => {
    const stuck: FetchFn = async (request) =>
      request.url.includes("/command-status/")
        ? Response.json({ id: 7, progress: "processing" })
        : fetch(request);
    const r = await client({ fetch: stuck }).waitForJob(7, { timeoutMs: 20 });
    assert.ok(!r.ok);
    assert.equal(r.status, 0);
    assert.equal(r.job?.progress, "processing");
    assert.match(r.message, /did not complete/);
  });

  test("waitForJob ends at once when its signal aborts, even between two reads", async () => {
    const stuck: FetchFn = async (request) =>
      request.url.includes("/command-status/")
        ? Response.json({ id: 7, progress: "processing" })
        : fetch(request);
    const stop = new AbortController();
    const reason = new Error("stopped by the test");
    const started = Date.now();
    const waiting = client({ fetch: stuck }).waitForJob(7, { signal: stop.signal, initialDelayMs: 60_000 });
    setTimeout(() => stop.abort(reason), 50);
    await assert.rejects(waiting, (err) => err === reason);
    assert.ok(Date.now() - started < 5000, "the 60 s wait between reads was cut short");
  });

  test("a password given as a function is asked for only when a session is created, once", async () => {
    let asked = 0;
    const password = async () => {
      asked++;
      return ADMIN_PASSWORD;
    };
    const own = await bp.session();
    assert.ok(own.ok);
    // With a working session, nothing is asked.
    const c = client({ password, session: own.data });
    assert.ok((await c.GET(`${S}/storage`)).ok);
    assert.equal(asked, 0);
    assert.deepEqual(c.currentSession(), own.data);
    // A session that ended is renewed with the password asked for then, and kept for the next renewal.
    const stale = client({ password, session: { token: "0".repeat(32), sessionId: 1 } });
    assert.ok((await stale.GET(`${S}/storage`)).ok);
    assert.equal(asked, 1);
    const renewed = stale.currentSession();
    assert.ok(renewed && renewed.token !== "0".repeat(32));
    await fetch(`${baseUrl}${SIMPLE}/sessions/${renewed.sessionId}`, {
      method: "DELETE",
      headers: { authorization: `Session ${renewed.token}` },
    });
    assert.ok((await stale.GET(`${S}/storage`)).ok);
    assert.equal(asked, 1);
  });
});

describe("SDK and the session limit (503 with Retry-After)", { timeout: 60_000 }, () => {
  let server: TestServer;
  let baseUrl: string;
  before(async () => {
    // The test server's own admin session takes the only place.
    server = await startServer({
      BLOCKPLANE_MAX_SESSIONS: "1",
      BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0",
    });
    baseUrl = await listen(server);
  });
  after(async () => server?.close());

  test("a 503 with Retry-After is waited out and sent again", async () => {
    const waits: number[] = [];
    const c = createClient({
      baseUrl,
      user: "admin",
      password: ADMIN_PASSWORD,
      // While the client waits, the session holding the place ends.
      sleep: async (ms) => {
        waits.push(ms);
        const sessions = await server.get(`${SIMPLE}/sessions`);
        for (const s of sessions.body.data) await server.delete(`${SIMPLE}/sessions/${s.sessionId}`);
      },
    });
    const r = await c.GET(`${S}/storage`);
    assert.ok(r.ok, r.ok ? "" : r.message);
    assert.deepEqual(waits, [10_000]);
    await c.close();
  });

  test("retries are bounded: the last 503 is the answer, with its Retry-After", async () => {
    const holder = await server.post(`${SIMPLE}/sessions`, undefined, {
      token: null,
      headers: { authorization: basic("admin", ADMIN_PASSWORD) },
    });
    assert.equal(holder.status, 200);
    const waits: number[] = [];
    const c = createClient({
      baseUrl,
      user: "admin",
      password: ADMIN_PASSWORD,
      retries: 2,
      maxRetryDelayMs: 3000,
      sleep: async (ms) => void waits.push(ms),
    });
    const r = await c.GET(`${S}/storage`);
    assert.ok(!r.ok);
    assert.equal(r.status, 503);
    assert.equal(r.retryAfter, 10);
    // The first refusal is the one account's share of the sessions (docs/operations.md).
    assert.match(r.message, /most sessions one user may/);
    assert.deepEqual(waits, [3000, 3000]);
  });
});
