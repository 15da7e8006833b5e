#!/usr/bin/env node
/**
 * `npm start`: builds dist/ when a source is newer than the last build (scripts/build.mjs; a few
 * milliseconds when nothing changed), then runs the compiled server in this same process, so that
 * the signals npm passes on reach the server itself.
 */
import { ensureBuilt } from "./build.mjs";

await ensureBuilt();
const { serve } = await import("../dist/main.js");
await serve(process.argv.slice(2), "npm start --");
