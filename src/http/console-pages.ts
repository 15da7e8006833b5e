/**
 * The web console (docs/console.md): static files the build makes in dist/console (scripts/build.mjs),
 * served by the API's own app. `GET /` answers the console's page to a browser (a request whose
 * Accept names text/html) and the API's JSON 404 to every other client; `GET /console/*` answers
 * the page's scripts and styles. None of them needs a session: the page holds no data, and every
 * call it makes to the API carries the session its user logs in to.
 *
 * The files are read once, at their first request, and kept in memory with their ETag (a hash of
 * their content): an asset's name carries its hash, so it may be cached for good; the page itself
 * is revalidated at each load. Every answer carries a Content-Security-Policy that lets the page
 * load and call only this server.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { App } from "./app.ts";
import { namesMediaRange } from "./contract/negotiation.ts";

export const CONSOLE_PREFIX = "/console";

/** Only this server: scripts, styles, images and API calls; no frames, no plug-ins, no inline code. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Whether a route's URL is one of the console's (left out of the API's route catalog). */
export function isConsolePage(url: string): boolean {
  return url === "/" || url === CONSOLE_PREFIX || url.startsWith(`${CONSOLE_PREFIX}/`);
}

/**
 * Where the build put the console: beside the server's bundle (dist/server.cjs → dist/console), or,
 * for the sources run as they are (tests), the checkout's dist/console.
 */
export function defaultConsoleDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, "console"), path.resolve(here, "../../dist/console")];
  return candidates.find((dir) => fs.existsSync(path.join(dir, "index.html"))) ?? (candidates[0] as string);
}

function readFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!fs.existsSync(dir)) return files;
  for (const name of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const full = path.join(dir, name);
    if (!fs.statSync(full).isFile()) continue;
    const type = TYPES[path.extname(name)];
    if (type === undefined) continue;
    const body = fs.readFileSync(full);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    files.set(name.split(path.sep).join("/"), { body, type, etag });
  }
  return files;
}

/** Whether If-None-Match names the file's ETag (or is "*"). */
function fresh(request: FastifyRequest, etag: string): boolean {
  const header = request.headers["if-none-match"];
  if (typeof header !== "string") return false;
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === etag || t === "*");
}

/** A browser's request: its Accept names text/html itself (curl's and the API clients' do not). */
function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === "string" && namesMediaRange(accept, ["text/html"]);
}

const NOT_BUILT = Buffer.from(
  "<!doctype html><meta charset=utf-8><title>Blockplane</title>" +
    "<p>The console is not built: run <code>npm run build</code>, then reload this page.</p>\n",
);

export interface ConsolePagesOptions {
  /** Where the built console is; defaultConsoleDir() otherwise. */
  dir?: string;
}

export function registerConsolePages(app: App, options: ConsolePagesOptions = {}): void {
  let files: Map<string, StaticFile> | undefined;
  const load = () => {
    files ??= readFiles(options.dir ?? defaultConsoleDir());
    return files;
  };

  const send = (request: FastifyRequest, reply: FastifyReply, file: StaticFile, cache: string) => {
    reply
      .header("Content-Security-Policy", CONSOLE_CSP)
      .header("X-Content-Type-Options", "nosniff")
      .header("Referrer-Policy", "no-referrer")
      .header("Cache-Control", cache)
      .header("ETag", file.etag);
    if (fresh(request, file.etag)) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };

  const route = { schema: { hide: true }, config: { auth: "none" as const, ownMediaTypes: true } };

  app.get("/", route, async (request, reply) => {
    // An API client asking for JSON gets the API's 404, as for any URL that is not the API's.
    if (!acceptsHtml(request)) return reply.callNotFound();
    const page = load().get("index.html");
    if (!page) {
      return reply
        .code(503)
        .header("Content-Security-Policy", CONSOLE_CSP)
        .header("Cache-Control", "no-store")
        .type(TYPES[".html"] as string)
        .send(NOT_BUILT);
    }
    return send(request, reply, page, "no-cache");
  });

  app.get(`${CONSOLE_PREFIX}/*`, route, async (request, reply) => {
    const name = (request.params as { "*": string })["*"];
    const file = name === "index.html" ? undefined : load().get(name);
    if (!file) return reply.callNotFound();
    // Names carry their content's hash: a new build is new names, so a copy never goes stale.
    return send(request, reply, file, "public, max-age=31536000, immutable");
  });
}
