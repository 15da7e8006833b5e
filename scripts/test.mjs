#!/usr/bin/env node
/**
 * Runs the tests on every store backend the machine has:
 * - every file under test/ (named *.test.ts) on the embedded SQLite store;
 * - then the API suite (test/api/), the client corpus (test/compat/) and the crash test
 *   (test/reliability/crash.test.ts) on PostgreSQL, when the server is installed (a throw-away cluster is started with scripts/pg.sh
 *   and removed afterwards, also on failure or Ctrl-C) or when BLOCKPLANE_TEST_DATABASE_URL names a
 *   server to use instead.
 *
 *   node scripts/test.mjs [files...]            only these files (on PostgreSQL: those of the API suite,
 *                                               the client corpus and the crash test)
 *   BLOCKPLANE_TEST_BACKENDS=sqlite npm test    one backend only (sqlite, postgres, or both: the default)
 *
 * Node 20's test runner does not expand globs, so the files are listed here. Each run's own report
 * streams as it goes; the last lines are one summary in the runner's format adding up both runs, so
 * that whoever reads the closing lines sees every test. The exit code is non-zero if either run failed.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "./build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PG_SH = path.join(root, "scripts", "pg.sh");
process.chdir(root);
// The tests that start server and CLI processes run dist/: built here once, before files run in parallel.
await ensureBuilt();

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? find(path.join(dir, e.name))
        : e.name.endsWith(".test.ts")
          ? [path.join(dir, e.name)]
          : [],
    )
    .sort();
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find("test");
// On PostgreSQL: the API suite, the client corpus, and the reliability tests whose subject is the
// store (crash recovery); the others (fuzz, load) test the HTTP layer, which is the same on both.
const PG_DIRS = ["test/api", "test/compat"];
const PG_ALSO = new Set(["test/reliability/crash.test.ts"]);
const apiFiles = files.filter(
  (f) =>
    PG_DIRS.some((dir) => path.relative(dir, f).split(path.sep)[0] !== "..") ||
    PG_ALSO.has(path.relative(root, path.resolve(f))),
);
const wanted = new Set(
  (process.env.BLOCKPLANE_TEST_BACKENDS || "sqlite,postgres").split(",").map((s) => s.trim()),
);
const givenUrl = process.env.BLOCKPLANE_TEST_DATABASE_URL || "";

const COUNTERS = ["tests", "suites", "pass", "fail", "cancelled", "skipped", "todo", "duration_ms"];
const totals = Object.fromEntries(COUNTERS.map((k) => [k, 0]));
const ran = [];
let status = 0;
let cluster; // the temp dir of the cluster this script started, until it is stopped
let child; // the test run in progress
let tapDir; // where that run's TAP copy goes
const failures = []; // each failed test of both runs, named again in the closing lines

/** Runs the test runner on `list` with `env`; streams its report and adds its summary to the totals. */
async function run(label, list, env) {
  process.stdout.write(`\n# ${label}: ${list.length} file(s)\n`);
  // The runner's report goes to the terminal as usual (spec on a terminal, TAP otherwise), and a
  // TAP copy to a file, from which the summary is read.
  tapDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-tap-"));
  const tap = path.join(tapDir, "report.tap");
  const reporter = process.stdout.isTTY ? "spec" : "tap";
  const args = [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    `--test-reporter=${reporter}`,
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...list,
  ];
  const code = await new Promise((resolve) => {
    child = spawn(process.execPath, args, { stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    child.on("error", () => resolve(1));
  });
  child = undefined;
  const summary = readSummary(tap);
  failures.push(...readFailures(tap).map((f) => `${label}: ${f}`));
  removeTapDir();
  if (summary) {
    for (const k of COUNTERS) totals[k] += summary[k] ?? 0;
  }
  if (code !== 0 && !summary?.fail) {
    // A run that died before reporting (crash, signal) still counts as a failure in the summary.
    process.stdout.write(`# ${label}: the test runner exited with ${code} without reporting a failed test\n`);
    totals.fail += 1;
  }
  ran.push(
    `${label} (${summary ? `${summary.pass ?? 0} passed, ${summary.fail ?? 0} failed` : `exit ${code}`})`,
  );
  return code;
}

/** The closing `# key value` lines of a TAP report. */
function readSummary(file) {
  if (!fs.existsSync(file)) return undefined;
  const summary = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^# (\w+) ([\d.]+)$/.exec(line);
    if (m && COUNTERS.includes(m[1])) summary[m[1]] = Number(m[2]);
  }
  return Object.keys(summary).length > 0 ? summary : undefined;
}

/**
 * The failed tests of a TAP report, each as "name (location): first line of the error". A test that
 * failed only because a subtest did is left out (the subtest is named), and so are todo tests.
 */
function readFailures(file) {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m || /# TODO\b/.test(m[2])) continue;
    const fields = {};
    for (let j = i + 1; j < lines.length && !/^\s*\.\.\.$/.test(lines[j]); j++) {
      const f = /^\s*(location|failureType|error): (.*)$/.exec(lines[j]);
      if (!f) continue;
      // A block scalar (|-) has its text on the next line.
      fields[f[1]] = f[2] === "|-" ? (lines[j + 1] ?? "").trim() : f[2].replace(/^'(.*)'$/, "$1");
    }
    if (fields.failureType === "subtestsFailed") continue;
    const where = fields.location ? ` (${path.relative(root, fields.location)})` : "";
    found.push(`${m[2]}${where}: ${(fields.error ?? "").slice(0, 300)}`);
  }
  return found;
}

function removeTapDir() {
  if (tapDir) fs.rmSync(tapDir, { recursive: true, force: true });
  tapDir = undefined;
}

function pgInstalled() {
  return spawnSync("bash", [PG_SH, "available"], { stdio: "ignore" }).status === 0;
}

function startCluster() {
  const r = spawnSync("bash", [PG_SH, "start"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    // Should this process be killed outright, the next start removes the cluster it leaves.
    env: { ...process.env, BLOCKPLANE_PG_OWNER_PID: String(process.pid) },
  });
  const vars = Object.fromEntries(
    (r.stdout ?? "")
      .split("\n")
      .map((l) => /^(\w+)=(.*)$/.exec(l.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  cluster = vars.BLOCKPLANE_TEST_PG_DIR;
  if (r.status !== 0 || !vars.BLOCKPLANE_TEST_DATABASE_URL) {
    stopCluster();
    throw new Error(`scripts/pg.sh start failed (exit ${r.status})`);
  }
  return vars.BLOCKPLANE_TEST_DATABASE_URL;
}

function stopCluster() {
  if (!cluster) return;
  const dir = cluster;
  cluster = undefined;
  spawnSync("bash", [PG_SH, "stop", dir], { stdio: "inherit" });
}

// Ctrl-C or a CI timeout: end the run in progress, then remove the cluster before leaving.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    child?.kill(signal);
    stopCluster();
    process.exit(128 + (os.constants.signals[signal] ?? 1));
  });
}
process.on("exit", () => {
  stopCluster();
  removeTapDir();
});

const backends = [];
if (wanted.has("sqlite")) {
  status = (await run("SQLite", files, { BLOCKPLANE_TEST_DATABASE_URL: "" })) || status;
  backends.push(only.length > 0 ? "SQLite" : "SQLite (all files)");
}

let skippedPg = "";
if (!wanted.has("postgres")) {
  skippedPg = "not asked for (BLOCKPLANE_TEST_BACKENDS)";
} else if (apiFiles.length === 0) {
  skippedPg = "no API test files among those given";
} else if (!givenUrl && !pgInstalled()) {
  skippedPg = "server not installed here (scripts/pg.sh install adds it)";
} else {
  try {
    const url = givenUrl || startCluster();
    const where = givenUrl ? "the server of BLOCKPLANE_TEST_DATABASE_URL" : "a throw-away cluster";
    status = (await run(`PostgreSQL (${where})`, apiFiles, { BLOCKPLANE_TEST_DATABASE_URL: url })) || status;
    backends.push("PostgreSQL (test/api, test/compat, crash)");
  } catch (err) {
    process.stdout.write(`# PostgreSQL: ${err.message}\n`);
    ran.push(`PostgreSQL (could not start: ${err.message})`);
    totals.fail += 1;
    status ||= 1;
  } finally {
    stopCluster();
  }
}

process.stdout.write(`\n# backends run: ${backends.join(", ") || "none"}\n`);
if (skippedPg) process.stdout.write(`# PostgreSQL not run: ${skippedPg}\n`);
for (const r of ran) process.stdout.write(`# ${r}\n`);
// Named again here, so that whoever reads only the closing lines (a CI log's tail) sees what failed.
for (const f of failures.slice(0, 20)) process.stdout.write(`# failed: ${f}\n`);
if (failures.length > 20) process.stdout.write(`# failed: and ${failures.length - 20} more\n`);
// The closing lines: the runner's summary, added up over both runs.
for (const k of COUNTERS) {
  process.stdout.write(`# ${k} ${k === "duration_ms" ? totals[k].toFixed(3) : totals[k]}\n`);
}
process.exit(status);
