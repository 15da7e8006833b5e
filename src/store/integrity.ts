/**
 * The checks a store passes before Blockplane serves from it. A store that exists but is not
 * Blockplane's, or is damaged, is refused with one line naming the file and what to do: serving from
 * it would present an empty array where there was data (a truncated file opened as a new one), or
 * fail later on a damaged page with a message of SQLite's that names neither the file nor the
 * cause. Only an absent file (a new data directory) starts a new array.
 */
import fs from "node:fs";
import type SQLite from "better-sqlite3";

/** A store Blockplane will not open; the message is meant for the operator, on one line. */
export class StoreUnusable extends Error {
  override name = "StoreUnusable";
}

/** The 16 bytes every SQLite database file begins with. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/** Migrations' bookkeeping table: a store with tables but without it was not made by Blockplane. */
export const MIGRATION_TABLE = "kysely_migration";

const MOVE_AWAY = "move it away (or remove it) to start a new, empty array";

/**
 * Refuses a file that exists but cannot be a store of ours: empty (truncated, or made by
 * something else) or not an SQLite database. Answers whether the file exists.
 */
export function checkStoreFile(file: string): boolean {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new StoreUnusable(`the store ${file} cannot be read (${(err as Error).message}).`);
  }
  // SQLite writes a new database's first page with its first change (Blockplane's is the journal
  // mode, right after opening), so an empty file with no write-ahead log to replay holds nothing.
  if (size === 0 && !hasContent(`${file}-wal`)) {
    throw new StoreUnusable(
      `the store ${file} is empty (0 bytes): its data is gone (the file was truncated or replaced). Restore it from a backup, or ${MOVE_AWAY}.`,
    );
  }
  if (size > 0) {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const fd = fs.openSync(file, "r");
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (!head.equals(SQLITE_HEADER)) {
      throw new StoreUnusable(
        `the store ${file} is not an SQLite database (it does not begin with SQLite's header): restore Blockplane's file from a backup, point --data-dir at Blockplane's data directory, or ${MOVE_AWAY}.`,
      );
    }
  }
  return true;
}

function hasContent(file: string): boolean {
  try {
    return fs.statSync(file).size > 0;
  } catch {
    return false;
  }
}

/**
 * Checks an opened SQLite store: its pages are sound (PRAGMA quick_check: every b-tree page and
 * record well formed, which reads the whole file once; it skips only the comparison of indexes
 * with their tables), and a store with tables is Blockplane's. Answers how long the check took.
 */
export function checkSqliteStore(db: SQLite.Database, file: string): { checkMs: number } {
  const started = performance.now();
  let problems: string[];
  try {
    problems = (db.pragma("quick_check(5)") as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (err) {
    throw damaged(file, `integrity check: ${(err as Error).message}`);
  }
  const checkMs = performance.now() - started;
  if (problems.length !== 1 || problems[0] !== "ok")
    throw damaged(file, `integrity check: ${problems.join("; ")}`);
  const tables = db
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
    .pluck()
    .all() as string[];
  if (tables.length > 0 && !tables.includes(MIGRATION_TABLE)) {
    throw new StoreUnusable(
      `the store ${file} is an SQLite database of something else (its tables are not Blockplane's: ${tables.slice(0, 3).join(", ")}${tables.length > 3 ? ", …" : ""}): point --data-dir at Blockplane's data directory, or ${MOVE_AWAY}.`,
    );
  }
  return { checkMs };
}

/** The refusal of a store whose pages SQLite finds damaged; `what` is SQLite's finding. */
export function damaged(file: string, what: string): StoreUnusable {
  return new StoreUnusable(
    `the store ${file} is damaged (${what.replace(/\s+/g, " ").slice(0, 300)}): restore it from a backup (sqlite3's ".recover" may save part of it into a new file), then start again.`,
  );
}

/** Whether an error of better-sqlite3 says the file is damaged or not a database at all. */
export function isDamage(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT_VTAB";
}
