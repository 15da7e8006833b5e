/**
 * Reads built and compiled once, then run with new values. Kysely builds and compiles a query on
 * every call, which costs more than running a point read on SQLite; the reads the API serves most
 * are compiled here once, for the store's own dialect, and run on SQLite's read connection.
 */
import type { Compilable, CompiledQuery } from "kysely";
import type { Store } from "./db.ts";

/** Stands for the `index`-th value while the query is compiled. */
class Placeholder {
  constructor(readonly index: number) {}
}

/**
 * Compiles `build(p0, p1, …)` once, where each `p` stands for a value given later; answers a
 * function that runs the query with the values given and answers its rows. A read of committed
 * state, outside any transaction. Values the builder writes itself stay as they are.
 */
export function precompiledRead<A extends unknown[], R>(
  store: Store,
  arity: A["length"],
  build: (...placeholders: A) => Compilable<R>,
): (...values: A) => Promise<R[]> {
  const placeholders = Array.from({ length: arity }, (_, i) => new Placeholder(i)) as unknown as A;
  const compiled = build(...placeholders).compile();
  const slots = compiled.parameters.map((p) => (p instanceof Placeholder ? p.index : -1));
  if (slots.filter((s) => s >= 0).length !== arity) {
    throw new Error(`precompiledRead: the query does not use each of its ${arity} values once`);
  }
  const bind = (values: A) =>
    compiled.parameters.map((p, i) => {
      const slot = slots[i] as number;
      return slot >= 0 ? values[slot] : p;
    });
  const { readCommitted } = store;
  if (readCommitted) {
    const sql = compiled.sql;
    return (...values) => {
      try {
        return Promise.resolve(readCommitted(sql, bind(values)) as R[]);
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return async (...values) => {
    const query: CompiledQuery<R> = { ...compiled, parameters: bind(values) };
    return (await store.db.executeQuery(query)).rows;
  };
}
