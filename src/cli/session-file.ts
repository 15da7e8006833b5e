/**
 * The saved logins: server URL and session token of each profile, readable by its owner only, in
 * the config directory: BLOCKPLANE_CONFIG_DIR, else $XDG_CONFIG_HOME/blockplane, else
 * ~/.config/blockplane. The default profile's is session.json, another's sessions/<profile>.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_PROFILE } from "./config-file.ts";
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

/** Where a profile's session is saved. */
export function sessionFile(dir: string, profile: string): string {
  return profile === DEFAULT_PROFILE
    ? path.join(dir, "session.json")
    : path.join(dir, "sessions", `${profile}.json`);
}

export function saveSession(dir: string, profile: string, session: SavedSession): void {
  const file = sessionFile(dir, profile);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written to a private temporary file first, so the token is never readable by others, even briefly.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}

/** The saved session, or undefined when there is none. */
export function readSession(dir: string, profile: string): SavedSession | undefined {
  const file = sessionFile(dir, profile);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<SavedSession>;
  if (typeof parsed.url !== "string" || typeof parsed.token !== "string") {
    throw new UsageError(`${file} is not a saved session; run "blockplane login" again.`);
  }
  return parsed as SavedSession;
}

export function removeSession(dir: string, profile: string): void {
  fs.rmSync(sessionFile(dir, profile), { force: true });
}
