/**
 * The package's main entry (`import … from "blockplane"`): starting a Blockplane server from code.
 *
 * - `serve(argv)` runs the server as `blockplane serve` does: flags and BLOCKPLANE_* variables,
 *   listening, graceful shutdown on SIGTERM/SIGINT;
 * - `loadConfig(argv, env)` and `assemble(config)` build one in this process without listening
 *   (its Fastify app answers `app.inject`, or listens when told to), as the tests do.
 */
export { type Config, ConfigError, type LogLevel, loadConfig, usage } from "./config.ts";
export { type AssembleOptions, assemble, type Blockplane } from "./server.ts";

/**
 * Runs the server with the given flags until a signal stops it (main.ts). Imported when called:
 * a static import would move main.ts into a chunk shared with this entry, and main.ts tells that
 * it is the program being run by its own file name.
 */
export async function serve(argv: string[], command = "blockplane serve"): Promise<boolean> {
  const main = await import("./main.ts");
  return main.serve(argv, command);
}
