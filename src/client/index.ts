/**
 * The Blockplane SDK: a typed client of every route of the API, generated from the OpenAPI document
 * the server serves (schema.d.ts), over openapi-fetch. On top of the generated types it handles
 * sessions (created with Basic credentials, reused, renewed when they expire), waits for
 * asynchronous operations, waits out 503 answers that carry Retry-After, and answers every call
 * with a Result: `{ ok: true, data }` or `{ ok: false, status, message, error?, errorResponses?,
 * partialSuccessResponses? }`.
 *
 *   const bp = createClient({ baseUrl: "http://127.0.0.1:8080", user: "admin", password });
 *   const made = await bp.run(bp.POST("/ConfigurationManager/simple/v1/objects/volumes", {
 *     body: { poolId: 0, capacity: 1024, number: 2 },
 *   }));
 *   if (made.ok) console.log(createdIds(made.data));
 *   await bp.close();
 */
import createFetchClient, {
  type Client,
  type ClientPathsWithMethod,
  type FetchResponse,
  type MaybeOptionalInit,
} from "openapi-fetch";
import { COMMAND_STATUS_PATH, type JobRef, type WaitOptions, waitForJob } from "./jobs.ts";
import {
  type CommandStatus,
  type ExecutionResult,
  type Failure,
  failureOf,
  type Result,
  unreachable,
} from "./result.ts";
import type { paths } from "./schema.d.ts";
import {
  ConnectionError,
  type FetchFn,
  type PasswordSource,
  type RetryNotice,
  type Session,
  Transport,
} from "./transport.ts";

export type { JobRef, WaitOptions } from "./jobs.ts";
export { jobIdOf } from "./jobs.ts";
export type { CommandStatus, ErrorBody, ExecutionResult, Failure, Result, Success } from "./result.ts";
export { isPartial } from "./result.ts";
export type { paths } from "./schema.d.ts";
export type { FetchFn, PasswordSource, RetryNotice, Session } from "./transport.ts";

export const SIMPLE = "/ConfigurationManager/simple/v1/objects";

/** The JSON body of a route's answer with `status`. */
export type Answer<
  P extends keyof paths,
  M extends keyof paths[P],
  S extends number = 200,
> = paths[P][M] extends {
  responses: { [K in S]: { content: { "application/json": infer T } } };
}
  ? T
  : never;

/** The JSON body a route takes. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer T } };
}
  ? T
  : never;

type S = typeof SIMPLE;
export type Storage = Answer<`${S}/storage`, "get">;
export type HealthStatus = Answer<`${S}/health-status`, "get">;
export type Pool = Answer<`${S}/pools/{id}`, "get">;
export type Drive = Answer<`${S}/drives/{location}`, "get">;
export type Volume = Answer<`${S}/volumes`, "get">["data"][number];
export type VolumeDetail = Answer<`${S}/volumes/{id}`, "get">;
export type Server = Answer<`${S}/servers`, "get">["data"][number];
export type ServerDetail = Answer<`${S}/servers/{id}`, "get">;
export type Hba = Answer<`${S}/servers/{id}/hbas/{hba}`, "get">;
export type ServerPath = Answer<`${S}/servers/{id}/paths/{pathId}`, "get">;
export type Port = Answer<`${S}/ports/{portId}`, "get">;
export type Connection = Answer<`${S}/volume-server-connections/{id}`, "get">;
export type Snapshot = Answer<`${S}/snapshots/{id}`, "get">;
export type SnapshotGroup = Answer<`${S}/snapshot-groups/{name}`, "get">;
export type User = Answer<"/blockplane/v1/users/{id}", "get">;

export interface ClientOptions {
  /** Where the server is, e.g. "https://array.example:443" (the paths start at /ConfigurationManager). */
  baseUrl: string;
  /**
   * Credentials to create sessions with, and to create a new one when a session expires. The
   * password may be a function, called only when a session is to be created (to ask for it then).
   */
  user?: string;
  password?: PasswordSource;
  /** A session to start with, e.g. one saved by `blockplane login`. Without credentials it cannot be renewed. */
  session?: Session;
  /** Idle timeout of the sessions the client creates, in seconds (1-300; the server's default is 300). */
  aliveTime?: number;
  /** The fetch to send requests with (globalThis.fetch by default). */
  fetch?: FetchFn;
  /** How often a request answered 503 with Retry-After is sent again (default 3). */
  retries?: number;
  /** The longest wait before one retry, whatever Retry-After says (default 60 s). */
  maxRetryDelayMs?: number;
  /** How to wait (setTimeout by default): tests record the waits instead. */
  sleep?: (ms: number) => Promise<void>;
  /** Told of each retry of a 503 before its wait (to say why a call pauses). */
  onRetry?: (retry: RetryNotice) => void;
}

/** What an operation did, once done: from a synchronous 200, or from its jobs' command-statuses. */
export interface Completed extends ExecutionResult {
  /** The command-statuses of the jobs waited for (none for a synchronous change). */
  jobs: CommandStatus[];
}

type Verb = "get" | "put" | "post" | "patch" | "delete";
/** The keys of T that are not optional (as openapi-fetch decides whether `init` is required). */
type RequiredKeysOf<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T];
type InitArgs<I> =
  RequiredKeysOf<I> extends never ? [(I & { [key: string]: unknown })?] : [I & { [key: string]: unknown }];
type Api = Client<paths, "application/json">;

/** A typed call of the routes with method `M` answering a Result. */
export type ResultMethod<M extends Verb> = <
  P extends ClientPathsWithMethod<Api, M>,
  I extends MaybeOptionalInit<paths[P], M>,
>(
  url: P,
  ...init: InitArgs<I>
) => Promise<Result<SuccessData<paths[P][M], I>>>;

/** The data of an operation's successful answer (the constraint is openapi-fetch's). */
type SuccessData<Op, I> =
  // biome-ignore lint/suspicious/noExplicitAny: openapi-fetch's own constraint on an operation
  Op extends Record<string | number, any>
    ? NonNullable<FetchResponse<Op, I, "application/json">["data"]>
    : never;

/** An answer of a change: 202 with one or several statusResources, or 200 with what was done. */
type ChangeAnswer = { statusResource: string } | { statusResource: string }[] | ExecutionResult;

export interface BlockplaneClient {
  readonly baseUrl: string;
  /** The openapi-fetch client underneath, for raw answers (`{ data, error, response }`). */
  readonly api: Api;
  GET: ResultMethod<"get">;
  PUT: ResultMethod<"put">;
  POST: ResultMethod<"post">;
  PATCH: ResultMethod<"patch">;
  DELETE: ResultMethod<"delete">;
  /** Polls a command-status until it completes: ok when its status is normal. */
  waitForJob(ref: JobRef, options?: WaitOptions): Promise<Result<CommandStatus>>;
  /**
   * Completes a change: waits for the jobs of a 202 answer, or takes a 200 answer as it is.
   * A job that fails is a Failure carrying its command-status (and, over several resources,
   * errorResponses and partialSuccessResponses).
   */
  run(
    answer: Result<ChangeAnswer> | Promise<Result<ChangeAnswer>>,
    options?: WaitOptions,
  ): Promise<Result<Completed>>;
  /** The current session, created if there is none yet. */
  session(): Promise<Result<Session>>;
  /** The session requests go with now, if any; creates none (a renewed one, to save it, say). */
  currentSession(): Session | undefined;
  /** Discards the session this client created (a session it was given is left alone). */
  close(): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createClient(options: ClientOptions): BlockplaneClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const sleep = options.sleep ?? realSleep;
  const transport = new Transport({
    baseUrl,
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.session ? { session: options.session } : {}),
    ...(options.aliveTime !== undefined ? { aliveTime: options.aliveTime } : {}),
    fetch: options.fetch ?? ((request) => fetch(request)),
    retries: options.retries ?? 3,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
    sleep,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  const api = createFetchClient<paths, "application/json">({
    baseUrl,
    fetch: transport.fetch,
    headers: { accept: "application/json" },
  });

  /** Turns openapi-fetch's answer into a Result; a request that got no answer is a failure too. */
  const settle = async (pending: Promise<{ data?: unknown; error?: unknown; response: Response }>) => {
    try {
      const { data, error, response } = await pending;
      return response.ok ? { ok: true as const, status: response.status, data } : failureOf(response, error);
    } catch (err) {
      if (err instanceof ConnectionError) return unreachable(baseUrl, err.cause ?? err);
      throw err;
    }
  };
  const method = <M extends Verb>(name: Uppercase<M>): ResultMethod<M> =>
    // biome-ignore lint/suspicious/noExplicitAny: forwards the typed arguments unchanged
    ((url: string, ...init: any[]) => settle((api[name] as any)(url, ...init))) as ResultMethod<M>;

  const readStatus = (id: number) =>
    settle(api.GET(`${COMMAND_STATUS_PATH}/{id}`, { params: { path: { id } } })) as Promise<
      Result<CommandStatus>
    >;

  const client: BlockplaneClient = {
    baseUrl,
    api,
    GET: method("GET"),
    PUT: method("PUT"),
    POST: method("POST"),
    PATCH: method("PATCH"),
    DELETE: method("DELETE"),
    waitForJob: (ref, waitOptions = {}) => waitForJob(readStatus, ref, waitOptions, sleep),
    async run(pending, waitOptions = {}) {
      const answer = await pending;
      if (!answer.ok) return answer;
      const data = answer.data;
      if (!Array.isArray(data) && !("statusResource" in data)) {
        return { ok: true, status: answer.status, data: { ...data, jobs: [] } };
      }
      const refs = [data].flat();
      if (refs.length === 1) {
        const job = await client.waitForJob(refs[0] as JobRef, waitOptions);
        if (!job.ok) return job;
        const { affectedResources = [], operationDetails = [] } = job.data;
        return {
          ok: true,
          status: answer.status,
          data: { affectedResources, operationDetails, jobs: [job.data] },
        };
      }
      return waitForEvery(client, refs, answer.status, waitOptions);
    },
    async session() {
      try {
        const session = await transport.ensureSession();
        if (!(session instanceof Response)) return { ok: true, status: 200, data: session };
        return failureOf(session, await session.json().catch(() => undefined));
      } catch (err) {
        if (err instanceof ConnectionError) return unreachable(baseUrl, err.cause ?? err);
        throw err;
      }
    },
    currentSession: () => transport.session,
    close: () => transport.close(),
  };
  return client;
}

/** Statuses read at once while the items of a multi-resource operation are waited for. */
const ITEM_READS = 8;

/**
 * Waits for every command-status of a multi-resource answer (one per resource). The items of one
 * job complete together, so after the first the others answer at their first read. Succeeds when
 * every item did; otherwise fails with every failed item's status and what the others did.
 */
async function waitForEvery(
  client: BlockplaneClient,
  refs: JobRef[],
  status: number,
  options: WaitOptions,
): Promise<Result<Completed>> {
  const results = new Array<Result<CommandStatus>>(refs.length);
  let next = 0;
  let completed = 0;
  const worker = async () => {
    while (next < refs.length) {
      const i = next++;
      results[i] = await client.waitForJob(refs[i] as JobRef, options);
      options.onItems?.(++completed, refs.length);
    }
  };
  // The first alone, so that polling a running job costs one reader, not eight.
  if (refs.length > 0) {
    results[0] = await client.waitForJob(refs[0] as JobRef, options);
    options.onItems?.(++completed, refs.length);
    next = 1;
  }
  await Promise.all(Array.from({ length: Math.min(ITEM_READS, refs.length - 1) }, worker));
  const done: Completed = { affectedResources: [], operationDetails: [], jobs: [] };
  const failed: Failure[] = [];
  const items: ExecutionResult[] = [];
  for (const r of results) {
    if (!r.ok) {
      failed.push(r);
      if (r.job) done.jobs.push(r.job);
      continue;
    }
    const { affectedResources = [], operationDetails = [] } = r.data;
    done.jobs.push(r.data);
    done.affectedResources.push(...affectedResources);
    done.operationDetails.push(...operationDetails);
    items.push({ affectedResources, operationDetails });
  }
  const first = failed[0];
  if (!first) return { ok: true, status, data: done };
  const failedJobs = failed.flatMap((f) => (f.job ? [f.job] : []));
  return {
    ...first,
    message:
      failed.length === 1
        ? first.message
        : `${failed.length} of ${refs.length} items failed; the first: ${first.message}`,
    failedJobs,
    partialSuccessResponses: items,
  };
}

/** The IDs of the resources an operation created, e.g. the new volumes' IDs, in order. */
export function createdIds(done: ExecutionResult, resourceType?: string): string[] {
  return done.operationDetails
    .filter(
      (d) => d.operationType === "CREATE" && (resourceType === undefined || d.resourceType === resourceType),
    )
    .map((d) => d.resourceId);
}
