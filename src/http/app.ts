/**
 * The HTTP server: the contract (negotiation, authentication, validation, errors) applied to every
 * route, the OpenAPI document, and the routes of each resource.
 */

import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv, type ValidateFunction } from "ajv";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifySchemaCompiler,
  type onSendHookHandler,
  type RawServerDefault,
} from "fastify";
import { Type } from "typebox";
import type { Config } from "../config.ts";
import type { FaultInjector } from "../device/faults.ts";
import type { Device } from "../device/port.ts";
import type { Permission } from "../domain/roles.ts";
import type { Metrics } from "../metrics.ts";
import type { AccountsService } from "../services/accounts.ts";
import type { ArrayStateService } from "../services/array-state.ts";
import type { JobsService } from "../services/jobs.ts";
import type { MaintenanceService } from "../services/maintenance.ts";
import type { Store } from "../store/db.ts";
import { isConsolePage, registerConsolePages } from "./console-pages.ts";
import { type AuthMode, accessOf } from "./contract/auth.ts";
import { ConnectionAnswers } from "./contract/connection.ts";
import { errorHandler } from "./contract/errors.ts";
import { registerGate } from "./contract/gate.ts";
import { registerJsonParsing } from "./contract/negotiation.ts";
import { requestIdOf } from "./contract/request-id.ts";
import { registerDocsPages } from "./docs-pages.ts";
import { registerDrain } from "./drain.ts";
import { LazySchemas } from "./lazy-schemas.ts";
import { registerObservability, requestLogger } from "./observability.ts";
import { openApiSource } from "./openapi-source.ts";
import { SHARED_SCHEMAS } from "./routes/common.ts";
import { registerFaultHooks } from "./routes/faults.ts";
import { ROUTES } from "./routes/index.ts";

export interface AppDeps {
  config: Config;
  accounts: AccountsService;
  jobs: JobsService;
  device: Device;
  now: () => number;
  maintenance: MaintenanceService;
  /** Present when fault injection is enabled (config `faults`). */
  faults: FaultInjector | undefined;
  store: Store;
  metrics: Metrics;
  arrayState: ArrayStateService;
}

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export const OPENAPI_PATH = "/blockplane/v1/openapi.json";
export const DOCS_PATH = "/blockplane/v1/docs";

/** One entry of the route catalog: what a route is and what it takes to call it. */
export interface RouteEntry {
  method: string;
  url: string;
  auth: AuthMode;
  /** The permission the route needs; absent on public routes. */
  permission: Permission | undefined;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Every route of the API (documentation routes left out), in registration order. */
    routeCatalog: RouteEntry[];
    /** The routes' validators and serializers, compiled on each route's first use. */
    schemas: LazySchemas;
    /** The API's OpenAPI document, made at the first call (openapi-source.ts). */
    openapi(): Promise<object>;
  }
}

const ROUTER_OPTIONS = { ignoreTrailingSlash: true, maxParamLength: 512 };

/** A query schema that admits no parameter: the default of a route that declares none. */
const NO_QUERY = Type.Object({}, { additionalProperties: false });

const DECIMAL = { integer: /^-?\d+$/, number: /^-?\d+(\.\d+)?$/ } as const;

type PropertySchema = { type?: unknown; items?: { type?: unknown } };

/** The properties of an object schema declared as numbers (or lists of numbers), with their form. */
function numericProperties(schema: object): [string, RegExp][] {
  const properties = (schema as { properties?: Record<string, PropertySchema> }).properties ?? {};
  return Object.entries(properties).flatMap(([name, p]) => {
    const type = p.type === "array" ? p.items?.type : p.type;
    return type === "integer" || type === "number" ? [[name, DECIMAL[type]] as [string, RegExp]] : [];
  });
}

/**
 * Query strings and path parameters arrive as text. Ajv's coercion takes any text that
 * JavaScript reads as a number ("0x10", "1e3", " 7"), but the API's numbers are plain decimals,
 * so numeric text is checked for that form before it is coerced.
 */
function decimalOnly(validate: ValidateFunction, numeric: [string, RegExp][]) {
  const check = (data: Record<string, unknown> | null) => {
    for (const [name, form] of numeric) {
      const value = data?.[name];
      const texts = Array.isArray(value) ? value : [value];
      if (texts.some((t) => typeof t === "string" && !form.test(t))) {
        check.errors = [
          {
            instancePath: `/${name}`,
            schemaPath: "",
            keyword: "type",
            params: {},
            message: "must be a decimal number",
          },
        ];
        return false;
      }
    }
    const ok = validate(data);
    check.errors = validate.errors;
    return ok;
  };
  check.errors = null as ValidateFunction["errors"];
  return check;
}

/** Whether a schema admits only an object without members, as NO_QUERY does. */
function admitsOnlyEmptyObject(schema: object): boolean {
  const s = schema as { type?: unknown; properties?: object; additionalProperties?: unknown };
  return (
    s.type === "object" &&
    s.additionalProperties === false &&
    Object.keys(s.properties ?? {}).length === 0 &&
    Object.keys(s).every((k) => k === "type" || k === "properties" || k === "additionalProperties")
  );
}

/** An object with no enumerable member, own or inherited: what `additionalProperties: false` admits. */
function isEmptyObject(data: unknown): boolean {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return false;
  for (const _ in data) return false;
  return true;
}

type Validate = ReturnType<FastifySchemaCompiler<object>> & { errors?: ValidateFunction["errors"] };

/**
 * The validator of a schema that admits only an empty object (the query of most routes, and of
 * the probes): an empty one passes without Ajv, anything else goes to the validator `compile`
 * makes at its first need, which refuses it with Ajv's own errors.
 */
function emptyOrCompiled(compile: () => Validate): Validate {
  let compiled: Validate | undefined;
  const validate = (data: unknown, dataContext?: unknown) => {
    if (isEmptyObject(data)) {
      validate.errors = null;
      return true;
    }
    compiled ??= compile();
    const ok = (compiled as (d: unknown, c?: unknown) => ReturnType<Validate>)(data, dataContext);
    validate.errors = compiled.errors;
    return ok;
  };
  validate.errors = null as ValidateFunction["errors"];
  return validate as Validate;
}

/**
 * Bodies are validated strictly (no type coercion, no unknown fields); query strings and path
 * parameters arrive as text and are coerced to the declared types.
 *
 * The schemas are not checked against JSON Schema's meta-schema as they compile: compiling the
 * meta-schema cost the first request of every start about 50 ms, to check schemas that are the
 * same on every run. test/api/lazy-start.test.ts checks them all instead.
 */
export function validatorCompiler(): FastifySchemaCompiler<object> {
  const common = {
    allErrors: false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    validateSchema: false,
  } as const;
  // Made at the first compilation, which is a route's first request (lazy-schemas.ts), not at start.
  let strictAjv: Ajv | undefined;
  let coercingAjv: Ajv | undefined;
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => {
    if (httpPart === "body") {
      strictAjv ??= new Ajv({ ...common, coerceTypes: false });
      return strictAjv.compile(schema);
    }
    const compile = () => {
      coercingAjv ??= new Ajv({ ...common, coerceTypes: "array" });
      const validate = coercingAjv.compile(schema);
      const numeric = numericProperties(schema);
      return numeric.length === 0 ? validate : decimalOnly(validate, numeric);
    };
    // Most routes take no query: their first request (the first probe of a start) needs no Ajv.
    return admitsOnlyEmptyObject(schema) ? emptyOrCompiled(compile) : compile();
  };
}

/** Routes of the documentation pages, which are public and not part of the API. */
function isDocumentation(url: string): boolean {
  return url === OPENAPI_PATH || url.startsWith(DOCS_PATH);
}

/** Marks a HEAD request that the router is to look up as a GET. */
const HEAD_REQUEST = Symbol("blockplane.headRequest");

type HeadMarked = IncomingMessage & { [HEAD_REQUEST]?: true };

/**
 * No route is registered for HEAD: each GET route serves it. A HEAD request is looked up as a GET
 * (Fastify's rewriteUrl, called with the raw request just before the router), and is a HEAD again
 * once its route is found (`headAgain`), so its hooks, logs, metrics and answer see HEAD. Node
 * decided when the request arrived that its answer has no body (the ServerResponse of a HEAD
 * request), so no body is written whatever the route sends.
 */
function lookUpHeadAsGet(req: HeadMarked): string {
  if (req.method === "HEAD") {
    req[HEAD_REQUEST] = true;
    req.method = "GET";
  }
  return req.url ?? "/";
}

/**
 * A found route's request, or an unmatched one, is a HEAD again if it came as one. Fastify's first
 * call for every routed request (matched, unmatched, or with an unreadable URL) is the request id's,
 * before the request's logger, hooks and handler, so this runs there.
 */
function headAgain(req: HeadMarked): void {
  if (req[HEAD_REQUEST] === true) req.method = "HEAD";
}

/**
 * A HEAD request's answer on a GET route: the GET answer's headers, its length included, and no
 * body. Node writes no body for a HEAD request anyway; this gives the same length header as the
 * GET to an empty answer, and the same empty body to an injected request. A stream's data is
 * read and dropped.
 */
const headAnswer: onSendHookHandler = (request, reply, payload, done) => {
  if (request.method !== "HEAD") return done(null, payload);
  if (payload === undefined || payload === null) {
    reply.header("content-length", "0");
    return done(null, null);
  }
  const stream = payload as { resume?: () => void; on?: (e: string, f: (err: Error) => void) => void };
  if (typeof stream.resume === "function") {
    stream.on?.("error", (err) => reply.log.error({ err }, "a stream answering HEAD failed"));
    stream.resume();
    return done(null, null);
  }
  reply.header("content-length", String(Buffer.byteLength(payload as string | Buffer)));
  done(null, null);
};

/**
 * Records every route in the catalog, and gives each API route that declares no query schema one
 * that admits no parameter, so an unknown query parameter is a 400 on every route alike.
 *
 * Every GET route serves HEAD as well, with no HEAD route at all (lookUpHeadAsGet): Fastify's own
 * HEAD routes (exposeHeadRoutes) are a second route for each, with its own hooks and schemas to
 * finish at ready time, and even a HEAD method on the GET route builds the router a second tree.
 */
function catalogRoutes(app: App): void {
  const catalog: RouteEntry[] = [];
  app.decorate("routeCatalog", catalog);
  app.addHook("onRoute", (route) => {
    if (route.method === "GET") {
      route.onSend = [...(route.onSend === undefined ? [] : [route.onSend].flat()), headAnswer];
    }
    // The documentation pages are public HTML.
    if (route.url.startsWith(DOCS_PATH))
      route.config = { ...route.config, auth: "none", ownMediaTypes: true };
    // The console's pages are public static files, not the API's.
    if (isDocumentation(route.url) || isConsolePage(route.url)) return;
    route.schema ??= {};
    route.schema.querystring ??= NO_QUERY;
    const { auth, permission } = accessOf(route.config);
    for (const method of [route.method].flat()) {
      catalog.push({ method, url: route.url, auth, permission });
    }
  });
}

export async function buildApp(deps: AppDeps, logger: FastifyBaseLogger | boolean = false): Promise<App> {
  const { config } = deps;
  const serverOptions = {
    // A request without Host is answered 400 by the gate, with the API's body (Node's own is empty).
    requireHostHeader: false,
    // How often Node looks for requests past --request-timeout-ms (408): by default only every 30 s.
    // Every tenth of the timeout (at most every second) keeps the 408 within that of the setting.
    connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.round(config.requestTimeoutMs / 10))),
    // One limit for the whole request: the headers get no other (Node's default is 60 s).
    headersTimeout: config.requestTimeoutMs,
  };
  const https = config.tls
    ? { key: fs.readFileSync(config.tls.key), cert: fs.readFileSync(config.tls.cert), ...serverOptions }
    : undefined;
  const connection = new ConnectionAnswers(config.requestTimeoutMs);
  const schemas = new LazySchemas();
  const app = Fastify({
    ...(https ? { https } : { http: serverOptions }),
    // Our own compilers, given here so that Fastify does not load its default validator compiler.
    schemaController: {
      compilersFactory: {
        buildValidator: schemas.validatorBuilder(validatorCompiler()),
        buildSerializer: schemas.serializerBuilder(),
      },
    },
    ...(typeof logger === "boolean" ? { logger } : { loggerInstance: logger }),
    // A caller's well-formed X-Request-Id is kept, so that its traces join ours.
    genReqId: (req) => {
      headAgain(req);
      return requestIdOf(req);
    },
    // Each request's logger carries its id; made only when the request logs (observability.ts).
    childLoggerFactory: requestLogger,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // What the HTTP parser refuses (400, 431, 408) answers the API's error body too, and only after
    // the answers of the whole requests before it on the connection.
    clientErrorHandler: connection.clientError,
    // A closing server answers 503 with the API's body and Retry-After (contract/availability.ts).
    return503OnClosing: false,
    routerOptions: ROUTER_OPTIONS,
    // HEAD is served by each GET route itself (catalogRoutes, lookUpHeadAsGet).
    exposeHeadRoutes: false,
    rewriteUrl: lookUpHeadAsGet,
    // URLs the router cannot read (bad percent-encoding, overlong segment) answer the API's error
    // body too, rather than Fastify's own.
    frameworkErrors: (error, request, reply) => {
      reply.header("X-Request-Id", request.id);
      errorHandler(error, request, reply);
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  catalogRoutes(app);
  connection.register(app);
  app.decorate("schemas", schemas);
  app.setErrorHandler(errorHandler);
  app.decorateRequest("principal", undefined);
  registerJsonParsing(app);
  registerObservability(app, deps);
  registerGate(app, deps);
  if (deps.faults) registerFaultHooks(app, deps.faults);

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  // From here on every route is in the document, as it would be for swagger registered here.
  app.decorate(
    "openapi",
    openApiSource(app, {
      sharedSchemas: SHARED_SCHEMAS,
      routerOptions: ROUTER_OPTIONS,
      catalog: app.routeCatalog,
    }),
  );
  registerDocsPages(app, { prefix: DOCS_PATH, routerOptions: ROUTER_OPTIONS });
  app.get(OPENAPI_PATH, { schema: { hide: true }, config: { auth: "none" } }, async () => app.openapi());
  registerConsolePages(app);

  for (const register of ROUTES) register(app, deps);
  // Last, so that its preClose hook waits after every other has run: the full API's wakes the
  // answers it holds, which could not end otherwise. (Fastify gives the routes their hooks once
  // all are declared, so the drain's request hooks still apply to every route.)
  registerDrain(app);
  return app;
}
