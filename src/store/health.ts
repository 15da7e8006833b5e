/**
 * Whether the store can write, as its own errors tell: a disk that is full turns every write into
 * an error of the store's (SQLITE_FULL; PostgreSQL's 53100 disk_full), which is answered as the
 * domain's `StoreFull` (503 with Retry-After and the cause) instead of an internal error. The first
 * such error puts the store in the "full" state, said once to whoever listens (the log); a probe then
 * tries a small write every second, and the first that succeeds ends the state, said once too.
 *
 * The embedded store keeps a reserve: a file of RESERVE_BYTES beside the database, given up when
 * the disk fills, so that the few small writes that keep the server usable (sessions: logins and
 * their last use) still find room while changes are refused. The reserve is made again once the
 * disk has room for it twice over, and only then does the probe look for the end of the state: a
 * write that succeeds in the reserve's room says nothing of the disk.
 */
import fs from "node:fs";
import path from "node:path";
import { StoreFull } from "../domain/errors.ts";

/** Room kept beside the embedded store for sessions' writes while its disk is full. */
export const RESERVE_BYTES = 8 * 1024 * 1024;

/** How often a full store is probed for room again. */
const PROBE_EVERY_MS = 1000;

export type StoreState = { writable: true } | { writable: false; cause: string; since: number };

/** What the store reported when its disk was full, or undefined for any other error. */
export function diskFullCause(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "SQLITE_FULL") return "SQLITE_FULL";
  if (code === "53100") return "PostgreSQL 53100 disk_full";
  if (code === "ENOSPC") return "ENOSPC";
  return undefined;
}

/** The reserve file of the embedded store. */
export class Reserve {
  constructor(
    readonly file: string,
    readonly bytes = RESERVE_BYTES,
  ) {}

  get held(): boolean {
    return fs.existsSync(this.file);
  }

  /** Makes the reserve when it is missing and the disk has room for it twice over. */
  ensure(): boolean {
    if (this.held) return true;
    if (!this.roomFor()) return false;
    const part = `${this.file}.part`;
    try {
      // Written, not only sized: a sparse file would keep no room at all.
      fs.writeFileSync(part, Buffer.alloc(this.bytes));
      fs.renameSync(part, this.file);
      return true;
    } catch {
      fs.rmSync(part, { force: true });
      return false;
    }
  }

  /** As ensure, written by the thread pool: a first start need not wait for 8 MiB to be written. */
  async ensureInBackground(): Promise<boolean> {
    if (this.held) return true;
    if (!this.roomFor()) return false;
    // Its own part file: a probe's ensure may run meanwhile.
    const part = `${this.file}.part-bg`;
    try {
      await fs.promises.writeFile(part, Buffer.alloc(this.bytes));
      await fs.promises.rename(part, this.file);
      return true;
    } catch {
      await fs.promises.rm(part, { force: true });
      return false;
    }
  }

  private roomFor(): boolean {
    try {
      const { bavail, bsize } = fs.statfsSync(path.dirname(this.file));
      return bavail * bsize >= 2 * this.bytes;
    } catch {
      return false;
    }
  }

  /** Gives the room up; answers whether there was any to give. */
  release(): boolean {
    try {
      fs.unlinkSync(this.file);
      return true;
    } catch {
      return false;
    }
  }
}

export class StoreHealth {
  private current: StoreState = { writable: true };
  private readonly listeners = new Set<(state: StoreState) => void>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    /** A small real write; rejects while the store cannot write. */
    private readonly probeWrite: () => Promise<void>,
    private readonly reserve: Reserve | undefined,
    private readonly retryAfterSeconds = 5,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): StoreState {
    return this.current;
  }

  get writable(): boolean {
    return this.current.writable;
  }

  /** Calls `listener` at every change of state (full, writable again). */
  onChange(listener: (state: StoreState) => void): void {
    this.listeners.add(listener);
  }

  /** The error to answer for a store that cannot write now. */
  full(): StoreFull {
    const cause = this.current.writable ? "disk full" : this.current.cause;
    return new StoreFull(cause, this.retryAfterSeconds);
  }

  /**
   * The error to throw for an error of the store: `StoreFull` for a disk that is full (and the
   * state becomes "full"), the error itself otherwise.
   */
  translate(err: unknown): unknown {
    const cause = diskFullCause(err);
    if (cause === undefined) return err;
    if (this.current.writable) {
      this.current = { writable: false, cause, since: this.now() };
      // The room kept for sessions: the next write (a login's retry) finds it.
      this.reserve?.release();
      this.timer = setInterval(() => void this.probe(), PROBE_EVERY_MS);
      this.timer.unref();
      this.emit();
    }
    return new StoreFull(cause, this.retryAfterSeconds);
  }

  private async probe(): Promise<void> {
    if (this.probing || this.current.writable) return;
    this.probing = true;
    try {
      if (this.reserve && !this.reserve.ensure()) return;
      await this.probeWrite();
      this.current = { writable: true };
      clearInterval(this.timer);
      this.timer = undefined;
      this.emit();
    } catch {
      // Still full: the next probe tries again.
    } finally {
      this.probing = false;
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.current);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
