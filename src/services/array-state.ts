/**
 * The array's state as a whole: returning it to the factory state (reset), writing it out as an
 * array document (export, array-document.ts), and starting a new store from such a document
 * (`--seed FILE`). What test suites and CI need to begin from a known array.
 *
 * Users and their hashes: an export lists the users (ids, names, roles, times) but not their
 * password hashes unless asked for, since a hash is a secret that an offline attack can test
 * passwords against. A user loaded without a password exists with its roles and cannot log in
 * until a Security Administrator gives it one (its hash is of a random password nobody knows).
 * The initial administrator, `admin`, gets --admin-password when it is given, else the file's
 * password, else a generated one (printed once, as on any first start); it is made with every role
 * when the file has no `admin`.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { sql } from "kysely";
import { type ArrayIdentity, type Config, OPTIONS, type SeedSettings } from "../config.ts";
import { findProfile, MODEL_NAMES } from "../device/simulator/profiles.ts";
import { resetArray } from "../device/simulator/reset.ts";
import { hashPassword } from "../domain/passwords.ts";
import { ADMINISTRATOR_ROLES, roleFor } from "../domain/roles.ts";
import { newPassword } from "../domain/tokens.ts";
import type { Database, Db, Store } from "../store/db.ts";
import {
  ARRAY_FORMAT,
  type ArrayDocument,
  type DocumentUser,
  parseArrayDocument,
  rowToDocument,
  rowToStore,
  SECTION_NAMES,
  SECTIONS,
  SeedRefused,
  sortRows,
} from "./array-document.ts";

export { SeedRefused };

const ADMIN = "admin";
/** The array_meta key of the digest of the file a store was seeded from. */
const SEED_DIGEST_KEY = "seed_digest";
/** Rows inserted per statement: well within both stores' limits on bound parameters. */
const CHUNK = 200;

export interface ExportOptions {
  /** Include each user's password hash (a secret): for fixtures whose users log in. */
  passwordHashes?: boolean;
}

export class ArrayStateService {
  constructor(
    private readonly store: Store,
    private readonly identity: ArrayIdentity,
    private readonly now: () => number,
  ) {}

  /** Returns the array to the state it leaves the factory in (simulator/reset.ts). */
  reset(): Promise<void> {
    return resetArray({ store: this.store, identity: this.identity, now: this.now });
  }

  /** The array and its users as one document, read in one transaction: a state that was. */
  async export(options: ExportOptions = {}): Promise<ArrayDocument> {
    const { model, serial, nickname, gumVersion, dkcMicroVersion } = this.identity;
    return this.store.db
      .transaction()
      .setIsolationLevel("repeatable read")
      .execute(async (tx) => {
        const doc: Record<string, unknown> = {
          format: ARRAY_FORMAT,
          array: { model, serial, nickname, gumVersion, dkcMicroVersion },
        };
        for (const name of SECTION_NAMES) {
          const rows = (await tx.selectFrom(SECTIONS[name].table).selectAll().execute()) as Record<
            string,
            unknown
          >[];
          doc[name] = sortRows(
            name,
            rows.map((r) => rowToDocument(name, r)),
          );
        }
        const users = await tx.selectFrom("users").selectAll().orderBy("id").execute();
        doc.users = users.map((u) => ({
          id: Number(u.id),
          name: u.name,
          roles: JSON.parse(u.roles),
          createdAt: new Date(Number(u.created_at)).toISOString(),
          updatedAt: new Date(Number(u.updated_at)).toISOString(),
          ...(options.passwordHashes ? { passwordHash: u.password_hash } : {}),
        }));
        return doc as ArrayDocument;
      });
  }
}

/** A seed file read and checked, with the identity of the array it holds. */
export interface Seed {
  file: string;
  document: ArrayDocument;
  /** SHA-256 of the file's bytes: a restart with the same file keeps the store it seeded. */
  digest: string;
}

/** Which flag sets each identity field, for the refusal that names it. */
const IDENTITY_FLAGS = {
  model: OPTIONS.model.flag,
  serial: OPTIONS.serial.flag,
  nickname: OPTIONS.nickname.flag,
  gumVersion: OPTIONS.gumVersion.flag,
  dkcMicroVersion: OPTIONS.dkcMicroVersion.flag,
} as const;

/** Reads the seed file; refuses (SeedRefused) one that cannot be read or is not an array export. */
export function readSeed(settings: SeedSettings): Seed {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(settings.file);
  } catch (err) {
    throw new SeedRefused(
      `the seed file ${settings.file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  const document = parseArrayDocument(bytes.toString("utf8"), `the seed file ${settings.file}`);
  return { file: settings.file, document, digest: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * The identity of the array a seed holds, which the server takes: an identity flag given
 * explicitly must agree with it (a start that says "a VSP E590" is not given a VSP One B28).
 */
export function seedIdentity(config: Config, seed: Seed): ArrayIdentity {
  const held = seed.document.array;
  const profile = findProfile(held.model);
  if (!profile) {
    throw new SeedRefused(
      `the seed file ${seed.file} holds a ${held.model}, which is not a model Blockplane simulates (${MODEL_NAMES.join(", ")}).`,
    );
  }
  const given = config.seed?.given ?? {};
  for (const field of Object.keys(IDENTITY_FLAGS) as (keyof typeof IDENTITY_FLAGS)[]) {
    const want = given[field];
    const has = field === "model" ? profile.model : held[field];
    if (want !== undefined && want !== has) {
      throw new SeedRefused(
        `the seed file ${seed.file} holds an array whose ${field} is "${has}", but --${IDENTITY_FLAGS[field]} says "${want}": leave the flag out, or give the file's value.`,
      );
    }
  }
  return {
    ...config.array,
    model: profile.model,
    profile,
    serial: held.serial,
    nickname: held.nickname,
    gumVersion: held.gumVersion,
    dkcMicroVersion: held.dkcMicroVersion,
  };
}

/** What seeding did: loaded a new store (and maybe made the administrator's password), or kept one. */
export type SeedOutcome =
  | { loaded: true; initialAdmin: { name: string; password?: string } }
  | { loaded: false };

interface UserToLoad {
  user: DocumentUser | undefined;
  name: string;
  roles: string[];
  hash: string;
}

/** Every user with the hash it is stored with; the administrator as the module comment says. */
async function usersToLoad(
  doc: ArrayDocument,
  adminPassword: string | undefined,
): Promise<{ users: UserToLoad[]; generated: string | undefined }> {
  const hashOf = async (u: DocumentUser): Promise<string> =>
    u.passwordHash ?? (await hashPassword(u.password ?? randomBytes(32).toString("base64url")));
  const users: UserToLoad[] = [];
  let generated: string | undefined;
  const fileAdmin = doc.users.find((u) => u.name === ADMIN);
  for (const u of doc.users) {
    if (u === fileAdmin) continue;
    users.push({ user: u, name: u.name, roles: u.roles, hash: await hashOf(u) });
  }
  let adminHash: string;
  if (adminPassword !== undefined) adminHash = await hashPassword(adminPassword);
  else if (fileAdmin?.passwordHash !== undefined || fileAdmin?.password !== undefined)
    adminHash = await hashOf(fileAdmin);
  else {
    generated = newPassword();
    adminHash = await hashPassword(generated);
  }
  users.push({
    user: fileAdmin,
    name: ADMIN,
    roles: fileAdmin?.roles ?? ADMINISTRATOR_ROLES,
    hash: adminHash,
  });
  return { users, generated };
}

/**
 * Loads a seed into a new store, in one transaction, before the simulator starts on it. A store
 * that holds an array already is refused, unless it was seeded from this very file: then it is
 * kept as it is (a restart, or another instance on the same database starting with the same seed).
 */
export async function loadSeed(
  store: Store,
  seed: Seed,
  adminPassword: string | undefined,
  now: () => number,
): Promise<SeedOutcome> {
  const doc = seed.document;
  const security = roleFor("security");
  const { users, generated } = await usersToLoad(doc, adminPassword);
  if (!users.some((u) => u.roles.includes(security))) {
    throw new SeedRefused(
      `the seed file ${seed.file} gives no user the role "${security}": some user must keep it (the "admin" of the file lacks it).`,
    );
  }
  return store.db.transaction().execute(async (tx): Promise<SeedOutcome> => {
    // The same claim as a first start's seeding (simulator/seed.ts): of instances starting at once
    // on one database, one loads and the others wait for it, then find its digest.
    const claimed = await tx
      .insertInto("array_meta")
      .values({ key: "seeded", value: String(now()) })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("key")
      .executeTakeFirst();
    if (!claimed) {
      const digest = await tx
        .selectFrom("array_meta")
        .select("value")
        .where("key", "=", SEED_DIGEST_KEY)
        .executeTakeFirst();
      if (digest?.value === seed.digest) return { loaded: false };
      throw new SeedRefused(
        `the store already holds an array${digest ? " seeded from another file" : ""}, and --seed loads only a new one: start with a new data directory, an empty database or --store memory, or without --seed (file ${seed.file}).`,
      );
    }
    const count = await tx
      .selectFrom("users")
      .select((e) => e.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    if (Number(count.n) > 0) {
      throw new SeedRefused(
        `the store already holds users, and --seed loads only a new store: start with a new data directory, an empty database or --store memory (file ${seed.file}).`,
      );
    }
    await tx
      .insertInto("array_meta")
      .values([
        { key: "model", value: seedModel(seed) },
        { key: SEED_DIGEST_KEY, value: seed.digest },
      ])
      .execute();
    for (const name of SECTION_NAMES) {
      const rows = (doc[name] as Record<string, unknown>[]).map((r) => rowToStore(name, r));
      await insertRows(tx, SECTIONS[name].table, rows, `${seed.file}: "${name}"`);
    }
    await insertUsers(tx, store.dialect, users, now(), seed.file);
    return { loaded: true, initialAdmin: generated ? { name: ADMIN, password: generated } : { name: ADMIN } };
  });
}

function seedModel(seed: Seed): string {
  return findProfile(seed.document.array.model)?.model ?? seed.document.array.model;
}

async function insertRows(
  tx: Db,
  table: keyof Database,
  rows: Record<string, unknown>[],
  what: string,
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    try {
      // The rows were checked against the table's own schema (array-document.ts).
      await tx
        .insertInto(table)
        .values(rows.slice(i, i + CHUNK) as never)
        .execute();
    } catch (err) {
      throw new SeedRefused(
        `the seed file ${what} does not fit the array: ${(err as Error).message.replace(/\s+/g, " ")}.`,
      );
    }
  }
}

async function insertUsers(
  tx: Db,
  dialect: Store["dialect"],
  users: UserToLoad[],
  now: number,
  file: string,
): Promise<void> {
  const row = (u: UserToLoad) => ({
    name: u.name,
    password_hash: u.hash,
    roles: JSON.stringify(u.roles),
    created_at: u.user ? Date.parse(u.user.createdAt) : now,
    updated_at: u.user ? Date.parse(u.user.updatedAt) : now,
  });
  const kept = users.filter((u) => u.user !== undefined);
  await insertRows(
    tx,
    "users",
    kept.map((u) => ({ id: u.user?.id, ...row(u) })),
    `${file}: "users"`,
  );
  // Users keep their ids; PostgreSQL's sequence is moved past them (SQLite's AUTOINCREMENT follows
  // the largest id by itself), so that the next user made gets a new one.
  if (dialect === "postgres" && kept.length > 0) {
    await sql`select setval(pg_get_serial_sequence('users', 'id'), (select max(id) from users))`.execute(tx);
  }
  const made = users.filter((u) => u.user === undefined);
  if (made.length > 0) await tx.insertInto("users").values(made.map(row)).execute();
}
