/** login and logout: create a session with Basic credentials and save it for the profile; discard it. */
import type { Command } from "commander";
import { createClient } from "../../client/index.ts";
import { failureError } from "../client.ts";
import type { CliContext } from "../context.ts";
import { checkedUrl, runPasswordCommand, settingsOf } from "../credentials.ts";
import { UsageError } from "../errors.ts";
import { httpFetch } from "../http-fetch.ts";
import { readSecret } from "../prompt.ts";
import { acceptAnyCertificate } from "../server-url.ts";
import { readSession, removeSession, saveSession } from "../session-file.ts";
import { show } from "./common.ts";

const SESSIONS_PATH = "/ConfigurationManager/v1/objects/sessions";

interface LoginOptions {
  url?: string;
  user?: string;
  password?: string;
  insecure?: boolean;
}

export function sessionCommands(program: Command, ctx: CliContext): void {
  program
    .command("login")
    .description("create a session and save its token for the other commands (of the profile)")
    .option(
      "--url <url>",
      "server base URL, e.g. https://array.example:443 (else $BLOCKPLANE_URL, else the profile's url)",
    )
    .option("--user <name>", "user name (else $BLOCKPLANE_USER, else the profile's user)")
    .option(
      "--password <password>",
      "password (else $BLOCKPLANE_PASSWORD, else the profile's password-command, else asked for)",
    )
    .option("--insecure", "accept a server certificate that does not verify (else the profile's insecure)")
    .action(async (options: LoginOptions) => {
      const settings = settingsOf(ctx);
      const profile = settings.profileSettings;
      const url = options.url
        ? checkedUrl(options.url, "--url")
        : ctx.env.BLOCKPLANE_URL
          ? checkedUrl(ctx.env.BLOCKPLANE_URL, "$BLOCKPLANE_URL")
          : profile.url
            ? checkedUrl(profile.url, "the profile's url")
            : undefined;
      if (url === undefined)
        throw new UsageError("Give the server with --url (or $BLOCKPLANE_URL, or the profile's url).");
      const user = options.user ?? (ctx.env.BLOCKPLANE_USER || undefined) ?? profile.user;
      if (user === undefined)
        throw new UsageError("Give the user with --user (or $BLOCKPLANE_USER, or the profile's user).");
      const password =
        options.password ??
        (ctx.env.BLOCKPLANE_PASSWORD || undefined) ??
        (profile["password-command"]
          ? runPasswordCommand(profile["password-command"], ctx.env)
          : undefined) ??
        (await readSecret("Password: "));
      if (password === "")
        throw new UsageError("A password is needed: --password, $BLOCKPLANE_PASSWORD or standard input.");
      const insecure =
        options.insecure === true || (options.insecure === undefined && profile.insecure === true);
      if (insecure) acceptAnyCertificate();
      const login = await createClient({ baseUrl: url, user, password, fetch: httpFetch }).session();
      if (!login.ok) {
        if (login.status === 0 && /certificate/i.test(login.message) && !insecure) {
          login.message += " (log in with --insecure to accept it)";
        }
        throw failureError(login);
      }
      const created = login.data;
      saveSession(ctx.configDir, settings.profile, {
        url,
        user,
        token: created.token,
        sessionId: created.sessionId,
        ...(insecure ? { insecure } : {}),
      });
      show(
        ctx,
        { url, user, profile: settings.profile },
        () => `Logged in to ${url} as ${user}.\n`,
        () => [],
      );
    });

  program
    .command("logout")
    .description("discard the saved session (of the profile) on the server and forget it")
    .action(async () => {
      const { profile } = settingsOf(ctx);
      const saved = readSession(ctx.configDir, profile);
      if (!saved) {
        show(
          ctx,
          { url: null, profile },
          () => "Not logged in.\n",
          () => [],
        );
        return;
      }
      // The local token is forgotten whatever the server says: a logout must always log out.
      removeSession(ctx.configDir, profile);
      if (saved.insecure) acceptAnyCertificate();
      const bp = createClient({
        baseUrl: saved.url,
        session: { token: saved.token, sessionId: saved.sessionId },
        fetch: httpFetch,
      });
      const discarded = await bp.DELETE(`${SESSIONS_PATH}/{sessionId}`, {
        params: { path: { sessionId: saved.sessionId } },
      });
      // A session that expired or was discarded already is as logged out as it gets.
      if (!discarded.ok && discarded.status !== 401 && discarded.status !== 404)
        throw failureError(discarded);
      show(
        ctx,
        { url: saved.url, profile },
        () => `Logged out of ${saved.url}.\n`,
        () => [],
      );
    });
}
