/**
 * `npm run bench:data-plane`: I/O through a LUN of the data plane against the same I/O on its
 * backing file, measured in the same run, as a ratio (LUN / file).
 *
 * Starts Blockplane with `--data-plane iscsi` on free loopback portals and a throw-away store,
 * makes a volume, a server with an iSCSI name and a connection, then runs scripts/iscsi-io.py's
 * bench: sequential 256 KiB writes and reads over the span, and 20,000 random 4 KiB writes and reads,
 * first on the backing file (pwrite/pread), then through the LUN (libiscsi WRITE(16)/READ(16), one
 * command at a time), both from the same Python loop. Needs tgt and libiscsi (test/dataplane/install.sh).
 *
 *   npm run bench:data-plane [-- --mib 1024] [--out bench/data-plane-results.md]
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { assemble } from "../src/server.ts";
import { freePort } from "./start.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const SIMPLE = "/ConfigurationManager/simple/v1/objects";
const PASSWORD = "bench-data-plane";
const INITIATOR = "iqn.2026-01.io.example:bench";

const { values } = parseArgs({
  options: { mib: { type: "string", default: "1024" }, out: { type: "string" } },
});
const mib = Number(values.mib);

const ports = ["CL1-B", "CL2-B", "CL3-B", "CL4-B"];
const portal = new Map<string, number>();
for (const p of ports) portal.set(p, await freePort());
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-bench-dp-"));
const config = loadConfig([], {
  BLOCKPLANE_DATA_DIR: dataDir,
  BLOCKPLANE_ADMIN_PASSWORD: PASSWORD,
  BLOCKPLANE_LOG_LEVEL: "silent",
  BLOCKPLANE_DATA_PLANE: "iscsi",
  BLOCKPLANE_ISCSI_PORTALS: [...portal].map(([id, port]) => `${id}=127.0.0.1:${port}`).join(","),
});
const bp = await assemble(config);
try {
  const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
  const login = await bp.app.inject({
    method: "POST",
    url: `${SIMPLE}/sessions`,
    headers: { authorization: basic },
  });
  const token = JSON.parse(login.body).token as string;
  const call = async (method: "GET" | "POST", url: string, body?: unknown) => {
    const r = await bp.app.inject({
      method,
      url,
      headers: { authorization: `Session ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
    const answer = JSON.parse(r.body);
    const job = Array.isArray(answer) ? answer[0] : answer;
    if (r.statusCode !== 202) return answer;
    for (;;) {
      const st = await bp.app.inject({
        method: "GET",
        url: job.statusResource,
        headers: { authorization: `Session ${token}` },
      });
      const status = JSON.parse(st.body);
      if (status.progress === "completed") {
        if (status.status !== "normal") throw new Error(`${url}: ${st.body}`);
        return status;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const idOf = (job: { affectedResources: string[] }) => Number(job.affectedResources[0]?.split("/").pop());
  const volume = idOf(await call("POST", `${SIMPLE}/volumes`, { poolId: 0, capacity: mib }));
  const server = idOf(
    await call("POST", `${SIMPLE}/servers`, { serverNickname: "bench", protocol: "iSCSI" }),
  );
  await call("POST", `${SIMPLE}/servers/${server}/hbas`, { hbas: [{ iscsiName: INITIATOR }] });
  await call("POST", `${SIMPLE}/servers/${server}/paths`, { iscsiName: INITIATOR, portIds: ["CL1-B"] });
  await call("POST", `${SIMPLE}/volume-server-connections`, { volumeIds: [volume], serverIds: [server] });
  const connection = await call("GET", `${SIMPLE}/volume-server-connections/${volume},${server}`);
  const target = (await call("GET", `${SIMPLE}/servers/${server}/target-iscsi-ports/CL1-B`)).targetIscsiName;
  const url = `iscsi://127.0.0.1:${portal.get("CL1-B")}/${target}/${connection.luns[0].lun}`;
  // The file beside the LUN: the same length, in the same directory, not the LUN's own file.
  const file = path.join(dataDir, "bench-direct.img");
  fs.writeFileSync(file, "");
  fs.truncateSync(file, mib * 1024 * 1024);

  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      "python3",
      [path.join(ROOT, "scripts/iscsi-io.py"), "bench", url, file, String(mib), "-i", INITIATOR],
      { timeout: 900_000 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
    ),
  );
  const results = JSON.parse(stdout) as Record<
    string,
    {
      ioSize: number;
      file: { mibPerS: number; iops: number };
      lun: { mibPerS: number; iops: number };
      ratio: number;
    }
  >;
  const rows = Object.entries(results).map(
    ([name, r]) =>
      `| ${name.replace("_", " ")} | ${r.ioSize / 1024} KiB | ${r.file.mibPerS.toFixed(1)} MiB/s (${Math.round(r.file.iops)} IOPS) | ${r.lun.mibPerS.toFixed(1)} MiB/s (${Math.round(r.lun.iops)} IOPS) | ${r.ratio.toFixed(3)} |`,
  );
  const report = [
    "# Data plane benchmark",
    "",
    `${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"} · Node ${process.version} · span ${mib} MiB`,
    "",
    "One command at a time, from one Python loop: through the LUN (libiscsi over loopback to tgtd) and",
    "on a file of the same length in the same directory (pwrite/pread, through the page cache).",
    "",
    "| pattern | I/O size | backing file | through the LUN | ratio (LUN / file) |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  process.stdout.write(report);
  fs.writeFileSync(values.out ?? path.join(ROOT, "bench/data-plane-results.md"), report);
} finally {
  await bp.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
