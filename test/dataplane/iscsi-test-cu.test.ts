/**
 * libiscsi's SCSI conformance suite (iscsi-test-cu, every test, destructive ones included) against a
 * LUN of the data plane. The tests tgt is known to fail are listed in docs/data-plane.md; this test
 * fails when any other test fails, or when fewer tests pass than documented.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../support/process.ts";
import { SIMPLE, type TestServer } from "../support/server.ts";
import {
  connect,
  createVolume,
  lunUrl,
  missing,
  ok,
  portals,
  startWithDataPlane,
  targetOf,
} from "./support.ts";

/** tgt's known failures (docs/data-plane.md): "Suite, Test". */
export const KNOWN_FAILURES = new Set([
  "GetLBAStatus, BeyondEol",
  "PrinServiceactionRange, Range",
  "ProutReserve, OwnershipEA",
  "ProutReserve, OwnershipEARO",
  "ProutReserve, OwnershipWE",
  "ProutReserve, OwnershipWERO",
  "Reserve6, 2Initiators",
  "iSCSIdatasn, iSCSIDataSnInvalid",
]);
const MIN_PASSED = 598;

const skip =
  missing() || (fs.existsSync("/usr/bin/iscsi-test-cu") ? false : "iscsi-test-cu is not installed");
if (skip) process.stdout.write(`# iscsi-test-cu skipped: ${skip}\n`);

const FIRST = "iqn.2026-01.io.example:conformance-1";
const SECOND = "iqn.2026-01.io.example:conformance-2";

describe("iscsi-test-cu against a data plane LUN", { skip: skip || false, timeout: 600_000 }, () => {
  let dataDir: string;
  let s: TestServer;
  let port: number;

  before(async () => {
    dataDir = tempDir("blockplane-conformance-");
    const p = await portals();
    port = p.byPort.get("CL1-C") as number;
    s = await startWithDataPlane(dataDir, p.flag);
  });
  after(async () => {
    await s?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("every test passes but tgt's known failures", async () => {
    const v = await createVolume(s, 64);
    // The suite logs in with two initiator names (reservations, two sessions): both are the server's.
    const job = await ok(
      s,
      await s.post(`${SIMPLE}/servers`, { serverNickname: "conformance", protocol: "iSCSI" }),
    );
    const server = Number((job.affectedResources[0] as string).split("/").pop());
    await ok(
      s,
      await s.post(`${SIMPLE}/servers/${server}/hbas`, {
        hbas: [{ iscsiName: FIRST }, { iscsiName: SECOND }],
      }),
    );
    for (const iqn of [FIRST, SECOND]) {
      await ok(s, await s.post(`${SIMPLE}/servers/${server}/paths`, { iscsiName: iqn, portIds: ["CL1-C"] }));
    }
    const lun = await connect(s, v, server);
    const url = lunUrl(port, await targetOf(s, server, "CL1-C"), lun);

    const started = Date.now();
    const output = await new Promise<string>((resolve) => {
      execFile(
        "iscsi-test-cu",
        ["--dataloss", "--normal", "-i", FIRST, "-I", SECOND, url],
        { timeout: 400_000, maxBuffer: 64 * 1024 * 1024 },
        (_err, stdout, stderr) => resolve(stdout + stderr),
      );
    });
    const failed = new Set(
      [...output.matchAll(/^Suite (\S+), Test (\S+) had failures/gm)].map((m) => `${m[1]}, ${m[2]}`),
    );
    const summary = /^\s+tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(output);
    assert.ok(summary, `no run summary in:\n${output.slice(-2000)}`);
    const [, total, ran, passed] = summary.map(Number);
    process.stdout.write(
      `# iscsi-test-cu: ${passed} of ${total} tests passed (${ran} ran) in ${Math.round((Date.now() - started) / 1000)} s; failed: ${[...failed].join("; ") || "none"}\n`,
    );
    const unexpected = [...failed].filter((f) => !KNOWN_FAILURES.has(f));
    assert.deepEqual(unexpected, [], "tests failed that docs/data-plane.md does not list");
    assert.ok((passed as number) >= MIN_PASSED, `only ${passed} tests passed`);
  });
});
