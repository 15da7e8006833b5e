/** Users and sessions tables. */
import { sql } from "kysely";
import type { Role } from "../domain/roles.ts";
import type { Db, Store } from "./db.ts";

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
    roles: JSON.parse(r.roles) as Role[],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    passwordHash: r.password_hash,
  };
}

function withoutHash({ passwordHash: _, ...user }: UserWithHash): User {
  return user;
}

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

  async updateUser(
    id: number,
    change: { passwordHash?: string; roles?: Role[] },
    now: number,
  ): Promise<User | undefined> {
    const r = await this.db
      .updateTable("users")
      .set({
        updated_at: now,
        ...(change.passwordHash !== undefined ? { password_hash: change.passwordHash } : {}),
        ...(change.roles !== undefined ? { roles: JSON.stringify(change.roles) } : {}),
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return r ? withoutHash(toUser(r)) : undefined;
  }

  /** Deletes the user and, through the foreign key, every session of theirs. */
  async deleteUser(id: number): Promise<boolean> {
    await this.db.deleteFrom("sessions").where("user_id", "=", id).execute();
    const r = await this.db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * Creates a session unless `limit` live sessions exist already; expired ones are removed first.
   * One transaction, with the count taken under a lock on PostgreSQL, so racing instances cannot
   * exceed the limit.
   */
  async insertSessionWithin(
    limit: number,
    session: { tokenHash: string; userId: number; aliveTimeS: number },
    now: number,
    dialect: Store["dialect"],
  ): Promise<Session | undefined> {
    return this.db.transaction().execute(async (tx) => {
      if (dialect === "postgres") {
        await sql`lock table sessions in share row exclusive mode`.execute(tx);
      }
      await tx
        .deleteFrom("sessions")
        .where((e) => e(e("last_used_at", "+", e("alive_time_s", "*", 1000)), "<", now))
        .execute();
      const { n } = await tx
        .selectFrom("sessions")
        .select((e) => e.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      if (Number(n) >= limit) return undefined;
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

  async deleteSession(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom("sessions").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listSessions(): Promise<Session[]> {
    const rows = await this.db.selectFrom("sessions").selectAll().orderBy("id").execute();
    return rows.map(toSession);
  }
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
