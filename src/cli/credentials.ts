/**
 * Where a command's server, user and password come from (settings.ts gives the order). A session
 * ends after at most 5 minutes without use (the API's longest aliveTime), so a saved session is
 * often gone when a person comes back to the terminal: the command then logs in again for the
 * same user, if it can find the password without guessing, and saves the new session.
 */
import { spawnSync } from "node:child_process";
import type { PasswordSource } from "../client/index.ts";
import { DEFAULT_PROFILE } from "./config-file.ts";
import type { CliContext } from "./context.ts";
import { UsageError } from "./errors.ts";
import { readSecret } from "./prompt.ts";
import { normaliseUrl } from "./server-url.ts";
import { readSession, type SavedSession } from "./session-file.ts";
import { commandLine, type Settings } from "./settings.ts";

export function settingsOf(ctx: CliContext): Settings {
  if (!ctx.settings) throw new Error("the settings are read before a command's action runs");
  return ctx.settings;
}

/** A URL from a flag, the environment or the profile, checked: a usage error names where it came from. */
export function checkedUrl(raw: string, from: string): string {
  try {
    return normaliseUrl(raw);
  } catch (err) {
    throw new UsageError(`${from} ${raw} is not a valid http(s) URL: ${(err as Error).message}`);
  }
}

export interface Target {
  url: string;
  user: string | undefined;
  insecure: boolean;
  /** The saved session, when it is one of this server's. */
  session: SavedSession | undefined;
  /** What gives the password when a session has to be created; none when nothing can. */
  password: PasswordSource | undefined;
}

/**
 * The server a command talks to and how it logs in there: $BLOCKPLANE_URL, else the profile's
 * saved session's server, else the profile's url. A saved session of another server is not used.
 */
export function target(ctx: CliContext): Target {
  const settings = settingsOf(ctx);
  const profile = settings.profileSettings;
  const saved = readSession(ctx.configDir, settings.profile);
  const envUrl = ctx.env.BLOCKPLANE_URL ? checkedUrl(ctx.env.BLOCKPLANE_URL, "$BLOCKPLANE_URL") : undefined;
  const url = envUrl ?? saved?.url ?? (profile.url ? normaliseUrl(profile.url) : undefined);
  const session = saved && saved.url === url ? saved : undefined;
  const user = session?.user ?? (ctx.env.BLOCKPLANE_USER || undefined) ?? profile.user;
  if (url === undefined || (session === undefined && user === undefined)) throw notLoggedIn(settings);
  const password = user === undefined ? undefined : passwordSource(ctx, user, url);
  // Without a session and without a password, nothing could be sent: say so before trying.
  if (session === undefined && password === undefined) throw notLoggedIn(settings, url);
  return { url, user, insecure: session?.insecure ?? profile.insecure === true, session, password };
}

function notLoggedIn(settings: Settings, url?: string): UsageError {
  const where = url ? ` to ${url}` : "";
  const profile = settings.profile === DEFAULT_PROFILE ? "" : ` (profile "${settings.profile}")`;
  const login = commandLine(settings, `login${url ? "" : " --url URL"} --user NAME`);
  return new UsageError(`Not logged in${where}${profile}: run "${login}" first.`);
}

/**
 * Where a password is found without asking the user to repeat a command: $BLOCKPLANE_PASSWORD,
 * else the profile's password-command, else, on a terminal, the user is asked (once, and only if a
 * session has to be created). Elsewhere there is none: a script must not wait on a prompt.
 */
export function passwordSource(ctx: CliContext, user: string, url: string): PasswordSource | undefined {
  if (ctx.env.BLOCKPLANE_PASSWORD) return ctx.env.BLOCKPLANE_PASSWORD;
  const command = settingsOf(ctx).profileSettings["password-command"];
  if (command) return () => runPasswordCommand(command, ctx.env);
  if (process.stdin.isTTY && process.stderr.isTTY) {
    return () => readSecret(`Password for ${user} at ${url}: `);
  }
  return undefined;
}

/** The first line of a password-command's output; a command that fails is a usage error. */
export function runPasswordCommand(command: string, env: NodeJS.ProcessEnv): string {
  const run = spawnSync(command, {
    shell: true,
    env,
    encoding: "utf8",
    // The command may ask its own questions (a keyring's passphrase) on the terminal.
    stdio: ["inherit", "pipe", "inherit"],
  });
  if (run.error || run.status !== 0) {
    const why = run.error ? run.error.message : `it exited with ${run.status ?? run.signal}`;
    throw new UsageError(`The profile's password-command failed: ${why}.`);
  }
  const password = run.stdout.split(/\r?\n/)[0] ?? "";
  if (password === "") throw new UsageError("The profile's password-command printed no password.");
  return password;
}
