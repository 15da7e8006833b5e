/**
 * The server process as the build runs it (dist/main.js; `npm start`, `blockplane serve`): the
 * server's bundle, dist/server.cjs, loaded through V8's code cache (code-cache.ts), then served
 * with the command line's flags when this file is the program being run.
 *
 * It exists only in dist/, beside the bundle; from the sources, src/main.ts is the process.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { codeCacheDir, requireCached } from "./code-cache.ts";

type Server = typeof import("../index.ts");

const bundle = requireCached(
  fileURLToPath(new URL("./server.cjs", import.meta.url)),
  codeCacheDir(process.env),
);
const server = bundle.exports as Server;

/** Runs the server with the given flags until a signal stops it; `command` names it in the usage text. */
export const serve: Server["serve"] = async (argv, command) => {
  const listening = await server.serve(argv, command);
  if (listening) bundle.saveCache();
  return listening;
};

const script = process.argv[1];
if (
  script !== undefined &&
  fs.existsSync(script) &&
  fs.realpathSync(script) === fileURLToPath(import.meta.url)
) {
  void serve(process.argv.slice(2), "node dist/main.js");
}
