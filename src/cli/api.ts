/** A small JSON client of the Blockplane API over fetch; an error answer becomes an ApiError. */
import { ApiError } from "./errors.ts";

export const SESSIONS_PATH = "/ConfigurationManager/simple/v1/objects/sessions";
export const USERS_PATH = "/blockplane/v1/users";

interface ErrorBody {
  message?: string;
  solution?: string;
  messageId?: string;
}

export interface ApiOptions {
  url: string;
  /** The Authorization header's value. */
  authorization: string;
  /** Accept a certificate that does not verify. */
  insecure?: boolean;
}

export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

export function sessionAuthorization(token: string): string {
  return `Session ${token}`;
}

/** The base URL without a trailing slash; a usage mistake (no scheme) is caught by the caller. */
export function normaliseUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new TypeError("the URL must be http:// or https://");
  return url.toString().replace(/\/+$/, "");
}

export async function callApi<T>(
  options: ApiOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  if (options.insecure) acceptAnyCertificate();
  const headers: Record<string, string> = {
    accept: "application/json",
    authorization: options.authorization,
  };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`${options.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    const hint =
      /certificate/i.test(cause) && !options.insecure ? " (log in with --insecure to accept it)" : "";
    throw new ApiError(`Cannot reach ${options.url}: ${cause}${hint}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const e = (parsed ?? {}) as ErrorBody;
    const message = e.message ?? `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(message, response.status, parsed);
  }
  return parsed as T;
}

/**
 * fetch has no per-request switch for certificate checks, so the process turns them off (it runs
 * one command and ends), and drops Node's warning about it: the user asked for it with --insecure.
 */
export function acceptAnyCertificate(): void {
  if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === "0") return;
  const others = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.message.includes("NODE_TLS_REJECT_UNAUTHORIZED")) return;
    for (const listener of others) listener(warning);
  });
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
}
