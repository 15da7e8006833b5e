/** maintenance on|off|status: switch the storage system's maintenance mode (System Resource administrator). */
import type { Command } from "commander";
import type { Answer, RequestBody } from "../../client/index.ts";
import { check, connect } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { type OutputOptions, show, withJson } from "./common.ts";

// These routes need no array, so they answer during maintenance: `on`, `status` and `off` work
// through it like any other call of the SDK.
const MAINTENANCE = "/blockplane/v1/maintenance";

type MaintenanceState = Answer<typeof MAINTENANCE, "get">;
type MaintenanceSettings = NonNullable<RequestBody<typeof MAINTENANCE, "put">>;

function describe(state: MaintenanceState): string {
  if (!state.enabled) return "Maintenance is off.\n";
  const lines = [`Maintenance is on since ${state.startTime}; requests are answered 503.`];
  if (state.retryAfterSeconds !== undefined) lines.push(`  Retry-After: ${state.retryAfterSeconds} s`);
  if (state.message !== undefined) lines.push(`  Message:     ${state.message}`);
  return `${lines.join("\n")}\n`;
}

/** --retry-after as the API takes it: whole seconds within the range the server accepts. */
function retryAfterSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 86_400) {
    throw new UsageError("--retry-after must be a whole number of seconds from 1 to 86400.");
  }
  return n;
}

export function maintenanceCommands(program: Command, ctx: CliContext): void {
  const maintenance = program
    .command("maintenance")
    .description("switch maintenance mode: requests that need the array answer 503 meanwhile");

  withJson(
    maintenance
      .command("on")
      .description("start maintenance (or change its Retry-After and message)")
      .option("--retry-after <seconds>", "the Retry-After answered meanwhile (1-86400)")
      .option("--message <text>", "added to the 503 answers' message"),
  ).action(async (options: OutputOptions & { retryAfter?: string; message?: string }) => {
    const body: MaintenanceSettings = {};
    if (options.retryAfter !== undefined) body.retryAfterSeconds = retryAfterSeconds(options.retryAfter);
    if (options.message !== undefined) body.message = options.message;
    show(ctx, options, check(await connect(ctx).PUT(MAINTENANCE, { body })), describe);
  });

  withJson(maintenance.command("off").description("end maintenance")).action(
    async (options: OutputOptions) => {
      show(ctx, options, check(await connect(ctx).DELETE(MAINTENANCE)), describe);
    },
  );

  withJson(maintenance.command("status").description("show whether maintenance is on")).action(
    async (options: OutputOptions) => {
      show(ctx, options, check(await connect(ctx).GET(MAINTENANCE)), describe);
    },
  );
}
