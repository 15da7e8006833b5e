/**
 * The conventions `blockplane` shares with other storage and cloud command lines, against a real
 * server process: --version, --output json|yaml|table and --quiet, errors for programs on stdout,
 * long ID lists, tables fitted to the width, profiles and the environment (with their order),
 * sessions renewed without a prompt, jobs list, waits stopped by --timeout or Ctrl-C that say how to
 * wait again, the limits of the help checked before sending, and shell completion.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import packageJson from "../../package.json" with { type: "json" };
import { CliUser } from "../support/cli.ts";
import {
  CLI,
  cleanEnv,
  killAllServers,
  runCli,
  type ServerProcess,
  spawnCli,
  startServerProcess,
} from "../support/process.ts";
import { SIMPLE } from "../support/server.ts";

const ADMIN_PASSWORD = "cli-conventions-password";
const PASSWORD_COMMAND = `printf '%s\\n' ${ADMIN_PASSWORD}`;

describe("blockplane CLI conventions", { timeout: 240_000 }, () => {
  let server: ServerProcess;
  let poolId: string;
  const user = new CliUser("blockplane-cli-conv-");
  const cli = user.run.bind(user);
  const freshDir = () => user.freshDir();
  const json = user.json.bind(user);
  /** A GET of the API with the CLI's own session. */
  const apiGet = (url: string) => user.apiGet(server.url, url);
  const lines = (text: string) => text.trimEnd().split("\n");

  before(async () => {
    server = await startServerProcess({
      // Faults, to make a job slow enough to stop waiting for; no overload shedding on a busy machine.
      env: {
        BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD,
        BLOCKPLANE_FAULTS: "on",
        BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0",
      },
    });
    user.removeLater(server.dataDir);
    await user.login(server.url, "admin", ADMIN_PASSWORD);
    const pool = await json(["pools", "create", "--name", "conv-pool", "--drive", "SNB5A-R1R9NC:5:RAID5"]);
    poolId = pool.operationDetails[0].resourceId;
  });
  after(async () => {
    await killAllServers();
    user.cleanup();
  });

  describe("independent commands", { concurrency: true }, () => {
    test("--version prints the version of package.json", async () => {
      const r = await runCli(["--version"]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${packageJson.version}\n`);
    });

    test("--output json|yaml|table, --json, $BLOCKPLANE_OUTPUT: flag first, then the environment", async () => {
      const [asJson, asAlias, asYaml, fromEnv, flagOverEnv] = await Promise.all([
        cli(["pools", "list", "--output", "json"]),
        cli(["pools", "list", "--json"]),
        cli(["pools", "list", "-o", "yaml"]),
        cli(["pools", "list"], { BLOCKPLANE_OUTPUT: "json" }),
        cli(["pools", "list", "--output", "table"], { BLOCKPLANE_OUTPUT: "json" }),
      ]);
      for (const r of [asJson, asAlias, asYaml, fromEnv, flagOverEnv]) assert.equal(r.code, 0, r.stderr);
      const listed = JSON.parse(asJson.stdout);
      assert.equal(listed.count, listed.data.length);
      // The pools as each form names them (their saving effects carry the time they were computed).
      const names = (list: { data: { id: number; name: string }[] }) =>
        list.data.map((p) => `${p.id} ${p.name}`);
      assert.deepEqual(names(JSON.parse(asAlias.stdout)), names(listed));
      assert.deepEqual(names(parseYaml(asYaml.stdout)), names(listed));
      assert.deepEqual(names(JSON.parse(fromEnv.stdout)), names(listed));
      assert.match(flagOverEnv.stdout, /^ID\s+NAME\s+STATUS/);
    });

    test("--output and --json that disagree, --quiet with either, a wrong $BLOCKPLANE_OUTPUT: exit 2", async () => {
      const results = await Promise.all([
        cli(["pools", "list", "--json", "--output", "yaml"]),
        cli(["pools", "list", "--quiet", "--json"]),
        cli(["pools", "list"], { BLOCKPLANE_OUTPUT: "xml" }),
        cli(["pools", "list", "--output", "xml"]),
      ]);
      for (const r of results) assert.equal(r.code, 2, r.stderr);
      assert.match(results[0]?.stderr ?? "", /--json is --output json/);
      assert.match(results[2]?.stderr ?? "", /BLOCKPLANE_OUTPUT/);
    });

    test("with --output json or yaml an error is printed on stdout too: the API's error object, or the CLI's own", async () => {
      const [apiJson, apiYaml, usage, notLoggedIn] = await Promise.all([
        cli(["volumes", "get", "65000", "--json"]),
        cli(["volumes", "get", "65000", "-o", "yaml"]),
        cli(["volumes", "list", "--count", "0", "--json"]),
        runCli(["pools", "list", "--json"], { BLOCKPLANE_CONFIG_DIR: freshDir() }),
      ]);
      assert.equal(apiJson.code, 1);
      const error = JSON.parse(apiJson.stdout);
      assert.equal(error.messageId, "KART30013-E");
      assert.equal(error.errorSource, `${SIMPLE}/volumes/65000`);
      assert.match(apiJson.stderr, /^blockplane: The volume 65000 does not exist/);
      assert.equal(apiYaml.code, 1);
      assert.equal(parseYaml(apiYaml.stdout).messageId, "KART30013-E");
      assert.equal(usage.code, 2);
      assert.deepEqual(JSON.parse(usage.stdout), {
        errorSource: "blockplane",
        message: "option '--count <n>' argument '0' is invalid. Give a whole number from 1 to 500.",
      });
      assert.equal(notLoggedIn.code, 2);
      assert.match(JSON.parse(notLoggedIn.stdout).message, /^Not logged in/);
    });

    test("--quiet prints IDs only: of a list, of what a change created, of a job not waited for", async () => {
      const made = await cli([
        "volumes",
        "create",
        "--pool-id",
        poolId,
        "--capacity",
        "100",
        "--number",
        "3",
        "-q",
      ]);
      assert.equal(made.code, 0, made.stderr);
      const ids = lines(made.stdout);
      assert.equal(ids.length, 3);
      for (const id of ids) assert.match(id, /^\d+$/);
      const [listed, got, accepted] = await Promise.all([
        cli(["volumes", "list", "--pool-id", poolId, "--quiet"]),
        cli(["volumes", "get", ids[0] as string, "-q"]),
        cli(["volumes", "expand", ids[0] as string, "--capacity", "10", "--no-wait", "-q"]),
      ]);
      assert.equal(listed.code, 0, listed.stderr);
      for (const id of ids) assert.ok(lines(listed.stdout).includes(id), listed.stdout);
      assert.equal(got.code, 0);
      assert.equal(got.stdout, "");
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.match(accepted.stdout, /^\d+\n$/);
      const waited = await cli(["jobs", "wait", accepted.stdout.trim(), "-q"]);
      assert.equal(waited.code, 0, waited.stderr);
      // An expansion creates nothing: nothing to print.
      assert.equal(waited.stdout, "");
    });

    test("a long list of IDs is printed one a line", async () => {
      const r = await cli(["volumes", "create", "--pool-id", poolId, "--capacity", "100", "--number", "12"]);
      assert.equal(r.code, 0, r.stderr);
      const out = lines(r.stdout);
      assert.equal(out[0], "Created 12 Volumes:");
      assert.equal(out.length, 13);
      for (const line of out.slice(1)) assert.match(line, /^ {2}\d+$/);
      const few = await cli(["volumes", "create", "--pool-id", poolId, "--capacity", "100", "--number", "2"]);
      assert.match(few.stdout, /^Created Volume \d+ \d+\.\n$/);
    });

    test("tables fit $COLUMNS: the widest columns are cut with …, the ID column never; a pipe gets them whole", async () => {
      const nickname = "a-rather-long-nickname-to-cut-x";
      const made = await json([
        "volumes",
        "create",
        "--pool-id",
        poolId,
        "--capacity",
        "100",
        "--nickname",
        nickname,
      ]);
      const id = made.operationDetails[0].resourceId;
      const [narrow, piped] = await Promise.all([
        cli(["volumes", "list", "--pool-id", poolId, "--nickname", nickname], { COLUMNS: "70" }),
        cli(["volumes", "list", "--pool-id", poolId, "--nickname", nickname]),
      ]);
      assert.equal(narrow.code, 0, narrow.stderr);
      for (const line of lines(narrow.stdout)) assert.ok(line.length <= 70, `${line.length}: ${line}`);
      const row = lines(narrow.stdout).find((l) => l.startsWith(`${id} `));
      assert.ok(row, narrow.stdout);
      assert.match(row, /^\S+\s+a-rather-l\S*…\s/);
      assert.ok(piped.stdout.includes(nickname));
      assert.ok(lines(piped.stdout).some((l) => l.length > 70));
    });

    test("limits the help states are checked before anything is sent: exit 2 naming the limit", async () => {
      // Not logged in: a command that got as far as connecting would say so instead.
      const dir = freshDir();
      const run = (args: string[]) => runCli(args, { BLOCKPLANE_CONFIG_DIR: dir });
      const cases: [string[], RegExp][] = [
        [["volumes", "create", "--pool-id", "0", "--capacity", "46"], /from 47 MiB to 256 TiB/],
        [["volumes", "create", "--pool-id", "0", "--capacity", "1G", "--number", "1001"], /from 1 to 1000/],
        [["volumes", "create", "--pool-id", "128", "--capacity", "1G"], /from 0 to 127/],
        [
          ["volumes", "create", "--pool-id", "0", "--capacity", "1G", "--nickname", "n", "--digits", "6"],
          /from 1 to 5/,
        ],
        [
          ["volumes", "create", "--pool-id", "0", "--capacity", "1G", "--nickname", "n".repeat(33)],
          /0 to 32 characters/,
        ],
        [["volumes", "list", "--count", "501"], /from 1 to 500/],
        [["connections", "list", "--count", "2049"], /from 1 to 2048/],
        [["snapshots", "list", "--count", "1001"], /from 1 to 1000/],
        [["snapshots", "create", "--volume", "0", "--pool-id", "128", "--group", "g"], /from 0 to 127/],
        [
          ["snapshots", "create", "--volume", "0", "--pool-id", "0", "--group", "g".repeat(33)],
          /1 to 32 characters/,
        ],
        [
          ["pools", "create", "--name", "p".repeat(33), "--drive", "SNB5A-R1R9NC:5:RAID5"],
          /1 to 32 characters/,
        ],
        [["pools", "update", "0", "--warning", "101"], /from 1 to 100/],
        [
          ["pools", "update", "0", "--warning", "80", "--depletion", "70"],
          /--depletion must be above --warning/,
        ],
        [["servers", "create", "--nickname", "s".repeat(230), "--protocol", "FC"], /1 to 229 characters/],
        [["servers", "create", "--nickname", "s", "--protocol", "FC", "--os-option", "256"], /from 0 to 255/],
        [["users", "create", "--name", "u", "--password", "short", "--role", "view"], /8 to 256 characters/],
        [["maintenance", "on", "--retry-after", "0"], /from 1 to 86400/],
        [["jobs", "list", "--count", "101"], /from 1 to 100/],
      ];
      const results = await Promise.all(cases.map(([args]) => run(args)));
      results.forEach((r, i) => {
        const [args, expected] = cases[i] as [string[], RegExp];
        assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, expected, args.join(" "));
        assert.doesNotMatch(r.stderr, /Not logged in/, args.join(" "));
      });
    });

    test("profiles: written by profile set, chosen by --profile or $BLOCKPLANE_PROFILE, logged in with their password-command", async () => {
      const dir = freshDir();
      const run = (args: string[], env: Record<string, string> = {}) =>
        runCli(args, { BLOCKPLANE_CONFIG_DIR: dir, ...env });
      const set = await run([
        "profile",
        "set",
        "lab",
        `url=${server.url}`,
        "user=admin",
        `password-command=${PASSWORD_COMMAND}`,
        "output=yaml",
      ]);
      assert.equal(set.code, 0, set.stderr);
      const file = path.join(dir, "config.yaml");
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(parseYaml(fs.readFileSync(file, "utf8")), {
        profiles: {
          lab: { url: server.url, user: "admin", "password-command": PASSWORD_COMMAND, output: "yaml" },
        },
      });
      // A comment a person wrote stays when a setting is changed.
      fs.writeFileSync(file, `# the lab array\n${fs.readFileSync(file, "utf8")}`);

      // No login: the profile's password-command gives the password, and the session is saved.
      const byFlag = await run(["--profile", "lab", "pools", "list"]);
      assert.equal(byFlag.code, 0, byFlag.stderr);
      assert.ok(Array.isArray(parseYaml(byFlag.stdout).data), "the profile's output is YAML");
      const saved = JSON.parse(fs.readFileSync(path.join(dir, "sessions", "lab.json"), "utf8"));
      assert.equal(saved.url, server.url);
      assert.equal(fs.statSync(path.join(dir, "sessions", "lab.json")).mode & 0o777, 0o600);
      assert.ok(!fs.existsSync(path.join(dir, "session.json")), "the default profile has no session");

      // Output: flag over environment over profile.
      const [byEnv, envOutput, flagOutput, otherProfile] = await Promise.all([
        run(["pools", "list"], { BLOCKPLANE_PROFILE: "lab" }),
        run(["--profile", "lab", "pools", "list"], { BLOCKPLANE_OUTPUT: "json" }),
        run(["pools", "list", "--output", "table"], { BLOCKPLANE_PROFILE: "lab", BLOCKPLANE_OUTPUT: "json" }),
        run(["pools", "list"]),
      ]);
      assert.equal(byEnv.code, 0, byEnv.stderr);
      assert.ok(parseYaml(byEnv.stdout).data);
      assert.ok(JSON.parse(envOutput.stdout).data);
      assert.match(flagOutput.stdout, /^ID\s+NAME/);
      // The default profile has no settings and no session.
      assert.equal(otherProfile.code, 2);
      assert.match(otherProfile.stderr, /Not logged in/);

      const listed = await run(["profile", "list", "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      const lab = JSON.parse(listed.stdout).data.find((p: { name: string }) => p.name === "lab");
      assert.deepEqual(lab.session, { url: server.url, user: "admin" });
      assert.equal(lab.current, false);

      const unset = await run(["profile", "unset", "lab", "output"]);
      assert.equal(unset.code, 0, unset.stderr);
      const text = fs.readFileSync(file, "utf8");
      assert.match(text, /^# the lab array\n/);
      assert.doesNotMatch(text, /output/);
      assert.match((await run(["--profile", "lab", "pools", "list"])).stdout, /^ID\s+NAME/);

      const wrong = await Promise.all([
        run(["profile", "set", "lab", "usr=admin"]),
        run(["profile", "set", "lab", "output=xml"]),
        run(["--profile", "bad/name", "pools", "list"]),
        run(["--profile", "nowhere", "pools", "list"]),
      ]);
      for (const r of wrong) assert.equal(r.code, 2, r.stderr);
      assert.match(wrong[0]?.stderr ?? "", /Unknown setting "usr"/);
      assert.match(wrong[3]?.stderr ?? "", /blockplane --profile nowhere login --url URL --user NAME/);

      const deleted = await run(["profile", "delete", "lab"]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.ok(!fs.existsSync(path.join(dir, "sessions", "lab.json")));
      assert.doesNotMatch(fs.readFileSync(file, "utf8"), /lab:/);
    });

    test("a config file with an unknown setting is refused, naming it (exit 2)", async () => {
      const dir = freshDir();
      fs.writeFileSync(path.join(dir, "config.yaml"), "profiles:\n  default:\n    urll: http://x\n");
      const r = await runCli(["pools", "list"], { BLOCKPLANE_CONFIG_DIR: dir });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /profile "default": unknown setting "urll"/);
    });

    test("$BLOCKPLANE_URL, $BLOCKPLANE_USER and $BLOCKPLANE_PASSWORD need no login; --url beats $BLOCKPLANE_URL", async () => {
      const dir = freshDir();
      const env = {
        BLOCKPLANE_CONFIG_DIR: dir,
        BLOCKPLANE_URL: server.url,
        BLOCKPLANE_USER: "admin",
        BLOCKPLANE_PASSWORD: ADMIN_PASSWORD,
      };
      const r = await runCli(["pools", "list"], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "session.json"), "utf8")).url, server.url);
      // The environment's server beats the saved session's: that session is not sent elsewhere.
      const elsewhere = await runCli(["pools", "list"], { ...env, BLOCKPLANE_URL: "http://127.0.0.1:1" });
      assert.equal(elsewhere.code, 1);
      assert.match(elsewhere.stderr, /Cannot reach http:\/\/127\.0\.0\.1:1/);
      // login takes the URL from the environment, unless --url is given.
      const login = await runCli(["login"], { ...env, BLOCKPLANE_CONFIG_DIR: freshDir() });
      assert.equal(login.code, 0, login.stderr);
      assert.equal(login.stdout, `Logged in to ${server.url} as admin.\n`);
      const flag = await runCli(["login", "--url", server.url], {
        ...env,
        BLOCKPLANE_CONFIG_DIR: freshDir(),
        BLOCKPLANE_URL: "http://127.0.0.1:1",
      });
      assert.equal(flag.code, 0, flag.stderr);
    });

    test("an ended session is renewed with the profile's password-command; one that fails exits 2", async () => {
      const stale = (command: string) => {
        const dir = freshDir();
        fs.writeFileSync(
          path.join(dir, "session.json"),
          JSON.stringify({ url: server.url, user: "admin", token: "0".repeat(32), sessionId: 999 }),
          { mode: 0o600 },
        );
        fs.writeFileSync(
          path.join(dir, "config.yaml"),
          `profiles:\n  default:\n    password-command: ${JSON.stringify(command)}\n`,
        );
        return dir;
      };
      const renewedDir = stale(PASSWORD_COMMAND);
      const renewed = await runCli(["pools", "list"], { BLOCKPLANE_CONFIG_DIR: renewedDir });
      assert.equal(renewed.code, 0, renewed.stderr);
      const saved = JSON.parse(fs.readFileSync(path.join(renewedDir, "session.json"), "utf8"));
      assert.match(saved.token, /^[0-9a-f]{32}$/);
      assert.notEqual(saved.token, "0".repeat(32));
      const failing = await runCli(["pools", "list"], { BLOCKPLANE_CONFIG_DIR: stale("exit 3") });
      assert.equal(failing.code, 2);
      assert.match(failing.stderr, /password-command failed: it exited with 3/);
    });

    test("on a terminal, an ended session asks for the password once, then goes on and saves the new one", {
      skip: !hasScript() && "script(1) is not installed",
    }, async () => {
      const dir = freshDir();
      fs.writeFileSync(
        path.join(dir, "session.json"),
        JSON.stringify({ url: server.url, user: "admin", token: "0".repeat(32), sessionId: 999 }),
        { mode: 0o600 },
      );
      // script(1) gives the command a terminal; what the test writes is what a person would type.
      const child = spawn("script", ["-qec", `${process.execPath} ${CLI} pools list`, "/dev/null"], {
        env: cleanEnv({ BLOCKPLANE_CONFIG_DIR: dir }),
        stdio: "pipe",
      });
      let output = "";
      let typed = false;
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
        if (!typed && output.includes(`Password for admin at ${server.url}: `)) {
          typed = true;
          child.stdin.write(`${ADMIN_PASSWORD}\r`);
        }
      });
      const code = await new Promise((resolve) => child.on("close", resolve));
      assert.equal(code, 0, output);
      assert.match(output, /ID\s+NAME\s+STATUS/);
      assert.equal(output.split("Password for").length, 2, "asked once");
      assert.doesNotMatch(output, new RegExp(ADMIN_PASSWORD), "the password is not echoed");
      const saved = JSON.parse(fs.readFileSync(path.join(dir, "session.json"), "utf8"));
      assert.notEqual(saved.token, "0".repeat(32));
    });

    test("jobs list: a table, --json, --quiet, filters; jobs wait takes several jobs", async () => {
      const made = await cli([
        "volumes",
        "create",
        "--pool-id",
        poolId,
        "--capacity",
        "100",
        "--number",
        "2",
        "-q",
      ]);
      const [a, b] = lines(made.stdout);
      const accepted = await Promise.all(
        [a, b].map((v) => cli(["volumes", "expand", v as string, "--capacity", "10", "--no-wait", "-q"])),
      );
      const jobIds = accepted.map((r) => r.stdout.trim());
      const [first, last] = [...jobIds].sort((x, y) => Number(x) - Number(y));
      const waited = await cli(["jobs", "wait", ...jobIds]);
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(waited.stdout, `Updated Volume ${a} ${b}.\n`);

      const [table, asJson, quiet, failed] = await Promise.all([
        cli(["jobs", "list", "--start", first as string]),
        json(["jobs", "list", "--start", first as string, "--count", "1"]),
        cli(["jobs", "list", "--start", first as string, "--status", "normal", "-q"]),
        json(["jobs", "list", "--status", "error"]),
      ]);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^ID\s+PROGRESS\s+STATUS\s+DID\s+ERROR\n/);
      assert.match(
        table.stdout,
        new RegExp(`\\n${jobIds[0]}\\s+completed\\s+normal\\s+UPDATE Volume ${a}\\n`),
      );
      assert.equal(asJson.count, 1);
      assert.equal(asJson.data[0].id, Number(first));
      assert.ok(lines(quiet.stdout).includes(last as string), quiet.stdout);
      for (const s of failed.data) assert.equal(s.status, "error");
    });

    test("completion bash: the commands, options and choices of the command tree", async () => {
      const script = await runCli(["completion", "bash"]);
      assert.equal(script.code, 0, script.stderr);
      const file = path.join(freshDir(), "blockplane.bash");
      fs.writeFileSync(file, script.stdout);
      const complete = (words: string[]) => {
        const run = spawnSync(
          "bash",
          [
            "-c",
            `set -e; source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _blockplane; printf '%s\\n' "\${COMPREPLY[@]}"`,
          ],
          { encoding: "utf8" },
        );
        assert.equal(run.status, 0, run.stderr);
        return run.stdout.trim().split("\n");
      };
      const help = await runCli(["--help"]);
      const commands = help.stdout.slice(help.stdout.indexOf("\nCommands:"));
      const topLevel = [...commands.matchAll(/^ {2}([a-z][a-z-]*)(?: |$)/gm)].map((m) => m[1]);
      assert.ok(topLevel.includes("volumes") && topLevel.includes("completion"), help.stdout);
      assert.deepEqual(complete(["blockplane", ""]).sort(), [...new Set(topLevel)].sort());
      assert.deepEqual(complete(["blockplane", "vol"]), ["volumes"]);
      assert.deepEqual(complete(["blockplane", "--profile", "lab", "volumes", "cr"]), ["create"]);
      assert.deepEqual(complete(["blockplane", "volumes", "create", "--saving", ""]), [
        "DEDUPLICATION_AND_COMPRESSION",
        "COMPRESSION",
        "DISABLE",
      ]);
      assert.deepEqual(complete(["blockplane", "jobs", "list", "-o", ""]), ["table", "json", "yaml"]);
      assert.deepEqual(complete(["blockplane", "volumes", "create", "--pool-id", "3", "--nu"]), ["--number"]);
      assert.deepEqual(complete(["blockplane", "completion", ""]), ["bash", "zsh"]);
    });

    test("completion zsh: the same tree, with descriptions", {
      skip: !hasZsh() && "zsh is not installed",
    }, async () => {
      const script = await runCli(["completion", "zsh"]);
      assert.equal(script.code, 0, script.stderr);
      const file = path.join(freshDir(), "_blockplane");
      fs.writeFileSync(file, script.stdout);
      // The completion system's builtins stand in for themselves: they print what they are given.
      const complete = (words: string[]) => {
        const run = spawnSync(
          "zsh",
          [
            "-f",
            "-c",
            `compdef() { :; }; _describe() { print -rl -- "\${(@P)4}"; }; compadd() { print -rl -- "\${(@P)2}"; }
             source ${file}; words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}; _blockplane`,
          ],
          { encoding: "utf8" },
        );
        assert.equal(run.status, 0, run.stderr);
        return run.stdout.trim().split("\n");
      };
      assert.ok(complete(["blockplane", ""]).includes("volumes:volumes (LDEVs) in pools"));
      assert.ok(
        complete(["blockplane", "--profile", "lab", "volumes", ""]).some((l) => l.startsWith("create:")),
      );
      assert.deepEqual(complete(["blockplane", "volumes", "create", "--saving", ""]), [
        "DEDUPLICATION_AND_COMPRESSION",
        "COMPRESSION",
        "DISABLE",
      ]);
      assert.ok(complete(["blockplane", "volumes", "create", "--"]).some((l) => l.startsWith("--number:")));
    });
  });

  // One at a time: each makes the next volume creation slow with a fault rule.
  describe("waits stopped before the job completes", () => {
    const slowNextCreate = async () => {
      const r = await cli([
        "faults",
        "add",
        "--action",
        "latency",
        "--operation",
        "createVolumes",
        "--latency-ms",
        "4000",
        "--count",
        "1",
      ]);
      assert.equal(r.code, 0, r.stderr);
    };
    const create = () => ["volumes", "create", "--pool-id", poolId, "--capacity", "100"];

    test("--timeout: the job and the command that waits for it (with the profile chosen), exit 124", async () => {
      const dir = freshDir();
      const env = { BLOCKPLANE_CONFIG_DIR: dir, BLOCKPLANE_PROFILE: "lab" };
      const set = await runCli(
        ["profile", "set", "lab", `url=${server.url}`, "user=admin", `password-command=${PASSWORD_COMMAND}`],
        env,
      );
      assert.equal(set.code, 0, set.stderr);
      await slowNextCreate();
      const r = await runCli([...create(), "--timeout", "1", "--json"], env);
      assert.equal(r.code, 124, r.stderr);
      const m =
        /still (?:unexecuted|processing) after 1 s: job (\d+) goes on on the server\. Wait for it with: (.+)$/m.exec(
          r.stderr,
        );
      assert.ok(m, r.stderr);
      assert.equal(m[2], `blockplane --profile lab jobs wait ${m[1]}`);
      assert.deepEqual(JSON.parse(r.stdout), {
        errorSource: "blockplane",
        message: r.stderr.replace(/^blockplane: /, "").trimEnd(),
        jobIds: [Number(m[1])],
        waitCommand: m[2],
      });
      const again = await runCli(["--profile", "lab", "jobs", "wait", m[1] as string], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^Created Volume \d+\.\n$/);
    });

    test("Ctrl-C: the job and the command that waits for it, exit 130", async () => {
      await slowNextCreate();
      const run = spawnCli(create(), { BLOCKPLANE_CONFIG_DIR: user.config });
      // Interrupted once its job runs: the CLI is waiting for it then.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const running = await apiGet(`${SIMPLE}/command-status?progress=processing`);
        if (running.body?.count > 0) break;
        assert.ok(Date.now() < deadline, "the job never started");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const interrupted = Date.now();
      run.child.kill("SIGINT");
      const r = await run.done;
      assert.equal(r.code, 130, r.stderr);
      assert.ok(Date.now() - interrupted < 3000, "the wait ended at once, not with the job");
      const m =
        /^blockplane: Interrupted: job (\d+) goes on on the server\. Wait for it with: blockplane jobs wait (\d+)$/m.exec(
          r.stderr,
        );
      assert.ok(m, r.stderr);
      assert.equal(m[1], m[2]);
      const again = await cli(["jobs", "wait", m[1] as string]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^Created Volume \d+\.\n$/);
    });
  });
});

function hasScript(): boolean {
  return spawnSync("script", ["-qec", "true", "/dev/null"]).status === 0;
}

function hasZsh(): boolean {
  return spawnSync("zsh", ["-c", "true"]).status === 0;
}
