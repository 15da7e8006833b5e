/** maintenance on|off|status: switch the storage system's maintenance mode (System Resource administrator). */
import type { Command } from "commander";
import { callApi, sessionAuthorization } from "../api.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { json } from "../output.ts";
import { requireSession } from "../session-file.ts";

export const MAINTENANCE_PATH = "/blockplane/v1/maintenance";

interface MaintenanceState {
  enabled: boolean;
  startTime?: string;
  retryAfterSeconds?: number;
  message?: string;
}

function describe(state: MaintenanceState): string {
  if (!state.enabled) return "Maintenance is off.\n";
  const lines = [`Maintenance is on since ${state.startTime}; requests are answered 503.`];
  if (state.retryAfterSeconds !== undefined) lines.push(`  Retry-After: ${state.retryAfterSeconds} s`);
  if (state.message !== undefined) lines.push(`  Message:     ${state.message}`);
  return `${lines.join("\n")}\n`;
}

export function maintenanceCommands(program: Command, ctx: CliContext): void {
  const api = (method: string, body?: unknown) => {
    const saved = requireSession(ctx.configDir);
    return callApi<MaintenanceState>(
      { url: saved.url, authorization: sessionAuthorization(saved.token), insecure: saved.insecure },
      method,
      MAINTENANCE_PATH,
      body,
    );
  };
  const print = (state: MaintenanceState, asJson: boolean | undefined) =>
    ctx.out(asJson ? json(state) : describe(state));

  const maintenance = program
    .command("maintenance")
    .description("switch maintenance mode: requests that need the array answer 503 meanwhile");

  maintenance
    .command("on")
    .description("start maintenance (or change its Retry-After and message)")
    .option("--retry-after <seconds>", "the Retry-After answered meanwhile (1-86400)")
    .option("--message <text>", "added to the 503 answers' message")
    .option("--json", "print the API's JSON answer")
    .action(async (options: { retryAfter?: string; message?: string; json?: boolean }) => {
      const body: { retryAfterSeconds?: number; message?: string } = {};
      if (options.retryAfter !== undefined) {
        const n = Number(options.retryAfter);
        if (!/^\d+$/.test(options.retryAfter) || n < 1 || n > 86_400) {
          throw new UsageError(`--retry-after must be a whole number of seconds from 1 to 86400.`);
        }
        body.retryAfterSeconds = n;
      }
      if (options.message !== undefined) body.message = options.message;
      print(await api("PUT", body), options.json);
    });

  maintenance
    .command("off")
    .description("end maintenance")
    .option("--json", "print the API's JSON answer")
    .action(async (options: { json?: boolean }) => print(await api("DELETE"), options.json));

  maintenance
    .command("status")
    .description("show whether maintenance is on")
    .option("--json", "print the API's JSON answer")
    .action(async (options: { json?: boolean }) => print(await api("GET"), options.json));
}
