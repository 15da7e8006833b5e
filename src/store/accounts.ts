/** Users and sessions tables. */
import { sql, type Transaction } from "kysely";
import type { Role } from "../domain/roles.ts";
import type { Database, Db, Store } from "./db.ts";

export interface User {
  id: number;
  name: string;
  roles: Role[];
  createdAt: number;
  updatedAt: number;
}

export interface UserWithHash extends User {
  passwordHash: string;
}

export interface Session {
  id: number;
  tokenHash: string;
  userId: number;
  aliveTimeS: number;
  createdAt: number;
  lastUsedAt: number;
}

type UserRow = {
  id: number;
  name: string;
  roles: string;
  created_at: number;
  updated_at: number;
  password_hash: string;
};

function toUser(r: UserRow): UserWithHash {
  return {
    id: Number(r.id),
    name: r.name,
    roles: rolesOf(r.roles),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    passwordHash: r.password_hash,
  };
}

function withoutHash({ passwordHash: _, ...user }: UserWithHash): User {
  return user;
}

/** Why a change to a user was not made: no such user, or the last holder of a role that must be kept. */
export type UserRefusal = "absent" | "last-holder";

/** What became of a change to a user that must leave some user holding a given role. */
export type GuardedChange<T> = { done: T } | { refused: UserRefusal };

export interface UserChange {
  passwordHash?: string;
  roles?: Role[];
  /** With a new password: the one session of the user's that survives it. */
  keepSessionId?: number;
}

/**
 * The limits a new session must fit: `total` sessions of the array, `perUser` of one user, and the
 * last `reserved` of the total kept for `privileged` users (Security Administrators).
 */
export interface SessionLimits {
  total: number;
  perUser: number;
  reserved: number;
  privileged: boolean;
}

/** Which limit refused a session: the array's, the user's share, or the reserve of others. */
export type SessionRefusal = "array" | "user-share" | "reserved";

export class AccountsStore {
  private readonly db: Db;
  constructor(store: Store) {
    this.db = store.db;
  }

  async countUsers(): Promise<number> {
    const r = await this.db
      .selectFrom("users")
      .select((e) => e.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom("users").selectAll().orderBy("id").execute();
    return rows.map((r) => withoutHash(toUser(r)));
  }

  async userByName(name: string): Promise<UserWithHash | undefined> {
    const r = await this.db.selectFrom("users").selectAll().where("name", "=", name).executeTakeFirst();
    return r ? toUser(r) : undefined;
  }

  async userById(id: number): Promise<UserWithHash | undefined> {
    const r = await this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toUser(r) : undefined;
  }

  /** Inserts a user unless the name is taken; answers undefined when it is. */
  async insertUser(
    name: string,
    passwordHash: string,
    roles: Role[],
    now: number,
  ): Promise<User | undefined> {
    const r = await this.db
      .insertInto("users")
      .values({
        name,
        password_hash: passwordHash,
        roles: JSON.stringify(roles),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column("name").doNothing())
      .returningAll()
      .executeTakeFirst();
    return r ? withoutHash(toUser(r)) : undefined;
  }

  /**
   * Changes a user's password or roles, unless that would take `keptRole` from its last holder. A
   * new password also deletes every session of the user's but `keepSessionId`.
   */
  async updateUser(
    id: number,
    change: UserChange,
    keptRole: Role,
    now: number,
    dialect: Store["dialect"],
  ): Promise<GuardedChange<User>> {
    return this.changeUsers(dialect, async (tx) => {
      const current = await tx.selectFrom("users").select("roles").where("id", "=", id).executeTakeFirst();
      if (!current) return { refused: "absent" };
      const losesRole =
        change.roles !== undefined &&
        rolesOf(current.roles).includes(keptRole) &&
        !change.roles.includes(keptRole);
      if (losesRole && !(await anotherHolds(tx, keptRole, id))) return { refused: "last-holder" };
      const r = await tx
        .updateTable("users")
        .set({
          updated_at: now,
          ...(change.passwordHash !== undefined ? { password_hash: change.passwordHash } : {}),
          ...(change.roles !== undefined ? { roles: JSON.stringify(change.roles) } : {}),
        })
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (change.passwordHash !== undefined) {
        let ended = tx.deleteFrom("sessions").where("user_id", "=", id);
        if (change.keepSessionId !== undefined) ended = ended.where("id", "<>", change.keepSessionId);
        await ended.execute();
      }
      return { done: withoutHash(toUser(r)) };
    });
  }

  /** Deletes the user and every session of theirs, unless they are the last holder of `keptRole`. */
  async deleteUser(id: number, keptRole: Role, dialect: Store["dialect"]): Promise<GuardedChange<true>> {
    return this.changeUsers(dialect, async (tx) => {
      let read = tx.selectFrom("users").select("roles").where("id", "=", id);
      // The user's row before the sessions, as session creation takes them.
      if (dialect === "postgres") read = read.forUpdate();
      const current = await read.executeTakeFirst();
      if (!current) return { refused: "absent" };
      if (rolesOf(current.roles).includes(keptRole) && !(await anotherHolds(tx, keptRole, id))) {
        return { refused: "last-holder" };
      }
      await tx.deleteFrom("sessions").where("user_id", "=", id).execute();
      await tx.deleteFrom("users").where("id", "=", id).execute();
      return { done: true };
    });
  }

  /**
   * Runs a change of users that checks a rule over all of them (someone must keep a role) in one
   * transaction that no other such change interleaves with: on PostgreSQL under a table lock that
   * admits readers but no other writer of users; SQLite's single writer serialises it already.
   */
  private changeUsers<T>(
    dialect: Store["dialect"],
    change: (tx: Transaction<Database>) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      if (dialect === "postgres") {
        await sql`lock table users in share row exclusive mode`.execute(tx);
      }
      return change(tx);
    });
  }

  /**
   * Creates a session within the limits (SessionLimits), expired ones removed first; answers which
   * limit refused it otherwise. One transaction, with the counts taken under a lock on PostgreSQL,
   * so racing instances cannot exceed a limit.
   */
  async insertSessionWithin(
    limits: SessionLimits,
    session: { tokenHash: string; userId: number; aliveTimeS: number },
    passwordHash: string,
    now: number,
    dialect: Store["dialect"],
  ): Promise<Session | SessionRefusal | "credentials-changed"> {
    return this.db.transaction().execute(async (tx) => {
      // The user first, then the sessions, as every change of users takes them: a password change
      // or a deletion waits for this session (and then ends it), or this waits for them and sees
      // that the password it was given is no longer the user's.
      let user = tx
        .selectFrom("users")
        .select("id")
        .where("id", "=", session.userId)
        .where("password_hash", "=", passwordHash);
      if (dialect === "postgres") user = user.forShare();
      if (!(await user.executeTakeFirst())) return "credentials-changed";
      if (dialect === "postgres") {
        await sql`lock table sessions in share row exclusive mode`.execute(tx);
      }
      await tx
        .deleteFrom("sessions")
        .where((e) => e(e("last_used_at", "+", e("alive_time_s", "*", 1000)), "<", now))
        .execute();
      const counts = await tx
        .selectFrom("sessions")
        .select((e) => [
          e.fn.countAll<number>().as("n"),
          e.fn.sum<number>(e.case().when("user_id", "=", session.userId).then(1).else(0).end()).as("mine"),
        ])
        .executeTakeFirstOrThrow();
      const all = Number(counts.n);
      if (Number(counts.mine ?? 0) >= limits.perUser) return "user-share";
      if (all >= limits.total) return "array";
      if (!limits.privileged && all >= limits.total - limits.reserved) return "reserved";
      const r = await tx
        .insertInto("sessions")
        .values({
          token_hash: session.tokenHash,
          user_id: session.userId,
          alive_time_s: session.aliveTimeS,
          created_at: now,
          last_used_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSession(r);
    });
  }

  async sessionByTokenHash(tokenHash: string): Promise<Session | undefined> {
    const r = await this.db
      .selectFrom("sessions")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return r ? toSession(r) : undefined;
  }

  async sessionById(id: number): Promise<Session | undefined> {
    const r = await this.db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toSession(r) : undefined;
  }

  async touchSession(id: number, now: number): Promise<void> {
    await this.db.updateTable("sessions").set({ last_used_at: now }).where("id", "=", id).execute();
  }

  /** Deletes every session of the user (every session when `userId` is undefined); answers how many. */
  async deleteSessionsOf(userId: number | undefined): Promise<number> {
    let query = this.db.deleteFrom("sessions");
    if (userId !== undefined) query = query.where("user_id", "=", userId);
    const r = await query.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteSession(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom("sessions").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listSessions(): Promise<Session[]> {
    const rows = await this.db.selectFrom("sessions").selectAll().orderBy("id").execute();
    return rows.map(toSession);
  }
}

function rolesOf(json: string): Role[] {
  return JSON.parse(json) as Role[];
}

/** Whether a user other than `id` holds `role`. */
async function anotherHolds(tx: Transaction<Database>, role: Role, id: number): Promise<boolean> {
  const others = await tx.selectFrom("users").select("roles").where("id", "<>", id).execute();
  return others.some((u) => rolesOf(u.roles).includes(role));
}

function toSession(r: {
  id: number;
  token_hash: string;
  user_id: number;
  alive_time_s: number;
  created_at: number;
  last_used_at: number;
}): Session {
  return {
    id: Number(r.id),
    tokenHash: r.token_hash,
    userId: Number(r.user_id),
    aliveTimeS: r.alive_time_s,
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
  };
}
