/**
 * Probes and metrics for operators, public and outside the API's namespaces, at the paths
 * orchestrators and Prometheus expect by default:
 * - GET /healthz (liveness): the process is up and serving; 200 {status:"ok"}, even when overloaded.
 * - GET /readyz (readiness): the store answers a trivial query and can write (its disk is not
 *   full), and the storage system answers within its deadline; else 503 with Retry-After and the
 *   API's error body. An overloaded or closing
 *   server is not ready either (contract/availability.ts answers those 503s first).
 * - GET /metrics: the Prometheus text format (metrics.ts), even when overloaded.
 * Probes log at "warn" only: a probe every few seconds would otherwise fill the log.
 */
import { Type } from "typebox";
import { BlockplaneError, Busy, PHRASES } from "../../domain/errors.ts";
import { pingStore } from "../../store/stats.ts";
import { call, errorResponses, type RouteModule } from "./common.ts";

export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";
export const METRICS_PATH = "/metrics";

/** The exposition format's media type. */
const METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const Ok = Type.Object({ status: Type.Literal("ok") });
const Ready = Type.Object({
  status: Type.Literal("ok"),
  checks: Type.Object({ store: Type.Literal("ok"), device: Type.Literal("ok") }),
});

/** Rejects with `what` when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export const healthRoutes: RouteModule = (app, deps) => {
  const { config, device, store, metrics } = deps;
  const tags = ["monitoring"];
  // Liveness and metrics matter most when the process is overloaded.
  const probe = { auth: "none", servedWhenOverloaded: true } as const;
  // The probes' answers are small objects of a fixed shape, built here: JSON.stringify serves them,
  // so that the first probe of a start (which says when it is ready) compiles no serializer.
  const serializerCompiler = () => (data: unknown) => JSON.stringify(data);

  app.get(
    HEALTH_PATH,
    {
      logLevel: "warn",
      config: probe,
      serializerCompiler,
      schema: {
        tags,
        summary: "Liveness: the process is up",
        security: [],
        response: { 200: Ok, ...errorResponses() },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    READY_PATH,
    {
      logLevel: "warn",
      config: { auth: "none" },
      serializerCompiler,
      schema: {
        tags,
        summary: "Readiness: the store and the storage system answer",
        description:
          "503 with Retry-After when either does not, or while the server is overloaded or closing.",
        security: [],
        response: { 200: Ready, ...errorResponses() },
      },
    },
    async () => {
      const deadline = config.deviceTimeoutMs;
      const [storeCheck, deviceCheck] = await Promise.allSettled([
        within(pingStore(store), deadline, `no answer within ${deadline} ms`),
        device.health(call()),
      ]);
      const { state } = store.health;
      if (storeCheck.status === "fulfilled" && deviceCheck.status === "fulfilled" && state.writable) {
        return { status: "ok" as const, checks: { store: "ok" as const, device: "ok" as const } };
      }
      const reasons: string[] = [];
      let retryAfter = config.busyRetryAfterSeconds;
      if (storeCheck.status === "rejected") {
        const why =
          storeCheck.reason instanceof Error ? storeCheck.reason.message : String(storeCheck.reason);
        reasons.push(`the store does not answer (${why})`);
      } else if (!state.writable) {
        reasons.push(
          `the store cannot write since ${new Date(state.since).toISOString()}: its disk is full (${state.cause})`,
        );
      }
      if (deviceCheck.status === "rejected") {
        const err = deviceCheck.reason;
        reasons.push(
          err instanceof BlockplaneError
            ? `the storage system does not answer (${err.message})`
            : "the storage system does not answer",
        );
        // A busy array or one in maintenance says when to come back.
        const given = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        if (typeof given === "number") retryAfter = Math.max(retryAfter, given);
      }
      throw new Busy(`The server is not ready: ${reasons.join("; ")}. Please ${PHRASES.retry}.`, retryAfter);
    },
  );

  app.get(
    METRICS_PATH,
    {
      logLevel: "warn",
      config: { ...probe, ownMediaTypes: true },
      // Text, whatever Accept asks for, and outside the API's document.
      schema: { hide: true },
    },
    async (request, reply) => {
      const text = await metrics.registry.expose((metric, err) =>
        request.log.warn({ err, metric }, "a metric could not be read"),
      );
      return reply.type(METRICS_TYPE).send(text);
    },
  );
};
