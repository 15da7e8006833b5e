#!/usr/bin/env node
/**
 * The sequence a real client of the API runs, as plain HTTP calls: create a session, read the
 * storage instance, create a pool, create 10 volumes, register a server with 2 WWNs, connect the
 * volumes to it, snapshot them, then delete everything — polling every command-status.
 *
 *   node scripts/client-sequence.mjs http://127.0.0.1:8080 admin PASSWORD
 *
 * Exits 0 when every step answered as the API says, 1 with the failing step otherwise.
 */
const [base = "http://127.0.0.1:8080", user = "admin", password = process.env.BLOCKPLANE_PASSWORD ?? ""] =
  process.argv.slice(2);
const CM = `${base}/ConfigurationManager`;
const S = `${CM}/simple/v1/objects`;
const JSON_HEADERS = { Accept: "application/json", "Content-Type": "application/json" };
let token = "";

async function call(method, url, body, expect) {
  const headers = { ...JSON_HEADERS, ...(token ? { Authorization: `Session ${token}` } : {}) };
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (res.status !== expect)
    throw new Error(`${method} ${url} answered ${res.status}, expected ${expect}: ${text}`);
  return data;
}

/** Polls a command-status the way clients do (short waits, doubling), and checks it ended normally. */
/**
 * Polls the command-status(es) of a 202 answer until completed. A multi-resource answer lists one
 * statusResource per resource; like the Ansible collection, each is polled and its
 * affectedResources[0] taken as one resource. Answers the statuses merged.
 */
async function waitFor(accepted) {
  if (!Array.isArray(accepted)) return waitForOne(accepted);
  const statuses = [];
  for (const ref of accepted) {
    const status = await waitForOne(ref);
    if (!status.affectedResources?.[0]) throw new Error(`job ${status.id} names no resource`);
    statuses.push(status);
  }
  return {
    affectedResources: statuses.flatMap((st) => st.affectedResources),
    operationDetails: statuses.flatMap((st) => st.operationDetails),
  };
}

async function waitForOne(ref) {
  let wait = 10;
  for (let i = 0; i < 200; i++) {
    const status = await call("GET", `${base}${ref.statusResource}`, undefined, 200);
    if (status.progress === "completed") {
      if (status.status !== "normal")
        throw new Error(`job ${status.id} ended in error: ${JSON.stringify(status)}`);
      return status;
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 500);
  }
  throw new Error(`job ${ref.statusResource} did not complete`);
}

const lastId = (status) => status.affectedResources[0].split("/").pop();
const step = (name) => process.stdout.write(`- ${name}\n`);

async function main() {
  step("create a session (Basic)");
  const basic = Buffer.from(`${user}:${password}`).toString("base64");
  const sres = await fetch(`${CM}/v1/objects/sessions`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Basic ${basic}` },
  });
  if (sres.status !== 200) throw new Error(`session: ${sres.status} ${await sres.text()}`);
  const session = await sres.json();
  token = session.token;

  step("read the storage instance");
  const instance = await call("GET", `${CM}/v1/objects/storages/instance`, undefined, 200);
  if (!/VSP E|VSP One B/.test(instance.model))
    throw new Error(`model ${instance.model} is not a VSP E-series or VSP One B20`);
  await call("GET", `${S}/storage`, undefined, 200);
  // A drive type with five free drives, whatever the model; VSP One builds distributed-parity pools.
  const free = await call("GET", `${S}/drives?usageType=FREE`, undefined, 200);
  const counts = new Map();
  for (const d of free.data) counts.set(d.driveTypeCode, (counts.get(d.driveTypeCode) ?? 0) + 1);
  const driveTypeCode = [...counts].find(([, n]) => n >= 5)?.[0];
  if (!driveTypeCode) throw new Error("no drive type has five free drives");
  const ddp = /VSP One/.test(instance.model) ? { parityGroupType: "DDP" } : {};

  step("create a pool");
  const poolName = `seq-pool-${Date.now() % 100000}`;
  const pool = lastId(
    await waitFor(
      await call(
        "POST",
        `${S}/pools`,
        {
          name: poolName,
          drives: [{ driveTypeCode, dataDriveCount: 5, raidLevel: "RAID5", ...ddp }],
        },
        202,
      ),
    ),
  );

  step("create 10 volumes");
  const created = await call(
    "POST",
    `${S}/volumes`,
    {
      poolId: Number(pool),
      capacity: 1024,
      number: 10,
      nicknameParam: { baseName: "seqvol", startNumber: 1, numberOfDigits: 2 },
    },
    202,
  );
  if (!Array.isArray(created)) throw new Error("POST volumes must answer an array of statusResource objects");
  const volumes = (await waitFor(created)).operationDetails.map((d) => Number(d.resourceId));
  if (volumes.length !== 10) throw new Error(`expected 10 volumes, got ${volumes.length}`);

  step("register a server with 2 WWNs");
  const server = Number(
    lastId(
      await waitFor(
        await call(
          "POST",
          `${S}/servers`,
          { serverNickname: `seq-host-${Date.now() % 100000}`, protocol: "FC", osType: "Linux" },
          202,
        ),
      ),
    ),
  );
  const wwns = ["100000109b1a2b01", "100000109b1a2b02"];
  await waitFor(
    await call("POST", `${S}/servers/${server}/hbas`, { hbas: wwns.map((hbaWwn) => ({ hbaWwn })) }, 202),
  );
  for (const hbaWwn of wwns) {
    await waitFor(
      await call("POST", `${S}/servers/${server}/paths`, { hbaWwn, portIds: ["CL1-A", "CL2-A"] }, 202),
    );
  }

  step("connect the volumes to the server");
  const connected = await waitFor(
    await call("POST", `${S}/volume-server-connections`, { volumeIds: volumes, serverIds: [server] }, 202),
  );
  if (connected.operationDetails.length !== 10) throw new Error("expected 10 connections");

  step("snapshot them");
  const snapped = await waitFor(
    await call(
      "POST",
      `${S}/snapshots`,
      {
        params: volumes.map((masterVolumeId) => ({
          masterVolumeId,
          poolId: Number(pool),
          snapshotGroupName: "seq-group",
          type: "Snapshot",
        })),
      },
      202,
    ),
  );
  if (snapped.operationDetails.length !== 10) throw new Error("expected 10 snapshots");

  step("delete everything");
  await waitFor(await call("DELETE", `${S}/snapshot-groups/seq-group`, undefined, 202));
  for (const v of volumes)
    await waitFor(await call("DELETE", `${S}/volume-server-connections/${v},${server}`, undefined, 202));
  await waitFor(await call("DELETE", `${S}/servers/${server}`, undefined, 202));
  for (const v of volumes) await waitFor(await call("DELETE", `${S}/volumes/${v}`, undefined, 202));
  await waitFor(await call("DELETE", `${S}/pools/${pool}`, undefined, 202));
  const left = await call("GET", `${S}/volumes?poolId=${pool}`, undefined, 200);
  if (left.count !== 0) throw new Error("volumes left behind");
  await call("DELETE", `${CM}/v1/objects/sessions/${session.sessionId}`, undefined, 200);
  process.stdout.write("client sequence: every step passed\n");
}

main().catch((err) => {
  process.stderr.write(`client sequence failed: ${err.message}\n`);
  process.exit(1);
});
