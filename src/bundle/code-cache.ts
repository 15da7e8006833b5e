/**
 * Loading a CommonJS bundle through V8's code cache.
 *
 * Node 20 compiles a script's source again at every start, and compiles each function again the
 * first time it runs. V8 can save the result (`createCachedData`) and take it back at the next
 * compilation: the server bundle then starts in about two thirds of the CPU time. Node 20 has no
 * cache of its own for modules, so the bundle is compiled here with `vm.Script`, as Node's own
 * loader would wrap it, and its code cache is kept in a directory of the user's.
 *
 * The cache of a start that had none is written once the start is over (`saveCache`, called when
 * the server listens, writes a second later, or at exit if that comes first), so that it holds every
 * function a start and its first answers compile. Not later: a process that has run for a while has
 * had the bytecode of its start-up functions flushed by V8 as unused, and a cache written then
 * leaves a quarter of them out for every later start (V8 accepts it all the same). Not after a run
 * that never started a server (`--help`, a refused config) either, whose cache would be as thin.
 * Its file is named
 * by a hash of the source, Node's version and the architecture: V8 itself only checks a cache
 * against its own version and the source's length, so a cache is never offered to another source.
 * A cache V8 refuses costs nothing but the compilation it would have saved, and is written anew.
 */
import { isAscii } from "node:buffer";
import { createHash } from "node:crypto";
import fs from "node:fs";
import Module, { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";

/** Where caches are kept: $BLOCKPLANE_CODE_CACHE_DIR ("off": none), else the user's cache directory. */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const given = env.BLOCKPLANE_CODE_CACHE_DIR;
  if (given === "off") return undefined;
  if (given) return path.resolve(given);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), ".cache");
  return path.join(base, "blockplane");
}

/** Caches older than this, of other sources, are removed when a new one is written. */
const STALE_MS = 7 * 24 * 3600_000;

/** A loaded bundle's exports, and how to keep its code cache once the start is over. */
export interface CachedModule {
  exports: unknown;
  /** Writes the cache when this load had none (or one V8 refused): a second from now, or at exit. */
  saveCache(): void;
}

/** After the start: its first answers (the readiness probe's) compile a few functions more. */
const SAVE_DELAY_MS = 1000;

/** Requires the CommonJS file `file`, compiled with the code cache of `cacheDir` (none: plainly). */
export function requireCached(file: string, cacheDir: string | undefined): CachedModule {
  // Node maps stack traces through source maps (--enable-source-maps) only for what its own loader
  // compiled: whoever asks for them gets the bundle that way, without the cache.
  if (process.sourceMapsEnabled) return { exports: createRequire(file)(file), saveCache: () => {} };
  const bytes = fs.readFileSync(file);
  // The bundle is ASCII but for a few comments: read as latin1 it becomes a one-byte string
  // without a UTF-8 decoding, a few times faster for megabytes.
  const source = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
  // A name, not a secret: SHA-1 of the bytes is twice as fast as SHA-256 and as unique here.
  const key = createHash("sha1")
    .update(bytes)
    .update(`\0${process.version}\0${process.arch}`)
    .digest("hex")
    .slice(0, 32);
  const cacheFile = cacheDir ? path.join(cacheDir, `${path.basename(file)}-${key}.v8`) : undefined;
  const cachedData = cacheFile ? readIfOurs(cacheFile) : undefined;
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // import() inside the bundle resolves as in any module of the main context.
    ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
      ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }
      : {}),
  });
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  const wanted = cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected);
  let asked = false;
  const saveCache = () => {
    if (!wanted || asked) return;
    asked = true;
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      process.off("exit", write);
      writeCache(cacheFile, script.createCachedData());
    };
    process.once("exit", write);
    setTimeout(write, SAVE_DELAY_MS).unref();
  };
  return { exports: module.exports, saveCache };
}

/** The cache file's content, when it exists and belongs to this user (no one else's code is run). */
function readIfOurs(file: string): Buffer | undefined {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const stat = fs.fstatSync(fd);
      if (typeof process.getuid === "function" && stat.uid !== process.getuid()) return undefined;
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Writes the cache atomically; a directory that cannot be written just means no cache. */
function writeCache(file: string, data: Buffer): void {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, data, { mode: 0o600 });
    fs.renameSync(temporary, file);
    const now = Date.now();
    for (const name of fs.readdirSync(dir)) {
      const other = path.join(dir, name);
      if (other !== file && name.endsWith(".v8") && now - fs.statSync(other).mtimeMs > STALE_MS)
        fs.rmSync(other, { force: true });
    }
  } catch {}
}
