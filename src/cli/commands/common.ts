/** What the resource commands share: their output options and how they print. */
import { type Command, Option } from "commander";
import type { CliContext } from "../context.ts";
import { json } from "../output.ts";
import { integer } from "../parse.ts";

export const SIMPLE = "/ConfigurationManager/simple/v1/objects" as const;

/** --json: print the API's answer instead of text for people. */
export function withJson(command: Command): Command {
  return command.option("--json", "print the API's JSON answer");
}

/** The options of a change that runs as a job: --no-wait, --timeout and --json. */
export function asChange(command: Command): Command {
  return withJson(command)
    .option("--no-wait", "do not wait for the job: print its id and end")
    .addOption(
      new Option("--timeout <seconds>", "wait for the job at most this long").argParser(integer).default(600),
    );
}

export interface OutputOptions {
  json?: boolean;
}

/** Prints `value` as JSON with --json, else as `text` renders it. */
export function show<T>(ctx: CliContext, options: OutputOptions, value: T, text: (value: T) => string): void {
  ctx.out(options.json ? json(value) : text(value));
}

/** A paged list's note to the user, on stderr so the table stays clean: there is more to read. */
export function moreNote(ctx: CliContext, hasNext: boolean | undefined, next: string): void {
  if (hasNext) ctx.err(`More follow: run again with ${next}, or with --all.\n`);
}

/** Pages of a list read until the last one: the items, in order, and the first page's envelope. */
export async function readAll<T, P extends { data: T[]; hasNext: boolean }>(
  first: P,
  next: (last: T) => Promise<P>,
): Promise<P & { count: number }> {
  const data = [...first.data];
  let page = first;
  while (page.hasNext && page.data.length > 0) {
    page = await next(page.data.at(-1) as T);
    data.push(...page.data);
  }
  return { ...first, data, count: data.length, hasNext: false };
}
