/**
 * When the server answers 503 instead of serving: the process is overloaded, it is shutting down,
 * or the array is in maintenance. Every such answer is the API's error body with Retry-After,
 * through the one error handler, and its message says "wait for a while and try again" (the phrase
 * clients of the real API retry on). The gate (gate.ts) asks these questions of every request.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { OverloadLimits } from "../../config.ts";
import { Busy, PHRASES } from "../../domain/errors.ts";

/** The event-loop delay histogram's sampling resolution, subtracted from its mean. */
const RESOLUTION_MS = 10;

/**
 * Watches the process's load: the mean event-loop delay, the V8 heap in use and the resident
 * memory, sampled every `sampleIntervalMs`. A request reads the last sample's verdict, a field:
 * the cost of watching is per sample, never per request.
 */
export class LoadMonitor {
  /** Why the process is overloaded as of the last sample, or undefined when it is not. */
  overload: string | undefined;
  private readonly delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private timer: NodeJS.Timeout | undefined;
  /** Until when event-loop delay does not count (see start). */
  private warmUntil = Number.POSITIVE_INFINITY;

  constructor(private readonly limits: OverloadLimits) {}

  /**
   * Starts sampling, once the server is ready. Start-up blocks the event loop once (module loading,
   * schema compilation): the windows that cover it measure that, not load, and must not turn the
   * first requests away.
   */
  start(): void {
    if (this.timer !== undefined) return;
    this.warmUntil = Date.now() + 2 * this.limits.sampleIntervalMs;
    this.delay.enable();
    this.timer = setInterval(() => this.sample(), this.limits.sampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.delay.disable();
  }

  private sample(): void {
    const { maxEventLoopDelayMs, maxHeapUsedBytes, maxRssBytes } = this.limits;
    // The histogram samples every RESOLUTION_MS; a window without any sample (a NaN mean) is one
    // the event loop spent blocked from end to end.
    const mean = this.delay.mean;
    const delayMs = Number.isNaN(mean) ? Number.POSITIVE_INFINITY : Math.max(0, mean / 1e6 - RESOLUTION_MS);
    this.delay.reset();
    const { heapUsed, rss } = process.memoryUsage();
    if (maxEventLoopDelayMs > 0 && delayMs > maxEventLoopDelayMs && Date.now() >= this.warmUntil) {
      this.overload = "its event loop is delayed";
    } else if (maxHeapUsedBytes > 0 && heapUsed > maxHeapUsedBytes) {
      this.overload = "its memory heap is nearly full";
    } else if (maxRssBytes > 0 && rss > maxRssBytes) {
      this.overload = "its memory use is too high";
    } else {
      this.overload = undefined;
    }
  }
}

export function overloaded(why: string, retryAfterSeconds: number): Busy {
  return new Busy(
    `The server is overloaded (${why}). ${PHRASES.busy}. Please ${PHRASES.retry}.`,
    retryAfterSeconds,
  );
}

/**
 * A server that is shutting down finishes the requests it has and answers new ones this 503 (and
 * Fastify closes their connections), so that a client retries elsewhere or after the restart.
 */
export function shuttingDown(retryAfterSeconds: number): Busy {
  return new Busy(`The server is shutting down. Please ${PHRASES.retry}.`, retryAfterSeconds);
}

/**
 * Whether a route needs the array, and so answers 503 during maintenance. Sessions, command
 * statuses and Blockplane's own namespace (users, maintenance itself, faults, health) keep working.
 */
export function needsArray(url: string): boolean {
  if (!url.startsWith("/ConfigurationManager/")) return false;
  // Sessions and job statuses are kept by this server, not the array: at either path form.
  return !/\/objects\/(storages\/[^/]+\/)?(sessions|command-status|jobs)(\/|$)/.test(url);
}
