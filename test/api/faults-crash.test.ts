/**
 * A crash point of the fault-injection API kills a real server process where it says, and the work
 * it interrupted completes exactly once after a restart.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { sleep } from "../support/jobs.ts";
import { httpRequest, killAllServers, startServerProcess } from "../support/process.ts";
import { ADMIN_PASSWORD, basic, SIMPLE } from "../support/server.ts";

const FAULTS = "/blockplane/v1/faults";

describe("crash points", { timeout: 120_000 }, () => {
  after(() => killAllServers());

  test("after-item-1-of-createVolumes kills the process; after a restart the job completes once", async () => {
    const server = await startServerProcess({
      args: ["--faults", "on", "--admin-password", ADMIN_PASSWORD, "--job-lease-ms", "1000"],
    });
    const call = async (method: string, path: string, token: string, body?: unknown) =>
      httpRequest(`${server.url}${path}`, method, { authorization: `Session ${token}` }, body);
    const login = async (url: string) => {
      const r = await httpRequest(`${url}${SIMPLE}/sessions`, "POST", {
        authorization: basic("admin", ADMIN_PASSWORD),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.token as string;
    };
    const token = await login(server.url);
    const poolJob = await call("POST", `${SIMPLE}/pools`, token, {
      name: "crash-pool",
      drives: [{ driveTypeCode: "SNB5B-R3R8NC", dataDriveCount: 5, raidLevel: "RAID5" }],
    });
    assert.equal(poolJob.status, 202);
    let poolId: number | undefined;
    for (let i = 0; i < 400 && poolId === undefined; i++) {
      const st = await call("GET", poolJob.body.statusResource, token);
      if (st.body.progress === "completed") poolId = Number(st.body.operationDetails[0].resourceId);
      else await sleep(25);
    }
    const rule = await call("POST", FAULTS, token, {
      action: "crash",
      point: "after-item-1-of-createVolumes",
      count: 1,
    });
    assert.equal(rule.status, 200);
    const accepted = await call("POST", `${SIMPLE}/volumes`, token, { poolId, capacity: 1024, number: 2 });
    assert.equal(accepted.status, 202);
    const exit = await server.exited;
    assert.equal(exit.signal, "SIGKILL");
    assert.match(server.stderr(), /injected crash at after-item-1-of-createVolumes/);

    const again = await startServerProcess({
      dataDir: server.dataDir,
      ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}),
      args: ["--faults", "on", "--job-lease-ms", "500"],
    });
    const token2 = await login(again.url);
    assert.equal(accepted.body.length, 2, "one statusResource per volume");
    const created: string[] = [];
    for (const { statusResource } of accepted.body as { statusResource: string }[]) {
      let job: { progress: string; status: string; affectedResources: string[] } | undefined;
      for (let i = 0; i < 800; i++) {
        const st = await httpRequest(`${again.url}${statusResource}`, "GET", {
          authorization: `Session ${token2}`,
        });
        if (st.body.progress === "completed") {
          job = st.body;
          break;
        }
        await sleep(25);
      }
      assert.equal(job?.status, "normal", JSON.stringify(job));
      assert.equal(job?.affectedResources.length, 1);
      created.push(...(job?.affectedResources ?? []));
    }
    assert.equal(new Set(created).size, 2, "each status names its own volume");
    const storage = await httpRequest(`${again.url}${SIMPLE}/storage`, "GET", {
      authorization: `Session ${token2}`,
    });
    assert.equal(storage.body.numberOfTotalVolumes, 2, "the volumes were created exactly once");
    await again.stop();
  });
});
