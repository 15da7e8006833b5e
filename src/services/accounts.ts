/**
 * Users and sessions: authenticating Basic and Session credentials, creating and discarding
 * sessions within the storage system's limit, and administering users.
 */
import { Busy, InvalidRequest, NotFound, PHRASES, StoreFull, Unauthenticated } from "../domain/errors.ts";
import { hashPassword, verifyPassword } from "../domain/passwords.ts";
import { ADMINISTRATOR_ROLES, hasPermission, type Role, roleFor } from "../domain/roles.ts";
import { newPassword, newToken, sameDigest, tokenDigest } from "../domain/tokens.ts";
import type {
  AccountsStore,
  Session,
  SessionLimits,
  SessionRefusal,
  User,
  UserRefusal,
} from "../store/accounts.ts";
import type { Store } from "../store/db.ts";

export interface Principal {
  user: User;
  /** Absent when the request authenticated with Basic credentials. */
  session?: Session;
}

export interface AccountsOptions {
  maxSessions: number;
  /** Live sessions one user may hold; maxSessions when absent. */
  maxSessionsPerUser?: number;
  now: () => number;
}

/**
 * A session's last-use time is written when it moved by this much, not on every request: a write
 * per request would cost every request a commit. A session idle for a tenth of its alive time is
 * written sooner, so that its expiry as the store records it is never far behind.
 */
const TOUCH_EVERY_MS = 5000;

/**
 * How long a session authenticated from the store is trusted without reading it again. Changes
 * made through this instance (a discarded session, a deleted user, new roles) take effect at once;
 * changes made through another instance sharing the store take effect within this time.
 */
const AUTH_CACHE_MS = 1000;

/** A session token's recent authentication, keyed by the token's digest. */
interface CachedAuth {
  principal: Principal & { session: Session };
  /** When the session and its user were last read from the store. */
  readAt: number;
}

/** Whether the session's last use is due to be written to the store. */
function touchDue(session: Session, now: number): boolean {
  return now - session.lastUsedAt >= Math.min(TOUCH_EVERY_MS, session.aliveTimeS * 100);
}

/**
 * The role that administers users. Some user always keeps it: without one, nobody could create,
 * repair or delete accounts again.
 */
const USER_ADMINISTRATION: Role = roleFor("security");

export const USER_NAME = /^[A-Za-z0-9!#$%&'*+\-./=?@^_`{|}~]{1,256}$/;

export class AccountsService {
  private readonly authCache = new Map<string, CachedAuth>();
  /**
   * Counts the changes that made cached authentications stale: a read of the store that began
   * before such a change may hold the old state and is not cached.
   */
  private authGeneration = 0;
  /**
   * The password hash each Basic authentication was checked against, kept beside the user it
   * answered rather than in it, so that no log or answer can carry it. A session is made only if
   * the password is still that one: a password change between the check and the session (the
   * check takes tens of milliseconds) would otherwise let the old password open a session.
   */
  private readonly checkedPasswords = new WeakMap<User, string>();
  /**
   * Last uses the store could not record (its disk full), by session id: the session stays alive
   * here by them, and the next write of its last use records them.
   */
  private readonly unwritten = new Map<number, number>();

  constructor(
    private readonly accounts: AccountsStore,
    private readonly dialect: Store["dialect"],
    private readonly options: AccountsOptions,
  ) {}

  /**
   * Creates the built-in administrator when there is no user at all. Answers the password when it
   * was generated, so that start-up can print it once.
   */
  async ensureAdministrator(
    password: string | undefined,
  ): Promise<{ name: string; password?: string } | undefined> {
    if ((await this.accounts.countUsers()) > 0) return undefined;
    const chosen = password ?? newPassword();
    const created = await this.accounts.insertUser(
      "admin",
      await hashPassword(chosen),
      ADMINISTRATOR_ROLES,
      this.options.now(),
    );
    if (!created) return undefined; // another instance made it first
    return password === undefined ? { name: "admin", password: chosen } : { name: "admin" };
  }

  async authenticateBasic(name: string, password: string): Promise<User> {
    const user = await this.accounts.userByName(name);
    const ok = await verifyPassword(user?.passwordHash, password);
    if (!user || !ok) throw wrongCredentials();
    const { passwordHash, ...plain } = user;
    this.checkedPasswords.set(plain, passwordHash);
    return plain;
  }

  /**
   * The caller behind a session token when a recent authentication answers for it without the
   * store: the cached entry is fresh and the session's last use needs no recording yet. Undefined
   * otherwise: then `authenticateToken` decides.
   */
  recentPrincipal(token: string): Principal | undefined {
    const now = this.options.now();
    const cached = this.freshAuthentication(tokenDigest(token), now);
    if (cached === undefined || touchDue(cached.principal.session, now)) return undefined;
    return cached.principal;
  }

  /**
   * The caller behind a session token. Most requests are answered from a cache of recent
   * authentications (two reads of the store each otherwise); an entry older than AUTH_CACHE_MS, or
   * whose session looks expired by its cached last use (another instance may have used it since),
   * is read again from the store, which decides.
   */
  async authenticateToken(token: string): Promise<Principal> {
    const digest = tokenDigest(token);
    const now = this.options.now();
    const cached = this.freshAuthentication(digest, now);
    if (cached !== undefined) {
      await this.touch(cached.principal.session, now);
      return cached.principal;
    }
    this.authCache.delete(digest);

    const generation = this.authGeneration;
    const session = await this.accounts.sessionByTokenHash(digest);
    const lastUse = session && this.unwritten.get(session.id);
    if (session && lastUse !== undefined && lastUse > session.lastUsedAt) session.lastUsedAt = lastUse;
    if (!session || !sameDigest(session.tokenHash, digest) || isExpired(session, now)) {
      // Removed when the store can: an expired session is refused either way.
      if (session) await this.accounts.deleteSession(session.id).catch(() => false);
      throw new Unauthenticated(PHRASES.tokenInvalid, "Session");
    }
    const user = await this.accounts.userById(session.userId);
    if (!user) throw new Unauthenticated(PHRASES.tokenInvalid, "Session");
    await this.touch(session, now);
    const { passwordHash: _, ...plain } = user;
    const principal = { user: plain, session };
    if (generation === this.authGeneration) this.remember(digest, { principal, readAt: now });
    return principal;
  }

  /** The cached authentication of a token digest, when it may still be trusted at `now`. */
  private freshAuthentication(digest: string, now: number): CachedAuth | undefined {
    const cached = this.authCache.get(digest);
    if (
      cached === undefined ||
      now < cached.readAt ||
      now - cached.readAt >= AUTH_CACHE_MS ||
      isExpired(cached.principal.session, now)
    ) {
      return undefined;
    }
    return cached;
  }

  /**
   * Records the session's use when it is due (touchDue). A write that fails does not fail the
   * request it serves: the use is kept here (`unwritten`) and recorded by the next write that
   * succeeds. The store's health says once that it cannot write.
   */
  private async touch(session: Session, now: number): Promise<void> {
    if (!touchDue(session, now)) return;
    session.lastUsedAt = now;
    try {
      await this.accounts.touchSession(session.id, now);
      this.unwritten.delete(session.id);
    } catch {
      this.unwritten.set(session.id, now);
    }
  }

  private remember(digest: string, entry: CachedAuth): void {
    // Tokens that are no longer used leave their entries behind; sweep them once there are many
    // more entries than live sessions.
    if (this.authCache.size >= 4 * this.options.maxSessions) {
      for (const [key, e] of this.authCache) {
        if (entry.readAt - e.readAt >= AUTH_CACHE_MS) this.authCache.delete(key);
      }
    }
    this.authCache.set(digest, entry);
  }

  /**
   * Forgets the cached authentications that `matches`, so that the next request reads the store.
   * Called once the change is in the store.
   */
  private forget(matches: (entry: CachedAuth) => boolean): void {
    this.authGeneration++;
    for (const [key, e] of this.authCache) if (matches(e)) this.authCache.delete(key);
  }

  /** Opens a session for a user who has just authenticated with Basic credentials. */
  async createSession(user: User, aliveTimeS: number): Promise<{ token: string; sessionId: number }> {
    const passwordHash = this.checkedPasswords.get(user);
    if (passwordHash === undefined) throw new Error("createSession needs a user from authenticateBasic");
    const token = newToken();
    const limits = sessionLimits(this.options, hasPermission(user.roles, "security"));
    const insert = () =>
      this.accounts.insertSessionWithin(
        limits,
        { tokenHash: tokenDigest(token), userId: user.id, aliveTimeS },
        passwordHash,
        this.options.now(),
        this.dialect,
      );
    // The write that finds the disk full gives up the embedded store's reserve (store/health.ts):
    // tried once more, the login finds room there.
    const session = await insert().catch((err) => {
      if (err instanceof StoreFull) return insert();
      throw err;
    });
    if (session === "credentials-changed") throw wrongCredentials();
    if (typeof session === "string") throw sessionRefused(session, limits, user.name);
    return { token, sessionId: session.id };
  }

  /**
   * Discards a session, named by its number or by its token. Its owner may, and so may a Security
   * Administrator. The message never repeats a token.
   */
  async discardSession(
    caller: Principal,
    ref: { id: number } | { token: string },
    isSecurityAdmin: boolean,
  ): Promise<void> {
    const session =
      "id" in ref
        ? await this.accounts.sessionById(ref.id)
        : await this.accounts.sessionByTokenHash(tokenDigest(ref.token));
    if (
      !session ||
      isExpired(session, this.options.now()) ||
      (session.userId !== caller.user.id && !isSecurityAdmin)
    ) {
      throw new NotFound("id" in ref ? `Session ${ref.id} does not exist.` : "The session does not exist.");
    }
    await this.accounts.deleteSession(session.id);
    this.unwritten.delete(session.id);
    this.forget((e) => e.principal.session.id === session.id);
  }

  async listSessions(
    caller: Principal,
    all: boolean,
  ): Promise<
    { sessionId: number; userId: string; createdTime: string; lastAccessTime: string; aliveTime: number }[]
  > {
    const now = this.options.now();
    const users = new Map((await this.accounts.listUsers()).map((u) => [u.id, u.name]));
    return (await this.accounts.listSessions())
      .filter((s) => !isExpired(s, now) && (all || s.userId === caller.user.id))
      .map((s) => ({
        sessionId: s.id,
        userId: users.get(s.userId) ?? "",
        createdTime: new Date(s.createdAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
        lastAccessTime: new Date(s.lastUsedAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
        aliveTime: s.aliveTimeS,
      }));
  }

  listUsers(): Promise<User[]> {
    return this.accounts.listUsers();
  }

  async getUser(id: number): Promise<User> {
    const user = await this.accounts.userById(id);
    if (!user) throw new NotFound(`User ${id} does not exist.`);
    const { passwordHash: _, ...plain } = user;
    return plain;
  }

  async createUser(name: string, password: string, roles: Role[]): Promise<User> {
    const user = await this.accounts.insertUser(
      name,
      await hashPassword(password),
      roles,
      this.options.now(),
    );
    if (!user) throw new InvalidRequest(`A user named "${name}" already exists.`);
    return user;
  }

  /**
   * Changes a user's password or roles. A new password ends every session of the user's, except
   * the caller's own session when callers change their own password: they stay signed in where they
   * made the change, and everywhere else the new password is needed.
   */
  async updateUser(
    caller: Principal,
    id: number,
    change: { password?: string; roles?: Role[] },
  ): Promise<User> {
    const passwordHash = change.password !== undefined ? await hashPassword(change.password) : undefined;
    const keepSessionId = caller.user.id === id ? caller.session?.id : undefined;
    const outcome = await this.accounts.updateUser(
      id,
      {
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        ...(change.roles ? { roles: change.roles } : {}),
        ...(keepSessionId !== undefined ? { keepSessionId } : {}),
      },
      USER_ADMINISTRATION,
      this.options.now(),
      this.dialect,
    );
    if ("refused" in outcome) throw refusal(outcome.refused, id, "taking the role away");
    // New roles decide permissions, and ended sessions are refused, on the next request already.
    this.forget((e) => e.principal.user.id === id);
    return outcome.done;
  }

  async deleteUser(caller: Principal, id: number): Promise<void> {
    if (caller.user.id === id) throw new InvalidRequest("You cannot delete the user you are signed in as.");
    const outcome = await this.accounts.deleteUser(id, USER_ADMINISTRATION, this.dialect);
    if ("refused" in outcome) throw refusal(outcome.refused, id, "deleting the user");
    this.forget((e) => e.principal.user.id === id);
  }
}

function wrongCredentials(): Unauthenticated {
  return new Unauthenticated("Authentication failed: the user name or password is incorrect.", "Basic");
}

/** The error of a change to user `id` that the store refused; `change` names what was refused. */
function refusal(reason: UserRefusal, id: number, change: string): Error {
  if (reason === "absent") return new NotFound(`User ${id} does not exist.`);
  return new InvalidRequest(
    `User ${id} is the last user with the role "${USER_ADMINISTRATION}": ${change} would leave nobody able to administer users.`,
    { solution: `Give the role "${USER_ADMINISTRATION}" to another user first, and then try again.` },
  );
}

function isExpired(s: Session, now: number): boolean {
  return now > s.lastUsedAt + s.aliveTimeS * 1000;
}

/**
 * The sessions kept for Security Administrators: an eighth of the array's, at most 4 (4 of the
 * default 64). Whoever else holds the rest, a Security Administrator can still log in and discard
 * them.
 */
export function securityReserve(maxSessions: number): number {
  return Math.min(4, Math.floor(maxSessions / 8));
}

function sessionLimits(options: AccountsOptions, privileged: boolean): SessionLimits {
  const total = options.maxSessions;
  return {
    total,
    perUser: Math.min(total, options.maxSessionsPerUser ?? total),
    reserved: securityReserve(total),
    privileged,
  };
}

/** The 503 of a login that a limit refused; the message says which limit and what frees one. */
function sessionRefused(refusal: SessionRefusal, limits: SessionLimits, user: string): Busy {
  const retry = `${PHRASES.busy}; ${PHRASES.retry}.`;
  switch (refusal) {
    case "user-share":
      return new Busy(
        `User ${user} holds the most sessions one user may (${limits.perUser}). ${retry}`,
        sessionRetryAfter(),
        { solution: "Discard a session of this user's (or let one expire), and then try again." },
      );
    case "reserved":
      return new Busy(
        `The maximum number of sessions (${limits.total}) has been reached for users other than Security Administrators (the last ${limits.reserved} are kept for them). ${retry}`,
        sessionRetryAfter(),
      );
    default:
      return new Busy(
        `The maximum number of sessions (${limits.total}) has been reached. ${retry}`,
        sessionRetryAfter(),
      );
  }
}

/** Sessions free up as they expire or are discarded; ten seconds is a fair first wait. */
function sessionRetryAfter(): number {
  return 10;
}
