/** The users API (/blockplane/v1/users): Security Administrators manage accounts and their roles. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ADMIN_PASSWORD,
  basic,
  type Reply,
  SIMPLE,
  startServer,
  type TestServer,
} from "../support/server.ts";

const USERS = "/blockplane/v1/users";
const VIEW = "Storage Administrator (View Only)";
const PROVISIONING = "Storage Administrator (Provisioning)";
const SECURITY = "Security Administrator (View & Modify)";
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe("users", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  const create = (name: string, password = `${name}-password`, roles: unknown = [VIEW]) =>
    s.post(USERS, { name, password, roles });
  const sessionFor = (name: string, password: string) =>
    s.post(`${SIMPLE}/sessions`, undefined, {
      token: null,
      headers: { authorization: basic(name, password) },
    });
  const storedHash = async (id: number) =>
    (
      await s.bp.store.db
        .selectFrom("users")
        .select("password_hash")
        .where("id", "=", id)
        .executeTakeFirstOrThrow()
    ).password_hash;

  test("create answers the user without any password", async () => {
    const r = await create("alice", "alice-password", [VIEW, PROVISIONING]);
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.id, "number");
    assert.equal(r.body.name, "alice");
    assert.deepEqual(r.body.roles, [VIEW, PROVISIONING]);
    assert.match(r.body.createdTime, ISO_SECONDS);
    assert.match(r.body.updatedTime, ISO_SECONDS);
    assert.doesNotMatch(r.text, /password|argon2/i);
  });

  test("passwords are stored as argon2id hashes", async () => {
    const r = await create("hash-check");
    const hash = await storedHash(r.body.id);
    assert.ok(hash.startsWith("$argon2id$"), hash);
    assert.ok(!hash.includes("hash-check-password"));
  });

  test("list answers every user in the data envelope, without hashes", async () => {
    await create("listed");
    const r = await s.get(USERS);
    assert.equal(r.status, 200);
    assert.equal(r.body.count, r.body.data.length);
    const names = r.body.data.map((u: { name: string }) => u.name);
    assert.ok(names.includes("admin") && names.includes("listed"));
    assert.doesNotMatch(r.text, /argon2|passwordHash|password_hash/);
  });

  test("get one user by id", async () => {
    const made = await create("gotten");
    const r = await s.get(`${USERS}/${made.body.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, made.body);
    assert.doesNotMatch(r.text, /argon2/);
  });

  test("get, patch and delete an absent user are 404", async () => {
    assert.equal((await s.get(`${USERS}/999999`)).status, 404);
    assert.equal((await s.patch(`${USERS}/999999`, { roles: [VIEW] })).status, 404);
    assert.equal((await s.delete(`${USERS}/999999`)).status, 404);
  });

  test("a changed password works for Basic and the old one no longer does", async () => {
    const made = await create("bob", "bob-old-password");
    const before = await storedHash(made.body.id);
    const r = await s.patch(`${USERS}/${made.body.id}`, { password: "bob-new-password" });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.roles, [VIEW]);
    const after = await storedHash(made.body.id);
    assert.notEqual(after, before);
    assert.ok(after.startsWith("$argon2id$"));
    assert.equal((await sessionFor("bob", "bob-old-password")).status, 401);
    const fresh = await sessionFor("bob", "bob-new-password");
    assert.equal(fresh.status, 200);
    assert.equal((await s.get(`${SIMPLE}/storage`, { token: fresh.body.token })).status, 200);
  });

  test("changed roles take effect and are answered", async () => {
    const made = await create("carol");
    const token = (await sessionFor("carol", "carol-password")).body.token;
    assert.equal((await s.get(USERS, { token })).status, 403);
    const r = await s.patch(`${USERS}/${made.body.id}`, { roles: [SECURITY] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.roles, [SECURITY]);
    assert.equal((await s.get(`${USERS}/${made.body.id}`)).body.roles[0], SECURITY);
    assert.equal((await s.get(USERS, { token })).status, 200);
  });

  test("a patch with nothing to change is 400", async () => {
    const made = await create("nochange");
    assert.equal((await s.patch(`${USERS}/${made.body.id}`, {})).status, 400);
    assert.equal((await s.patch(`${USERS}/${made.body.id}`, { name: "renamed" })).status, 400);
  });

  test("delete answers the affected resource, and the user is gone", async () => {
    const made = await create("dave");
    const r = await s.delete(`${USERS}/${made.body.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.affectedResources, [`${USERS}/${made.body.id}`]);
    assert.equal(r.body.operationDetails[0].operationType, "DELETE");
    assert.equal((await s.get(`${USERS}/${made.body.id}`)).status, 404);
    assert.equal((await sessionFor("dave", "dave-password")).status, 401);
  });

  test("a deleted user's sessions stop working", async () => {
    const made = await create("erin");
    const token = (await sessionFor("erin", "erin-password")).body.token;
    assert.equal((await s.get(`${SIMPLE}/storage`, { token })).status, 200);
    assert.equal((await s.delete(`${USERS}/${made.body.id}`)).status, 200);
    const r = await s.get(`${SIMPLE}/storage`, { token });
    assert.equal(r.status, 401);
    assert.match(r.body.message, /The specified token is invalid/);
  });

  test("a name may be created again once its user is deleted", async () => {
    const made = await create("phoenix");
    assert.equal((await s.delete(`${USERS}/${made.body.id}`)).status, 200);
    const again = await create("phoenix");
    assert.equal(again.status, 200);
    assert.notEqual(again.body.id, made.body.id);
  });

  test("a duplicate name is 400", async () => {
    assert.equal((await create("dup")).status, 200);
    const r = await create("dup", "another-password");
    assert.equal(r.status, 400);
    assert.match(r.body.message, /already exists/);
    assert.equal((await s.post(USERS, { name: "admin", password: "whatever-1", roles: [VIEW] })).status, 400);
  });

  test("an unknown role name is 400", async () => {
    assert.equal((await create("badrole", "password-1", ["Storage Administrator"])).status, 400);
    assert.equal((await create("badrole", "password-1", ["view"])).status, 400);
  });

  test("roles must be a non-empty list without repeats", async () => {
    assert.equal((await create("noroles", "password-1", [])).status, 400);
    assert.equal((await create("tworoles", "password-1", [VIEW, VIEW])).status, 400);
    assert.equal((await create("notalist", "password-1", VIEW)).status, 400);
  });

  test("password of 7 characters is 400, 8 is accepted", async () => {
    const short = await create("short-pw", "1234567");
    assert.equal(short.status, 400);
    assert.match(short.body.message, /password/);
    assert.equal((await create("eight-pw", "12345678")).status, 200);
    assert.equal((await sessionFor("eight-pw", "12345678")).status, 200);
  });

  test("password of 256 characters is accepted, 257 is 400", async () => {
    assert.equal((await create("long-pw", "p".repeat(256))).status, 200);
    assert.equal((await create("too-long-pw", "p".repeat(257))).status, 400);
  });

  test("a changed password shorter than 8 is 400", async () => {
    const made = await create("frank");
    assert.equal((await s.patch(`${USERS}/${made.body.id}`, { password: "short" })).status, 400);
    assert.equal((await sessionFor("frank", "frank-password")).status, 200);
  });

  test("user names: 256 characters are accepted, 257 and forbidden characters are 400", async () => {
    assert.equal((await create("n".repeat(256), "password-1")).status, 200);
    assert.equal((await create("n".repeat(257), "password-1")).status, 400);
    assert.equal((await create("")).status, 400);
    for (const name of ["with space", "colon:name", "naïve"]) {
      assert.equal((await create(name)).status, 400, name);
    }
  });

  test("a user without the Security Administrator role gets 403 on every users route", async () => {
    const token = await s.userToken("provisioner", [VIEW, PROVISIONING]);
    const adminId = (await s.get(USERS)).body.data.find((u: { name: string }) => u.name === "admin").id;
    const answers = [
      await s.get(USERS, { token }),
      await s.get(`${USERS}/${adminId}`, { token }),
      await s.post(USERS, { name: "x-by-prov", password: "password-1", roles: [SECURITY] }, { token }),
      await s.patch(`${USERS}/${adminId}`, { password: "taken-over-1" }, { token }),
      await s.delete(`${USERS}/${adminId}`, { token }),
    ];
    for (const r of answers) assert.equal(r.status, 403, r.text);
    assert.equal((await sessionFor("admin", ADMIN_PASSWORD)).status, 200);
  });

  test("you cannot delete yourself", async () => {
    const adminId = (await s.get(USERS)).body.data.find((u: { name: string }) => u.name === "admin").id;
    const r = await s.delete(`${USERS}/${adminId}`);
    assert.equal(r.status, 400);
    assert.match(r.body.message, /cannot delete/);
    assert.equal((await s.get(`${USERS}/${adminId}`)).status, 200);
  });

  test("a second Security Administrator cannot delete themselves either", async () => {
    const made = await create("root-two", "root-two-password", [SECURITY]);
    const token = (await sessionFor("root-two", "root-two-password")).body.token;
    const r = await s.delete(`${USERS}/${made.body.id}`, { token });
    assert.equal(r.status, 400);
    assert.equal((await s.get(`${USERS}/${made.body.id}`)).status, 200);
  });
});

describe("the last Security Administrator", () => {
  // A clock that stands still keeps every authentication cached: both sides of a race are admitted
  // at once, without waiting for the store, and meet in the store's transactions.
  const clock = Date.now();
  let s: TestServer;
  let adminId: number;
  before(async () => {
    s = await startServer({}, { now: () => clock });
    adminId = (await s.get(USERS)).body.data.find((u: { name: string }) => u.name === "admin").id;
  });
  after(() => s.close());

  const holders = async (token = s.adminToken) =>
    (await s.get(USERS, { token })).body.data
      .filter((u: { roles: string[] }) => u.roles.includes(SECURITY))
      .map((u: { name: string }) => u.name)
      .sort();
  const securityUser = async (name: string) => {
    const token = await s.userToken(name, [SECURITY]);
    const id = (await s.get(USERS)).body.data.find((u: { name: string }) => u.name === name).id as number;
    assert.equal((await s.get(USERS, { token })).status, 200);
    return { id, token };
  };
  const assertLastHolderRefusal = (r: Reply | undefined, change: string) => {
    assert.ok(r);
    assert.equal(r.status, 400);
    assert.equal(r.body.messageId, "KART40048-E");
    assert.match(r.body.message, /is the last user with the role "Security Administrator \(View & Modify\)"/);
    assert.match(r.body.message, new RegExp(`${change} would leave nobody able to administer users`));
    assert.match(r.body.solution, /Give the role .* to another user first/);
  };

  test("its role cannot be taken away, and nothing changes", async () => {
    assert.deepEqual(await holders(), ["admin"]);
    const r = await s.patch(`${USERS}/${adminId}`, { roles: [VIEW, PROVISIONING] });
    assertLastHolderRefusal(r, "taking the role away");
    assert.ok((await s.get(`${USERS}/${adminId}`)).body.roles.includes(SECURITY));
    assert.equal((await s.get(USERS)).status, 200);
  });

  test("the last holder may still change their own password", async () => {
    const deputy = await securityUser("pw-only");
    assert.equal(
      (await s.patch(`${USERS}/${adminId}`, { roles: [VIEW] }, { token: deputy.token })).status,
      200,
    );
    const r = await s.patch(
      `${USERS}/${deputy.id}`,
      { password: "pw-only-new-password" },
      { token: deputy.token },
    );
    assert.equal(r.status, 200, r.text);
    const restored = await s.patch(`${USERS}/${adminId}`, { roles: [SECURITY] }, { token: deputy.token });
    assert.equal(restored.status, 200);
    assert.equal((await s.delete(`${USERS}/${deputy.id}`)).status, 200);
  });

  test("another holder may lose the role or be deleted while one remains", async () => {
    const deputy = await securityUser("deputy");
    const r = await s.patch(`${USERS}/${deputy.id}`, { roles: [VIEW] });
    assert.equal(r.status, 200, r.text);
    assert.equal((await s.delete(`${USERS}/${deputy.id}`)).status, 200);
    assert.deepEqual(await holders(), ["admin"]);
  });

  test("two holders taking the role from each other at once: exactly one succeeds", async () => {
    const rival = await securityUser("rival-roles");
    const answers = await Promise.all([
      s.patch(`${USERS}/${rival.id}`, { roles: [VIEW] }),
      s.patch(`${USERS}/${adminId}`, { roles: [VIEW] }, { token: rival.token }),
    ]);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400], answers.map((r) => r.text).join("\n"));
    assertLastHolderRefusal(
      answers.find((r) => r.status === 400),
      "taking the role away",
    );
    const adminWon = answers[0]?.status === 200;
    const [survivorToken, loserId] = adminWon ? [s.adminToken, rival.id] : [rival.token, adminId];
    assert.deepEqual(await holders(survivorToken), [adminWon ? "admin" : "rival-roles"]);
    // The survivor gives the role back, so that the next test starts from two holders again.
    assert.equal(
      (await s.patch(`${USERS}/${loserId}`, { roles: [SECURITY] }, { token: survivorToken })).status,
      200,
    );
    assert.deepEqual(await holders(), ["admin", "rival-roles"]);
    assert.equal((await s.delete(`${USERS}/${rival.id}`)).status, 200);
  });

  test("two holders deleting each other at once: exactly one succeeds", async () => {
    const rival = await securityUser("rival-delete");
    const answers = await Promise.all([
      s.delete(`${USERS}/${rival.id}`),
      s.delete(`${USERS}/${adminId}`, { token: rival.token }),
    ]);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400], answers.map((r) => r.text).join("\n"));
    assertLastHolderRefusal(
      answers.find((r) => r.status === 400),
      "deleting the user",
    );
    const adminWon = answers[0]?.status === 200;
    assert.deepEqual(await holders(adminWon ? s.adminToken : rival.token), [
      adminWon ? "admin" : "rival-delete",
    ]);
  });
});
