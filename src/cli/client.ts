/**
 * The commands' side of the SDK: a client over the saved login, answers turned into output or into
 * the error that sets the exit code, and changes run to their end (waiting for their jobs, with a
 * progress bar on a terminal).
 */
import {
  type BlockplaneClient,
  type Completed,
  createClient,
  createdIds,
  type ErrorBody,
  type Failure,
  isPartial,
  jobIdOf,
  type Result,
} from "../client/index.ts";
import type { CliContext } from "./context.ts";
import { settingsOf, target } from "./credentials.ts";
import { ApiError, type CliError, INTERRUPTED, PartialSuccess, TIMED_OUT, WaitStopped } from "./errors.ts";
import { httpFetch } from "./http-fetch.ts";
import { idLines, LONG_LIST, plural, serialise } from "./output.ts";
import { type Progress, progressBar } from "./progress.ts";
import { acceptAnyCertificate } from "./server-url.ts";
import { type SavedSession, saveSession } from "./session-file.ts";
import { commandLine } from "./settings.ts";

interface Connection {
  bp: BlockplaneClient;
  url: string;
  user: string | undefined;
  insecure: boolean;
  saved: SavedSession | undefined;
}

const clients = new WeakMap<CliContext, Connection>();

/**
 * The SDK client of the profile's login (one per command run). When the saved session has ended,
 * or there is none, it logs in for the profile's user if a password can be found (credentials.ts),
 * and the new session is saved when the command ends.
 */
export function connect(ctx: CliContext): BlockplaneClient {
  const known = clients.get(ctx);
  if (known) return known.bp;
  const to = target(ctx);
  if (to.insecure) acceptAnyCertificate();
  const bp = createClient({
    baseUrl: to.url,
    ...(to.session ? { session: { token: to.session.token, sessionId: to.session.sessionId } } : {}),
    ...(to.user !== undefined && to.password !== undefined ? { user: to.user, password: to.password } : {}),
    fetch: httpFetch,
    // A 503 with Retry-After is waited out, and the user told why the command pauses.
    maxRetryDelayMs: 30_000,
    onRetry: (r) =>
      ctx.err(
        `blockplane: ${r.message ?? "The server is busy."} Trying again in ${Math.ceil(r.delayMs / 1000)} s.\n`,
      ),
  });
  clients.set(ctx, { bp, url: to.url, user: to.user, insecure: to.insecure, saved: to.session });
  return bp;
}

/** Saves the session a command created or renewed, so the next command uses it. */
export function keepRenewedSession(ctx: CliContext): void {
  const known = clients.get(ctx);
  if (!known || known.user === undefined) return;
  const current = known.bp.currentSession();
  if (!current || current.token === known.saved?.token) return;
  saveSession(ctx.configDir, settingsOf(ctx).profile, {
    url: known.url,
    user: known.user,
    token: current.token,
    sessionId: current.sessionId,
    ...(known.insecure ? { insecure: true } : {}),
  });
}

/** The data of a successful answer; the error to exit with otherwise. */
export function check<T>(result: Result<T>): T {
  if (result.ok) return result.data;
  throw failureError(result);
}

/** Exit 3 when a multi-resource operation did part of its work, 1 for any other failure. */
export function failureError(failure: Failure): CliError {
  const text = describeFailure(failure);
  return isPartial(failure) ? new PartialSuccess(text, failure) : new ApiError(text, failure.status, failure);
}

function ssb(code: { SSB1: string; SSB2: string } | undefined): string {
  return code ? ` (SSB1 ${code.SSB1}, SSB2 ${code.SSB2})` : "";
}

function describeError(e: ErrorBody): string {
  return `${e.errorSource}: ${e.message} [${e.messageId}]${ssb(e.errorCode)}`;
}

/** The failure as lines for stderr: the message, every error, and what was done all the same. */
export function describeFailure(f: Failure): string {
  const lines: string[] = [];
  const failedJobs = f.failedJobs ?? [];
  if (failedJobs.length > 0) {
    // One command-status per resource: each failed one, then what the others did.
    lines.push(f.message);
    lines.push(`${failedJobs.length} item(s) failed:`);
    for (const job of failedJobs) {
      const where = job.errorResource ? ` (${job.errorResource})` : "";
      lines.push(`  - job ${job.id}: ${job.errorMessage ?? "failed"}${where}${ssb(job.errorCode)}`);
    }
  } else if (f.job) {
    const where = f.job.errorResource ? ` (${f.job.errorResource})` : "";
    lines.push(`Job ${f.job.id} failed: ${f.message}${where}${ssb(f.job.errorCode)}`);
  } else {
    lines.push(f.error ? `${f.message} [${f.error.messageId}]${ssb(f.error.errorCode)}` : f.message);
  }
  const errors = f.errorResponses ?? [];
  if (errors.length > 0) {
    lines.push(`${errors.length} item(s) failed:`);
    for (const e of errors) lines.push(`  - ${describeError(e)}`);
  }
  const done = f.partialSuccessResponses ?? [];
  if (done.length > 0) {
    lines.push(`${done.length} item(s) done:`);
    for (const d of done) lines.push(`  - ${describeDone(d)}`);
  }
  return lines.join("\n");
}

function describeDone(item: unknown): string {
  const details = (
    item as { operationDetails?: { operationType: string; resourceType: string; resourceId: string }[] }
  ).operationDetails;
  if (Array.isArray(details))
    return details.map((d) => `${d.operationType} ${d.resourceType} ${d.resourceId}`).join(", ");
  return JSON.stringify(item);
}

const VERBS: Record<string, string> = { CREATE: "Created", UPDATE: "Updated", DELETE: "Deleted" };

/**
 * "Created Volume 100 101." — one sentence per kind of change, in the order they were made; a long
 * list of IDs ("Created 1000 Volumes:") has one ID a line instead.
 */
export function summary(done: Pick<Completed, "operationDetails">): string {
  const groups: { verb: string; type: string; ids: string[] }[] = [];
  for (const d of done.operationDetails) {
    const verb = VERBS[d.operationType] ?? d.operationType;
    const last = groups.at(-1);
    if (last?.verb === verb && last.type === d.resourceType) last.ids.push(d.resourceId);
    else groups.push({ verb, type: d.resourceType, ids: [d.resourceId] });
  }
  if (groups.length === 0) return "Done.\n";
  return groups
    .map((g) =>
      g.ids.length > LONG_LIST
        ? `${g.verb} ${g.ids.length} ${plural(g.type, g.ids.length)}:\n${g.ids.map((id) => `  ${id}\n`).join("")}`
        : `${g.verb} ${g.type} ${g.ids.join(" ")}.\n`,
    )
    .join("");
}

export interface ChangeOptions {
  /** Wait for the job to complete (the default); false prints the statusResource and ends. */
  wait?: boolean;
  /** Seconds to wait for the job at most. */
  timeout?: number;
}

type ChangeAnswer =
  | { statusResource: string }
  | { statusResource: string }[]
  | Completed
  | Completed["jobs"][number];

/** The job IDs of a 202 answer (none for a synchronous one). */
function jobIdsOf(answer: unknown): number[] {
  return [answer]
    .flat()
    .filter(
      (a): a is { statusResource: string } => typeof a === "object" && a !== null && "statusResource" in a,
    )
    .map((a) => jobIdOf(a));
}

/** The command that waits again for jobs a wait left running. */
export function waitCommand(ctx: CliContext, ids: number[]): string {
  return commandLine(ctx.settings, `jobs wait ${ids.join(" ")}`);
}

/**
 * Ctrl-C while a change is sent or waited for: the first stops the wait (the jobs go on, and the
 * command says how to wait for them again); a second ends the process at once, as Ctrl-C usually does.
 */
async function interruptible<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once("SIGINT", onInterrupt);
  try {
    return await run(interrupt.signal);
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}

/**
 * Waits for the jobs of an answer until they complete, `timeout` runs out, or `interrupt` aborts
 * (Ctrl-C, even before the answer came). The last two leave the jobs running on the server and end
 * the command with the command that waits for them again (exit 124 or 130).
 */
async function waitFor(
  ctx: CliContext,
  answer: Result<ChangeAnswer>,
  label: string,
  options: ChangeOptions,
  interrupt: AbortSignal,
  items = false,
): Promise<Result<Completed>> {
  const bp = connect(ctx);
  const ids = answer.ok ? jobIdsOf(answer.data) : [];
  const bar: Progress = ctx.output.quiet
    ? { update() {}, items() {}, stop() {} }
    : progressBar(process.stderr, label);
  try {
    const result = await bp.run(answer as Parameters<BlockplaneClient["run"]>[0], {
      onProgress: (s) => bar.update(s),
      ...(items ? { onItems: (n: number, total: number) => bar.items(n, total) } : {}),
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
      signal: interrupt,
    });
    if (!result.ok && result.status === 0 && result.job && result.job.progress !== "completed") {
      const goOn = ids.length > 0 ? ids : [result.job.id];
      const still = `${jobsText(goOn)} ${goOn.length === 1 ? "is" : "are"} still ${result.job.progress} after ${options.timeout ?? 600} s`;
      throw stopped(ctx, `${still}: ${goOnText(goOn)}`, goOn, TIMED_OUT);
    }
    return result;
  } catch (err) {
    if (!interrupt.aborted) throw err;
    throw stopped(ctx, `Interrupted: ${goOnText(ids)}`, ids, INTERRUPTED);
  } finally {
    bar.stop();
  }
}

function jobsText(ids: number[]): string {
  return `${ids.length === 1 ? "Job" : "Jobs"} ${ids.join(" ")}`;
}

function goOnText(ids: number[]): string {
  return ids.length === 1
    ? `job ${ids[0]} goes on on the server.`
    : `jobs ${ids.join(" ")} go on on the server.`;
}

function stopped(ctx: CliContext, what: string, ids: number[], exitCode: 124 | 130): WaitStopped {
  const command = waitCommand(ctx, ids);
  return new WaitStopped(
    `${what} Wait for ${ids.length === 1 ? "it" : "them"} with: ${command}`,
    ids,
    command,
    exitCode,
  );
}

/** Prints a result for programs (JSON or YAML) when that is the output asked for; true if it did. */
function printedForPrograms(ctx: CliContext, value: unknown): boolean {
  if (ctx.output.quiet || ctx.output.format === "table") return false;
  ctx.out(serialise(value, ctx.output.format));
  return true;
}

/**
 * Runs a change to its end and prints what it did: the command-status with --output json or yaml,
 * the IDs of what it created with --quiet, else a summary (or `describe`'s own words). A failed
 * job, or a failure answer, becomes the error to exit with; for programs the failed job's
 * command-status is printed first.
 */
export async function perform(
  ctx: CliContext,
  pending: Promise<Result<unknown>>,
  options: ChangeOptions,
  describe: (done: Completed) => string = summary,
): Promise<Completed | undefined> {
  connect(ctx);
  return interruptible(async (interrupt) => {
    const answer = (await pending) as Result<ChangeAnswer>;
    if (options.wait === false) {
      const accepted = check(answer);
      if (ctx.output.quiet) ctx.out(idLines(jobIdsOf(accepted)));
      else if (!printedForPrograms(ctx, accepted)) ctx.out(acceptedText(ctx, accepted));
      return undefined;
    }
    return finish(ctx, await waitFor(ctx, answer, "waiting for the job", options, interrupt, true), describe);
  });
}

/** Prints what a change waited for did, or throws the error it ended with. */
function finish(
  ctx: CliContext,
  result: Result<Completed>,
  describe: (done: Completed) => string,
): Completed {
  if (!result.ok) {
    const failed = result.failedJobs ?? result.job;
    const error: CliError = failureError(result);
    if (failed) error.shown = printedForPrograms(ctx, failed);
    throw error;
  }
  const done = result.data;
  if (ctx.output.quiet) {
    ctx.out(idLines(createdIds(done)));
  } else {
    const { jobs, ...execution } = done;
    if (!printedForPrograms(ctx, jobs.length === 1 ? jobs[0] : jobs.length === 0 ? execution : done)) {
      ctx.out(describe(done));
    }
  }
  return done;
}

function acceptedText(ctx: CliContext, accepted: ChangeAnswer): string {
  const ids = jobIdsOf(accepted);
  if (ids.length === 0) return summary(accepted as Completed);
  if (ids.length > LONG_LIST) {
    return `Accepted: ${ids.length} jobs (${waitCommand(ctx, ids)}):\n${ids.map((id) => `  ${id}\n`).join("")}`;
  }
  return ids.map((id) => `Accepted: job ${id} (${waitCommand(ctx, [id])}).\n`).join("");
}

/**
 * The same change on several resources, one after another (`volumes delete 1 2 3`): each runs to
 * its end; the failures are reported together, and exit 3 if some items succeeded, 1 if none did.
 */
export async function performEach<T>(
  ctx: CliContext,
  items: T[],
  label: (item: T) => string,
  request: (item: T) => Promise<Result<unknown>>,
  options: ChangeOptions,
): Promise<void> {
  if (items.length === 1) {
    await perform(ctx, request(items[0] as T), options);
    return;
  }
  connect(ctx);
  await interruptible((interrupt) => each(ctx, items, label, request, options, interrupt));
}

async function each<T>(
  ctx: CliContext,
  items: T[],
  label: (item: T) => string,
  request: (item: T) => Promise<Result<unknown>>,
  options: ChangeOptions,
  interrupt: AbortSignal,
): Promise<void> {
  const outputs: unknown[] = [];
  const failures: string[] = [];
  let succeeded = 0;
  for (const [index, item] of items.entries()) {
    const answer = (await request(item)) as Result<ChangeAnswer>;
    if (options.wait === false) {
      if (!answer.ok) failures.push(`${label(item)}: ${describeFailure(answer)}`);
      else if (ctx.output.quiet) ctx.out(idLines(jobIdsOf(answer.data)));
      else if (ctx.output.format !== "table") outputs.push(answer.data);
      else ctx.out(acceptedText(ctx, answer.data));
      if (answer.ok) succeeded++;
      continue;
    }
    let result: Result<Completed>;
    try {
      result = await waitFor(ctx, answer, `${label(item)}:`, options, interrupt);
    } catch (err) {
      if (err instanceof WaitStopped && index < items.length - 1) {
        // The items after this one were never sent: say which, so that nobody assumes they were.
        err.message += `\nNot sent: ${items
          .slice(index + 1)
          .map(label)
          .join(", ")}.`;
      }
      throw err;
    }
    if (result.ok) {
      succeeded++;
      if (ctx.output.quiet) ctx.out(idLines(createdIds(result.data)));
      else if (ctx.output.format !== "table") outputs.push(result.data.jobs[0] ?? result.data);
      else ctx.out(summary(result.data));
    } else {
      if (result.job) outputs.push(result.job);
      failures.push(`${label(item)}: ${describeFailure(result)}`);
    }
  }
  const shown = printedForPrograms(ctx, outputs);
  if (failures.length === 0) return;
  const text = failures.join("\n");
  const error = succeeded > 0 ? new PartialSuccess(text) : new ApiError(text);
  error.shown = shown;
  throw error;
}
