#!/usr/bin/env node
/**
 * Runs every test: the files under test/ (named *.test.ts) are listed explicitly, since Node 20's
 * test runner does not expand globs. With BLOCKPLANE_TEST_DATABASE_URL set (see scripts/pg.sh), the
 * API suite runs a second time against PostgreSQL.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? find(path.join(dir, e.name)) : e.name.endsWith(".test.ts") ? [path.join(dir, e.name)] : []))
    .sort();
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find("test");
const run = (label, env) => {
  process.stdout.write(`\n# ${label}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], {
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  return r.status ?? 1;
};

let status = run("tests on the embedded SQLite store", { BLOCKPLANE_TEST_DATABASE_URL: "" });
if (process.env.BLOCKPLANE_TEST_DATABASE_URL) {
  status = run("tests on PostgreSQL", {}) || status;
}
process.exit(status);
