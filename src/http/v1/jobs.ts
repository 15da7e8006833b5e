/**
 * The full API's jobs: a view of the same job rows the simple face's command-status reads. Every
 * asynchronous v1 change answers 202 with its job; `GET jobs/{jobId}` reads it again. A client that
 * sends `Response-Job-Status: Completed;` (Cinder does on every change) has the answer held until
 * the job completes or `Response-Max-Wait` seconds pass, then gets the job as it stands. The wait
 * reads the job's row, the truth of where it stands, so a job that another instance runs, or that
 * restarts after a crash, is answered alike.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Static, Type } from "typebox";
import { InvalidRequest } from "../../domain/errors.ts";
import { hasPermission } from "../../domain/roles.ts";
import type { AccountsService } from "../../services/accounts.ts";
import type { JobDetails, JobRequest, JobsService } from "../../services/jobs.ts";
import type { AppDeps } from "../app.ts";
import { principalOf } from "../contract/auth.ts";
import { errorBody } from "../contract/errors.ts";
import { ErrorBodySchema, errorResponses, IntId, type RouteModule } from "../routes/common.ts";
import { objectsPrefixOf, v1Forms, v1ResourceOf } from "./contract.ts";

/** How long an answer is held when the client asks for completion without a Response-Max-Wait. */
export const DEFAULT_MAX_WAIT_S = 300;
/** The longest hold: a larger Response-Max-Wait is served as this. */
export const MAX_WAIT_S = 3600;
/** Polls of a held job's row start this often and slow down to the maximum. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 200;

export const JobSchema = Type.Object({
  jobId: Type.Integer(),
  self: Type.String(),
  userId: Type.String({ description: "the name of the user who started the job" }),
  status: Type.Union([Type.Literal("Initializing"), Type.Literal("Running"), Type.Literal("Completed")]),
  state: Type.Union([
    Type.Literal("Queued"),
    Type.Literal("Started"),
    Type.Literal("StartedWithErrors"),
    Type.Literal("Succeeded"),
    Type.Literal("Failed"),
    Type.Literal("Unknown"),
  ]),
  createdTime: Type.String(),
  updatedTime: Type.String(),
  completedTime: Type.Optional(Type.String({ description: "present once completed" })),
  request: Type.Object({
    requestUrl: Type.String(),
    requestMethod: Type.String(),
    requestBody: Type.String({ description: "the request's body as JSON text; empty without one" }),
  }),
  affectedResources: Type.Array(Type.String()),
  error: Type.Optional(ErrorBodySchema),
});
export type V1Job = Static<typeof JobSchema>;

/** What a client asked of the answer to a change: to hold it until the job completes, how long. */
export interface JobWait {
  maxWaitMs: number;
}

/**
 * The wait a change's request asks for (undefined: answer at once), read before anything is done
 * so that a malformed header leaves the array untouched.
 */
export function jobWaitOf(request: FastifyRequest): JobWait | undefined {
  const status = request.headers["response-job-status"];
  const maxWait = request.headers["response-max-wait"];
  if (status === undefined) return undefined;
  if (typeof status !== "string" || !/^\s*completed\s*;?\s*$/i.test(status)) {
    throw new InvalidRequest(
      `The Response-Job-Status header "${String(status)}" is invalid: the one value served is "Completed;".`,
    );
  }
  if (maxWait === undefined) return { maxWaitMs: DEFAULT_MAX_WAIT_S * 1000 };
  if (typeof maxWait !== "string" || !/^\s*\d{1,9}\s*$/.test(maxWait)) {
    throw new InvalidRequest(
      `The Response-Max-Wait header "${String(maxWait)}" is invalid: give the seconds to wait as a whole number.`,
    );
  }
  return { maxWaitMs: Math.min(Number(maxWait), MAX_WAIT_S) * 1000 };
}

/** The time format of the v1 face: RFC 3339 in UTC, to the second. */
function timeOf(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `status` and `state` of the v1 job from the row's progress and outcome. */
function stageOf(job: JobDetails): Pick<V1Job, "status" | "state"> {
  if (job.progress === "unexecuted") return { status: "Initializing", state: "Queued" };
  if (job.progress === "processing") return { status: "Running", state: "Started" };
  return { status: "Completed", state: job.status === "normal" ? "Succeeded" : "Failed" };
}

/** The v1 job object of a job row, its resources named as the v1 face names them. */
export function toV1Job(job: JobDetails, userName: string): V1Job {
  const request: JobRequest = job.request ?? { method: "", url: "", body: undefined };
  const prefix = objectsPrefixOf(request.url);
  const body: V1Job = {
    jobId: job.id,
    self: `${prefix}/jobs/${job.id}`,
    userId: userName,
    ...stageOf(job),
    createdTime: timeOf(job.createdAt),
    updatedTime: timeOf(job.updatedAt),
    request: {
      requestUrl: request.url,
      requestMethod: request.method,
      requestBody: request.body === undefined || request.body === null ? "" : JSON.stringify(request.body),
    },
    affectedResources: job.done.flatMap((d) => d.affectedResources).map((u) => v1ResourceOf(u, prefix)),
  };
  if (job.progress === "completed") body.completedTime = timeOf(job.updatedAt);
  const lead = job.failures[0];
  if (lead) body.error = errorBody(lead.error, v1ResourceOf(lead.resource, prefix));
  return body;
}

/** The wait each change's request asked for, read by the v1 contract before the request is validated. */
const waits = new WeakMap<FastifyRequest, JobWait>();

/** Reads and keeps the wait of a change's request (a preValidation step of every v1 change). */
export async function readJobWait(request: FastifyRequest): Promise<void> {
  const wait = jobWaitOf(request);
  if (wait) waits.set(request, wait);
}

/** The request as a job records it: its method, its path and query, its body. */
export function jobRequestOf(request: FastifyRequest): JobRequest {
  return { method: request.method, url: request.url, body: request.body ?? null };
}

/** Answers the jobs of the v1 face: at once, or held until they complete (see jobWaitOf). */
export class V1Jobs {
  private closing = false;
  /** The pauses of held answers between two reads, each woken by close(). */
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly jobs: JobsService,
    private readonly accounts: AccountsService,
  ) {}

  /** Queues a job of `kind` for the request's user and answers it as the request asked (accepted). */
  async start(request: FastifyRequest, reply: FastifyReply, kind: string, params: unknown) {
    const user = principalOf(request).user.id;
    const jobId = await this.jobs.enqueue(kind, params, user, jobRequestOf(request));
    return this.accepted(request, reply, jobId);
  }

  /** Held answers stop waiting: the server is shutting down and answers each job as it stands. */
  close(): void {
    this.closing = true;
    for (const wake of this.sleepers) wake();
  }

  /** Waits `ms`, or until the server closes. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** The name of the job's user, as the caller may learn it. */
  private async userName(job: JobDetails, request: FastifyRequest): Promise<string> {
    const caller = principalOf(request).user;
    if (job.userId === null) return "";
    if (job.userId === caller.id) return caller.name;
    return this.accounts.getUser(job.userId).then(
      (u) => u.name,
      () => "",
    );
  }

  async render(job: JobDetails, request: FastifyRequest): Promise<V1Job> {
    return toV1Job(job, await this.userName(job, request));
  }

  /** 202 with job `jobId`, which the request started, after the wait it asked for. */
  async accepted(request: FastifyRequest, reply: FastifyReply, jobId: number) {
    const wait = waits.get(request);
    let job = await this.jobs.details(jobId, undefined);
    if (wait) {
      const deadline = Date.now() + wait.maxWaitMs;
      let pause = FIRST_POLL_MS;
      while (job.progress !== "completed" && !this.closing && Date.now() < deadline) {
        await this.pause(Math.min(pause, deadline - Date.now()));
        // Closing, the job is answered as last read: the store may be closing too.
        if (this.closing) break;
        pause = Math.min(pause * 2, MAX_POLL_MS);
        job = await this.jobs.details(jobId, undefined);
      }
    }
    return reply.code(202).send(await this.render(job, request));
  }
}

export function jobRoutes(v1Jobs: V1Jobs): RouteModule {
  return (app, { jobs }: AppDeps) => {
    const tags = ["v1 jobs"];
    for (const { url, params } of v1Forms("/jobs/:jobId", { jobId: IntId(1, Number.MAX_SAFE_INTEGER) })) {
      app.get(
        url,
        {
          schema: {
            tags,
            summary: "Get a job of the full API: the progress and outcome of an asynchronous change",
            params,
            response: { 200: JobSchema, ...errorResponses() },
          },
        },
        async (request) => {
          const { user } = principalOf(request);
          // Each user reads the jobs they started; a Security Administrator reads every job.
          const scope = hasPermission(user.roles, "security") ? undefined : user.id;
          return v1Jobs.render(await jobs.details(request.params.jobId, scope), request);
        },
      );
    }
  };
}
