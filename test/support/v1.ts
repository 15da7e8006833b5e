/**
 * What tests of the full API (v1) share: changes whose answer is held until the job completes
 * (Response-Job-Status), the ID of what a job made, and the array such a test starts from.
 */
import assert from "node:assert/strict";
import { FULL, SIMPLE, type TestServer } from "./server.ts";

export const WAIT = { "Response-Job-Status": "Completed;", "Response-Max-Wait": "30" };

/** The last path segment of a job's first affected resource: the ID of what it made. */
export const lastPart = (job: { affectedResources: string[] }) =>
  (job.affectedResources[0] as string).split("/").pop() as string;

/**
 * Changes sent with the wait: `change` answers the completed job (its answer one of `statuses`),
 * `succeeded` asserts that the job succeeded. `server` is read at each call, as tests assign it in
 * `before`.
 */
export function heldChanges(server: () => TestServer, statuses: number[] = [202]) {
  async function change(method: string, url: string, body?: unknown) {
    const r = await server().request(method, url, {
      headers: WAIT,
      ...(body !== undefined ? { body } : {}),
    });
    assert.ok(statuses.includes(r.status), `${method} ${url}: ${r.status} ${r.text}`);
    assert.equal(r.body.status, "Completed", r.text);
    return r.body;
  }
  async function succeeded(method: string, url: string, body?: unknown) {
    const job = await change(method, url, body);
    assert.equal(job.state, "Succeeded", JSON.stringify(job));
    return job;
  }
  return { change, succeeded };
}

/** The server-edition prefix of the array and a new pool of five drives on it. */
export async function v1Array(s: TestServer, poolName: string): Promise<{ scoped: string; poolId: number }> {
  const storages = await s.get(`${FULL}/storages`);
  const scoped = `${FULL}/storages/${storages.body.data[0].storageDeviceId}`;
  const pool = await s.post(`${SIMPLE}/pools`, {
    name: poolName,
    drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
  });
  const poolId = Number((await s.waitJob(pool.body)).operationDetails[0].resourceId);
  return { scoped, poolId };
}
