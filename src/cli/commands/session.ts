/** login and logout: create a session with Basic credentials and save it; discard it. */
import type { Command } from "commander";
import { basicAuthorization, callApi, normaliseUrl, SESSIONS_PATH, sessionAuthorization } from "../api.ts";
import type { CliContext } from "../context.ts";
import { ApiError, UsageError } from "../errors.ts";
import { readSecret } from "../prompt.ts";
import { readSession, removeSession, saveSession } from "../session-file.ts";

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
      const created = await callApi<{ token: string; sessionId: number }>(
        { url, authorization: basicAuthorization(options.user, password), insecure },
        "POST",
        SESSIONS_PATH,
      );
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
      try {
        await callApi(
          { url: saved.url, authorization: sessionAuthorization(saved.token), insecure: saved.insecure },
          "DELETE",
          `${SESSIONS_PATH}/${saved.sessionId}`,
        );
      } catch (err) {
        // A session that expired or was discarded already is as logged out as it gets.
        if (!(err instanceof ApiError && (err.status === 401 || err.status === 404))) throw err;
      }
      ctx.out(`Logged out of ${saved.url}.\n`);
    });
}
