/**
 * The server as a real process over real HTTP(S): the initial administrator's password printed
 * once, graceful shutdown on SIGTERM, HTTPS with a certificate, and refusal of a bad config.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import {
  freePort,
  httpRequest,
  killAllServers,
  spawnServer,
  startServerProcess,
  tempDir,
} from "../support/process.ts";
import { basic, SIMPLE } from "../support/server.ts";

const PASSWORD_LINE = /password: +(\S+)/;

// Each test has its own processes, data dir and port: they run side by side.
describe("server process", { concurrency: true, timeout: 180_000 }, () => {
  const dirs: string[] = [];
  after(async () => {
    await killAllServers();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const sessionOver = (url: string, name: string, password: string) =>
    httpRequest(`${url}${SIMPLE}/sessions`, "POST", { authorization: basic(name, password) });

  test("first start prints the generated password once; it works; SIGTERM exits 0; a restart prints none", async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const first = await startServerProcess({ dataDir });
    const password = PASSWORD_LINE.exec(first.stdout())?.[1];
    assert.ok(password, `no password in:\n${first.stdout()}`);
    assert.match(password, /^[A-Za-z0-9]{24}$/);
    assert.equal(first.stdout().split("password:").length - 1, 1, "printed exactly once");
    assert.ok(!first.stderr().includes(password), "not on stderr");

    const made = await sessionOver(first.url, "admin", password);
    assert.equal(made.status, 200);
    assert.match(made.body.token, /^[0-9a-f]{32}$/);
    const storage = await httpRequest(`${first.url}${SIMPLE}/storage`, "GET", {
      authorization: `Session ${made.body.token}`,
    });
    assert.equal(storage.status, 200);
    assert.equal(storage.headers["x-request-id"] !== undefined, true);

    // The log (JSON lines on stdout) names neither the credentials nor the token.
    assert.ok(!first.stdout().includes(Buffer.from(`admin:${password}`).toString("base64")));
    assert.ok(!first.stdout().includes(made.body.token));
    assert.match(first.stdout(), /"msg":"blockplane is listening"/);
    assert.match(first.stdout(), first.databaseUrl ? /"store":"postgres"/ : /"store":"sqlite"/);

    const started = Date.now();
    const exit = await first.stop("SIGTERM", 5000);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - started < 5000);

    const second = await startServerProcess({
      dataDir,
      ...(first.databaseUrl ? { databaseUrl: first.databaseUrl } : {}),
    });
    assert.doesNotMatch(second.stdout(), /password/i);
    assert.equal(
      (await sessionOver(second.url, "admin", password)).status,
      200,
      "the same password still works",
    );
    assert.deepEqual(await second.stop("SIGTERM", 5000), { code: 0, signal: null });
  });

  test("a SIGTERM as soon as /readyz answers stops gracefully, the administrator made and announced", async () => {
    // The probe answers once the server listens, before the initial administrator is made: a
    // supervisor may stop it then, and the stop must still be the graceful one.
    const server = await spawnServer();
    dirs.push(server.dataDir);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await httpRequest(`${server.url}/readyz`, "GET", {}).catch(() => undefined);
      if (ready?.status === 200) break;
      assert.ok(Date.now() < deadline, `never ready:\n${server.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.deepEqual(await server.stop("SIGTERM", 10_000), { code: 0, signal: null });
    assert.match(server.stdout(), /"msg":"stopped"/);
    assert.match(server.stdout(), PASSWORD_LINE, "the administrator made is announced");
  });

  test("a port in use: one line naming the address, exit 1, no password; the next start prints it", async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    const dataDir = tempDir();
    dirs.push(dataDir);
    let databaseUrl: string | undefined;
    try {
      const refused = await spawnServer({ dataDir, port });
      databaseUrl = refused.databaseUrl;
      assert.deepEqual(await refused.exited, { code: 1, signal: null });
      assert.equal(
        refused.stderr(),
        `blockplane: cannot start: the address 127.0.0.1:${port} is already in use: another process (perhaps another blockplane) listens on it. Stop that process, or choose another port with --port (BLOCKPLANE_PORT).\n`,
      );
      assert.doesNotMatch(refused.stdout(), /password|administrator/i);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    // The administrator was not made (nor its password spent): the first start that listens does it.
    const next = await startServerProcess({ dataDir, port, ...(databaseUrl ? { databaseUrl } : {}) });
    const password = PASSWORD_LINE.exec(next.stdout())?.[1];
    assert.ok(password, `no password in:\n${next.stdout()}`);
    assert.equal((await sessionOver(next.url, "admin", password)).status, 200);
    assert.deepEqual(await next.stop("SIGTERM", 5000), { code: 0, signal: null });
  });

  test("an administrator password given in the environment is not printed", async () => {
    const p = await startServerProcess({ env: { BLOCKPLANE_ADMIN_PASSWORD: "given-password-1" } });
    dirs.push(p.dataDir);
    assert.doesNotMatch(p.stdout(), /given-password-1|password:/);
    assert.equal((await sessionOver(p.url, "admin", "given-password-1")).status, 200);
    assert.deepEqual(await p.stop("SIGINT", 5000), { code: 0, signal: null });
  });

  test("HTTPS with --tls-cert and --tls-key", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-days",
        "1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      {
        stdio: "ignore",
      },
    );
    const p = await startServerProcess({
      dataDir: path.join(dir, "data"),
      args: ["--tls-cert", cert, "--tls-key", key],
      env: { BLOCKPLANE_ADMIN_PASSWORD: "tls-password-1" },
    });
    assert.ok(p.url.startsWith("https://"));
    const made = await sessionOver(p.url, "admin", "tls-password-1");
    assert.equal(made.status, 200);
    assert.match(made.body.token, /^[0-9a-f]{32}$/);
    // Plain HTTP to the TLS port gets no API answer.
    const plain = await httpRequest(`http://127.0.0.1:${p.port}${SIMPLE}/storage`, "GET").then(
      (r) => r.status,
      () => "refused",
    );
    assert.notEqual(plain, 200);
    assert.deepEqual(await p.stop("SIGTERM", 5000), { code: 0, signal: null });
  });

  // Independent short-lived processes: run side by side.
  describe("refusing a bad config", { concurrency: true }, () => {
    for (const [label, args, message] of [
      ["a port that is not a number", ["--port", "abc"], /port must be a whole number, got "abc"/],
      ["a port out of range", ["--port", "70000"], /port must be between 0 and 65535/],
      ["an unknown flag", ["--no-such-flag", "1"], /no-such-flag/],
      [
        "a certificate without a key",
        ["--tls-cert", "/nonexistent.pem"],
        /needs both a certificate and a key/,
      ],
      ["a log level that does not exist", ["--log-level", "loud"], /log level must be one of/],
    ] as const) {
      test(`invalid config (${label}) exits 2 with a clear message`, async () => {
        const dataDir = tempDir();
        dirs.push(dataDir);
        const p = await spawnServer({ rawArgs: true, args: ["--data-dir", dataDir, ...args] });
        const exit = await p.exited;
        assert.equal(exit.code, 2, p.stderr());
        assert.match(p.stderr(), message);
        assert.match(p.stderr(), /--help/);
        assert.doesNotMatch(p.stderr(), /\n\s+at /, "no stack trace");
      });
    }
  });

  test("--help prints every option and exits 0", async () => {
    const p = await spawnServer({ rawArgs: true, args: ["--help"] });
    const exit = await p.exited;
    assert.equal(exit.code, 0);
    assert.match(p.stdout(), /--port/);
    assert.match(p.stdout(), /BLOCKPLANE_DATA_DIR/);
  });
});
