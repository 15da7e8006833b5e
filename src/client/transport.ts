/**
 * The fetch every SDK request goes through. It adds the session (created with Basic credentials on
 * first use, then reused), renews it once when the server says the token is invalid (it expired,
 * or was discarded) and repeats the request, and waits out a 503 for as long as its Retry-After
 * says, a bounded number of times.
 */

const TOKEN_INVALID = "The specified token is invalid";
export const SESSIONS_PATH = "/ConfigurationManager/v1/objects/sessions";

export type FetchFn = (request: Request) => Promise<Response>;

export interface Session {
  token: string;
  sessionId: number;
}

/** A password, or what finds one when a session has to be created (asks a person, runs a helper). */
export type PasswordSource = string | (() => string | Promise<string>);

export interface TransportOptions {
  baseUrl: string;
  user?: string;
  password?: PasswordSource;
  /** A session to use at first (one saved by `blockplane login`, say). */
  session?: Session;
  /** Idle timeout of the sessions this client creates, in seconds (1-300). */
  aliveTime?: number;
  fetch: FetchFn;
  /** Most times a request answered 503 with Retry-After is sent again. */
  retries: number;
  /** Longest wait before one retry, whatever Retry-After says. */
  maxRetryDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Told of each retry before its wait: what the 503 said and how long the wait is. */
  onRetry?: (retry: RetryNotice) => void;
}

export interface RetryNotice {
  url: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** The message of the 503's error object. */
  message: string | undefined;
}

/** A request could not be sent, or got no answer. */
export class ConnectionError extends Error {}

export function basicAuthorization(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

export class Transport {
  private current: Session | undefined;
  private creating: Promise<Session | Response> | undefined;
  /** Whether this client created the current session (and so should discard it when closed). */
  private owned = false;
  /** The password once a source gave one, so that it is asked for once per client at most. */
  private password: string | undefined;

  constructor(private readonly options: TransportOptions) {
    this.current = options.session;
  }

  get session(): Session | undefined {
    return this.current;
  }

  get canLogIn(): boolean {
    return this.options.user !== undefined && this.options.password !== undefined;
  }

  /** The fetch given to openapi-fetch. */
  readonly fetch: FetchFn = async (request) => {
    // A request that brings its own Authorization (creating a session with Basic) is sent as is.
    if (request.headers.has("authorization")) return this.withRetries(request);
    // Without a session or the means to create one, the server's 401 tells the caller what is missing.
    if (!this.current && !this.canLogIn) return this.withRetries(request);
    const session = await this.ensureSession();
    if (session instanceof Response) return session;
    const answer = await this.withRetries(authorised(request, session));
    if (answer.status !== 401 || !this.canLogIn || !(await saysTokenInvalid(answer))) return answer;
    // The session expired or was discarded: log in again, once, and repeat the request.
    const renewed = await this.renew(session);
    if (renewed instanceof Response) return renewed;
    return this.withRetries(authorised(request, renewed));
  };

  /** The current session, created if there is none; an error answer when creating it failed. */
  async ensureSession(): Promise<Session | Response> {
    if (this.current) return this.current;
    if (!this.canLogIn) throw new Error("There is no session, and no user and password to create one.");
    // Requests made at the same time share one login (and each gets its own copy of a refusal).
    this.creating ??= this.createSession().finally(() => {
      this.creating = undefined;
    });
    const created = await this.creating;
    return created instanceof Response ? created.clone() : created;
  }

  /** Replaces `stale` by a new session, unless another request did so already. */
  private renew(stale: Session): Promise<Session | Response> {
    if (this.current?.token === stale.token) this.current = undefined;
    return this.ensureSession();
  }

  private async createSession(): Promise<Session | Response> {
    const { baseUrl, user, aliveTime } = this.options;
    const source = this.options.password as PasswordSource;
    const password = this.password ?? (typeof source === "function" ? await source() : source);
    const request = new Request(`${baseUrl}${SESSIONS_PATH}`, {
      method: "POST",
      headers: {
        accept: "application/json",
        authorization: basicAuthorization(user as string, password),
        ...(aliveTime !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(aliveTime !== undefined ? { body: JSON.stringify({ aliveTime }) } : {}),
    });
    const answer = await this.withRetries(request);
    if (!answer.ok) return answer;
    this.password = password;
    const created = (await answer.json()) as Session;
    this.current = { token: created.token, sessionId: created.sessionId };
    this.owned = true;
    return this.current;
  }

  /** Discards the session if this client created it; a session given to it is left alone. */
  async close(): Promise<void> {
    const session = this.current;
    if (!session || !this.owned) return;
    this.current = undefined;
    this.owned = false;
    const request = new Request(`${this.options.baseUrl}${SESSIONS_PATH}/${session.sessionId}`, {
      method: "DELETE",
      headers: { accept: "application/json", authorization: `Session ${session.token}` },
    });
    try {
      await this.send(request);
    } catch {
      // The server is gone: the session dies with it, or expires.
    }
  }

  /** Sends the request, and again after Retry-After while it answers 503 (a bounded number of times). */
  private async withRetries(request: Request): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.send(request.clone());
      if (answer.status !== 503 || attempt >= this.options.retries) return answer;
      const delay = retryDelayMs(answer);
      const body = (await bodyOf(answer)) as
        | { message?: unknown; partialSuccessResponses?: unknown }
        | undefined;
      // Without Retry-After the server gave no sign it will recover soon; a multi-resource 503 has
      // done part of the work already, and sending it again would do that part twice.
      if (delay === undefined || body?.partialSuccessResponses !== undefined) return answer;
      await answer.body?.cancel();
      const delayMs = Math.min(delay, this.options.maxRetryDelayMs);
      this.options.onRetry?.({
        url: request.url,
        attempt: attempt + 1,
        delayMs,
        message: typeof body?.message === "string" ? body.message : undefined,
      });
      await this.options.sleep(delayMs);
    }
  }

  private async send(request: Request): Promise<Response> {
    try {
      return await this.options.fetch(request);
    } catch (err) {
      throw new ConnectionError((err as Error).message, { cause: err });
    }
  }
}

function authorised(request: Request, session: Session): Request {
  const copy = request.clone();
  copy.headers.set("authorization", `Session ${session.token}`);
  return copy;
}

function retryDelayMs(answer: Response): number | undefined {
  const header = answer.headers.get("retry-after");
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function bodyOf(answer: Response): Promise<unknown> {
  try {
    return await answer.clone().json();
  } catch {
    return undefined;
  }
}

async function saysTokenInvalid(answer: Response): Promise<boolean> {
  const body = (await bodyOf(answer)) as { message?: unknown } | undefined;
  return typeof body?.message === "string" && body.message.includes(TOKEN_INVALID);
}
