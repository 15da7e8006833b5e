/**
 * docs/getting-started.md followed as written: its shell blocks run in order, in one bash session,
 * against a server started the way the page says (`npm start`, on a port of the test's and a fresh
 * data directory), and every output a console block shows is the output the command gives.
 *
 * - ```sh blocks run as they are; ```console blocks run each `$ ` line and compare what it prints
 *   with the lines under it (the page's port 8080 standing for the test's).
 * - The block after the comment SERVER_MARKER is the server's start: the test starts it itself
 *   (npm ci is not run: the test runs in an installed checkout).
 * - The session gets what the page tells the reader to give: PORT (which the page defaults to
 *   8080) and, on standard input, the password the server printed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { cleanEnv, freePort, ROOT, tempDir } from "../support/process.ts";

const PAGE = path.join(ROOT, "docs/getting-started.md");
const SERVER_MARKER = "<!-- getting-started-test: the test starts this server itself";
const SHELLS = new Set(["sh", "bash", "shell", "console"]);
/** The port the page names, which stands for the test's in the outputs it shows. */
const PAGE_PORT = 8080;
const TIMEOUT_MS = 180_000;

interface Block {
  kind: "sh" | "console";
  text: string;
  /** 1-based line of the block's opening fence. */
  line: number;
  /** The server's start, which the test makes itself. */
  server: boolean;
}

/** The page's shell blocks in order. */
function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith("```"); i++) body.push(lines[i] as string);
    const info = open[1] ?? "";
    if (!SHELLS.has(info)) continue;
    let before = start - 1;
    while (before >= 0 && (lines[before] as string).trim() === "") before--;
    blocks.push({
      kind: info === "console" ? "console" : "sh",
      text: body.join("\n"),
      line: start + 1,
      server: (lines[before] ?? "").startsWith(SERVER_MARKER),
    });
  }
  return blocks;
}

interface Command {
  command: string;
  expected: string;
  line: number;
}

/** A console block's commands (`$ ` lines) with the output shown under each. */
function consoleCommands(block: Block): Command[] {
  const commands: Command[] = [];
  block.text.split("\n").forEach((line, i) => {
    if (line.startsWith("$ "))
      commands.push({ command: line.slice(2), expected: "", line: block.line + 1 + i });
    else {
      const last = commands.at(-1);
      assert.ok(last, `${PAGE}:${block.line + 1 + i}: output before any command`);
      last.expected += `${line}\n`;
    }
  });
  return commands;
}

/** The bash script of the blocks after the server's start, writing each console command's output to `outDir`. */
function sessionScript(blocks: Block[], outDir: string): { script: string; commands: Command[] } {
  const parts = ["set -euo pipefail"];
  const commands: Command[] = [];
  for (const block of blocks) {
    if (block.kind === "sh") {
      parts.push(`echo "--- docs/getting-started.md:${block.line}" >&2`, block.text);
      continue;
    }
    for (const c of consoleCommands(block)) {
      const n = commands.push(c);
      const out = path.join(outDir, String(n));
      parts.push(
        `echo "--- docs/getting-started.md:${c.line}: ${c.command.replace(/["\\$`]/g, "\\$&")}" >&2`,
        `{ ${c.command}\n} >'${out}' 2>&1 || { status=$?; cat '${out}' >&2; exit $status; }`,
      );
    }
  }
  return { script: `${parts.join("\n")}\n`, commands };
}

/** Runs a process to its end, feeding it `input`; a run past TIMEOUT_MS is killed. */
function run(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: options.env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input);
  });
}

/** `npm start` as the page runs it, in a process group of its own (npm starts tsx, which starts node). */
async function startServer(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; password: string; output: () => string }> {
  const child = spawn("npm", ["start"], { cwd: ROOT, env, stdio: "pipe", detached: true });
  let output = "";
  const password = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), TIMEOUT_MS);
    const read = (d: Buffer) => {
      output += d.toString();
      const listening = output.includes("blockplane is listening");
      const printed = /^ {2}password: +(\S+)$/m.exec(output)?.[1];
      if (listening) {
        clearTimeout(timer);
        if (printed) resolve(printed);
        else reject(new Error(`no password printed:\n${output}`));
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.on("exit", (code) => reject(new Error(`the server exited (${code}):\n${output}`)));
  });
  return { child, password, output: () => output };
}

const cleanups: (() => void)[] = [];
after(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

test("docs/getting-started.md runs as written from a fresh start", {
  timeout: 2 * TIMEOUT_MS,
  skip: process.env.BLOCKPLANE_TEST_DATABASE_URL ? "the page starts the embedded store" : false,
}, async () => {
  const blocks = shellBlocks(fs.readFileSync(PAGE, "utf8"));
  const servers = blocks.filter((b) => b.server);
  assert.equal(servers.length, 1, "one block is the server's start, marked for the test");
  const serverBlock = servers[0] as Block;
  assert.match(serverBlock.text, /^npm start\b/m, "the marked block starts the server with npm start");
  const index = blocks.indexOf(serverBlock);
  assert.equal(index, 0, "nothing is to run before the server starts");
  const session = blocks.slice(index + 1);
  assert.ok(session.some((b) => b.kind === "console"));

  const dir = tempDir("blockplane-getting-started-");
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  // The server's own settings (the default array, with its seeded pool), never the tests' array.
  const server = await startServer(
    cleanEnv({ BLOCKPLANE_PORT: String(port), BLOCKPLANE_DATA_DIR: path.join(dir, "data") }, false),
  );
  cleanups.push(() => {
    try {
      process.kill(-(server.child.pid as number), "SIGKILL");
    } catch {
      // already gone
    }
  });

  const outDir = path.join(dir, "outputs");
  fs.mkdirSync(outDir);
  const { script, commands } = sessionScript(session, outDir);
  const scriptFile = path.join(dir, "session.sh");
  fs.writeFileSync(scriptFile, script);
  // The reader's environment: a port, and the CLI's saved session kept out of the real home.
  const env = cleanEnv({ PORT: String(port), BLOCKPLANE_CONFIG_DIR: path.join(dir, "config") }, false);
  const result = await run("bash", [scriptFile], { env, input: `${server.password}\n` });
  assert.equal(
    result.code,
    0,
    `the page's commands failed:\n${result.stderr}\n--- server:\n${server.output().slice(-4000)}`,
  );

  const shown = (text: string) => text.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${PAGE_PORT}`).trimEnd();
  commands.forEach((c, i) => {
    const actual = fs.readFileSync(path.join(outDir, String(i + 1)), "utf8");
    assert.equal(shown(actual), c.expected.trimEnd(), `docs/getting-started.md:${c.line}: $ ${c.command}`);
  });
});
