/**
 * One tgt target daemon (tgtd) per iSCSI port of the array: started by Blockplane on the port's
 * portal with a control port of its own (so it never meets a system tgtd or another Blockplane's),
 * configured with tgtadm, and stopped at close. tgt speaks iSCSI; Blockplane only tells it which
 * targets, LUNs and initiators there are.
 *
 * `apply` brings the daemon to a desired configuration by difference with what it last applied; a
 * daemon that dies is started again with nothing applied, and the next `apply` rebuilds it whole.
 * The pid of each daemon is kept in a file, so that a start after Blockplane itself died first
 * stops the daemon it left behind (which still holds the portal).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Portal } from "../config.ts";

/** One target as tgt should serve it. */
export interface TargetSpec {
  name: string;
  /** The initiator names allowed to log in (the ACL). */
  initiators: string[];
  luns: Map<number, LunSpec>;
}

export interface LunSpec {
  /** The backing file. */
  path: string;
  /** Its length when it was decided: a change (an expansion) re-creates the LUN. */
  length: number;
  /** The unit serial number (VPD page 0x80) and device identifier the LUN reports. */
  serial: string;
}

/**
 * What every LUN reports: the array's vendor and product, as a host's multipath configuration
 * expects them. (tgt's thin_provisioning, which would let UNMAP free blocks, is left off: with it
 * iscsi-test-cu's run never ends.)
 */
const LUN_PARAMS = "vendor_id=HITACHI,product_id=OPEN-V";

interface Applied {
  tid: number;
  initiators: Set<string>;
  luns: Map<number, LunSpec>;
}

export interface TgtLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Runs tgtadm; answers its output, or throws an Error with its message. */
function tgtadm(controlPort: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "tgtadm",
      ["--control-port", String(controlPort), "--lld", "iscsi", ...args],
      { timeout: 20_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`tgtadm ${args.join(" ")}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `binary` is on PATH or in the system's sbin directories (where tgt installs). */
export function onPath(binary: string): boolean {
  const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/sbin"]);
  return dirs.some((d) => fs.existsSync(path.join(d, binary)));
}

/** Whether tgtd and tgtadm are installed. */
export function tgtInstalled(): boolean {
  return onPath("tgtd") && onPath("tgtadm");
}

export class TgtDaemon {
  private child: ChildProcess | undefined;
  private controlPort = 0;
  private applied = new Map<string, Applied>();
  private online = true;
  private nextTid = 1;
  private stopping = false;
  private starting: Promise<void> | undefined;

  constructor(
    readonly portId: string,
    readonly portal: Portal,
    private readonly pidFile: string,
    private readonly log: TgtLog,
    /** Called once a daemon started again after it died: it serves nothing until rebuilt. */
    private readonly restarted: () => void = () => {},
    /** Variables the daemon runs with (the latency library, latency.ts). */
    private readonly env: Record<string, string> = {},
  ) {}

  /** Starts the daemon (stopping one a previous run left); resolves once tgtadm reaches it. */
  start(): Promise<void> {
    this.starting ??= this.launch().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async launch(): Promise<void> {
    await this.stopLeftover();
    const listen = this.portal.address.includes(":") ? `[${this.portal.address}]` : this.portal.address;
    let lastError = "";
    for (let attempt = 0; attempt < 8 && !this.stopping; attempt++) {
      // A control port of its own, at random: a clash (another daemon has it) is tried again.
      this.controlPort = 10_000 + Math.floor(Math.random() * 20_000);
      const child = spawn(
        "tgtd",
        ["-f", "--control-port", String(this.controlPort), "--iscsi", `portal=${listen}:${this.portal.port}`],
        { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...this.env } },
      );
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      let exited = false;
      child.on("exit", () => {
        exited = true;
      });
      child.on("error", (err) => {
        exited = true;
        stderr += err.message;
      });
      for (let i = 0; i < 100 && !exited; i++) {
        await sleep(50);
        if (exited) break;
        try {
          await tgtadm(this.controlPort, ["--mode", "sys", "--op", "show"]);
          this.adopt(child);
          return;
        } catch {
          // not listening yet
        }
      }
      if (!exited) child.kill("SIGKILL");
      lastError = stderr.trim();
      await sleep(100);
    }
    throw new Error(
      `tgtd for port ${this.portId} on ${listen}:${this.portal.port} did not start${lastError ? `: ${lastError}` : ""}`,
    );
  }

  private adopt(child: ChildProcess): void {
    this.child = child;
    this.applied = new Map();
    this.online = true;
    this.nextTid = 1;
    if (child.pid !== undefined) fs.writeFileSync(this.pidFile, `${child.pid}\n`);
    child.on("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.applied = new Map();
      if (this.stopping) return;
      this.log.warn(`tgtd of port ${this.portId} ended (${signal ?? code}); starting it again`);
      setTimeout(() => {
        if (!this.stopping) {
          this.start().then(this.restarted, (err) => this.log.warn((err as Error).message));
        }
      }, 200);
    });
    this.log.info(
      `iSCSI portal of port ${this.portId} on ${this.portal.address}:${this.portal.port} (tgtd ${child.pid})`,
    );
  }

  /** Stops a daemon that a previous run of Blockplane left, by the pid it recorded. */
  private async stopLeftover(): Promise<void> {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.pidFile, "utf8").trim());
    } catch {
      return;
    }
    fs.rmSync(this.pidFile, { force: true });
    if (!Number.isInteger(pid) || pid <= 1) return;
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      return;
    }
    if (!cmdline.includes("tgtd")) return;
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 40 && alive(pid); i++) await sleep(50);
  }

  get running(): boolean {
    return this.child !== undefined && this.starting === undefined;
  }

  /**
   * Brings tgt to `targets`, and takes logins (`online`) or refuses them. Waits for a daemon being
   * started again; does nothing while it is down (the next apply after its start rebuilds it).
   */
  async apply(targets: TargetSpec[], online: boolean): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    if (!this.child) return;
    const ctl = this.controlPort;
    const wanted = new Map(targets.map((t) => [t.name, t]));
    for (const [name, a] of this.applied) {
      if (!wanted.has(name)) {
        await tgtadm(ctl, ["--mode", "target", "--op", "delete", "--force", "--tid", String(a.tid)]);
        this.applied.delete(name);
      }
    }
    for (const t of targets) {
      let a = this.applied.get(t.name);
      if (!a) {
        const tid = this.nextTid++;
        await tgtadm(ctl, ["--mode", "target", "--op", "new", "--tid", String(tid), "--targetname", t.name]);
        a = { tid, initiators: new Set(), luns: new Map() };
        this.applied.set(t.name, a);
      }
      const tid = String(a.tid);
      // Initiators first taken out, then LUNs changed, then new initiators let in: a host newly
      // allowed sees the LUNs it is meant to.
      for (const name of [...a.initiators]) {
        if (!t.initiators.includes(name)) {
          await tgtadm(ctl, ["--mode", "target", "--op", "unbind", "--tid", tid, "--initiator-name", name]);
          a.initiators.delete(name);
        }
      }
      for (const [lun, current] of [...a.luns]) {
        const want = t.luns.get(lun);
        if (want?.path !== current.path || want.length !== current.length || want.serial !== current.serial) {
          await this.deleteLun(tid, lun);
          a.luns.delete(lun);
        }
      }
      for (const [lun, spec] of t.luns) {
        if (a.luns.has(lun)) continue;
        await tgtadm(ctl, [
          "--mode",
          "logicalunit",
          "--op",
          "new",
          "--tid",
          tid,
          "--lun",
          String(lun),
          "--backing-store",
          spec.path,
        ]);
        a.luns.set(lun, spec);
        await tgtadm(ctl, [
          "--mode",
          "logicalunit",
          "--op",
          "update",
          "--tid",
          tid,
          "--lun",
          String(lun),
          "--params",
          `${LUN_PARAMS},scsi_sn=${spec.serial},scsi_id=${spec.serial}`,
        ]);
      }
      for (const name of t.initiators) {
        if (!a.initiators.has(name)) {
          await tgtadm(ctl, ["--mode", "target", "--op", "bind", "--tid", tid, "--initiator-name", name]);
          a.initiators.add(name);
        }
      }
    }
    if (online !== this.online) {
      await tgtadm(ctl, [
        "--mode",
        "sys",
        "--op",
        "update",
        "--name",
        "State",
        "--value",
        online ? "ready" : "offline",
      ]);
      this.online = online;
      this.log.info(
        `iSCSI portal of port ${this.portId} ${online ? "takes logins again" : "refuses logins"}`,
      );
    }
  }

  /** Deletes a LUN, waiting a little for commands under way on it. */
  private async deleteLun(tid: string, lun: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await tgtadm(this.controlPort, [
          "--mode",
          "logicalunit",
          "--op",
          "delete",
          "--tid",
          tid,
          "--lun",
          String(lun),
        ]);
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(50);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.starting) await this.starting.catch(() => {});
    const child = this.child;
    this.child = undefined;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      // tgtd ends when told through its control port (it ignores SIGTERM); killed if it will not.
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await tgtadm(this.controlPort, ["--mode", "sys", "--op", "delete"]).catch(() => child.kill("SIGKILL"));
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.pidFile, { force: true });
  }
}
