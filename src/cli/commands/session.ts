/** login and logout: create a session with Basic credentials and save it; discard it. */
import type { Command } from "commander";
import { createClient } from "../../client/index.ts";
import { failureError } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { httpFetch } from "../http-fetch.ts";
import { readSecret } from "../prompt.ts";
import { acceptAnyCertificate, normaliseUrl } from "../server-url.ts";
import { readSession, removeSession, saveSession } from "../session-file.ts";

const SESSIONS_PATH = "/ConfigurationManager/v1/objects/sessions";

interface LoginOptions {
  url: string;
  user: string;
  password?: string;
  insecure?: boolean;
}

export function sessionCommands(program: Command, ctx: CliContext): void {
  program
    .command("login")
    .description("create a session and save its token for the other commands")
    .requiredOption("--url <url>", "server base URL, e.g. https://array.example:443")
    .requiredOption("--user <name>", "user name")
    .option("--password <password>", "password (else $BLOCKPLANE_PASSWORD, else asked for)")
    .option("--insecure", "accept a server certificate that does not verify")
    .action(async (options: LoginOptions) => {
      let url: string;
      try {
        url = normaliseUrl(options.url);
      } catch (err) {
        throw new UsageError(`--url ${options.url} is not a valid http(s) URL: ${(err as Error).message}`);
      }
      const password = options.password ?? ctx.env.BLOCKPLANE_PASSWORD ?? (await readSecret("Password: "));
      if (password === "")
        throw new UsageError("A password is needed: --password, $BLOCKPLANE_PASSWORD or standard input.");
      const insecure = options.insecure === true;
      if (insecure) acceptAnyCertificate();
      const login = await createClient({
        baseUrl: url,
        user: options.user,
        password,
        fetch: httpFetch,
      }).session();
      if (!login.ok) {
        if (login.status === 0 && /certificate/i.test(login.message) && !insecure) {
          login.message += " (log in with --insecure to accept it)";
        }
        throw failureError(login);
      }
      const created = login.data;
      saveSession(ctx.configDir, {
        url,
        user: options.user,
        token: created.token,
        sessionId: created.sessionId,
        ...(insecure ? { insecure } : {}),
      });
      ctx.out(`Logged in to ${url} as ${options.user}.\n`);
    });

  program
    .command("logout")
    .description("discard the saved session on the server and forget it")
    .action(async () => {
      const saved = readSession(ctx.configDir);
      if (!saved) {
        ctx.out("Not logged in.\n");
        return;
      }
      // The local token is forgotten whatever the server says: a logout must always log out.
      removeSession(ctx.configDir);
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
      ctx.out(`Logged out of ${saved.url}.\n`);
    });
}
