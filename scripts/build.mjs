#!/usr/bin/env node
/**
 * The build: Blockplane's TypeScript as JavaScript in dist/, which `npm start`, the `blockplane`
 * command and the package run (docs/architecture.md, "Build").
 *
 *   node scripts/build.mjs              the JavaScript, with esbuild (well under a second)
 *   node scripts/build.mjs --if-stale   the same, only when a source changed since the last build
 *   node scripts/build.mjs --types      also the declarations of the package's entries (tsc)
 *
 * What dist/ holds:
 * - server.cjs: the whole server (the start API of src/index.ts, and the harness), one CommonJS
 *   file with the JavaScript packages it uses bundled in: Node 20 loads each file of a package on
 *   its own, which for Fastify, Kysely and TypeBox cost more than the rest of a start, and one
 *   CommonJS file can be loaded through V8's code cache (src/bundle/code-cache.ts), which an ES
 *   module cannot on Node 20. Left out are the native packages, those loaded only when needed (the
 *   PostgreSQL driver, the documentation pages) and those that serve files of their own. The
 *   licences of the bundled packages are copied to THIRD-PARTY-NOTICES.md.
 * - main.js: the server process (src/bundle/main.ts), which loads server.cjs through the cache;
 *   index.js and harness.js: the package's entries, the names of their sources from server.cjs.
 * - cli.js (and chunks/): the CLI, an ES module with commander and openapi-fetch bundled in; what
 *   only a few commands need (`serve`: main.js; the offline session purge: the store) is loaded
 *   by those commands.
 * - client.js: the SDK alone, openapi-fetch left a dependency, so that `blockplane/client` loads
 *   nothing of the server's.
 * - console/: the web console (src/console, Preact), for browsers: one script and one style sheet,
 *   minified, their names carrying their content's hash, and index.html naming them; the server
 *   serves them (src/http/console-pages.ts).
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
const TYPES_STAMP = path.join(TYPES, ".stamp");
const LOCK = path.join(DIST, ".lock");
/** The build's own record of what each output holds (esbuild's metafile); tests read it. */
export const META = path.join(DIST, ".meta.json");

/** The package's library entries (the harness may not exist yet): each a re-export from server.cjs. */
const LIBRARY = { index: "src/index.ts", harness: "src/harness.ts" };
/** The ES module entries: the server process (the bundle's loader) and the CLI. */
const ENTRIES = { main: "src/bundle/main.ts", cli: "src/cli/main.ts" };
const CLIENT_ENTRY = { client: "src/client/index.ts" };
const CONSOLE_ENTRY = { app: "src/console/main.tsx" };
const CONSOLE_DIR = path.join(DIST, "console");
const SERVER_BUNDLE = path.join(DIST, "server.cjs");

/**
 * Packages left out of the server's bundle: native ones (a .node file is loaded from its own
 * package), the PostgreSQL driver (imported only for a PostgreSQL store), and swagger-ui (imported
 * at the first request of the documentation pages; it serves files from its own directory).
 */
const EXTERNAL = ["better-sqlite3", "@node-rs/argon2", "pg", "@fastify/swagger-ui"];

/**
 * The server's bundle holds better-sqlite3's JavaScript all the same: the store gives it the path
 * of its addon (src/store/sqlite-binding.ts), which stays in its package, so its fourteen files
 * compile with the bundle through the code cache instead of one by one at every start. The
 * `bindings` package, which better-sqlite3 uses only when given no path, is replaced by a module
 * that says so, rather than bundled to search from the bundle's directory.
 */
const SERVER_EXTERNAL = EXTERNAL.filter((p) => p !== "better-sqlite3");
const sqliteAddonByPath = {
  name: "sqlite-addon-by-path",
  setup(build) {
    build.onResolve({ filter: /^bindings$/ }, (args) =>
      /[\\/]node_modules[\\/]better-sqlite3[\\/]/.test(args.importer)
        ? { path: "bindings", namespace: "sqlite-addon-by-path" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "sqlite-addon-by-path" }, () => ({
      contents:
        'module.exports = () => { throw new Error("better-sqlite3 is given its addon by path (nativeBinding) in this bundle"); };',
      loader: "js",
    }));
  },
};

/** What the build reads besides src/: a change to any of them makes dist/ stale. */
const BUILD_INPUTS = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "src/console/tsconfig.json",
  "scripts/build.mjs",
];

/** Bundled CommonJS packages call require(); an ES module has none, so each output makes one. */
const REQUIRE_SHIM =
  'import { createRequire as __blockplaneRequire } from "node:module";\nconst require = __blockplaneRequire(import.meta.url);';

/** In the CommonJS bundle, import.meta.url (main.ts asks whether it is the program run) is its file's. */
const IMPORT_META_SHIM =
  'var __blockplaneImportMetaUrl = require("node:url").pathToFileURL(__filename).href;';

/**
 * The CLI's `serve` imports the server process's module: in dist/ that is main.js, which loads
 * the bundle through the code cache, rather than a second copy of the server in the CLI's chunks.
 */
const serveThroughMain = {
  name: "serve-through-main",
  setup(build) {
    build.onResolve({ filter: /\/main\.ts$/ }, (args) =>
      path.resolve(args.resolveDir, args.path) === path.join(ROOT, "src/main.ts")
        ? { path: "./main.js", external: true }
        : undefined,
    );
  },
};

/**
 * Fastify's server module requires node:https and node:http2 when it loads, for the servers it
 * makes when TLS or HTTP/2 is asked for: compiling those modules and what they pull in (tls,
 * the HTTP/2 core) is several milliseconds of every start, TLS or not. In the bundle each becomes
 * a stand-in that requires the module at its first use. The build fails if Fastify's file no
 * longer reads as expected, rather than leave the modules eager without a word.
 */
const LAZY_BUILTINS = ["node:https", "node:http2"];
const lazyServerBuiltins = {
  name: "lazy-server-builtins",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]server\.js$/ }, async (args) => {
      let contents = await fs.promises.readFile(args.path, "utf8");
      for (const name of LAZY_BUILTINS) {
        const eager = new RegExp(`^const (\\w+) = require\\('${name}'\\)$`, "m");
        const m = eager.exec(contents);
        if (!m) throw new Error(`lazy-server-builtins: ${args.path} no longer requires ${name} as expected`);
        contents = contents.replace(
          eager,
          `const ${m[1]} = new Proxy({}, { get: (_, key) => require('${name}')[key] })`,
        );
      }
      return { contents, loader: "js" };
    });
  },
};

/**
 * find-my-way, Fastify's router, writes small functions for each route it adds and compiles each
 * with `new Function`: how to build the route's parameters, how to choose among its handlers, how
 * to match each static part of a path. The API's routes made some 870 such compilations at every
 * start, nearly all of the same few dozen texts, and code compiled that way is not in the code
 * cache. In the bundle, those two files of find-my-way compile each distinct text once and hand
 * out the same function again: each is a pure function of its text (it reads its state from
 * `this` or its arguments). The build fails if the files no longer read as expected.
 */
const FIND_MY_WAY_COMPILING = /[\\/]node_modules[\\/]find-my-way[\\/]lib[\\/](handler-storage|node)\.js$/;
const ONCE_PER_TEXT =
  "const __compiledOnce = new Map();\n" +
  "function __functionOnce(...args) {\n" +
  "  const key = args.join('\\0');\n" +
  "  let f = __compiledOnce.get(key);\n" +
  "  if (f === undefined) __compiledOnce.set(key, (f = new Function(...args)));\n" +
  "  return f;\n" +
  "}\n";
const routerFunctionsOnce = {
  name: "router-functions-once",
  setup(build) {
    build.onLoad({ filter: FIND_MY_WAY_COMPILING }, async (args) => {
      const source = await fs.promises.readFile(args.path, "utf8");
      const compiled = source.split("new Function(").length - 1;
      if (compiled === 0 || !source.startsWith("'use strict'\n"))
        throw new Error(
          `router-functions-once: ${args.path} no longer compiles with new Function as expected`,
        );
      const contents = source
        .replaceAll("new Function(", "__functionOnce(")
        .replace("'use strict'\n", `'use strict'\n${ONCE_PER_TEXT}`);
      return { contents, loader: "js" };
    });
  },
};

/** The newest modification time under `dir` (files and directories: a removed file changes its directory). */
function newestUnder(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Whether `stamp` is missing or older than a source: a few hundred stat calls, a few milliseconds. */
function olderThanSources(stamp) {
  let built;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    return true;
  }
  const newest = Math.max(
    newestUnder(path.join(ROOT, "src")),
    ...BUILD_INPUTS.map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs),
  );
  return newest > built;
}

/** Whether dist/'s JavaScript is missing or older than a source. */
export function isStale() {
  return olderThanSources(STAMP);
}

/** Builds when stale; when another process is building, waits for it and builds only if still stale. */
export async function ensureBuilt() {
  if (!isStale()) return;
  await withLock(async () => {
    if (isStale()) await build();
  });
}

/** The declarations (dist/types), written when older than a source; the JavaScript is left alone. */
export async function ensureTypes() {
  if (!olderThanSources(TYPES_STAMP)) return;
  await withLock(async () => {
    if (olderThanSources(TYPES_STAMP)) buildTypes();
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
  const library = Object.entries(LIBRARY).filter(([, source]) => fs.existsSync(path.join(ROOT, source)));
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    target: "node20",
    sourcemap: true,
    write: false,
    metafile: true,
    logLevel: "warning",
  };
  const esm = { ...common, format: "esm", outdir: DIST };
  const [server, processAndCli, client, consoleApp, names] = await Promise.all([
    esbuild.build({
      ...common,
      format: "cjs",
      outfile: SERVER_BUNDLE,
      stdin: {
        contents: library.map(([, source]) => `export * from "./${source}";`).join("\n"),
        resolveDir: ROOT,
        sourcefile: "server-entry.ts",
        loader: "ts",
      },
      external: SERVER_EXTERNAL,
      // Whitespace and comments out, names kept (stack traces name their functions): a third less
      // to read, hash and hand to V8 at each start.
      minifyWhitespace: true,
      minifySyntax: true,
      // The licence comments kept beside it (server.cjs.LEGAL.txt), so that the bundle is all
      // ASCII, which the loader reads without decoding UTF-8.
      legalComments: "external",
      // import() of the packages left out becomes require(): they are CommonJS, and a script
      // compiled with vm (the code cache) needs no dynamic-import support from Node that way.
      supported: { "dynamic-import": false },
      define: { "import.meta.url": "__blockplaneImportMetaUrl" },
      banner: { js: IMPORT_META_SHIM },
      plugins: [lazyServerBuiltins, sqliteAddonByPath, routerFunctionsOnce],
    }),
    esbuild.build({
      ...esm,
      entryPoints: ENTRIES,
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      external: EXTERNAL,
      plugins: [serveThroughMain],
      banner: { js: REQUIRE_SHIM },
    }),
    esbuild.build({ ...esm, entryPoints: CLIENT_ENTRY, packages: "external" }),
    esbuild.build({
      ...common,
      platform: "browser",
      target: "es2022",
      format: "esm",
      outdir: CONSOLE_DIR,
      entryPoints: CONSOLE_ENTRY,
      entryNames: "[name]-[hash]",
      tsconfig: "src/console/tsconfig.json",
      jsx: "automatic",
      jsxImportSource: "preact",
      minify: true,
      legalComments: "none",
    }),
    exportedNames(esbuild, library),
  ]);
  const wrappers = library.map(([name]) => ({
    path: path.join(DIST, `${name}.js`),
    contents: `export { ${names[name].join(", ")} } from "./server.cjs";\n`,
  }));
  const page = { path: path.join(CONSOLE_DIR, "index.html"), contents: consolePage(consoleApp.outputFiles) };
  const builds = [server, processAndCli, client, consoleApp];
  const outputs = [...builds.flatMap((b) => b.outputFiles), ...wrappers, page];
  // Chunks and the bundle first, entries last: a process starting meanwhile finds what they import.
  const last = (f) => Number(!f.path.includes("/chunks/") && !f.path.startsWith(SERVER_BUNDLE));
  outputs.sort((a, b) => last(a) - last(b));
  for (const file of outputs) writeAtomically(file.path, file.contents);
  const metafile = {
    inputs: Object.assign({}, ...builds.map((b) => b.metafile.inputs)),
    outputs: Object.assign({}, ...builds.map((b) => b.metafile.outputs)),
  };
  writeAtomically(META, JSON.stringify(metafile));
  writeAtomically(path.join(DIST, "THIRD-PARTY-NOTICES.md"), notices(metafile));
  const kept = new Set([...outputs.map((f) => f.path), META, path.join(DIST, "THIRD-PARTY-NOTICES.md")]);
  removeOthers(DIST, kept);
  if (types) buildTypes();
  stamp(STAMP, started);
  return [...kept];
}

/** The console's page: its script and style sheet by their hashed names, under /console/. */
function consolePage(files) {
  const name = (ext) => {
    const file = files.find((f) => f.path.endsWith(ext));
    if (!file) throw new Error(`the console's build made no ${ext} file`);
    return path.basename(file.path);
  };
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>Blockplane console</title>",
    // No icon to fetch: the browser would ask for /favicon.ico, which is no file of the console.
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="/console/${name(".css")}">`,
    `<script type="module" src="/console/${name(".js")}"></script>`,
    "</head>",
    '<body><div id="app"></div></body>',
    "</html>",
    "",
  ].join("\n");
}

/** A stamp has the time its build started: a source saved during the build makes it stale. */
function stamp(file, started) {
  writeAtomically(file, "");
  fs.utimesSync(file, started / 1000, started / 1000);
}

/** The names each library entry exports (values: types have no JavaScript), by entry name. */
async function exportedNames(esbuild, library) {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(library),
    bundle: false,
    format: "esm",
    outdir: DIST,
    write: false,
    metafile: true,
    logLevel: "warning",
  });
  return Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([out, o]) => [path.basename(out, ".js"), o.exports]),
  );
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
 * Declarations of the package's entries, by tsc without type checking (`npm run typecheck` does
 * that): a few seconds; `npm pack` builds them (prepack). The sources import each other with .ts
 * extensions, which tsc keeps in the .d.ts files; consumers resolve .js ones, so they are
 * rewritten. schema.d.ts is a source already: it is copied.
 */
function buildTypes() {
  const started = Date.now();
  fs.rmSync(TYPES, { recursive: true, force: true });
  emitDeclarations(path.join(ROOT, "tsconfig.build.json"), TYPES);
  stamp(TYPES_STAMP, started);
}

/** Writes the declarations of the files tsconfig `project` includes to `outDir`, as consumers read them. */
function emitDeclarations(project, outDir) {
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", project, "--outDir", outDir], { cwd: ROOT, stdio: "inherit" });
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
