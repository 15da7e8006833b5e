/**
 * better-sqlite3's native addon, given to each connection by its path.
 *
 * Left to itself, better-sqlite3 finds its addon with the `bindings` package, which reads a stack
 * trace to learn where it was called from and then tries a dozen candidate paths: a few
 * milliseconds of every start. The addon of an installed better-sqlite3 (prebuilt, or compiled by
 * its install script) is always build/Release/better_sqlite3.node in its package, so that file is
 * named here. This also lets the server's bundle hold better-sqlite3's JavaScript, which then
 * compiles through the bundle's code cache rather than file by file (scripts/build.mjs).
 */
import { createRequire } from "node:module";
import path from "node:path";

let binding: string | undefined;

/** The path of better-sqlite3's addon, as better-sqlite3's `nativeBinding` option takes it. */
export function sqliteBinding(): string {
  binding ??= path.join(
    path.dirname(createRequire(import.meta.url).resolve("better-sqlite3/package.json")),
    "build",
    "Release",
    "better_sqlite3.node",
  );
  return binding;
}
