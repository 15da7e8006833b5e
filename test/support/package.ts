/**
 * Blockplane as its users get it: the package packed from this checkout and installed with npm
 * into a scratch prefix, and a server started by a command (the installed bin, `npm start`) in a
 * process group of its own, found at the address it logs.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ensureBuilt, ensureTypes } from "../../scripts/build.mjs";
import { cleanEnv, ROOT } from "./process.ts";

const run = promisify(execFile);

/** How long a start may take: generous, for machines busy with other test runs. */
const START_TIMEOUT_MS = 60_000;

export interface CommandServer {
  child: ChildProcess;
  /** The address the server logged, e.g. http://127.0.0.1:40123. */
  url: string;
  output(): string;
  /** SIGTERM to the whole group (npm, its shell, the server), then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Runs `file args` (the server's flags among them, with `--log-level info` or lower so that the
 * address is logged) and resolves once the server listens.
 */
export async function startCommand(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CommandServer> {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {}
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail("timed out"), START_TIMEOUT_MS);
    const check = () => {
      const m = /"address":"(https?:\/\/[^"]+)"[^\n]*blockplane is listening/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    const fail = (why: string) => {
      clearTimeout(timer);
      signal("SIGKILL");
      reject(new Error(`${file} ${args.join(" ")}: ${why}\n${out}`));
    };
    const keep = (d: Buffer) => {
      out += d.toString();
      check();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    void exited.then(() => fail(`exited (${child.exitCode ?? child.signalCode})`));
  });
  return { child, url, output: () => out, stop };
}

export interface Installed {
  /** The scratch prefix: bin/blockplane and lib/node_modules/blockplane. */
  prefix: string;
  /** The blockplane command installed. */
  bin: string;
  /** The installed package's directory. */
  packageDir: string;
  /** The tarball's file names, as npm packed them. */
  files: string[];
}

/**
 * `npm pack` of this checkout (dist/ built first) and `npm install -g --prefix` of the tarball.
 *
 * The install takes the packages from npm's cache where it holds them and runs no install scripts:
 * better-sqlite3 would compile its native addon from source, a minute or more, so the addon this
 * checkout compiled for the same version is copied in instead. Anything else is as a user's install.
 */
export async function packAndInstall(scratch: string): Promise<Installed> {
  // What npm pack's prepack builds, each only when stale; the scripts are skipped, so that a test
  // does not rebuild what other tests running meanwhile read.
  await ensureBuilt();
  await ensureTypes();
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], {
    cwd: ROOT,
    env: cleanEnv(),
  });
  const [report] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (!report) throw new Error(`npm pack answered ${packed.stdout}`);
  const tarball = path.join(scratch, report.filename);
  const prefix = path.join(scratch, "prefix");
  await run(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--prefer-offline",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      tarball,
    ],
    { cwd: scratch, env: cleanEnv(), timeout: 300_000 },
  );
  const packageDir = path.join(prefix, "lib/node_modules/blockplane");
  await provideSqliteAddon(packageDir);
  return {
    prefix,
    bin: path.join(prefix, "bin/blockplane"),
    packageDir,
    files: report.files.map((f) => f.path),
  };
}

/**
 * Copies this checkout's compiled better-sqlite3 addon into an install of the same version; an
 * install that resolved another version compiles its own (slow, but right).
 */
async function provideSqliteAddon(packageDir: string): Promise<void> {
  const ours = path.join(ROOT, "node_modules/better-sqlite3");
  const theirs = path.join(packageDir, "node_modules/better-sqlite3");
  const version = (dir: string) =>
    JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  if (version(ours) !== version(theirs)) {
    await run("npm", ["rebuild", "better-sqlite3"], { cwd: packageDir, env: cleanEnv(), timeout: 600_000 });
    return;
  }
  const addon = "build/Release/better_sqlite3.node";
  fs.mkdirSync(path.dirname(path.join(theirs, addon)), { recursive: true });
  fs.copyFileSync(path.join(ours, addon), path.join(theirs, addon));
}
