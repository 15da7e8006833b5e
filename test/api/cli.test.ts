/**
 * The `blockplane` command against a real server process started with `blockplane serve`: login
 * and logout, the saved session file, users list|create|set|delete, output forms and exit codes.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CliUser } from "../support/cli.ts";
import {
  httpRequest,
  killAllServers,
  runCli,
  type ServerProcess,
  startServerProcess,
} from "../support/process.ts";
import { basic, SIMPLE } from "../support/server.ts";

const ADMIN_PASSWORD = "cli-admin-password";

describe("blockplane CLI", { timeout: 180_000 }, () => {
  let server: ServerProcess;
  const user = new CliUser("blockplane-cli-");
  /** Runs the CLI with the admin's config dir unless another is given. */
  const cli = user.run.bind(user);
  const freshConfig = () => user.freshDir();
  const sessionFile = (dir: string) => path.join(dir, "session.json");
  const saved = (dir: string) => JSON.parse(fs.readFileSync(sessionFile(dir), "utf8"));

  before(async () => {
    server = await startServerProcess({ viaCli: true, env: { BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    user.removeLater(server.dataDir);
    user.config = freshConfig();
  });
  after(async () => {
    await killAllServers();
    user.cleanup();
  });

  test("serve started the server: it answers over HTTP", async () => {
    const r = await httpRequest(`${server.url}${SIMPLE}/sessions`, "POST", {
      authorization: basic("admin", ADMIN_PASSWORD),
    });
    assert.equal(r.status, 200);
  });

  test("login with --password saves url and token in a file only its owner can read", async () => {
    const r = await cli(["login", "--url", server.url, "--user", "admin", "--password", ADMIN_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged in/);
    const file = sessionFile(user.config);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const s = saved(user.config);
    assert.equal(s.url, server.url);
    assert.match(s.token, /^[0-9a-f]{32}$/);
    const use = await httpRequest(`${server.url}${SIMPLE}/storage`, "GET", {
      authorization: `Session ${s.token}`,
    });
    assert.equal(use.status, 200);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(s.token));
  });

  // Commands that depend on nothing but the login above: run side by side.
  describe("independent commands", { concurrency: true }, () => {
    test("login takes the password from BLOCKPLANE_PASSWORD", async () => {
      const dir = freshConfig();
      const r = await runCli(["login", "--url", server.url, "--user", "admin"], {
        BLOCKPLANE_CONFIG_DIR: dir,
        BLOCKPLANE_PASSWORD: ADMIN_PASSWORD,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(fs.existsSync(sessionFile(dir)));
    });

    test("login reads the password from standard input when none is given", async () => {
      const dir = freshConfig();
      const r = await runCli(
        ["login", "--url", server.url, "--user", "admin"],
        { BLOCKPLANE_CONFIG_DIR: dir },
        `${ADMIN_PASSWORD}\n`,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.ok(fs.existsSync(sessionFile(dir)));
    });

    test("login with a wrong password exits 1 with the server's message and saves nothing", async () => {
      const dir = freshConfig();
      const r = await runCli(
        ["login", "--url", server.url, "--user", "admin", "--password", "wrong-password"],
        {
          BLOCKPLANE_CONFIG_DIR: dir,
        },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /user name or password is incorrect/);
      assert.ok(!fs.existsSync(sessionFile(dir)));
    });

    test("login to a server that is not there exits 1", async () => {
      const r = await runCli(["login", "--url", "http://127.0.0.1:1", "--user", "admin", "--password", "x"], {
        BLOCKPLANE_CONFIG_DIR: freshConfig(),
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Cannot reach http:\/\/127\.0\.0\.1:1/);
    });

    test("usage errors exit 2: missing --url, a URL that is not one, an unknown command", async () => {
      const [noUrl, badUrl, unknown] = await Promise.all([
        cli(["login", "--user", "admin", "--password", "x"]),
        cli(["login", "--url", "not a url", "--user", "admin", "--password", "x"]),
        cli(["frobnicate"]),
      ]);
      assert.equal(noUrl.code, 2);
      assert.match(noUrl.stderr, /--url/);
      assert.equal(badUrl.code, 2);
      assert.match(badUrl.stderr, /not a valid http\(s\) URL/);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown command/);
    });

    test("--help exits 0 and lists the commands", async () => {
      const r = await cli(["--help"]);
      assert.equal(r.code, 0);
      for (const c of ["serve", "login", "logout", "users"]) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
    });

    test("users create: an unknown role or a missing option exits 2 before calling the server", async () => {
      const badRole = await cli([
        "users",
        "create",
        "--name",
        "x1",
        "--password",
        "password-1",
        "--role",
        "superuser",
      ]);
      assert.equal(badRole.code, 2);
      assert.match(badRole.stderr, /Unknown role "superuser"/);
      const noRole = await cli(["users", "create", "--name", "x1", "--password", "password-1"]);
      assert.equal(noRole.code, 2);
      assert.match(noRole.stderr, /--role/);
      const list = await cli(["users", "list", "--json"]);
      assert.ok(!JSON.parse(list.stdout).data.some((u: { name: string }) => u.name === "x1"));
    });

    test("an invalid saved token exits 1 and says to log in again", async () => {
      const dir = freshConfig();
      fs.writeFileSync(
        sessionFile(dir),
        JSON.stringify({ url: server.url, user: "admin", token: "0".repeat(32), sessionId: 999 }),
        { mode: 0o600 },
      );
      const r = await runCli(["users", "list"], { BLOCKPLANE_CONFIG_DIR: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /The specified token is invalid/);
      assert.match(r.stderr, /blockplane login/);
    });
  });

  test("users list prints a table, and --json the API's answer", async () => {
    const table = await cli(["users", "list"]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0] as string, /^ID\s+NAME\s+ROLES$/);
    assert.ok(
      lines.some((l) => /^1\s+admin\s+view,provisioning,local-copy,system-resource,security$/.test(l)),
      table.stdout,
    );
    const json = await cli(["users", "list", "--json"]);
    assert.equal(json.code, 0);
    const body = JSON.parse(json.stdout);
    assert.equal(body.count, body.data.length);
    assert.equal(body.data[0].name, "admin");
  });

  test("users create with repeated --role, short and full role names", async () => {
    const r = await cli([
      "users",
      "create",
      "--name",
      "cli-user",
      "--password",
      "cli-user-password",
      "--role",
      "view",
      "--role",
      "Storage Administrator (Provisioning)",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const user = JSON.parse(r.stdout);
    assert.equal(user.name, "cli-user");
    assert.deepEqual(user.roles, [
      "Storage Administrator (View Only)",
      "Storage Administrator (Provisioning)",
    ]);
    const plain = await cli([
      "users",
      "create",
      "--name",
      "cli-plain",
      "--password",
      "cli-plain-password",
      "--role",
      "local-copy",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /Created user cli-plain \(id \d+\): local-copy/);
  });

  test("users create: a duplicate name exits 1 with the server's message", async () => {
    const r = await cli([
      "users",
      "create",
      "--name",
      "cli-user",
      "--password",
      "another-password",
      "--role",
      "view",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already exists/);
  });

  test("users create: a short password exits 2 before calling the server, naming the limit", async () => {
    const r = await cli(["users", "create", "--name", "cli-short", "--password", "short", "--role", "view"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--password .* 8 to 256 characters/);
  });

  test("users set changes the password (by name) and the roles (by id)", async () => {
    const pw = await cli(["users", "set", "cli-user", "--password", "cli-user-new-password"]);
    assert.equal(pw.code, 0, pw.stderr);
    const oldPw = await httpRequest(`${server.url}${SIMPLE}/sessions`, "POST", {
      authorization: basic("cli-user", "cli-user-password"),
    });
    assert.equal(oldPw.status, 401);
    const dir = freshConfig();
    const login = await runCli(
      ["login", "--url", server.url, "--user", "cli-user", "--password", "cli-user-new-password"],
      {
        BLOCKPLANE_CONFIG_DIR: dir,
      },
    );
    assert.equal(login.code, 0, login.stderr);

    const id = JSON.parse((await cli(["users", "list", "--json"])).stdout).data.find(
      (u: { name: string }) => u.name === "cli-user",
    ).id;
    const roles = await cli(["users", "set", String(id), "--role", "security", "--json"]);
    assert.equal(roles.code, 0, roles.stderr);
    assert.deepEqual(JSON.parse(roles.stdout).roles, ["Security Administrator (View & Modify)"]);
    // The new role is in force for the user's own saved session.
    const asUser = await runCli(["users", "list"], { BLOCKPLANE_CONFIG_DIR: dir });
    assert.equal(asUser.code, 0, asUser.stderr);
  });

  test("users set with nothing to change exits 2; an unknown user exits 2 by name, 1 by id", async () => {
    assert.equal((await cli(["users", "set", "cli-user"])).code, 2);
    const byName = await cli(["users", "set", "nobody-such", "--password", "password-1"]);
    assert.equal(byName.code, 2);
    assert.match(byName.stderr, /No user is named "nobody-such"/);
    const byId = await cli(["users", "set", "999999", "--password", "password-1"]);
    assert.equal(byId.code, 1);
    assert.match(byId.stderr, /does not exist/);
  });

  test("a user without the Security Administrator role is refused: exit 1 with the 403 message", async () => {
    const dir = freshConfig();
    assert.equal(
      (
        await runCli(
          ["login", "--url", server.url, "--user", "cli-plain", "--password", "cli-plain-password"],
          { BLOCKPLANE_CONFIG_DIR: dir },
        )
      ).code,
      0,
    );
    const r = await runCli(["users", "list"], { BLOCKPLANE_CONFIG_DIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /permission/);
  });

  test("users delete removes the user; deleting yourself exits 1", async () => {
    const r = await cli(["users", "delete", "cli-plain"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Deleted user cli-plain/);
    const list = JSON.parse((await cli(["users", "list", "--json"])).stdout);
    assert.ok(!list.data.some((u: { name: string }) => u.name === "cli-plain"));
    const self = await cli(["users", "delete", "admin"]);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /cannot delete the user you are signed in as/);
  });

  test("logout discards the session on the server and forgets it; then commands need a login (exit 2)", async () => {
    const token = saved(user.config).token;
    const r = await cli(["logout"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(sessionFile(user.config)));
    const use = await httpRequest(`${server.url}${SIMPLE}/storage`, "GET", {
      authorization: `Session ${token}`,
    });
    assert.equal(use.status, 401);
    const list = await cli(["users", "list"]);
    assert.equal(list.code, 2);
    assert.match(list.stderr, /Not logged in/);
    const again = await cli(["logout"]);
    assert.equal(again.code, 0);
  });

  test("serve stops on SIGTERM with exit 0", async () => {
    assert.deepEqual(await server.stop("SIGTERM", 5000), { code: 0, signal: null });
  });
});
