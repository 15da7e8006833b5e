/**
 * The data plane's backing storage: one sparse file per volume (`volumes/<id>.img`) and one per
 * snapshot (`snapshots/<master>-<snapshot>.img`) under a directory of the data dir. A file is made
 * by setting its length, so it costs no block until written; its used capacity is the blocks the
 * file system really allocated (st_blocks).
 *
 * A snapshot is a copy of its master's file, made with `cp --reflink=auto --sparse=always`: a
 * reflink where the file system shares extents (btrfs, XFS), else a copy that skips holes, so
 * that an unwritten terabyte copies in no time. Copies back (a restore) write into the same inode,
 * which the target engine keeps open, so that hosts read the restored data at once.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const MIB = 1024 * 1024;

export class BackingStore {
  readonly volumesDir: string;
  readonly snapshotsDir: string;
  /** The largest file the file system allows, once a length was refused as too large. */
  private maxFileBytes: number | undefined;

  constructor(
    readonly dir: string,
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.volumesDir = path.join(dir, "volumes");
    this.snapshotsDir = path.join(dir, "snapshots");
    fs.mkdirSync(this.volumesDir, { recursive: true });
    fs.mkdirSync(this.snapshotsDir, { recursive: true });
  }

  volumePath(id: number): string {
    return path.join(this.volumesDir, `${id}.img`);
  }

  snapshotPath(masterVolumeId: number, snapshotId: number): string {
    return path.join(this.snapshotsDir, `${masterVolumeId}-${snapshotId}.img`);
  }

  /**
   * Makes the volume's file at least `capacityMiB` long (a new file, or a longer one after an
   * expansion); never shortens it. Answers the length the file has.
   */
  ensureVolume(id: number, capacityMiB: number): number {
    return this.ensureLength(this.volumePath(id), capacityMiB * MIB);
  }

  /** Sets a file's length to at least `bytes`, within what the file system allows. */
  private ensureLength(file: string, bytes: number): number {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      const current = fs.fstatSync(fd).size;
      const wanted = Math.min(bytes, this.maxFileBytes ?? bytes);
      if (current >= wanted) return current;
      try {
        fs.ftruncateSync(fd, wanted);
        return wanted;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EFBIG") throw err;
        this.maxFileBytes = this.largestLength(fd, wanted);
        this.warn(
          `the file system of ${this.dir} allows files of at most ${this.maxFileBytes} bytes: ${path.basename(file)} is shorter than its volume`,
        );
        const length = Math.max(current, this.maxFileBytes);
        fs.ftruncateSync(fd, length);
        return length;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The largest length (whole MiB) below `tooLarge` the file system accepts for the file. */
  private largestLength(fd: number, tooLarge: number): number {
    let low = 0;
    let high = Math.floor(tooLarge / MIB);
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      try {
        fs.ftruncateSync(fd, mid * MIB);
        low = mid;
      } catch {
        high = mid;
      }
    }
    return low * MIB;
  }

  /** The file's length, or undefined when it does not exist. */
  length(file: string): number | undefined {
    try {
      return fs.statSync(file).size;
    } catch {
      return undefined;
    }
  }

  /** The blocks really written to a volume's file, in MiB rounded up; 0 when it has none. */
  usedMiB(id: number): number {
    try {
      return Math.ceil((fs.statSync(this.volumePath(id)).blocks * 512) / MIB);
    } catch {
      return 0;
    }
  }

  removeVolume(id: number): void {
    fs.rmSync(this.volumePath(id), { force: true });
  }

  removeSnapshot(masterVolumeId: number, snapshotId: number): void {
    fs.rmSync(this.snapshotPath(masterVolumeId, snapshotId), { force: true });
  }

  /** Fixes the snapshot's data: a copy of its master volume's file as it is now. */
  async takeSnapshot(masterVolumeId: number, snapshotId: number, capacityMiB: number): Promise<void> {
    this.ensureVolume(masterVolumeId, capacityMiB);
    const target = this.snapshotPath(masterVolumeId, snapshotId);
    // A fresh file (not the old one's inode): a snapshot taken again is a new copy.
    const temporary = `${target}.new`;
    fs.rmSync(temporary, { force: true });
    await copy(this.volumePath(masterVolumeId), temporary);
    fs.renameSync(temporary, target);
  }

  /**
   * Writes the snapshot's data back into the master volume's file (its own inode, which the target
   * engine holds open), then gives it the volume's length again.
   */
  async restoreSnapshot(masterVolumeId: number, snapshotId: number, capacityMiB: number): Promise<void> {
    const source = this.snapshotPath(masterVolumeId, snapshotId);
    if (!fs.existsSync(source)) throw new Error(`snapshot data ${path.basename(source)} is missing`);
    await copy(source, this.volumePath(masterVolumeId));
    this.ensureVolume(masterVolumeId, capacityMiB);
  }

  /** Writes a snapshot's data (or a volume's) into another volume's file: a clone's copy. */
  async copyInto(source: string, volumeId: number, capacityMiB: number): Promise<void> {
    if (fs.existsSync(source)) await copy(source, this.volumePath(volumeId));
    this.ensureVolume(volumeId, capacityMiB);
  }

  /** Volume IDs that have a file. */
  volumeIds(): number[] {
    return ids(this.volumesDir, /^(\d+)\.img$/).map(([id]) => id as number);
  }

  /** [master, snapshot] pairs that have a file. */
  snapshotKeys(): [number, number][] {
    return ids(this.snapshotsDir, /^(\d+)-(\d+)\.img$/) as [number, number][];
  }
}

function ids(dir: string, pattern: RegExp): number[][] {
  const out: number[][] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = pattern.exec(name);
    if (m) out.push(m.slice(1).map(Number));
  }
  return out;
}

/** Copies `source` over `target` (same inode when it exists), sharing extents or skipping holes. */
async function copy(source: string, target: string): Promise<void> {
  await run("cp", ["--reflink=auto", "--sparse=always", source, target]);
}
