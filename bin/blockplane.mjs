#!/usr/bin/env node
// The blockplane command: the compiled CLI in dist/. In a checkout (the build script beside it),
// dist/ is rebuilt first when a source is newer, so the command never runs stale code.
import fs from "node:fs";

const build = new URL("../scripts/build.mjs", import.meta.url);
if (fs.existsSync(build)) await (await import(build.href)).ensureBuilt();
const { main } = await import(new URL("../dist/cli.js", import.meta.url).href);
process.exitCode = await main(process.argv.slice(2), process.env);
