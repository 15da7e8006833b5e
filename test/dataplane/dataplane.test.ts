/**
 * The data plane (`--data-plane iscsi`) seen from a host: real iSCSI logins to tgt on loopback
 * portals, with libiscsi's iscsi-ls and iscsi-inq and scripts/iscsi-io.py as the host. Skipped where
 * tgt or libiscsi's tools are not installed (test/dataplane/install.sh installs them).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServerProcess, tempDir } from "../support/process.ts";
import { SIMPLE, type TestServer } from "../support/server.ts";
import {
  canLogIn,
  capacityBytes,
  connect,
  createHost,
  createVolume,
  lunUrl,
  missing,
  ok,
  portals,
  readLun,
  readTime,
  startWithDataPlane,
  targetOf,
  visibleLuns,
  writeLun,
} from "./support.ts";

const skip = missing();
if (skip) process.stdout.write(`# data plane tests skipped: ${skip}\n`);

const HOST_A = "iqn.2026-01.io.example:host-a";
const HOST_B = "iqn.2026-01.io.example:host-b";
const STRANGER = "iqn.2026-01.io.example:stranger";
const GIB = 1024;

/** Waits for `check` to hold, for at most `ms` (the periodic reconcile runs every 2 s). */
async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail("condition not met in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("data plane over iSCSI", { skip: skip || false, timeout: 600_000 }, () => {
  let dataDir: string;
  let s: TestServer;
  let flag: string;
  let byPort: Map<string, number>;
  const portOf = (id: string) => byPort.get(id) as number;

  before(async () => {
    dataDir = tempDir("blockplane-data-plane-test-");
    ({ flag, byPort } = await portals());
    s = await startWithDataPlane(dataDir, flag, { BLOCKPLANE_FAULTS: "on" });
  });
  after(async () => {
    await s?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const volumeFile = (id: number) => path.join(dataDir, "data-plane", "volumes", `${id}.img`);

  test("a volume's backing file is sparse, grows with an expansion and goes with the volume", async () => {
    const big = await createVolume(s, 2 * 1024 * GIB);
    const st = fs.statSync(volumeFile(big));
    assert.ok(st.size > 0, "the file exists with a length");
    assert.equal(st.blocks, 0, "no block is allocated for an unwritten volume");

    const v = await createVolume(s, GIB);
    assert.equal(fs.statSync(volumeFile(v)).size, GIB * 1024 * 1024);
    await ok(s, await s.post(`${SIMPLE}/volumes/${v}/actions/expand/invoke`, { capacity: GIB }));
    assert.equal(fs.statSync(volumeFile(v)).size, 2 * GIB * 1024 * 1024);
    await ok(s, await s.delete(`${SIMPLE}/volumes/${v}`));
    assert.equal(fs.existsSync(volumeFile(v)), false);
    await ok(s, await s.delete(`${SIMPLE}/volumes/${big}`));
    assert.equal(fs.existsSync(volumeFile(big)), false);
  });

  test("a host logs in only with its registered IQN; connect and disconnect show at once", async () => {
    const v = await createVolume(s, GIB);
    const host = await createHost(s, "login-host", HOST_A, ["CL1-C"]);
    const target = await targetOf(s, host, "CL1-C");
    assert.deepEqual(await visibleLuns(portOf("CL1-C"), HOST_A), [], "no LUN before a connection");
    const lun = await connect(s, v, host);
    assert.ok(lun >= 1, "tgt keeps LUN 0: the array picks LUNs from 1");
    assert.deepEqual(await visibleLuns(portOf("CL1-C"), HOST_A), [`${target} ${lun}`]);
    assert.deepEqual(await visibleLuns(portOf("CL1-C"), STRANGER), [], "an unregistered IQN sees nothing");
    assert.equal(await canLogIn(lunUrl(portOf("CL1-C"), target, lun), STRANGER), false);
    assert.equal(await canLogIn(lunUrl(portOf("CL1-C"), target, lun), HOST_A), true);
    // Through another port the server has no path: no target for it there.
    assert.deepEqual(await visibleLuns(portOf("CL2-C"), HOST_A), []);

    // An expansion reaches the host: the LUN's capacity is the volume's new one.
    const url = lunUrl(portOf("CL1-C"), target, lun);
    assert.equal(await capacityBytes(url, HOST_A), GIB * 1024 * 1024);
    await ok(s, await s.post(`${SIMPLE}/volumes/${v}/actions/expand/invoke`, { capacity: GIB }));
    assert.equal(await capacityBytes(url, HOST_A), 2 * GIB * 1024 * 1024);

    await ok(s, await s.delete(`${SIMPLE}/volume-server-connections/${v},${host}`));
    assert.deepEqual(await visibleLuns(portOf("CL1-C"), HOST_A), [], "the LUN is gone once disconnected");
    await ok(s, await s.delete(`${SIMPLE}/servers/${host}`));
    await ok(s, await s.delete(`${SIMPLE}/volumes/${v}`));
  });

  test("data written through one connection reads back after a restart and through a second server", async () => {
    const v = await createVolume(s, GIB);
    const a = await createHost(s, "writer", HOST_A, ["CL1-C"]);
    const lunA = await connect(s, v, a);
    const urlA = lunUrl(portOf("CL1-C"), await targetOf(s, a, "CL1-C"), lunA);
    await writeLun(urlA, HOST_A, 0, "written before the restart");
    await writeLun(urlA, HOST_A, 512 * 1024 * 1024, "half a gibibyte in");
    // Thin: the volume holds the blocks written, and its pool counts them.
    await eventually(async () => {
      const used = (await s.get(`${SIMPLE}/volumes/${v}`)).body.usedCapacity;
      return used >= 1 && used < 16;
    });

    await s.close();
    s = await startWithDataPlane(dataDir, flag, { BLOCKPLANE_FAULTS: "on" });
    assert.equal(
      await readLun(urlA, HOST_A, 0, 512),
      "written before the restart",
      "the connection survived",
    );
    assert.equal(await readLun(urlA, HOST_A, 512 * 1024 * 1024, 512), "half a gibibyte in");

    const b = await createHost(s, "reader", HOST_B, ["CL2-C"]);
    const lunB = await connect(s, v, b);
    const urlB = lunUrl(portOf("CL2-C"), await targetOf(s, b, "CL2-C"), lunB);
    assert.equal(await readLun(urlB, HOST_B, 0, 512), "written before the restart");
    assert.equal(await canLogIn(urlB, HOST_A), false, "server B's target does not take server A's IQN");
  });

  test("a snapshot keeps the data of its moment; mapped it reads as a volume; a restore brings it back", async () => {
    const v = await createVolume(s, GIB);
    const host = await createHost(s, "snap-host", "iqn.2026-01.io.example:snap", ["CL3-C"]);
    const iqn = "iqn.2026-01.io.example:snap";
    const lun = await connect(s, v, host);
    const target = await targetOf(s, host, "CL3-C");
    const url = lunUrl(portOf("CL3-C"), target, lun);
    await writeLun(url, iqn, 4096, "before the snapshot");

    const job = await ok(
      s,
      await s.post(`${SIMPLE}/snapshots`, {
        params: [{ masterVolumeId: v, poolId: 0, snapshotGroupName: "dp", type: "Mapped Snapshot" }],
      }),
    );
    const snapshotId = madeSnapshot(job);
    await writeLun(url, iqn, 4096, "after the snapshot!");
    assert.equal(await readLun(url, iqn, 4096, 512), "after the snapshot!");

    const shown = (await s.get(`${SIMPLE}/snapshots/${v},${snapshotId}`)).body;
    const mappedLun = await connect(s, shown.mappedVolumeId, host);
    assert.equal(
      await readLun(lunUrl(portOf("CL3-C"), target, mappedLun), iqn, 4096, 512),
      "before the snapshot",
    );

    await ok(s, await s.post(`${SIMPLE}/snapshots/${v},${snapshotId}/actions/restore/invoke`));
    assert.equal(await readLun(url, iqn, 4096, 512), "before the snapshot", "the restore brought it back");

    const file = path.join(dataDir, "data-plane", "snapshots", `${v}-${snapshotId}.img`);
    assert.ok(fs.existsSync(file));
    await ok(s, await s.delete(`${SIMPLE}/volume-server-connections/${shown.mappedVolumeId},${host}`));
    await ok(s, await s.delete(`${SIMPLE}/snapshots/${v},${snapshotId}`));
    assert.equal(fs.existsSync(file), false, "the snapshot's data goes with it");
  });

  test("a tgtd that dies is started again and rebuilt from the store", async () => {
    const v = await createVolume(s, GIB);
    const iqn = "iqn.2026-01.io.example:crash";
    const host = await createHost(s, "crash-host", iqn, ["CL2-D"]);
    const lun = await connect(s, v, host);
    const url = lunUrl(portOf("CL2-D"), await targetOf(s, host, "CL2-D"), lun);
    await writeLun(url, iqn, 0, "kept across the crash");
    const pid = Number(fs.readFileSync(path.join(dataDir, "data-plane", "tgtd", "CL2-D.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    await eventually(async () => {
      const again = Number(fs.readFileSync(path.join(dataDir, "data-plane", "tgtd", "CL2-D.pid"), "utf8"));
      return again !== pid && (await canLogIn(url, iqn));
    });
    assert.equal(await readLun(url, iqn, 0, 512), "kept across the crash");
  });

  test("a Blockplane killed outright leaves its portals serving; the next start takes them over", async () => {
    const v = await createVolume(s, GIB);
    const iqn = "iqn.2026-01.io.example:survivor";
    const host = await createHost(s, "survivor", iqn, ["CL3-D"]);
    const url = lunUrl(portOf("CL3-D"), await targetOf(s, host, "CL3-D"), await connect(s, v, host));
    await writeLun(url, iqn, 0, "written before the kill");
    await s.close();

    // Another process on the same data dir rebuilds the portals from the store, then dies at once.
    const pidFile = path.join(dataDir, "data-plane", "tgtd", "CL3-D.pid");
    const proc = await startServerProcess({
      dataDir,
      env: { BLOCKPLANE_DATA_PLANE: "iscsi", BLOCKPLANE_ISCSI_PORTALS: flag, BLOCKPLANE_LOG_LEVEL: "info" },
    });
    assert.equal(await readLun(url, iqn, 0, 512), "written before the kill");
    const left = Number(fs.readFileSync(pidFile, "utf8"));
    await proc.stop("SIGKILL");
    assert.equal(await readLun(url, iqn, 0, 512), "written before the kill", "its tgtd still serves");

    s = await startWithDataPlane(dataDir, flag, { BLOCKPLANE_FAULTS: "on" });
    assert.notEqual(Number(fs.readFileSync(pidFile, "utf8")), left, "a tgtd of its own");
    assert.throws(() => process.kill(left, 0), "the tgtd left behind is gone");
    assert.equal(await readLun(url, iqn, 0, 512), "written before the kill");
  });

  test("an io-latency rule slows one volume's I/O and no other LUN's", async () => {
    const iqn = "iqn.2026-01.io.example:slow";
    const host = await createHost(s, "slow-host", iqn, ["CL4-D"]);
    const target = await targetOf(s, host, "CL4-D");
    const slow = await createVolume(s, GIB);
    const fast = await createVolume(s, GIB);
    const slowUrl = lunUrl(portOf("CL4-D"), target, await connect(s, slow, host));
    const fastUrl = lunUrl(portOf("CL4-D"), target, await connect(s, fast, host));
    const before = await readTime(slowUrl, iqn, 20);

    const rule = await s.post("/blockplane/v1/faults", {
      id: "slow",
      action: "io-latency",
      volumeId: slow,
      latencyMs: 50,
    });
    assert.equal(rule.status, 200, rule.text);
    assert.equal(rule.body.scope, "data");
    // 20 reads, each 50 ms later: a second at least.
    await eventually(async () => (await readTime(slowUrl, iqn, 20)) >= 1);
    const other = await readTime(fastUrl, iqn, 20);
    assert.ok(other < 0.5, `the other LUN of the same target took ${other} s for 20 reads`);

    assert.equal((await s.delete("/blockplane/v1/faults/slow")).status, 200);
    await eventually(async () => (await readTime(slowUrl, iqn, 20)) < Math.max(0.5, before * 5));
  });

  test("a port taken down, and maintenance, make portals refuse logins", async () => {
    const v = await createVolume(s, GIB);
    const iqn = "iqn.2026-01.io.example:faults";
    const host = await createHost(s, "fault-host", iqn, ["CL4-C", "CL1-D"]);
    const lun = await connect(s, v, host);
    const urlDown = lunUrl(portOf("CL4-C"), await targetOf(s, host, "CL4-C"), lun);
    const urlUp = lunUrl(portOf("CL1-D"), await targetOf(s, host, "CL1-D"), lun);
    assert.equal(await canLogIn(urlDown, iqn), true);

    const rule = await s.post("/blockplane/v1/faults", {
      id: "cl4c-down",
      action: "port-down",
      portId: "CL4-C",
    });
    assert.equal(rule.status, 200, rule.text);
    assert.equal(rule.body.scope, "data");
    await eventually(async () => !(await canLogIn(urlDown, iqn)));
    assert.equal(await canLogIn(urlUp, iqn), true, "the other port still takes logins");
    assert.equal((await s.delete("/blockplane/v1/faults/cl4c-down")).status, 200);
    await eventually(() => canLogIn(urlDown, iqn));

    assert.equal((await s.request("PUT", "/blockplane/v1/maintenance", { body: {} })).status, 200);
    await eventually(async () => !(await canLogIn(urlUp, iqn)));
    assert.equal((await s.delete("/blockplane/v1/maintenance")).status, 200);
    await eventually(() => canLogIn(urlUp, iqn));
  });
});

// biome-ignore lint/suspicious/noExplicitAny: a command-status
function madeSnapshot(job: any): number {
  const id = (job.affectedResources as string[])[0]?.split("/").pop() as string;
  return Number(id.split(",")[1]);
}
