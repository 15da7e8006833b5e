/**
 * Start-up figures for `npm run bench` (bench/run.ts), beside Azurite's blob service as a
 * reference: an emulator of another storage API, also a Node.js server, installed on demand with
 * npm into a scratch folder (it is no dependency of the project).
 *
 * - start to ready: from spawning the process to its first answer that says it serves (Blockplane:
 *   GET /readyz 200; Azurite: any answer to a blob request), polled every 5 ms; and the CPU time
 *   (user and system, all threads) the process used until then, which other work on the machine
 *   changes less than the elapsed time. Blockplane runs as installed (dist/main.js, with its code
 *   cache); the starts of each kind alternate round by round, so that the machine's other work
 *   weighs on all of them alike.
 * - one CLI command: `blockplane storage get` run to its end, beside curl's GET of the same URL.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** The Azurite release measured against, pinned so that runs compare. */
export const AZURITE_VERSION = "3.35.0";
const AZURITE_DIR = path.join(os.tmpdir(), `blockplane-bench-azurite-${AZURITE_VERSION}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Azurite's blob service entry point, installed into the scratch folder the first time. */
export function azuriteBlobMain(log: (line: string) => void): string {
  const main = path.join(AZURITE_DIR, "node_modules/azurite/dist/src/blob/main.js");
  if (!fs.existsSync(main)) {
    log(`installing azurite@${AZURITE_VERSION} into ${AZURITE_DIR} …`);
    fs.mkdirSync(AZURITE_DIR, { recursive: true });
    execFileSync(
      "npm",
      [
        "install",
        "--prefix",
        AZURITE_DIR,
        "--no-audit",
        "--no-fund",
        "--no-save",
        `azurite@${AZURITE_VERSION}`,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  return main;
}

export interface Starter {
  label: string;
  /** The node arguments for a start listening on `port`. */
  args(port: number): string[];
  /** The URL whose answer says the process serves, and which statuses count. */
  readyUrl(port: number): string;
  ready(status: number): boolean;
}

/** CPU time (user + system) a process has used so far, in ms; from /proc, so Linux only. */
export function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the command name (which may contain spaces), in
  // clock ticks of 10 ms (USER_HZ).
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface Start {
  /** From the spawn to the first ready answer. */
  wallMs: number;
  /** CPU the process used until then. */
  cpuMs: number;
}

/** One start to its first ready answer; the process is then stopped. */
export async function startToReady(starter: Starter, env: NodeJS.ProcessEnv): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, starter.args(port), {
    stdio: ["ignore", "ignore", "pipe"],
    env,
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  try {
    const deadline = t0 + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${starter.label} exited:\n${stderr}`);
      if (performance.now() > deadline) throw new Error(`${starter.label} did not start:\n${stderr}`);
      const status = await fetch(starter.readyUrl(port)).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      if (status !== 0 && starter.ready(status)) {
        return { wallMs: performance.now() - t0, cpuMs: cpuMs(child.pid as number) };
      }
      await sleep(5);
    }
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
      child.kill("SIGKILL");
    }
  }
}

/** Starts each starter `rounds` times, alternating; the starts of each, by label. */
export async function measureStarts(
  starters: Starter[],
  rounds: number,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, Start[]>> {
  const times = new Map<string, Start[]>(starters.map((s) => [s.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const s of starters) times.get(s.label)?.push(await startToReady(s, env));
  }
  return times;
}

/** Milliseconds of each of `runs` runs of a command to its end (it must succeed). */
export function timeCommand(file: string, args: string[], runs: number, env: NodeJS.ProcessEnv): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(file, args, { stdio: ["ignore", "ignore", "pipe"], env });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${file} ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  }
  return times;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
