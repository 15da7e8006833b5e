/**
 * The durable store: one Kysely code base over the embedded SQLite file (default) or PostgreSQL.
 *
 * Portability rules kept by every query in store/ and device/simulator/:
 * - times are integers of milliseconds since the epoch, booleans are integers 0/1, JSON is text;
 * - every state change runs in `db.transaction()`; SQLite serialises writers, PostgreSQL rows are
 *   claimed with `FOR UPDATE` (see `forUpdate`) where two instances could race.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { type Generated, Kysely, PostgresDialect, type SelectQueryBuilder, SqliteDialect, sql } from "kysely";
import { Reserve, StoreHealth } from "./health.ts";
import {
  checkSqliteStore,
  checkStoreFile,
  damaged,
  isDamage,
  MIGRATION_TABLE,
  StoreUnusable,
} from "./integrity.ts";
import { migrate } from "./migrations/index.ts";
import { sqliteBinding } from "./sqlite-binding.ts";
import { mainConnection, readConnection } from "./statements.ts";
import { watchedDialect } from "./watched-dialect.ts";

export interface UsersTable {
  id: Generated<number>;
  name: string;
  password_hash: string;
  /** JSON array of role names. */
  roles: string;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: Generated<number>;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  token_hash: string;
  user_id: number;
  alive_time_s: number;
  created_at: number;
  last_used_at: number;
}

export interface JobsTable {
  id: Generated<number>;
  /** The operation the job runs, e.g. "volumes.create". */
  kind: string;
  /** JSON: the validated request the job executes. */
  params: string;
  user_id: number | null;
  progress: "unexecuted" | "processing" | "completed";
  status: "normal" | "error" | null;
  /** JSON: the command-status fields the job reported (affectedResources, operationDetails, errors). */
  result: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  /** Of an item's own status: the job that runs it (null for a job). */
  leader_id: number | null;
  /** JSON: the request that started the job ({method, url, body}); null when not recorded. */
  request?: string | null;
  /** Of a multi-resource job and its items' statuses: the item's index (0 for the job; else null). */
  item: number | null;
}

export interface ArrayMetaTable {
  key: string;
  value: string;
}

export interface DrivesTable {
  location: string;
  drive_type_code: string;
  drive_type: string;
  drive_interface: string;
  capacity_mib: number;
  pool_id: number | null;
}

export interface PoolsTable {
  id: number;
  name: string;
  raid_level: string;
  drive_type_code: string;
  total_capacity: number;
  threshold_warning: number;
  threshold_depletion: number;
  is_encryption_enabled: number;
  created_at: number;
  /** "DDP" (distributed parity) or "DEFAULT" (a fixed RAID layout). */
  parity_group_type: string;
}

export interface VolumesTable {
  id: number;
  nickname: string;
  pool_id: number;
  total_capacity: number;
  used_capacity: number;
  saving_setting: string;
  is_data_reduction_share_enabled: number;
  /** 0/1: the compression accelerator serves the volume's capacity saving; 0 unless set. */
  compression_acceleration: Generated<number>;
  created_at: number;
}

export interface PortsTable {
  id: string;
  protocol: "FC" | "iSCSI" | "NVME_TCP";
  wwn: string | null;
  iscsi_name: string | null;
  port_speed: string;
  port_security: number;
  /** JSON: fcInformation, iscsiInformation or nvmeTcpInformation. */
  settings: string;
}

export interface ServersTable {
  id: number;
  nickname: string;
  protocol: "FC" | "iSCSI" | "Undefined";
  os_type: string;
  /** JSON array of option numbers 0-255. */
  os_type_options: string;
  is_reserved: number;
  created_at: number;
}

export interface HbasTable {
  server_id: number;
  /** WWN (16 lowercase hex characters) or iSCSI name, unique in the array. */
  name: string;
  kind: "wwn" | "iscsi";
}

/**
 * A host group: a port's view of some hosts, with the host mode the array presents LUNs in.
 * `server_id` names the server it belongs to, or is null (a port's default group 0, a group left
 * by a server deleted with keepLunConfig, one made through the full API).
 */
export interface HostGroupsTable {
  port_id: string;
  host_group_number: number;
  host_group_name: string;
  target_iscsi_name: string | null;
  host_mode: string;
  /** JSON array of host mode option numbers, ascending. */
  host_mode_options: string;
  server_id: number | null;
}

/** An initiator (WWN or iSCSI name) registered in a host group; at most one group of a port. */
export interface HostGroupInitiatorsTable {
  port_id: string;
  host_group_number: number;
  name: string;
  kind: "wwn" | "iscsi";
}

/** A LUN path: LUN `lun` of host group (port, number) is the volume. */
export interface LunPathsTable {
  port_id: string;
  host_group_number: number;
  lun: number;
  volume_id: number;
}

/**
 * A server's LUN per connected volume, presented in each of its host groups (their `lun_paths`
 * mirror these rows); kept while the server has no host group yet.
 */
export interface ConnectionsTable {
  volume_id: number;
  server_id: number;
  lun: number;
}

export interface SnapshotsTable {
  master_volume_id: number;
  snapshot_id: number;
  pool_id: number;
  snapshot_group_name: string;
  type: string;
  status: string;
  snapshot_date: number;
  mapped_volume_id: number | null;
  root_volume_id: number;
  used_capacity: number;
  /** 1 when the pair may be the base of a cascade (full API `canCascade`). */
  can_cascade: number;
}

/** Outcomes of device operations by idempotency key, so a job re-run after a crash does not act twice. */
export interface ArrayOpsTable {
  op_key: string;
  /** JSON: the recorded outcome. */
  outcome: string;
  created_at: number;
}

/**
 * A volume's QoS limits and alerts (see domain/qos.ts): a null value is a disabled one. A volume
 * without a row has every limit disabled; the row goes with its volume.
 */
export interface VolumeQosTable {
  volume_id: number;
  upper_iops: number | null;
  upper_transfer_rate: number | null;
  lower_iops: number | null;
  lower_transfer_rate: number | null;
  response_priority: number | null;
  upper_alert_allowable_time: number | null;
  lower_alert_allowable_time: number | null;
  response_alert_allowable_time: number | null;
  updated_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  jobs: JobsTable;
  array_meta: ArrayMetaTable;
  drives: DrivesTable;
  pools: PoolsTable;
  volumes: VolumesTable;
  ports: PortsTable;
  servers: ServersTable;
  hbas: HbasTable;
  host_groups: HostGroupsTable;
  host_group_initiators: HostGroupInitiatorsTable;
  lun_paths: LunPathsTable;
  connections: ConnectionsTable;
  snapshots: SnapshotsTable;
  array_ops: ArrayOpsTable;
  volume_qos: VolumeQosTable;
}

export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  dialect: "sqlite" | "postgres";
  /**
   * SQLite only: runs one read of committed state on a second, read-only connection, at once: it
   * neither waits for nor sees a transaction open on the main connection (WAL lets readers run
   * beside the writer). A single-value read is answered from memory until the store next changes;
   * the rows may be shared, never change them. For the hottest reads, compiled once
   * (store/precompiled.ts).
   */
  readCommitted?: (sql: string, parameters: readonly unknown[]) => unknown[];
  /** SQLite only: how long the integrity check at opening took, in milliseconds. */
  integrityCheckMs?: number;
  /** Whether the store can write (a full disk says no); every query's errors pass it. */
  health: StoreHealth;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /**
   * "memory": a new SQLite store in a temporary directory of its own, removed when the store
   * closes; dataDir and databaseUrl are not used. "persistent" (the default): theirs.
   */
  store?: "persistent" | "memory";
  /** The last migration to run; all of them by default (only tests of an upgrade stop earlier). */
  schemaUpTo?: string;
  /** Retry-After of the 503 answered while the store's disk is full; 5 s by default. */
  busyRetryAfterSeconds?: number;
}

/**
 * Opens the store named by the options and brings its schema up to date. A store that exists but
 * is not Blockplane's, or is damaged, is refused with `StoreUnusable` (store/integrity.ts).
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const retryAfter = options.busyRetryAfterSeconds ?? 5;
  const store =
    options.store === "memory"
      ? openThrowAway(retryAfter)
      : options.databaseUrl
        ? await openPostgres(options.databaseUrl, retryAfter)
        : openSqlite(options.dataDir, retryAfter);
  try {
    if (store.dialect === "postgres") await refuseForeignDatabase(store.db, options.databaseUrl as string);
    if (store.dialect === "sqlite")
      await withoutWaitingEachCommit(store.db, () => migrate(store.db, options.schemaUpTo));
    else await migrate(store.db, options.schemaUpTo);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * Runs `run` on a SQLite store at synchronous=NORMAL when it is at FULL, then at FULL again.
 *
 * SQLite runs the migrations' statements each as its own commit (its DDL stays outside the
 * migrator's transactions), and at FULL each waited for an fsync: most of a first start. In WAL
 * mode NORMAL cannot damage the file; a power cut may undo the last commits, which the next start
 * then makes again, as after a crash in the middle of them. The first commit at FULL after makes
 * them durable with its own.
 */
async function withoutWaitingEachCommit(db: Db, run: () => Promise<void>): Promise<void> {
  const [current] = (await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows;
  const full = current?.synchronous === 2;
  if (full) await sql`pragma synchronous = normal`.execute(db);
  try {
    await run();
  } finally {
    if (full) await sql`pragma synchronous = full`.execute(db);
  }
}

/** A small real write, the health's probe of whether the store can write again. */
function probeWrite(db: () => Db): () => Promise<void> {
  return async () => {
    await db()
      .insertInto("array_meta")
      .values({ key: "store_probe", value: String(Date.now()) })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: (e) => e.ref("excluded.value") }))
      .execute();
  };
}

function openSqlite(dataDir: string, retryAfter: number, durable = true): Store {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "blockplane.db");
  const existed = checkStoreFile(file);
  const sqlite = new SQLite(file, { nativeBinding: sqliteBinding() });
  let integrityCheckMs: number | undefined;
  try {
    sqlite.pragma("busy_timeout = 5000");
    // Checked before anything is written to it: a file refused is left as it was found.
    if (existed) integrityCheckMs = checkSqliteStore(sqlite, file).checkMs;
    // WAL lets readers run beside the writer; FULL makes every commit durable before it is
    // acknowledged. A throw-away store outlives no crash, so it need not wait for the disk: OFF
    // still survives the process dying (only the OS's crash could lose or damage what it wrote).
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma(durable ? "synchronous = FULL" : "synchronous = OFF");
    sqlite.pragma("foreign_keys = ON");
  } catch (err) {
    sqlite.close();
    if (err instanceof StoreUnusable) throw err;
    if (isDamage(err)) throw damaged(file, (err as Error).message);
    throw err;
  }
  // Statements kept, changes counted, and a read-only connection beside (store/statements.ts).
  const main = mainConnection(sqlite);
  const reserve = new Reserve(path.join(dataDir, "blockplane.reserve"));
  void reserve.ensureInBackground();
  const health: StoreHealth = new StoreHealth(
    probeWrite(() => db as Db),
    reserve,
    retryAfter,
  );
  const db: Db = new Kysely<Database>({
    dialect: watchedDialect(new SqliteDialect({ database: main.database }), health),
  });
  const reader = readConnection(file, main.changes);
  return {
    db,
    dialect: "sqlite",
    readCommitted: reader.read,
    ...(integrityCheckMs !== undefined ? { integrityCheckMs } : {}),
    health,
    async close() {
      health.stop();
      await db.destroy();
      reader.close();
    },
  };
}

/**
 * A throw-away store: the embedded SQLite store, as every other start has it (WAL, the read-only
 * connection beside the writer, the reserve), in a new temporary directory that closing removes,
 * without waiting for the disk at each commit.
 * Not SQLite's ":memory:": a second connection to it would be a second, empty database (the
 * read-only connection could not see the writer's commits), and it has no write-ahead log.
 */
function openThrowAway(retryAfter: number): Store {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-memory-"));
  let store: Store;
  try {
    store = openSqlite(dir, retryAfter, false);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...store,
    async close() {
      try {
        await store.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The PostgreSQL driver, loaded for a PostgreSQL store only: loading it costs a tenth of a second. */
async function postgresDriver(): Promise<typeof import("pg").default> {
  const { default: pg } = await import("pg");
  // Counts and ids are below 2^53: read PostgreSQL's int8 and numeric as JS numbers.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
  return pg;
}

async function openPostgres(url: string, retryAfter: number): Promise<Store> {
  const pg = await postgresDriver();
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection that the server drops (restart, fail-over, admin) is reported here; without a
  // listener that event would end the process. The pool discards the connection and opens a new one
  // for the next query, which fails visibly if the server is really gone.
  pool.on("error", () => {});
  // The database's disk is the database server's: there is no reserve to keep beside it.
  const health: StoreHealth = new StoreHealth(
    probeWrite(() => db as Db),
    undefined,
    retryAfter,
  );
  const db: Db = new Kysely<Database>({ dialect: watchedDialect(new PostgresDialect({ pool }), health) });
  return {
    db,
    dialect: "postgres",
    health,
    async close() {
      health.stop();
      await db.destroy();
    },
  };
}

/**
 * Refuses a PostgreSQL database that holds tables of something else: migrations would add
 * Blockplane's beside them and present a new, empty array.
 */
async function refuseForeignDatabase(db: Db, url: string): Promise<void> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (tables.length === 0 || tables.some((t) => t.name === MIGRATION_TABLE)) return;
  const where = new URL(url);
  where.password = "";
  throw new StoreUnusable(
    `the database ${where.toString()} holds tables that are not Blockplane's (${tables
      .slice(0, 3)
      .map((t) => t.name)
      .join(
        ", ",
      )}${tables.length > 3 ? ", …" : ""}): give Blockplane a database of its own (an empty one starts a new array).`,
  );
}

/** Adds `FOR UPDATE` on PostgreSQL; SQLite's single writer already serialises the transaction. */
export function forUpdate<DB, TB extends keyof DB, O>(
  store: Pick<Store, "dialect">,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return store.dialect === "postgres" ? query.forUpdate() : query;
}
