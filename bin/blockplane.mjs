#!/usr/bin/env node
// The blockplane command: TypeScript sources run through tsx, with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import(new URL("../src/cli/main.ts", import.meta.url).href);
process.exitCode = await main(process.argv.slice(2), process.env);
