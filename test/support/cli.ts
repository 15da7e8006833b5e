/**
 * The `blockplane` command as a test's user runs it: each config dir (profiles, the saved session)
 * is a temp dir of its own, removed by `cleanup()`; commands run with the current one unless told.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type CliResult, httpRequest, runCli, tempDir } from "./process.ts";

export class CliUser {
  /** The config dir commands run with. */
  config = "";
  readonly #dirs: string[] = [];

  constructor(private readonly prefix = "blockplane-cli-") {}

  /** A new, empty config dir (or other scratch dir), removed by cleanup. */
  freshDir(): string {
    const dir = tempDir(this.prefix);
    this.#dirs.push(dir);
    return dir;
  }

  /** Removes another dir at cleanup too (a server's data dir, say). */
  removeLater(dir: string): void {
    this.#dirs.push(dir);
  }

  /** Runs a command with the current config dir; `env` may name another. */
  run(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
    return runCli(args, { BLOCKPLANE_CONFIG_DIR: this.config, ...env }, input);
  }

  /** Runs a command that must succeed, with `--json`, and answers its output. */
  // biome-ignore lint/suspicious/noExplicitAny: the API's answers, read by the tests
  async json(args: string[], env: Record<string, string> = {}): Promise<any> {
    const r = await this.run([...args, "--json"], env);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /**
   * Logs in to `url` in a fresh config dir (which becomes the current one unless `keep` is
   * set) and answers that dir; the login must succeed.
   */
  async login(
    url: string,
    user: string,
    password: string,
    options: { keep?: boolean } = {},
  ): Promise<string> {
    const dir = this.freshDir();
    const r = await runCli(["login", "--url", url, "--user", user, "--password", password], {
      BLOCKPLANE_CONFIG_DIR: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    if (!options.keep) this.config = dir;
    return dir;
  }

  /** The session token the CLI saved in a config dir. */
  token(dir = this.config): string {
    return JSON.parse(fs.readFileSync(path.join(dir, "session.json"), "utf8")).token;
  }

  /** A GET of the API at `url` with the CLI's own session, past the CLI and its retries. */
  apiGet(baseUrl: string, url: string) {
    return httpRequest(`${baseUrl}${url}`, "GET", { authorization: `Session ${this.token()}` });
  }

  cleanup(): void {
    for (const d of this.#dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}
