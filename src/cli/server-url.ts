/** Where the CLI connects: the server's base URL, and whether its certificate is checked. */

/** The base URL without a trailing slash; a usage mistake (no scheme) is caught by the caller. */
export function normaliseUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new TypeError("the URL must be http:// or https://");
  return url.toString().replace(/\/+$/, "");
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
