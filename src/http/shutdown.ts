/**
 * A graceful close drains before it stops listening: while the requests that arrived before it
 * are answered, the server keeps listening, and every request that arrives meanwhile, on a new
 * connection or on one kept alive, is answered 503 with Retry-After and `Connection: close` by the
 * gate (contract/gate.ts). Only then does Fastify stop listening and close the idle connections.
 * Stopping at once (as Fastify does) met a client reusing a kept-alive connection with a reset, and
 * one opening a new connection with a refusal, rather than with the 503 that sends it elsewhere.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { App } from "./app.ts";

export function registerShutdownDrain(app: App): void {
  const server = app.server;
  let closing = false;
  /** Requests that arrived before the close began and are not answered yet. */
  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    // Requests that arrive during the close are answered 503 at once: they do not hold it up.
    if (closing) return;
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  });

  // Runs after the gate's own preClose hook (registered before this one), which turns new
  // requests away; Fastify stops listening once every preClose hook is done.
  app.addHook("preClose", async () => {
    closing = true;
    if (inFlight === 0 || !server.listening) return;
    await new Promise<void>((resolve) => {
      drained = resolve;
    });
  });
}
