/**
 * The data plane of the simulated array (`--data-plane iscsi`, docs/data-plane.md): volumes with
 * real bytes behind them, served over iSCSI by tgt.
 *
 * - Backing storage (backing.ts): a sparse file per volume in the data dir, grown by an expansion
 *   and removed with the volume; a snapshot is a copy of its master's file, a restore copies it
 *   back; a volume's used capacity (and so its pool's) is the blocks its file really holds.
 * - Targets (tgt.ts): one tgtd per iSCSI port, on the port's portal. Each host group of the port is
 *   a target named by its target IQN, whose ACL is the iSCSI names registered in the group and whose
 *   LUNs are the group's LUN paths (for a server: its connections' LUNs). A snapshot's mapped volume
 *   serves the snapshot's data.
 *
 * - Faults: maintenance and `port-down` rules put portals offline; `io-latency` rules slow one
 *   volume's I/O through the latency table every tgtd reads (latency.ts).
 *
 * Nothing of this is kept apart from the store: after each change of the array the targets are
 * brought to what the store says (`reconcile`), and again every few seconds and at start, so that a
 * restart of Blockplane, a crash of a tgtd or a change made by another instance heals by itself.
 * The array's own operations act on the store first and on the files after, in the device wrapper
 * (`wrap`): a change the store refused touches no file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DataPlaneSettings, Portal } from "../config.ts";
import type { Snapshot } from "../device/port/snapshots.ts";
import { type Device, type Operation, wrapOperations } from "../device/port.ts";
import type { Store } from "../store/db.ts";
import { BackingStore } from "./backing.ts";
import { LatencyTable } from "./latency.ts";
import { type TargetSpec, TgtDaemon, type TgtLog, tgtInstalled } from "./tgt.ts";

export { tgtInstalled };

/** tgt keeps LUN 0 of every target for its own controller device. */
export const FIRST_DATA_LUN = 1;

/** Which portals refuse logins now: every one (maintenance), or those of the ports named. */
export type PortalOutage = "all" | Set<string>;

/** What the faults ask of the data plane now. */
export interface DataFaults {
  outage: PortalOutage;
  /** Volume ID → milliseconds added to each of its I/Os. */
  latencies: Map<number, number>;
}

export interface DataPlaneOptions {
  store: Store;
  settings: DataPlaneSettings;
  /** The data dir; undefined for a throw-away store, whose data plane lives in a temporary directory. */
  dataDir: string | undefined;
  /** The iSCSI port IDs of the array's model, in order: a port's default portal is 3260 + its index. */
  iscsiPorts: readonly string[];
  log: TgtLog;
  /** The array's serial number: with the volume ID, each LUN's serial number. */
  serial: string;
  /** Which portals refuse logins (maintenance, port-down faults), which volumes are slow; none when absent. */
  faults?: () => Promise<DataFaults>;
  /** How often the targets are checked against the store without a change (ms). */
  intervalMs?: number;
}

/** Operations that only read: they change neither the store nor the targets. */
const READS = /^(list|get|read|pairRolesOf$|storage|health$|recommended)/;

export class DataPlane {
  readonly backing: BackingStore;
  readonly latency: LatencyTable;
  readonly portals = new Map<string, Portal>();
  private readonly daemons = new Map<string, TgtDaemon>();
  private readonly temporaryDir: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Volume IDs served by some LUN: the only files whose used capacity can change. */
  private served = new Set<number>();
  private warnedLunZero = new Set<string>();
  /** File changes run one at a time: a sweep never sees a file made for a volume it read as absent. */
  private fileTurn: Promise<unknown> = Promise.resolve();

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.fileTurn.then(fn, fn);
    this.fileTurn = next.catch(() => {});
    return next;
  }

  constructor(private readonly options: DataPlaneOptions) {
    if (options.dataDir === undefined) {
      this.temporaryDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-data-plane-"));
    }
    const dir = path.join(options.dataDir ?? (this.temporaryDir as string), "data-plane");
    this.backing = new BackingStore(dir, (m) => options.log.warn(m));
    fs.mkdirSync(path.join(dir, "tgtd"), { recursive: true });
    this.latency = new LatencyTable(dir);
    if (this.latency.unavailable) {
      options.log.warn(`data plane: I/O latency faults will not act: ${this.latency.unavailable}`);
    }
    options.iscsiPorts.forEach((portId, i) => {
      const portal = options.settings.portals[portId] ?? { address: "127.0.0.1", port: 3260 + i };
      this.portals.set(portId, portal);
    });
    for (const portId of Object.keys(options.settings.portals)) {
      if (!options.iscsiPorts.includes(portId)) {
        throw new Error(`--iscsi-portal names ${portId}, which is not an iSCSI port of the array`);
      }
    }
    for (const [portId, portal] of this.portals) {
      this.daemons.set(
        portId,
        new TgtDaemon(
          portId,
          portal,
          path.join(dir, "tgtd", `${portId}.pid`),
          options.log,
          () => {
            this.reconcile().catch((err) => options.log.warn(`data plane: ${(err as Error).message}`));
          },
          this.latency.env(),
        ),
      );
    }
  }

  /** Starts every portal and brings files and targets to what the store holds. */
  async start(): Promise<void> {
    if (!tgtInstalled()) {
      throw new Error("--data-plane iscsi needs tgt (tgtd and tgtadm): apt-get install tgt");
    }
    await this.syncFiles();
    await Promise.all([...this.daemons.values()].map((d) => d.start()));
    await this.reconcile();
    const interval = this.options.intervalMs ?? 2000;
    let passes = 0;
    this.timer = setInterval(() => {
      // Now and then the files too: a reset of the array (the fault API's) changes no file itself.
      const files = ++passes % 30 === 0 ? this.syncFiles() : Promise.resolve();
      files
        .then(() => this.reconcile())
        .catch((err) => this.options.log.warn(`data plane: ${(err as Error).message}`));
    }, interval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
    await Promise.all([...this.daemons.values()].map((d) => d.stop()));
    this.latency.close();
    if (this.temporaryDir) fs.rmSync(this.temporaryDir, { recursive: true, force: true });
  }

  /**
   * The device with the data plane behind it: after each operation that changed the array, its
   * files are changed (a snapshot copied, a volume grown …) and the targets reconciled, before the
   * caller is answered, so that a host sees a connection as soon as it is reported made.
   */
  wrap(device: Device): Device {
    return wrapOperations(device, (name, op): Operation => {
      if (READS.test(name)) return op;
      return async (...args: unknown[]) => {
        // A clone's pair is gone once copied: its S-VOL is read before.
        const svol =
          name === "clonePair" ? await this.svolOf(args[0] as number, args[1] as number) : undefined;
        const result = await op(...args);
        // The array has made the change: a failure of the data plane's side is logged and left
        // to the next pass, not answered as a failure of a change that was made.
        try {
          await this.inTurn(() => this.afterChange(name, args, result, svol));
          await this.reconcile();
        } catch (err) {
          this.options.log.warn(`data plane, after ${name}: ${(err as Error).message}`);
        }
        return result;
      };
    });
  }

  private async capacityOf(volumeId: number): Promise<number | undefined> {
    const row = await this.options.store.db
      .selectFrom("volumes")
      .select("total_capacity")
      .where("id", "=", volumeId)
      .executeTakeFirst();
    return row ? Number(row.total_capacity) : undefined;
  }

  /** The file side of an operation the store has accepted. */
  private async afterChange(name: string, args: unknown[], result: unknown, svol?: number): Promise<void> {
    const b = this.backing;
    const ensure = async (id: number) => {
      const mib = await this.capacityOf(id);
      if (mib !== undefined) b.ensureVolume(id, mib);
    };
    const take = async (master: number, snapshotId: number) => {
      const mib = await this.capacityOf(master);
      if (mib !== undefined) await b.takeSnapshot(master, snapshotId, mib);
    };
    const cloneInto = async (master: number, target: number) => {
      const mib = await this.capacityOf(target);
      if (mib !== undefined) await b.copyInto(b.volumePath(master), target, mib);
    };
    switch (name) {
      case "createVolumes":
        // A new volume starts empty, whatever a volume of the same ID left (a reset of the array).
        for (const r of result as { ok: boolean; value?: number }[]) {
          if (!r.ok) continue;
          b.removeVolume(r.value as number);
          await ensure(r.value as number);
        }
        return;
      case "expandVolume":
        return ensure(args[0] as number);
      case "clonePair":
        if (svol !== undefined) await cloneInto(args[0] as number, svol);
        return this.sweep();
      case "deleteVolume":
      case "deletePool":
      case "deleteSnapshot":
        return this.sweep();
      case "createSnapshot":
      case "createPair": {
        const s = result as Snapshot;
        if (s.mappedVolumeId !== undefined) await ensure(s.mappedVolumeId);
        if (s.type === "Snap Clone" && s.mappedVolumeId !== undefined && s.status === "PSUS") {
          await cloneInto(s.masterVolumeId, s.mappedVolumeId);
        }
        return take(s.masterVolumeId, s.snapshotId);
      }
      case "splitPair": {
        const s = result as Snapshot;
        return take(s.masterVolumeId, s.snapshotId);
      }
      case "mapSnapshot":
      case "assignPairVolume": {
        const s = result as Snapshot;
        if (s.mappedVolumeId !== undefined) await ensure(s.mappedVolumeId);
        return;
      }
      case "restoreSnapshot": {
        const s = result as Snapshot;
        const mib = await this.capacityOf(s.masterVolumeId);
        if (mib !== undefined) await b.restoreSnapshot(s.masterVolumeId, s.snapshotId, mib);
        return;
      }
    }
  }

  private async svolOf(masterVolumeId: number, snapshotId: number): Promise<number | undefined> {
    const row = await this.options.store.db
      .selectFrom("snapshots")
      .select("mapped_volume_id")
      .where("master_volume_id", "=", masterVolumeId)
      .where("snapshot_id", "=", snapshotId)
      .executeTakeFirst();
    return row?.mapped_volume_id == null ? undefined : Number(row.mapped_volume_id);
  }

  /** Gives every volume its file and removes the files of volumes and snapshots that are gone. */
  syncFiles(): Promise<void> {
    return this.inTurn(() => this.sweep());
  }

  private async sweep(): Promise<void> {
    const db = this.options.store.db;
    const volumes = await db.selectFrom("volumes").select(["id", "total_capacity"]).execute();
    const snapshots = await db.selectFrom("snapshots").select(["master_volume_id", "snapshot_id"]).execute();
    const live = new Map(volumes.map((v) => [Number(v.id), Number(v.total_capacity)]));
    for (const id of this.backing.volumeIds()) if (!live.has(id)) this.backing.removeVolume(id);
    for (const [id, mib] of live) this.backing.ensureVolume(id, mib);
    const pairs = new Set(snapshots.map((s) => `${s.master_volume_id}-${s.snapshot_id}`));
    for (const [m, s] of this.backing.snapshotKeys()) {
      if (!pairs.has(`${m}-${s}`)) this.backing.removeSnapshot(m, s);
    }
  }

  /**
   * Brings every portal to what the store holds. Calls made while one runs are folded into one more
   * run after it, which reads the store afresh.
   */
  reconcile(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.reconcileOnce();
        } while (this.again && !this.closed);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** What the store says each portal serves. */
  private async desired(): Promise<Map<string, TargetSpec[]>> {
    const db = this.options.store.db;
    const ports = [...this.portals.keys()];
    const groups = await db
      .selectFrom("host_groups")
      .select(["port_id", "host_group_number", "target_iscsi_name"])
      .where("port_id", "in", ports)
      .execute();
    const initiators = await db
      .selectFrom("host_group_initiators")
      .select(["port_id", "host_group_number", "name"])
      .where("port_id", "in", ports)
      .where("kind", "=", "iscsi")
      .execute();
    const paths = await db
      .selectFrom("lun_paths")
      .select(["port_id", "host_group_number", "lun", "volume_id"])
      .where("port_id", "in", ports)
      .execute();
    const mapped = await db
      .selectFrom("snapshots")
      .select(["master_volume_id", "snapshot_id", "mapped_volume_id", "type"])
      .where("mapped_volume_id", "is not", null)
      .execute();
    const snapshotOf = new Map<number, string>();
    for (const m of mapped) {
      // A clone's S-VOL holds its own copy; a snapshot's mapped volume serves the snapshot's data.
      if (m.type === "Snap Clone") continue;
      const file = this.backing.snapshotPath(Number(m.master_volume_id), Number(m.snapshot_id));
      if (fs.existsSync(file)) snapshotOf.set(Number(m.mapped_volume_id), file);
    }
    const key = (p: string, n: number) => `${p}\u0000${n}`;
    const byGroup = new Map<string, TargetSpec>();
    const out = new Map<string, TargetSpec[]>(ports.map((p) => [p, []]));
    for (const g of groups) {
      if (!g.target_iscsi_name) continue;
      const spec: TargetSpec = {
        name: g.target_iscsi_name,
        initiators: [],
        luns: new Map(),
      };
      byGroup.set(key(g.port_id, Number(g.host_group_number)), spec);
      out.get(g.port_id)?.push(spec);
    }
    for (const i of initiators)
      byGroup.get(key(i.port_id, Number(i.host_group_number)))?.initiators.push(i.name);
    const served = new Set<number>();
    for (const p of paths) {
      const spec = byGroup.get(key(p.port_id, Number(p.host_group_number)));
      if (!spec) continue;
      const lun = Number(p.lun);
      const volumeId = Number(p.volume_id);
      if (lun < FIRST_DATA_LUN) {
        const what = `${p.port_id},${p.host_group_number}`;
        if (!this.warnedLunZero.has(what)) {
          this.warnedLunZero.add(what);
          this.options.log.warn(
            `data plane: LUN 0 of host group ${what} (volume ${volumeId}) is not served: tgt keeps LUN 0 for its controller`,
          );
        }
        continue;
      }
      const file = snapshotOf.get(volumeId) ?? this.backing.volumePath(volumeId);
      const length = this.backing.length(file);
      if (length === undefined || length === 0) continue;
      const serial = `${this.options.serial}${volumeId.toString(16).padStart(4, "0")}`;
      spec.luns.set(lun, { path: file, length, serial });
      if (!snapshotOf.has(volumeId)) served.add(volumeId);
    }
    this.served = served;
    return out;
  }

  private async reconcileOnce(): Promise<void> {
    const wanted = await this.desired();
    const faults = await this.options.faults?.();
    const outage = faults?.outage ?? new Set<string>();
    this.latency.set(faults?.latencies ?? new Map());
    const failures: string[] = [];
    await Promise.all(
      [...this.daemons].map(async ([portId, daemon]) => {
        const online = outage !== "all" && !outage.has(portId);
        try {
          await daemon.apply(wanted.get(portId) ?? [], online);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }),
    );
    await this.refreshUsage();
    if (failures.length > 0) throw new Error(failures.join("; "));
  }

  /** Records the used capacity of every served volume: the blocks its file really holds. */
  async refreshUsage(): Promise<void> {
    const db = this.options.store.db;
    const ids = [...this.served];
    if (ids.length === 0) return;
    const rows = await db
      .selectFrom("volumes")
      .select(["id", "used_capacity"])
      .where("id", "in", ids)
      .execute();
    for (const r of rows) {
      const used = this.backing.usedMiB(Number(r.id));
      if (used !== Number(r.used_capacity)) {
        await db.updateTable("volumes").set({ used_capacity: used }).where("id", "=", Number(r.id)).execute();
      }
    }
  }
}
