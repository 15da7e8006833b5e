/** maintenance on|off|status: switch the storage system's maintenance mode (System Resource administrator). */
import type { Command } from "commander";
import type { Answer, RequestBody } from "../../client/index.ts";
import { check, connect } from "../client.ts";
import type { CliContext } from "../context.ts";
import {
  integerIn,
  MAINTENANCE_MESSAGE_LENGTH,
  MAINTENANCE_RETRY_AFTER,
  rangeText,
  textIn,
} from "../limits.ts";
import { show } from "./common.ts";

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

export function maintenanceCommands(program: Command, ctx: CliContext): void {
  const maintenance = program
    .command("maintenance")
    .description("switch maintenance mode: requests that need the array answer 503 meanwhile");

  maintenance
    .command("on")
    .description("start maintenance (or change its Retry-After and message)")
    .option(
      "--retry-after <seconds>",
      `the Retry-After answered meanwhile (${rangeText(MAINTENANCE_RETRY_AFTER)})`,
      integerIn(MAINTENANCE_RETRY_AFTER),
    )
    .option(
      "--message <text>",
      `added to the 503 answers' message (${rangeText(MAINTENANCE_MESSAGE_LENGTH)} characters)`,
      textIn(MAINTENANCE_MESSAGE_LENGTH),
    )
    .action(async (options: { retryAfter?: number; message?: string }) => {
      const body: MaintenanceSettings = {};
      if (options.retryAfter !== undefined) body.retryAfterSeconds = options.retryAfter;
      if (options.message !== undefined) body.message = options.message;
      show(ctx, check(await connect(ctx).PUT(MAINTENANCE, { body })), describe);
    });

  maintenance
    .command("off")
    .description("end maintenance")
    .action(async () => {
      show(ctx, check(await connect(ctx).DELETE(MAINTENANCE)), describe);
    });

  maintenance
    .command("status")
    .description("show whether maintenance is on")
    .action(async () => {
      show(ctx, check(await connect(ctx).GET(MAINTENANCE)), describe);
    });
}
