/**
 * What the data plane tests share: whether tgt and libiscsi's tools are here, a server with the
 * data plane on free portals, and a host's view of a LUN (libiscsi's tools and scripts/iscsi-io.py).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { tgtInstalled } from "../../src/dataplane/index.ts";
import { onPath } from "../../src/dataplane/tgt.ts";
import { freePort, ROOT } from "../support/process.ts";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

const run = promisify(execFile);

export const IO = path.join(ROOT, "scripts/iscsi-io.py");
/** The VSP E1090's iSCSI ports, the model the tests run. */
export const ISCSI_PORTS = ["CL1-C", "CL2-C", "CL3-C", "CL4-C", "CL1-D", "CL2-D", "CL3-D", "CL4-D"];

/** Why the data plane tests cannot run here, or false when they can. */
export function missing(): string | false {
  if (process.getuid?.() !== 0) return "the data plane tests run tgtd, which needs root";
  if (!tgtInstalled()) return "tgt (tgtd, tgtadm) is not installed: bash test/dataplane/install.sh";
  for (const tool of ["iscsi-ls", "iscsi-inq", "iscsi-readcapacity16", "python3"]) {
    if (!onPath(tool)) return `${tool} is not installed: bash test/dataplane/install.sh`;
  }
  return false;
}

/** A data dir and the portal flag that serves each iSCSI port on a free port of loopback. */
export async function portals(): Promise<{ flag: string; byPort: Map<string, number> }> {
  const byPort = new Map<string, number>();
  for (const p of ISCSI_PORTS) byPort.set(p, await freePort());
  return { flag: [...byPort].map(([id, port]) => `${id}=127.0.0.1:${port}`).join(","), byPort };
}

export function startWithDataPlane(
  dataDir: string,
  portalFlag: string,
  extra: Record<string, string> = {},
): Promise<TestServer> {
  return startServer({
    BLOCKPLANE_DATA_DIR: dataDir,
    BLOCKPLANE_DATA_PLANE: "iscsi",
    BLOCKPLANE_ISCSI_PORTALS: portalFlag,
    BLOCKPLANE_SEED_POOL: "on",
    ...extra,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: command-statuses read by tests
export async function ok(s: TestServer, r: { status: number; body: any; text: string }): Promise<any> {
  assert.ok(r.status === 202 || r.status === 200, `${r.status} ${r.text}`);
  if (r.status === 200) return r.body;
  const job = await s.waitJob(Array.isArray(r.body) ? r.body : r.body);
  assert.equal(job.status, "normal", JSON.stringify(job));
  return job;
}

/** The IDs a job made: the last part of each affected resource. */
// biome-ignore lint/suspicious/noExplicitAny: a command-status
export function madeIds(job: any): string[] {
  return (job.affectedResources as string[]).map((r) => r.split("/").pop() as string);
}

export async function createVolume(s: TestServer, capacityMiB: number): Promise<number> {
  const job = await ok(s, await s.post(`${SIMPLE}/volumes`, { poolId: 0, capacity: capacityMiB }));
  return Number(madeIds(job)[0]);
}

/** Registers an iSCSI server with one initiator name and paths through `ports`. */
export async function createHost(
  s: TestServer,
  nickname: string,
  iqn: string,
  ports: string[],
): Promise<number> {
  const job = await ok(
    s,
    await s.post(`${SIMPLE}/servers`, { serverNickname: nickname, protocol: "iSCSI", osType: "Linux" }),
  );
  const id = Number(madeIds(job)[0]);
  await ok(s, await s.post(`${SIMPLE}/servers/${id}/hbas`, { hbas: [{ iscsiName: iqn }] }));
  await ok(s, await s.post(`${SIMPLE}/servers/${id}/paths`, { iscsiName: iqn, portIds: ports }));
  return id;
}

export async function connect(s: TestServer, volumeId: number, serverId: number): Promise<number> {
  await ok(
    s,
    await s.post(`${SIMPLE}/volume-server-connections`, { volumeIds: [volumeId], serverIds: [serverId] }),
  );
  const c = await s.get(`${SIMPLE}/volume-server-connections/${volumeId},${serverId}`);
  assert.equal(c.status, 200, c.text);
  return Number(c.body.luns[0].lun);
}

/** The server's target IQN on a port, as the simple API reports it. */
export async function targetOf(s: TestServer, serverId: number, portId: string): Promise<string> {
  const r = await s.get(`${SIMPLE}/servers/${serverId}/target-iscsi-ports/${portId}`);
  assert.equal(r.status, 200, r.text);
  return r.body.targetIscsiName;
}

/** What iscsi-ls shows an initiator on a portal: "target lun" lines of the disks it may use. */
export async function visibleLuns(port: number, initiator: string): Promise<string[]> {
  const { stdout } = await run("iscsi-ls", ["-s", "-i", initiator, `iscsi://127.0.0.1:${port}`], {
    timeout: 30_000,
  });
  const out: string[] = [];
  let target = "";
  for (const line of stdout.split("\n")) {
    const t = /^Target:(\S+)/.exec(line);
    if (t) target = t[1] as string;
    const l = /^Lun:(\d+)\s+Type:DIRECT_ACCESS/.exec(line);
    if (l) out.push(`${target} ${l[1]}`);
  }
  return out;
}

export function lunUrl(port: number, target: string, lun: number): string {
  return `iscsi://127.0.0.1:${port}/${target}/${lun}`;
}

/** Whether `initiator` can log in to the LUN (iscsi-inq's answer). */
export async function canLogIn(url: string, initiator: string): Promise<boolean> {
  try {
    await run("iscsi-inq", ["-i", initiator, url], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** The LUN's capacity in bytes, as READ CAPACITY(16) reports it to `initiator`. */
export async function capacityBytes(url: string, initiator: string): Promise<number> {
  const { stdout } = await run("iscsi-readcapacity16", ["-i", initiator, url], { timeout: 30_000 });
  const m = /Total size:(\d+)/.exec(stdout);
  assert.ok(m, stdout);
  return Number(m[1]);
}

/** Seconds that `count` reads of 4 KiB through the LUN take. */
export async function readTime(url: string, initiator: string, count: number): Promise<number> {
  const { stdout } = await run("python3", [IO, "time", url, "0", String(count), "-i", initiator], {
    timeout: 120_000,
  });
  return Number(stdout.trim());
}

export async function writeLun(url: string, initiator: string, offset: number, text: string): Promise<void> {
  await run(
    "python3",
    [IO, "write", url, String(offset), Buffer.from(text).toString("hex"), "-i", initiator],
    {
      timeout: 60_000,
    },
  );
}

export async function readLun(
  url: string,
  initiator: string,
  offset: number,
  length: number,
): Promise<string> {
  const { stdout } = await run(
    "python3",
    [IO, "read", url, String(offset), String(length), "-i", initiator],
    {
      timeout: 60_000,
    },
  );
  return Buffer.from(stdout.trim(), "hex").toString().replace(/\0+$/, "");
}
