/**
 * The embedded store's connections, made cheap for the reads the API serves most.
 *
 * - The main connection keeps its prepared statements per SQL text: Kysely's SQLite driver prepares
 *   every query it runs afresh, and parsing and planning cost more than running a point read.
 * - A second, read-only connection answers reads of committed state at once: in WAL mode it neither
 *   waits for nor sees a transaction open on the main connection.
 * - Single-value reads on it are remembered until the main connection next changes anything. The
 *   embedded store has one writer, this process's main connection (instances share a database only
 *   on PostgreSQL), so counting the statements it runs that change data, or end a transaction that
 *   may have, tells exactly when a remembered answer may be stale.
 */
import SQLite from "better-sqlite3";
import type { SqliteDatabase } from "kysely";
import { sqliteBinding } from "./sqlite-binding.ts";

/**
 * Distinct SQL texts kept. Queries with lists of varying length (`in (?, ?, …)`, batch inserts)
 * make many texts; the least recently used go first.
 */
const STATEMENTS = 500;

/** Remembered answers of the read connection, all forgotten at once past this many. */
const ANSWERS = 10_000;

/** Ends a transaction, and so commits (or drops) whatever it changed. */
const ENDS_TRANSACTION = /^\s*(commit|end|rollback|release)\b/i;

interface Prepared {
  statement: SQLite.Statement;
  /** Changes data, or commits changes made before. */
  changes: boolean;
}

/** The main connection for Kysely, with its statements kept and its changes counted. */
export function mainConnection(db: SQLite.Database): { database: SqliteDatabase; changes: () => number } {
  const cache = new Map<string, Prepared>();
  let changes = 0;
  const prepare = (sql: string): Prepared => {
    const statement = db.prepare(sql);
    return { statement, changes: !statement.readonly || ENDS_TRANSACTION.test(sql) };
  };
  const database: SqliteDatabase = {
    close: () => db.close(),
    prepare(sql: string) {
      let prepared = cache.get(sql);
      if (prepared !== undefined && !prepared.statement.busy) {
        // Re-inserted so that the Map's order is the order of last use.
        cache.delete(sql);
        cache.set(sql, prepared);
      } else if (prepared !== undefined) {
        // Still stepping through a result (a streamed query): this run needs a statement of its own.
        prepared = prepare(sql);
      } else {
        prepared = prepare(sql);
        cache.set(sql, prepared);
        if (cache.size > STATEMENTS) cache.delete(cache.keys().next().value as string);
      }
      // Counted before it runs: no read can come between (better-sqlite3 runs synchronously).
      if (prepared.changes) changes++;
      return prepared.statement;
    },
  };
  return { database, changes: () => changes };
}

/**
 * The read-only connection: `read(sql, parameters)` answers the rows of committed state. Rows may be
 * shared between callers: never change them.
 */
export function readConnection(
  file: string,
  changes: () => number,
): { read: (sql: string, parameters: readonly unknown[]) => unknown[]; close: () => void } {
  const db = new SQLite(file, { readonly: true, nativeBinding: sqliteBinding() });
  db.pragma("busy_timeout = 5000");
  const statements = new Map<string, SQLite.Statement>();
  let answers = new Map<string, Map<unknown, unknown[]>>();
  let size = 0;
  let asOf = changes();
  return {
    read(sql, parameters) {
      const now = changes();
      if (now !== asOf || size >= ANSWERS) {
        answers = new Map();
        size = 0;
        asOf = now;
      }
      const key = parameters.length === 1 ? parameters[0] : undefined;
      const remembered = key === undefined ? undefined : answers.get(sql);
      const hit = remembered?.get(key);
      if (hit !== undefined) return hit;
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      const rows = statement.all(parameters as unknown[]);
      if (key !== undefined) {
        if (remembered === undefined) answers.set(sql, new Map([[key, rows]]));
        else remembered.set(key, rows);
        size++;
      }
      return rows;
    },
    close: () => db.close(),
  };
}
