/**
 * The commands' side of the SDK: a client over the saved login, answers turned into output or into
 * the error that sets the exit code, and changes run to their end (waiting for their jobs, with a
 * progress bar on a terminal).
 */
import {
  type BlockplaneClient,
  type Completed,
  createClient,
  type ErrorBody,
  type Failure,
  isPartial,
  type Result,
} from "../client/index.ts";
import type { CliContext } from "./context.ts";
import { ApiError, PartialSuccess } from "./errors.ts";
import { httpFetch } from "./http-fetch.ts";
import { json } from "./output.ts";
import { progressBar } from "./progress.ts";
import { acceptAnyCertificate } from "./server-url.ts";
import { requireSession, type SavedSession, saveSession } from "./session-file.ts";

const clients = new WeakMap<CliContext, { bp: BlockplaneClient; saved: SavedSession }>();

/**
 * The SDK client of the saved login (one per command run). With $BLOCKPLANE_PASSWORD set, an
 * expired session is renewed for the saved user, and the new token is saved when the command ends.
 */
export function connect(ctx: CliContext): BlockplaneClient {
  const known = clients.get(ctx);
  if (known) return known.bp;
  const saved = requireSession(ctx.configDir);
  if (saved.insecure) acceptAnyCertificate();
  const password = ctx.env.BLOCKPLANE_PASSWORD;
  const bp = createClient({
    baseUrl: saved.url,
    session: { token: saved.token, sessionId: saved.sessionId },
    ...(password ? { user: saved.user, password } : {}),
    fetch: httpFetch,
    // A 503 with Retry-After is waited out, and the user told why the command pauses.
    maxRetryDelayMs: 30_000,
    onRetry: (r) =>
      ctx.err(
        `blockplane: ${r.message ?? "The server is busy."} Trying again in ${Math.ceil(r.delayMs / 1000)} s.\n`,
      ),
  });
  clients.set(ctx, { bp, saved });
  return bp;
}

/** Saves the session a command renewed, so the next command uses it. */
export async function keepRenewedSession(ctx: CliContext): Promise<void> {
  const known = clients.get(ctx);
  if (!known) return;
  const current = await known.bp.session().catch(() => undefined);
  if (current?.ok && current.data.token !== known.saved.token) {
    saveSession(ctx.configDir, {
      ...known.saved,
      token: current.data.token,
      sessionId: current.data.sessionId,
    });
  }
}

/** The data of a successful answer; the error to exit with otherwise. */
export function check<T>(result: Result<T>): T {
  if (result.ok) return result.data;
  throw failureError(result);
}

/** Exit 3 when a multi-resource operation did part of its work, 1 for any other failure. */
export function failureError(failure: Failure): Error {
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
  if (f.failedJobs) {
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

/** "Created Volume 100, 101." — one sentence per kind of change, in the order they were made. */
export function summary(done: Pick<Completed, "operationDetails">): string {
  const groups: { key: string; ids: string[] }[] = [];
  for (const d of done.operationDetails) {
    const key = `${VERBS[d.operationType] ?? d.operationType} ${d.resourceType}`;
    const last = groups.at(-1);
    if (last?.key === key) last.ids.push(d.resourceId);
    else groups.push({ key, ids: [d.resourceId] });
  }
  if (groups.length === 0) return "Done.\n";
  return groups.map((g) => `${g.key} ${g.ids.join(" ")}.\n`).join("");
}

export interface ChangeOptions {
  /** Wait for the job to complete (the default); false prints the statusResource and ends. */
  wait?: boolean;
  json?: boolean;
  /** Seconds to wait for the job at most. */
  timeout?: number;
}

type ChangeAnswer =
  | { statusResource: string }
  | { statusResource: string }[]
  | Completed
  | Completed["jobs"][number];

/**
 * Runs a change to its end and prints what it did: the command-status with --json, else a summary
 * (or `describe`'s own words). A failed job, or a failure answer, becomes the error to exit with;
 * with --json the failed job's command-status is printed first, for scripts.
 */
export async function perform(
  ctx: CliContext,
  pending: Promise<Result<unknown>>,
  options: ChangeOptions,
  describe: (done: Completed) => string = summary,
): Promise<Completed | undefined> {
  const bp = connect(ctx);
  const answer = (await pending) as Result<ChangeAnswer>;
  if (options.wait === false) {
    const accepted = check(answer);
    ctx.out(options.json ? json(accepted) : acceptedText(accepted));
    return undefined;
  }
  const bar = progressBar(process.stderr, "waiting for the job");
  let result: Result<Completed>;
  try {
    result = await bp.run(answer as Parameters<BlockplaneClient["run"]>[0], {
      onProgress: (s) => bar.update(s),
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
    });
  } finally {
    bar.stop();
  }
  if (!result.ok) {
    const failed = result.failedJobs ?? result.job;
    if (options.json && failed) ctx.out(json(failed));
    throw failureError(result);
  }
  const done = result.data;
  if (options.json) {
    const { jobs, ...execution } = done;
    ctx.out(json(jobs.length === 1 ? jobs[0] : jobs.length === 0 ? execution : done));
  } else {
    ctx.out(describe(done));
  }
  return done;
}

function acceptedText(accepted: ChangeAnswer): string {
  const refs = [accepted].flat().filter((a): a is { statusResource: string } => "statusResource" in a);
  if (refs.length === 0) return summary(accepted as Completed);
  return refs
    .map(
      (r) =>
        `Accepted: job ${r.statusResource.split("/").pop()} (blockplane jobs wait ${r.statusResource.split("/").pop()}).\n`,
    )
    .join("");
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
  const bp = connect(ctx);
  const outputs: unknown[] = [];
  const failures: string[] = [];
  let succeeded = 0;
  for (const item of items) {
    const answer = (await request(item)) as Result<ChangeAnswer>;
    if (options.wait === false) {
      if (!answer.ok) failures.push(`${label(item)}: ${describeFailure(answer)}`);
      else if (options.json) outputs.push(answer.data);
      else ctx.out(acceptedText(answer.data));
      if (answer.ok) succeeded++;
      continue;
    }
    const bar = progressBar(process.stderr, `${label(item)}:`);
    const result = await bp
      .run(answer as Parameters<BlockplaneClient["run"]>[0], {
        onProgress: (s) => bar.update(s),
        onItems: (n, total) => bar.items(n, total),
        ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
      })
      .finally(() => bar.stop());
    if (result.ok) {
      succeeded++;
      if (options.json) outputs.push(result.data.jobs[0] ?? result.data);
      else ctx.out(summary(result.data));
    } else {
      if (options.json && result.job) outputs.push(result.job);
      failures.push(`${label(item)}: ${describeFailure(result)}`);
    }
  }
  if (options.json) ctx.out(json(outputs));
  if (failures.length === 0) return;
  const text = failures.join("\n");
  throw succeeded > 0 ? new PartialSuccess(text) : new ApiError(text);
}
