/**
 * The SDK's requests sent with node:http(s) rather than Node's fetch, for the CLI.
 *
 * A command runs one or a few requests and ends. Node 20's fetch compiles its HTTP parser
 * (WebAssembly) at the first connection, and the process waits for that compilation's later tiers
 * before it can exit: over 0.15 s of every command, ten times the request itself. node:http parses
 * natively. The request and the answer stay the fetch API's Request and Response, as the SDK
 * expects; the answer's body is read whole (the API's answers are JSON documents).
 *
 * Certificate checks follow NODE_TLS_REJECT_UNAUTHORIZED, as fetch's do (server-url.ts). A
 * failure rejects as fetch rejects: a TypeError whose cause is the network error, or the signal's
 * reason when the request was aborted.
 */
import http from "node:http";
import https from "node:https";
import type { FetchFn } from "../client/index.ts";

/** Statuses whose answer has no body, which Response refuses to be given one. */
const NO_BODY = new Set([101, 204, 205, 304]);

export const httpFetch: FetchFn = async (request) => {
  const url = new URL(request.url);
  const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (body !== undefined) headers["content-length"] = String(body.length);
  const client = url.protocol === "https:" ? https : http;
  return new Promise<Response>((resolve, reject) => {
    const failed = (err: unknown) =>
      reject(request.signal.aborted ? request.signal.reason : new TypeError("fetch failed", { cause: err }));
    const req = client.request(url, { method: request.method, headers, signal: request.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", failed);
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of [value ?? []].flat()) answerHeaders.append(name, v);
        }
        const empty = NO_BODY.has(status) || request.method === "HEAD";
        resolve(
          new Response(empty ? null : Buffer.concat(chunks), {
            status,
            statusText: res.statusMessage ?? "",
            headers: answerHeaders,
          }),
        );
      });
    });
    req.on("error", failed);
    req.end(body);
  });
};
