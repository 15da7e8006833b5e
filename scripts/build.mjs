#!/usr/bin/env node
/**
 * The build: Blockplane's TypeScript as JavaScript in dist/, which `npm start`, the `blockplane`
 * command and the package run (docs/architecture.md, "Build").
 *
 *   node scripts/build.mjs              the JavaScript, with esbuild (well under a second)
 *   node scripts/build.mjs --if-stale   the same, only when a source changed since the last build
 *   node scripts/build.mjs --types      also the declarations of the package's entries (tsc: slow)
 *
 * Two bundles:
 * - the server's entries (the process, the start API, the harness) and the CLI, split into shared
 *   chunks. The JavaScript packages they use are bundled in: Node 20 resolves and loads each of a
 *   package's files on its own, and for Fastify, Kysely and TypeBox that cost more than the rest of
 *   a start. Left out are the native packages, those loaded only when needed (the PostgreSQL
 *   driver, the documentation pages) and those that serve files of their own. The licences of the
 *   bundled packages are copied to dist/THIRD-PARTY-NOTICES.md.
 * - the SDK (src/client), alone, with its one dependency (openapi-fetch) left as a dependency, so
 *   that `blockplane/client` loads nothing of the server's.
 *
 * `ensureBuilt()` (used by the bin in a checkout, `npm start` and the tests) builds only when a
 * file under src/, or what configures the build, is newer than the last build; a lock lets several
 * processes ask at once. Files are replaced one by one, each atomically.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = path.join(ROOT, "dist");
const TYPES = path.join(DIST, "types");
const STAMP = path.join(DIST, ".stamp");
const LOCK = path.join(DIST, ".lock");
/** The build's own record of what each output holds (esbuild's metafile); tests read it. */
export const META = path.join(DIST, ".meta.json");

/** The server's entries and the CLI: output name → source. The harness may not exist yet. */
const ENTRIES = {
  main: "src/main.ts",
  index: "src/index.ts",
  harness: "src/harness.ts",
  cli: "src/cli/main.ts",
};
const CLIENT_ENTRY = { client: "src/client/index.ts" };

/**
 * Packages left out of the server's bundle: native ones (a .node file is loaded from its own
 * package), the PostgreSQL driver (imported only for a PostgreSQL store), and swagger-ui (imported
 * at the first request of the documentation pages; it serves files from its own directory).
 */
const EXTERNAL = ["better-sqlite3", "@node-rs/argon2", "pg", "@fastify/swagger-ui"];

/** What the build reads besides src/: a change to any of them makes dist/ stale. */
const BUILD_INPUTS = ["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs"];

/** Bundled CommonJS packages call require(); an ES module has none, so each output makes one. */
const REQUIRE_SHIM =
  'import { createRequire as __blockplaneRequire } from "node:module";\nconst require = __blockplaneRequire(import.meta.url);';

/** The newest modification time under `dir` (files and directories: a removed file changes its directory). */
function newestUnder(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Whether dist/ is missing or older than a source: a few hundred stat calls, a few milliseconds. */
export function isStale() {
  let built;
  try {
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  const newest = Math.max(
    newestUnder(path.join(ROOT, "src")),
    ...BUILD_INPUTS.map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs),
  );
  return newest > built;
}

/** Builds when stale; when another process is building, waits for it and builds only if still stale. */
export async function ensureBuilt() {
  if (!isStale()) return;
  await withLock(async () => {
    if (isStale()) await build();
  });
}

async function withLock(run) {
  fs.mkdirSync(DIST, { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      // A builder that died leaves its lock: one older than a minute is no one's.
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${LOCK} is held by another build`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    await run();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds the JavaScript (and with `types`, the declarations); answers the outputs' paths. */
export async function build({ types = false } = {}) {
  const started = Date.now();
  const esbuild = await import("esbuild");
  const entries = Object.fromEntries(
    Object.entries(ENTRIES).filter(([, source]) => fs.existsSync(path.join(ROOT, source))),
  );
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: DIST,
    sourcemap: true,
    write: false,
    metafile: true,
    logLevel: "warning",
  };
  const [server, client] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: entries,
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      external: EXTERNAL,
      banner: { js: REQUIRE_SHIM },
    }),
    esbuild.build({ ...common, entryPoints: CLIENT_ENTRY, packages: "external" }),
  ]);
  const outputs = [...server.outputFiles, ...client.outputFiles];
  // Chunks first, entries last: a process starting meanwhile finds what its entry imports.
  outputs.sort((a, b) => Number(!a.path.includes("/chunks/")) - Number(!b.path.includes("/chunks/")));
  for (const file of outputs) writeAtomically(file.path, file.contents);
  const metafile = {
    inputs: { ...server.metafile.inputs, ...client.metafile.inputs },
    outputs: { ...server.metafile.outputs, ...client.metafile.outputs },
  };
  writeAtomically(META, JSON.stringify(metafile));
  writeAtomically(path.join(DIST, "THIRD-PARTY-NOTICES.md"), notices(server.metafile));
  const kept = new Set([...outputs.map((f) => f.path), META, path.join(DIST, "THIRD-PARTY-NOTICES.md")]);
  removeOthers(DIST, kept);
  if (types) buildTypes();
  // The stamp has the time the build started: a source saved during the build makes it stale.
  writeAtomically(STAMP, "");
  fs.utimesSync(STAMP, started / 1000, started / 1000);
  return [...kept];
}

function writeAtomically(file, contents) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, contents);
  fs.renameSync(temp, file);
}

/** Removes files of earlier builds (old chunks), leaving the declarations and the build's own files. */
function removeOthers(dir, kept) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === TYPES || full === LOCK || full === STAMP) continue;
    if (entry.isDirectory()) removeOthers(full, kept);
    else if (!kept.has(full) && !entry.name.endsWith(".tmp")) fs.rmSync(full, { force: true });
  }
}

/** The package directory of a bundled input, e.g. node_modules/@fastify/swagger. */
function packageDirOf(input) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m ? m[1] : undefined;
}

/** Each bundled package's name, version, licence and licence text. */
function notices(metafile) {
  const dirs = new Set(Object.keys(metafile.inputs).map(packageDirOf).filter(Boolean));
  const sections = [...dirs]
    .map((dir) => {
      const full = path.resolve(ROOT, dir);
      const pkg = JSON.parse(fs.readFileSync(path.join(full, "package.json"), "utf8"));
      const licenceFile = fs.readdirSync(full).find((f) => /^(licen[cs]e|copying)/i.test(f));
      const text = licenceFile ? fs.readFileSync(path.join(full, licenceFile), "utf8").trim() : "";
      return { name: pkg.name, version: pkg.version, license: pkg.license ?? "see the package", text };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return [
    "# Third-party notices",
    "",
    "dist/ bundles these packages; each is under its own licence, reproduced here.",
    "",
    ...sections.flatMap((s) => [`## ${s.name} ${s.version} (${s.license})`, "", "```", s.text, "```", ""]),
  ].join("\n");
}

/**
 * Declarations of the package's entries, by tsc (tens of seconds: it type-checks their whole
 * graph); `npm pack` builds them (prepack). The sources import each other with .ts extensions,
 * which tsc keeps in the .d.ts files; consumers resolve .js ones, so they are rewritten.
 * schema.d.ts is a source already: it is copied.
 */
function buildTypes() {
  fs.rmSync(TYPES, { recursive: true, force: true });
  emitDeclarations(path.join(ROOT, "tsconfig.build.json"), TYPES);
}

/**
 * Writes the declarations of the files tsconfig `project` includes to `outDir`, as consumers read
 * them; with `include`, of those entries only (e.g. ["src/client/index.ts"]).
 */
export function emitDeclarations(project, outDir, include) {
  const config = path.join(ROOT, `tsconfig.declarations-${process.pid}.json`);
  fs.writeFileSync(
    config,
    JSON.stringify({
      extends: project,
      compilerOptions: { outDir },
      ...(include ? { include: include.map((f) => path.join(ROOT, f)) } : {}),
    }),
  );
  try {
    execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", config], {
      cwd: ROOT,
      stdio: "inherit",
    });
  } finally {
    fs.rmSync(config, { force: true });
  }
  const clientTypes = path.join(outDir, "client");
  if (fs.existsSync(clientTypes))
    fs.copyFileSync(path.join(ROOT, "src/client/schema.d.ts"), path.join(clientTypes, "schema.d.ts"));
  for (const file of fs.readdirSync(outDir, { recursive: true })) {
    if (!file.endsWith(".d.ts")) continue;
    const full = path.join(outDir, file);
    const text = fs.readFileSync(full, "utf8");
    const rewritten = text.replace(/((?:from |import\()["']\.{1,2}\/[^"']*?)(?<!\.d)\.ts(["'])/g, "$1.js$2");
    if (rewritten !== text) fs.writeFileSync(full, rewritten);
  }
}

const isMain = process.argv[1] && pathToFileURL(fs.realpathSync(process.argv[1])).href === import.meta.url;
if (isMain) {
  const args = new Set(process.argv.slice(2));
  const t0 = performance.now();
  if (args.has("--if-stale") && !args.has("--types")) {
    if (isStale()) {
      await ensureBuilt();
      process.stderr.write(`blockplane: built dist/ in ${(performance.now() - t0).toFixed(0)} ms\n`);
    }
  } else {
    await withLock(() => build({ types: args.has("--types") }));
    process.stderr.write(`blockplane: built dist/ in ${(performance.now() - t0).toFixed(0)} ms\n`);
  }
}
