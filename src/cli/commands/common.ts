/** What the resource commands share: the options of changes, and how results are printed. */
import { type Command, Option } from "commander";
import type { CliContext } from "../context.ts";
import { idLines, serialise } from "../output.ts";
import { integer } from "../parse.ts";

export const SIMPLE = "/ConfigurationManager/simple/v1/objects" as const;

/** The options of a change that runs as a job: --no-wait and --timeout. */
export function asChange(command: Command): Command {
  return command
    .option("--no-wait", "do not wait for the job: print its id and end")
    .addOption(
      new Option("--timeout <seconds>", "wait for the job at most this long (then exit 124; it goes on)")
        .argParser(integer)
        .default(600),
    );
}

/** The IDs of a list's items (their `id`), for --quiet. */
export function listIds(value: unknown): (string | number)[] {
  const data = (value as { data?: unknown }).data;
  if (!Array.isArray(data)) return [];
  return data.flatMap((item) => {
    const id = (item as { id?: unknown }).id;
    return typeof id === "string" || typeof id === "number" ? [id] : [];
  });
}

/**
 * Prints a result as the output mode says: the API's answer as JSON or YAML, `text` for people, or
 * with --quiet only `ids` (a list's item IDs unless told otherwise; a single resource prints none).
 */
export function show<T>(
  ctx: CliContext,
  value: T,
  text: (value: T) => string,
  ids: (value: T) => readonly (string | number)[] = listIds,
): void {
  if (ctx.output.quiet) ctx.out(idLines(ids(value)));
  else if (ctx.output.format === "table") ctx.out(text(value));
  else ctx.out(serialise(value, ctx.output.format));
}

/** True when results are printed for programs (JSON, YAML or IDs): notes for people are left out. */
export function forPrograms(ctx: CliContext): boolean {
  return ctx.output.quiet || ctx.output.format !== "table";
}

/**
 * A paged list's note to the user, on stderr so the table stays clean: there is more to read. Left
 * out for JSON and YAML, whose hasNext says it; kept with --quiet, whose IDs alone cannot.
 */
export function moreNote(ctx: CliContext, hasNext: boolean | undefined, next: string): void {
  if (hasNext && (ctx.output.quiet || ctx.output.format === "table")) {
    ctx.err(`More follow: run again with ${next}, or with --all.\n`);
  }
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
