/**
 * The saved login: server URL and session token in session.json, readable by its owner only,
 * under BLOCKPLANE_CONFIG_DIR, else $XDG_CONFIG_HOME/blockplane, else ~/.config/blockplane.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "./errors.ts";

export interface SavedSession {
  url: string;
  user: string;
  token: string;
  sessionId: number;
  /** Accept a self-signed certificate (HTTPS servers with a test certificate). */
  insecure?: boolean;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.BLOCKPLANE_CONFIG_DIR) return path.resolve(env.BLOCKPLANE_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(os.homedir(), ".config");
  return path.join(base, "blockplane");
}

const fileOf = (dir: string) => path.join(dir, "session.json");

export function saveSession(dir: string, session: SavedSession): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = fileOf(dir);
  // Written to a private temporary file first, so the token is never readable by others, even briefly.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}

/** The saved session, or undefined when there is none. */
export function readSession(dir: string): SavedSession | undefined {
  let text: string;
  try {
    text = fs.readFileSync(fileOf(dir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<SavedSession>;
  if (typeof parsed.url !== "string" || typeof parsed.token !== "string") {
    throw new UsageError(`${fileOf(dir)} is not a saved session; run "blockplane login" again.`);
  }
  return parsed as SavedSession;
}

/** The saved session; a usage error when not logged in. */
export function requireSession(dir: string): SavedSession {
  const session = readSession(dir);
  if (!session) throw new UsageError('Not logged in: run "blockplane login --url URL --user NAME" first.');
  return session;
}

export function removeSession(dir: string): void {
  fs.rmSync(fileOf(dir), { force: true });
}
