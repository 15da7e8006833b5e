/**
 * The HTTP server: the contract (negotiation, authentication, validation, errors) applied to every
 * route, the OpenAPI document, and the routes of each resource.
 */
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv } from "ajv";
import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from "fastify";
import type { Config } from "../config.ts";
import type { Device } from "../device/port.ts";
import type { AccountsService } from "../services/accounts.ts";
import type { JobsService } from "../services/jobs.ts";
import { authenticate } from "./contract/auth.ts";
import { errorHandler, notFoundHandler } from "./contract/errors.ts";
import { checkAccept, registerJsonParsing } from "./contract/negotiation.ts";
import { ROUTES } from "./routes/index.ts";

export interface AppDeps {
  config: Config;
  accounts: AccountsService;
  jobs: JobsService;
  device: Device;
  now: () => number;
}

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export const OPENAPI_PATH = "/blockplane/v1/openapi.json";
export const DOCS_PATH = "/blockplane/v1/docs";

/**
 * Bodies are validated strictly (no type coercion, no unknown fields); query strings and path
 * parameters arrive as text and are coerced to the declared types.
 */
function validatorCompiler() {
  const common = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const;
  const strictAjv = new Ajv({ ...common, coerceTypes: false });
  const coercingAjv = new Ajv({ ...common, coerceTypes: "array" });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === "body" ? strictAjv : coercingAjv).compile(schema);
}

export async function buildApp(deps: AppDeps, logger: FastifyBaseLogger | boolean = false): Promise<App> {
  const { config } = deps;
  const https = config.tls
    ? { key: fs.readFileSync(config.tls.key), cert: fs.readFileSync(config.tls.cert) }
    : undefined;
  const app = Fastify({
    ...(https ? { https } : {}),
    ...(typeof logger === "boolean" ? { logger } : { loggerInstance: logger }),
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.decorateRequest("principal", undefined);
  registerJsonParsing(app);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("X-Request-Id", request.id);
    checkAccept(request);
    // Unknown URLs answer 404 whoever asks; the documentation pages are public.
    if (request.is404 || request.url.startsWith(DOCS_PATH)) return;
    await authenticate(request, deps.accounts);
  });

  await app.register(swagger, {
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
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PATH, uiConfig: { docExpansion: "list" } });
  app.get(OPENAPI_PATH, { schema: { hide: true }, config: { auth: "none" } }, async () => app.swagger());

  for (const register of ROUTES) register(app, deps);
  return app;
}
