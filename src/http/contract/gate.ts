/**
 * The gate in front of every route: what a request must pass before its body is parsed and
 * validated, in this order:
 *   1. X-Request-Id on the answer, whatever it is; 400 for an HTTP/1.1 request without Host (RFC 9112
 *      §3.2: Node's own answer to it has no body, so the check is made here);
 *   2. its turn on its connection: requests pipelined on one connection are served one at a time
 *      (turns.ts), and one too many waiting is 503;
 *   3. 503 while the server shuts down (with `Connection: close`), or is overloaded (before any work
 *      for the request, password hashing included);
 *   4. 406 when Accept admits no JSON, and application/json as the media type of a body sent without
 *      Content-Type;
 *   5. 401 / 403 (auth.ts);
 *   6. 503 while the array is in maintenance, for routes that need the array: only a caller who may
 *      use a route learns that the array is unavailable;
 *   7. 503 for a change while the store cannot write (its disk full), except on the routes that
 *      declare `servedWhenStoreFull` (logins and logouts, which the store keeps room for).
 *
 * Each route gets a hook of its own, made when the route is registered from what it declares, so
 * that a request looks nothing up about its route; and the hook completes without a promise while
 * nothing needs the store (a session that authenticated recently, a fresh maintenance state) and
 * nothing else is under way on its connection. A request that matches no route passes steps 1, 3
 * and 4, then gets 404.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from "fastify";
import type { Config } from "../../config.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import type { AccountsService } from "../../services/accounts.ts";
import type { MaintenanceService } from "../../services/maintenance.ts";
import type { Store } from "../../store/db.ts";
import type { App } from "../app.ts";
import { accessOf, authenticate } from "./auth.ts";
import { LoadMonitor, needsArray, overloaded, shuttingDown } from "./availability.ts";
import { urlNotFound } from "./errors.ts";
import { checkAccept, defaultContentType } from "./negotiation.ts";
import { ConnectionTurns } from "./turns.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Served while the process is overloaded: liveness and metrics matter most then. */
    servedWhenOverloaded?: boolean;
    /** Answers media types of its own (HTML, text): Accept is not negotiated. */
    ownMediaTypes?: boolean;
    /** A change served while the store's disk is full (sessions: the store keeps room for them). */
    servedWhenStoreFull?: boolean;
  }
}

function missingHost(): InvalidRequest {
  return new InvalidRequest("The request has no Host header, which HTTP/1.1 requires.", {
    solution: "Send the Host header, and then try again.",
  });
}

export interface GateDeps {
  config: Config;
  accounts: AccountsService;
  maintenance: MaintenanceService;
  store: Pick<Store, "health">;
}

/** A step of the gate: done at once (undefined), or a promise of being done. */
type Step = Promise<void> | undefined;

export function registerGate(app: App, deps: GateDeps): void {
  const { config, accounts, maintenance } = deps;
  const { health } = deps.store;
  const retryAfter = config.busyRetryAfterSeconds;
  const load = new LoadMonitor(config.overload);
  const turns = new ConnectionTurns(retryAfter);
  let closing = false;
  app.addHook("onReady", async () => load.start());
  app.addHook("preClose", async () => {
    closing = true;
  });
  // While the server closes, every answer ends its connection (the 503s, and those of requests
  // under way when the close began), so that no client sends another request on a connection
  // about to close: the last answer of a pipeline says it, not one with requests waiting behind.
  app.addHook("onSend", (request, reply, payload, done) => {
    if (closing) {
      // Fastify marks every request routed during the close `Connection: close` itself, which
      // would drop the requests pipelined behind one.
      if (turns.waitingBehind(request)) reply.raw.removeHeader("Connection");
      else reply.header("Connection", "close");
    }
    done(null, payload);
  });
  app.addHook("onClose", async () => load.stop());

  /** Step 1. */
  const identify = (reply: FastifyReply, request: FastifyRequest): void => {
    reply.header("X-Request-Id", request.id);
    if (request.headers.host === undefined && request.raw.httpVersion === "1.1") throw missingHost();
  };

  /** Step 3. */
  const available = (shedsLoad: boolean): void => {
    // With `Connection: close` (the onSend hook below): the client is to retry elsewhere or after
    // the restart, not on this connection.
    if (closing) throw shuttingDown(retryAfter);
    if (shedsLoad && load.overload !== undefined) throw overloaded(load.overload, retryAfter);
  };

  /** The gate of one route, from what the route declares. */
  const gateOf = (route: RouteOptions): onRequestHookHandler => {
    const shedsLoad = route.config?.servedWhenOverloaded !== true;
    const negotiates = route.config?.ownMediaTypes !== true;
    const access = accessOf(route.config);
    const gatedByMaintenance = needsArray(route.url);
    const methods = [route.method].flat();
    const changes =
      route.config?.servedWhenStoreFull !== true && methods.some((m) => m !== "GET" && m !== "HEAD");
    /** Steps 3 to 7. */
    const pass = (request: FastifyRequest): Step => {
      available(shedsLoad);
      if (negotiates) checkAccept(request);
      defaultContentType(request);
      const authenticated = authenticate(request, access, accounts);
      if (changes && !health.writable) {
        // After authentication, like maintenance: only a caller who may change learns why not.
        const refuse = () => {
          throw health.full();
        };
        if (authenticated === undefined) refuse();
        else return authenticated.then(refuse);
      }
      if (!gatedByMaintenance) return authenticated;
      return authenticated === undefined
        ? maintenance.check()
        : authenticated.then(() => maintenance.check());
    };
    return (request, reply, done) => {
      // A throw here reaches Fastify's hook runner, which hands it to the error handler.
      identify(reply, request);
      const turn = turns.take(request, reply);
      const step = turn === undefined ? pass(request) : turn.then(() => pass(request));
      if (step === undefined) done();
      else step.then(() => done(), done);
    };
  };

  app.addHook("onRoute", (route) => {
    const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [gateOf(route), ...own];
  });

  app.setNotFoundHandler((request, reply) => {
    identify(reply, request);
    available(true);
    checkAccept(request);
    throw urlNotFound(`The requested URL ${request.url.split("?")[0]} was not found.`);
  });
}
