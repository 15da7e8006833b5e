/**
 * Thin Image pairs on the full API (v1): the steps a block-storage client takes (make the S-VOL,
 * pair it, wait for PSUS, restore, release the S-VOL, delete the pair; a clone that ends once
 * copied), the refusals it branches on, and the same snapshots seen through the simple face.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";
import { heldChanges, lastPart, v1Array } from "../support/v1.ts";

describe("v1 Thin Image pairs", () => {
  let s: TestServer;
  let scoped: string;
  let poolId: number;
  let seq = 0;
  const group = (kind = "snap") => `HBSD-${kind}${++seq}`;

  const { change, succeeded } = heldChanges(() => s);
  async function refusedWith(ssb: [string, string], method: string, url: string, body?: unknown) {
    const job = await change(method, url, body);
    assert.equal(job.state, "Failed", JSON.stringify(job));
    assert.deepEqual([job.error.errorCode.SSB1, job.error.errorCode.SSB2], ssb, JSON.stringify(job.error));
  }

  async function ldev(capacity = "1G"): Promise<number> {
    const job = await succeeded("POST", `${scoped}/ldevs`, { byteFormatCapacity: capacity, poolId });
    return Number(lastPart(job));
  }
  const getLdev = async (id: number) => (await s.get(`${scoped}/ldevs/${id}`)).body;
  const pairsOf = async (query: string) => {
    const r = await s.get(`${scoped}/snapshots?${query}`);
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  };

  /** A snapshot as a block-storage client takes it: S-VOL first, then the pair, split at once. */
  async function snapshot(pvol: number) {
    const svol = await ldev();
    const job = await succeeded("POST", `${scoped}/snapshots`, {
      snapshotGroupName: group(),
      snapshotPoolId: poolId,
      pvolLdevId: pvol,
      svolLdevId: svol,
      autoSplit: true,
      canCascade: true,
      isDataReductionForceCopy: true,
    });
    const [p, mu] = lastPart(job).split(",").map(Number);
    assert.equal(p, pvol);
    return { svol, mu: mu as number, url: `${scoped}/snapshots/${pvol},${mu}` };
  }

  before(async () => {
    s = await startServer();
    ({ scoped, poolId } = await v1Array(s, "ti-pool"));
  });
  after(() => s.close());

  test("a snapshot onto an S-VOL: PSUS at once, seen from both volumes and through the simple face", async () => {
    const pvol = await ldev();
    const { svol, mu, url } = await snapshot(pvol);
    assert.ok(mu >= 3, `MU ${mu}`);

    const [asSvol] = await pairsOf(`svolLdevId=${svol}`);
    assert.equal(asSvol.primaryOrSecondary, "S-VOL");
    assert.equal(asSvol.status, "PSUS");
    assert.equal(asSvol.pvolLdevId, pvol);
    assert.equal(asSvol.muNumber, mu);
    assert.equal(asSvol.svolLdevId, svol);
    assert.equal(asSvol.snapshotPoolId, poolId);
    assert.equal(asSvol.canCascade, true);
    assert.equal(asSvol.isClone, false);
    assert.match(asSvol.splitTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const asPvol = await pairsOf(`pvolLdevId=${pvol}`);
    assert.deepEqual(
      asPvol.map((p: { primaryOrSecondary: string; svolLdevId: number }) => [
        p.primaryOrSecondary,
        p.svolLdevId,
      ]),
      [["P-VOL", svol]],
    );
    assert.deepEqual(await pairsOf(`pvolLdevId=${pvol}&muNumber=${mu}`), asPvol);
    assert.equal((await s.get(url)).body.snapshotId, `${pvol},${mu}`);

    // Both LDEVs are in a Thin Image pair; only the S-VOL has a snapshot pool.
    const p = await getLdev(pvol);
    const sv = await getLdev(svol);
    assert.ok(p.attributes.includes("HTI"), JSON.stringify(p.attributes));
    assert.ok(sv.attributes.includes("HTI"), JSON.stringify(sv.attributes));
    assert.equal(p.snapshotPoolId, undefined);
    assert.equal(sv.snapshotPoolId, poolId);
    const listed = await s.get(`${scoped}/ldevs?headLdevId=${pvol}&count=1`);
    assert.ok(listed.body.data[0].attributes.includes("HTI"));

    // The simple face: the same snapshot, mapped to the S-VOL.
    const simple = await s.get(`${SIMPLE}/snapshots/${pvol},${mu}`);
    assert.equal(simple.status, 200, simple.text);
    assert.equal(simple.body.mappedVolumeId, svol);
    assert.equal(simple.body.type, "Mapped Snapshot");
    assert.equal(simple.body.status, "PSUS");
    assert.equal((await s.get(`${SIMPLE}/volumes/${pvol}`)).body.numberOfSnapshots, 1);
  });

  test("restore, with and without the split after it; split; restore refused while paired", async () => {
    const pvol = await ldev();
    const { mu, url } = await snapshot(pvol);
    await succeeded("PUT", `${url}/actions/restore/invoke`, { parameters: { autoSplit: true } });
    assert.equal((await s.get(url)).body.status, "PSUS");
    await succeeded("PUT", `${url}/actions/restore/invoke`, { parameters: { autoSplit: false } });
    assert.equal((await s.get(url)).body.status, "PAIR");
    assert.equal((await s.get(url)).body.splitTime, undefined);
    await refusedWith(["2e31", "0016"], "PUT", `${url}/actions/restore/invoke`);
    await succeeded("PUT", `${url}/actions/split/invoke`);
    assert.equal((await s.get(`${SIMPLE}/snapshots/${pvol},${mu}`)).body.status, "PSUS");
    await refusedWith(["2e31", "0016"], "PUT", `${url}/actions/split/invoke`, {});
  });

  test("a pair left in PAIR (no autoSplit) until split", async () => {
    const pvol = await ldev();
    const svol = await ldev();
    const job = await succeeded("POST", `${scoped}/snapshots`, {
      snapshotGroupName: group(),
      snapshotPoolId: poolId,
      pvolLdevId: pvol,
      svolLdevId: svol,
    });
    const url = `${scoped}/snapshots/${lastPart(job)}`;
    const pair = (await s.get(url)).body;
    assert.equal(pair.status, "PAIR");
    assert.equal(pair.canCascade, false);
    await succeeded("PUT", `${url}/actions/split/invoke`, { parameters: {} });
    assert.equal((await s.get(url)).body.status, "PSUS");
  });

  test("deleting a snapshot as a client does: release the S-VOL, delete the pair, then the LDEV", async () => {
    const pvol = await ldev();
    const { svol, mu, url } = await snapshot(pvol);
    // An S-VOL in a pair cannot be deleted.
    await refusedWith(["2e30", "0006"], "DELETE", `${scoped}/ldevs/${svol}`);

    await succeeded("PUT", `${url}/actions/unassign-volume/invoke`);
    const released = (await s.get(url)).body;
    assert.equal(released.svolLdevId, undefined);
    assert.deepEqual(await pairsOf(`svolLdevId=${svol}`), []);
    const sv = await getLdev(svol);
    assert.ok(!sv.attributes.includes("HTI"), JSON.stringify(sv.attributes));
    assert.equal(sv.snapshotPoolId, undefined);
    assert.equal((await s.get(`${SIMPLE}/snapshots/${pvol},${mu}`)).body.type, "Snapshot");
    await refusedWith(["2e31", "0017"], "PUT", `${url}/actions/unassign-volume/invoke`);

    // assign-volume gives it an S-VOL again.
    await succeeded("PUT", `${url}/actions/assign-volume/invoke`, { parameters: { svolLdevId: svol } });
    assert.equal((await s.get(url)).body.svolLdevId, svol);
    await refusedWith(["2e31", "0012"], "PUT", `${url}/actions/assign-volume/invoke`, {
      parameters: { svolLdevId: svol },
    });
    await succeeded("PUT", `${url}/actions/unassign-volume/invoke`);

    await succeeded("DELETE", url);
    assert.equal((await s.get(url)).status, 404);
    assert.equal((await s.get(`${SIMPLE}/snapshots/${pvol},${mu}`)).status, 404);
    assert.deepEqual(await pairsOf(`pvolLdevId=${pvol}`), []);
    assert.ok(!(await getLdev(pvol)).attributes.includes("HTI"));
    await succeeded("DELETE", `${scoped}/ldevs/${svol}`);
    assert.equal((await getLdev(svol)).emulationType, "NOT DEFINED");
  });

  test("a clone with clonesAutomation copies the data and ends the pair", async () => {
    const pvol = await ldev();
    const svol = await ldev();
    await succeeded("POST", `${scoped}/snapshots`, {
      snapshotGroupName: group("clone"),
      snapshotPoolId: poolId,
      pvolLdevId: pvol,
      svolLdevId: svol,
      isClone: true,
      clonesAutomation: true,
      copySpeed: "medium",
      isDataReductionForceCopy: true,
    });
    assert.deepEqual(await pairsOf(`svolLdevId=${svol}`), []);
    assert.deepEqual(await pairsOf(`pvolLdevId=${pvol}`), []);
    assert.ok(!(await getLdev(svol)).attributes.includes("HTI"));
    // The clone is an independent volume: it can be deleted at once.
    await succeeded("DELETE", `${scoped}/ldevs/${svol}`);
  });

  test("a clone without clonesAutomation waits for the clone action", async () => {
    const pvol = await ldev();
    const svol = await ldev();
    const job = await succeeded("POST", `${scoped}/snapshots`, {
      snapshotGroupName: group("clone"),
      snapshotPoolId: poolId,
      pvolLdevId: pvol,
      svolLdevId: svol,
      isClone: true,
    });
    const url = `${scoped}/snapshots/${lastPart(job)}`;
    assert.equal((await s.get(url)).body.isClone, true);
    assert.equal((await s.get(`${SIMPLE}/snapshots/${lastPart(job)}`)).body.type, "Snap Clone");
    await succeeded("PUT", `${url}/actions/clone/invoke`, { parameters: { copySpeed: "faster" } });
    assert.equal((await s.get(url)).status, 404);
    // Only a clone pair can be cloned.
    const other = await snapshot(pvol);
    await refusedWith(["2e31", "0018"], "PUT", `${other.url}/actions/clone/invoke`);
  });

  test("the array's refusals, in the job, with nothing changed", async () => {
    const pvol = await ldev();
    const small = await ldev("512M");
    const base = { snapshotPoolId: poolId, pvolLdevId: pvol, autoSplit: true };
    await refusedWith(["2e30", "600e"], "POST", `${scoped}/snapshots`, {
      ...base,
      snapshotGroupName: group(),
      snapshotPoolId: 99,
      svolLdevId: await ldev(),
    });
    await refusedWith(["2e31", "0014"], "POST", `${scoped}/snapshots`, {
      ...base,
      snapshotGroupName: group(),
      svolLdevId: small,
    });
    await refusedWith(["2e31", "0013"], "POST", `${scoped}/snapshots`, {
      ...base,
      snapshotGroupName: group(),
      svolLdevId: pvol,
    });
    const { svol } = await snapshot(pvol);
    await refusedWith(["2e31", "0015"], "POST", `${scoped}/snapshots`, {
      ...base,
      snapshotGroupName: group(),
      svolLdevId: svol,
    });
    const name = group();
    await succeeded("POST", `${scoped}/snapshots`, { ...base, snapshotGroupName: name });
    await refusedWith(["2e31", "0011"], "POST", `${scoped}/snapshots`, { ...base, snapshotGroupName: name });
    const missing = await change("POST", `${scoped}/snapshots`, {
      ...base,
      snapshotGroupName: group(),
      pvolLdevId: 65000,
    });
    assert.equal(missing.state, "Failed");
    // Only the two pairs made above exist for the P-VOL.
    assert.equal((await pairsOf(`pvolLdevId=${pvol}`)).length, 2);
  });

  test("malformed requests are 400 and absent pairs 404, before anything is queued", async () => {
    const made = await succeeded("POST", `${scoped}/ldevs`, { byteFormatCapacity: "1G", poolId });
    const pvol = Number(lastPart(made));
    for (const [url, body] of [
      [
        `${scoped}/snapshots`,
        { snapshotGroupName: "g", snapshotPoolId: poolId, pvolLdevId: pvol, clonesAutomation: true },
      ],
      [
        `${scoped}/snapshots`,
        { snapshotGroupName: "g", snapshotPoolId: poolId, pvolLdevId: pvol, isClone: true },
      ],
      [
        `${scoped}/snapshots`,
        { snapshotGroupName: "g", snapshotPoolId: poolId, pvolLdevId: pvol, copySpeed: "medium" },
      ],
      [`${scoped}/snapshots`, { snapshotGroupName: "g/h", snapshotPoolId: poolId, pvolLdevId: pvol }],
      [`${scoped}/snapshots`, { snapshotGroupName: "g", snapshotPoolId: poolId, pvolLdevId: "x" }],
      [`${scoped}/snapshots`, { snapshotGroupName: "g", snapshotPoolId: poolId }],
    ] as const) {
      const r = await s.post(url, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    }
    for (const url of [
      `${scoped}/snapshots/abc`,
      `${scoped}/snapshots/1`,
      `${scoped}/snapshots/1,2,3`,
      `${scoped}/snapshots?muNumber=3`,
      `${scoped}/snapshots?pvolLdevId=1&svolLdevId=2`,
      `${scoped}/snapshots?pvolLdevId=-1`,
    ]) {
      assert.equal((await s.get(url)).status, 400, url);
    }
    assert.equal((await s.get(`${scoped}/snapshots/${pvol},500`)).status, 404);
    const absent = await s.request("PUT", `${scoped}/snapshots/${pvol},500/actions/restore/invoke`, {
      body: {},
    });
    assert.equal(absent.status, 404, absent.text);
    assert.equal((await s.delete(`${scoped}/snapshots/${pvol},500`)).status, 404);
    const assign = await s.request("PUT", `${scoped}/snapshots/${pvol},500/actions/assign-volume/invoke`, {
      body: { parameters: { svolLdevId: "x" } },
    });
    assert.equal(assign.status, 400, assign.text);
    // No job was queued for any of them: the next job is the one after the LDEV's.
    const next = await succeeded("POST", `${scoped}/ldevs`, { byteFormatCapacity: "1G", poolId });
    assert.equal(next.jobId, made.jobId + 1);
    assert.deepEqual(await pairsOf(`pvolLdevId=${pvol}`), []);
  });

  test("a snapshot of the simple face is a pair without S-VOL on v1, and v1 deletes it", async () => {
    const pvol = await ldev();
    const r = await s.post(`${SIMPLE}/snapshots`, {
      params: [{ masterVolumeId: pvol, poolId, snapshotGroupName: group("simple") }],
    });
    const done = await s.waitJob(r.body);
    const id = done.operationDetails[0].resourceId as string;
    const [pair] = await pairsOf(`pvolLdevId=${pvol}`);
    assert.equal(pair.snapshotId, id);
    assert.equal(pair.svolLdevId, undefined);
    assert.equal(pair.status, "PSUS");
    const job = await succeeded("DELETE", `${scoped}/snapshots/${id}`);
    assert.deepEqual(job.affectedResources, [`${scoped}/snapshots/${id}`]);
    assert.equal((await s.get(`${SIMPLE}/snapshots/${id}`)).status, 404);
  });
});
