/**
 * When the server answers 503 instead of serving: the process is overloaded, it is shutting down,
 * or the array is in maintenance. Every such answer is the API's error body with Retry-After,
 * through the one error handler, and its message says "wait for a while and try again" (the phrase
 * clients of the real API retry on).
 */
import underPressure from "@fastify/under-pressure";
import type { FastifyRequest } from "fastify";
import type { Config } from "../../config.ts";
import { Busy, PHRASES } from "../../domain/errors.ts";
import type { MaintenanceService } from "../../services/maintenance.ts";
import type { App } from "../app.ts";

const LOAD = {
  eventLoopDelay: "its event loop is delayed",
  heapUsedBytes: "its memory heap is nearly full",
  rssBytes: "its memory use is too high",
  eventLoopUtilization: "its event loop is saturated",
  healthCheck: "a health check failed",
} as const;

/**
 * Sheds load before any work is done for a request (it runs before authentication, whose password
 * hashing is costly) when the event-loop delay, the heap or the resident memory pass their limits.
 */
export async function registerOverloadProtection(app: App, config: Config): Promise<void> {
  const o = config.overload;
  // Start-up blocks the event loop once (module loading, schema compilation): the sampling windows
  // that cover it measure that, not load, and must not turn the first requests away.
  let warmUntil = Number.POSITIVE_INFINITY;
  app.addHook("onReady", async () => {
    warmUntil = Date.now() + 2 * o.sampleIntervalMs;
  });
  await app.register(underPressure, {
    maxEventLoopDelay: o.maxEventLoopDelayMs,
    maxHeapUsedBytes: o.maxHeapUsedBytes,
    maxRssBytes: o.maxRssBytes,
    sampleInterval: o.sampleIntervalMs,
    // A rejected promise goes to the error handler, which answers 503 with our body and Retry-After;
    // a resolved one lets the request through.
    pressureHandler: async (request, reply, type) => {
      if (type === "eventLoopDelay" && Date.now() < warmUntil) return;
      reply.header("X-Request-Id", request.id);
      const why = LOAD[type as keyof typeof LOAD] ?? "it is overloaded";
      throw new Busy(
        `The server is overloaded (${why}). ${PHRASES.busy}. Please ${PHRASES.retry}.`,
        config.busyRetryAfterSeconds,
      );
    },
  });
}

/**
 * A server that is shutting down finishes the requests it has and answers new ones 503 with
 * Retry-After (Fastify also closes their connections), so that a client retries elsewhere or after
 * the restart. This replaces Fastify's own 503 on closing, whose body is not the API's.
 */
export function registerClosingAnswer(app: App, config: Config): void {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (request, reply) => {
    if (closing) {
      reply.header("X-Request-Id", request.id);
      throw new Busy(`The server is shutting down. Please ${PHRASES.retry}.`, config.busyRetryAfterSeconds);
    }
  });
}

/**
 * Routes that keep working during maintenance: they do not need the array (sessions, command
 * statuses, and Blockplane's own namespace: users, maintenance itself, faults, health).
 */
function needsArray(request: FastifyRequest): boolean {
  const url = request.routeOptions.url ?? "";
  if (!url.startsWith("/ConfigurationManager/")) return false;
  return !/\/objects\/(sessions|command-status)(\/|$)/.test(url);
}

/** Answers 503 Maintenance to every request that needs the array while maintenance is on. */
export function registerMaintenanceGate(app: App, maintenance: MaintenanceService): void {
  app.addHook("onRequest", async (request) => {
    if (request.is404 || !needsArray(request)) return;
    await maintenance.check();
  });
}
