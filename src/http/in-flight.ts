/**
 * Closing waits for the requests being answered. The HTTP server's own close waits for its
 * connections, but a request injected in-process (tests, an embedding program) has none: without
 * this, the store could close under a handler still reading it, and that request would end in a 500
 * instead of its answer.
 */
import type { FastifyRequest } from "fastify";
import type { App } from "./app.ts";

/** How long closing waits for answers still being made; past it the close goes on regardless. */
const DRAIN_TIMEOUT_MS = 10_000;

export function registerInFlightDrain(app: App): void {
  const answering = new Set<FastifyRequest>();
  let drained: (() => void) | undefined;
  const settle = (request: FastifyRequest) => {
    answering.delete(request);
    if (answering.size === 0) drained?.();
  };
  // Callback hooks: no promise per request on the hot path.
  app.addHook("onRequest", (request, _reply, done) => {
    answering.add(request);
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
  app.addHook("onClose", async () => {
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
