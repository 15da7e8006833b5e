/**
 * The API's OpenAPI document, made at its first use rather than at every start.
 *
 * @fastify/swagger makes the document from the routes it sees declared. Registered on the API's app,
 * it would load at every start (itself, its schema resolver, a YAML library) and hook every route
 * while they are declared, for a document that most starts never serve. Instead the app keeps each
 * route's declaration as swagger would have seen it, and the first call declares them again on a
 * Fastify app of its own, with swagger and with no validator or serializer built, and keeps what
 * swagger makes of them, finished by openapi-document.ts.
 */
import Fastify, { type FastifyInstance, type FastifySchema, type RouteOptions } from "fastify";
import type { RouteEntry } from "./app.ts";
import { finishDocument } from "./openapi-document.ts";

/** What of a route's declaration the document is made from. */
type Declaration = Pick<RouteOptions, "method" | "url" | "schema" | "config" | "constraints">;

export interface OpenApiSourceOptions {
  /** The schemas the routes refer to by id (`app.addSchema`). */
  sharedSchemas: readonly object[];
  /** The API app's router options, so that its routes declare alike a second time. */
  routerOptions: object;
  /** The API's route catalog, which the finishing reads (roles, asynchronous operations). */
  catalog: RouteEntry[];
}

/**
 * Keeps every route declared on `app` from now on (after the hooks added before, which may still
 * change a declaration) and answers the function that makes the document from them, once.
 */
export function openApiSource(app: FastifyInstance, options: OpenApiSourceOptions): () => Promise<object> {
  const declared: Declaration[] = [];
  app.addHook("onRoute", (route) => {
    const { method, url, schema, config, constraints } = route;
    declared.push({ method, url, schema, config, constraints });
  });
  let made: Promise<object> | undefined;
  return () => {
    made ??= makeDocument(declared, options).catch((err: unknown) => {
      made = undefined;
      throw err;
    });
    return made;
  };
}

async function makeDocument(declared: Declaration[], options: OpenApiSourceOptions): Promise<object> {
  const { default: swagger } = await import("@fastify/swagger");
  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    routerOptions: options.routerOptions,
  });
  try {
    // The document's app answers no request: its routes need no validator or serializer built.
    app.setValidatorCompiler(() => () => true);
    app.setSerializerCompiler(() => JSON.stringify);
    for (const schema of options.sharedSchemas) app.addSchema(schema);
    await app.register(swagger, {
      // Shared schemas appear in the document under their own ids (ErrorBody, PartialFailure).
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
      openapi: {
        openapi: "3.1.0",
        info: {
          title: "Blockplane storage management API",
          version: "1.0.0",
          description:
            "The management REST API of a block storage system: pools, volumes, servers, ports, " +
            "volume-server connections, snapshots and asynchronous jobs.",
        },
        components: {
          securitySchemes: {
            session: { type: "apiKey", in: "header", name: "Authorization", description: "Session <token>" },
            basic: { type: "http", scheme: "basic" },
          },
        },
        security: [{ session: [] }],
      },
      transformObject: (documentObject) =>
        finishDocument((documentObject as { openapiObject: object }).openapiObject, options.catalog),
    });
    for (const route of declared) {
      app.route({ ...route, schema: route.schema as FastifySchema, handler: async () => undefined });
    }
    await app.ready();
    return app.swagger() as object;
  } finally {
    await app.close();
  }
}
