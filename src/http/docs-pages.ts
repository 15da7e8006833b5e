/**
 * The browsable documentation pages (swagger-ui), loaded on their first request.
 *
 * swagger-ui and the static file server under it cost more than a tenth of a second to load and
 * register, for pages a server may never be asked for. So the API's own app holds two routes that
 * cover the pages' paths; the first request under them builds a small Fastify app of the pages alone
 * (swagger-ui over the API's OpenAPI document, as @fastify/swagger's static mode serves a finished
 * document), and every request is answered by it, in-process. A path the pages do not serve gets the
 * API's own 404, as before.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { App } from "./app.ts";

/** Headers of the pages' answer that the API's own reply sets for itself. */
const OWN_HEADERS = new Set(["content-length", "connection", "keep-alive", "date", "transfer-encoding"]);

/** How the pages' app hands an error it met to the API's reply: its status, code and message. */
const ERROR_HEADER = "x-blockplane-docs-error";

interface PassedError {
  statusCode?: number;
  code?: string;
  message: string;
}

export interface DocsPagesOptions {
  /** Where the pages live, e.g. /blockplane/v1/docs. */
  prefix: string;
  /** The options of the API's router, so that paths match there as they do in the API. */
  routerOptions: object;
}

export function registerDocsPages(app: App, options: DocsPagesOptions): void {
  let pages: Promise<FastifyInstance> | undefined;
  const load = () => {
    pages ??= buildPages(app, options).catch((err) => {
      pages = undefined; // tried again at the next request
      throw err;
    });
    return pages;
  };
  // Only GET routes: a HEAD is answered by the GET route, with its headers and without its body.
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const answer = await (await load()).inject({ method: "GET", url: request.url, headers: request.headers });
    const failed = answer.headers[ERROR_HEADER];
    if (typeof failed === "string") {
      const { message, ...rest } = JSON.parse(failed) as PassedError;
      throw Object.assign(new Error(message), rest);
    }
    if (answer.statusCode === 404) return reply.callNotFound();
    reply.code(answer.statusCode);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!OWN_HEADERS.has(name) && value !== undefined) reply.header(name, value);
    }
    return answer.rawPayload.length === 0 ? reply.send() : reply.send(answer.rawPayload);
  };
  const route = { schema: { hide: true }, config: { auth: "none" as const } };
  app.get(options.prefix, route, serve);
  app.get(`${options.prefix}/*`, route, serve);
}

async function buildPages(app: App, options: DocsPagesOptions): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
    import("fastify"),
    import("@fastify/swagger"),
    import("@fastify/swagger-ui"),
  ]);
  const pages = Fastify({ logger: false, routerOptions: options.routerOptions });
  pages.setErrorHandler((err: FastifyError, _request, reply) => {
    const passed: PassedError = { statusCode: err.statusCode, code: err.code, message: err.message };
    return reply.code(500).header(ERROR_HEADER, JSON.stringify(passed)).send();
  });
  await pages.register(swagger, {
    mode: "static",
    specification: { document: (await app.openapi()) as never },
  });
  await pages.register(swaggerUi, { routePrefix: options.prefix, uiConfig: { docExpansion: "list" } });
  await pages.ready();
  return pages;
}
