/**
 * A graceful close drains first: the requests that arrived before it began are answered before
 * the store closes under them and before the server stops listening.
 *
 * - While they are answered the server keeps listening, and every request that arrives meanwhile,
 *   on a new connection or on one kept alive, is answered 503 with Retry-After and
 *   `Connection: close` by the gate (contract/gate.ts), which sends the client elsewhere; stopping
 *   at once (as Fastify does) met those clients with a reset or a refusal.
 * - A request injected in-process (tests, an embedding program) has no connection for the HTTP
 *   server's close to wait for: counted here like any other, it gets its answer rather than a 500.
 *
 * Requests that arrive during the close are not waited for: the gate answers them at once, and a
 * steady stream of them must not hold the close up.
 */
import type { FastifyRequest } from "fastify";
import type { App } from "./app.ts";

/** How long closing waits for answers still being made; past it the close goes on regardless. */
const DRAIN_TIMEOUT_MS = 10_000;

export function registerDrain(app: App): void {
  const answering = new Set<FastifyRequest>();
  let closing = false;
  let drained: (() => void) | undefined;
  const settle = (request: FastifyRequest) => {
    if (answering.delete(request) && answering.size === 0) drained?.();
  };
  // Callback hooks: no promise per request on the hot path.
  app.addHook("onRequest", (request, _reply, done) => {
    if (!closing) answering.add(request);
    done();
  });
  app.addHook("onResponse", (request, _reply, done) => {
    settle(request);
    done();
  });
  app.addHook("onRequestAbort", (request, done) => {
    settle(request);
    done();
  });
  // Registered after the gate and the routes, whose own preClose hooks turn new requests away and
  // wake the answers held for jobs; Fastify stops listening once every preClose hook is done.
  app.addHook("preClose", async () => {
    closing = true;
    if (answering.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
      drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  });
}
