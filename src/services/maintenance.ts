/**
 * Maintenance mode of the storage system: while it is on, requests that need the array answer 503
 * (Maintenance) with Retry-After, and job workers start no new job; jobs already running finish.
 *
 * The state is the array's, kept in the store (array_meta key "maintenance"), so that every instance
 * sharing one database sees it. Each instance reads it at most every CACHE_MS (and at once after a
 * change it made itself), so the check costs nothing per request.
 */
import { Maintenance, PHRASES } from "../domain/errors.ts";
import type { Store } from "../store/db.ts";

const KEY = "maintenance";
const CACHE_MS = 500;
export const DEFAULT_MAINTENANCE_RETRY_S = 60;

export interface MaintenanceState {
  enabled: boolean;
  /** When maintenance started (ms since the epoch). */
  since?: number;
  retryAfterSeconds?: number;
  message?: string;
}

export interface MaintenanceStart {
  retryAfterSeconds?: number;
  message?: string;
}

export class MaintenanceService {
  private cached: { state: MaintenanceState; at: number } | undefined;
  private loading: Promise<MaintenanceState> | undefined;
  private readonly endListeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** The state as the store holds it now. */
  async state(): Promise<MaintenanceState> {
    const row = await this.store.db
      .selectFrom("array_meta")
      .select("value")
      .where("key", "=", KEY)
      .executeTakeFirst();
    const state: MaintenanceState = row ? { enabled: true, ...JSON.parse(row.value) } : { enabled: false };
    this.cached = { state, at: this.now() };
    return state;
  }

  /** This instance's copy of the state, when it is fresh enough to answer for the store. */
  private fresh(): MaintenanceState | undefined {
    if (this.cached && this.now() - this.cached.at < CACHE_MS) return this.cached.state;
    return undefined;
  }

  /** The state from this instance's copy when it is fresh enough: for the check on every request. */
  private async current(): Promise<MaintenanceState> {
    const fresh = this.fresh();
    if (fresh !== undefined) return fresh;
    this.loading ??= this.state().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  async active(): Promise<boolean> {
    return (await this.current()).enabled;
  }

  /**
   * Throws Maintenance (503 + Retry-After) while maintenance is on. Answers at once from a fresh
   * copy of the state (undefined, or the throw), so that the check on every request costs no
   * promise; else a promise that settles once the store has answered.
   */
  check(): Promise<void> | undefined {
    const fresh = this.fresh();
    if (fresh === undefined) return this.current().then(refuseDuring);
    refuseDuring(fresh);
    return undefined;
  }

  /** Starts maintenance, or changes its Retry-After and message when it is on already. */
  async start(options: MaintenanceStart): Promise<MaintenanceState> {
    const prior = await this.state();
    const value = {
      since: prior.since ?? this.now(),
      retryAfterSeconds: options.retryAfterSeconds ?? DEFAULT_MAINTENANCE_RETRY_S,
      ...(options.message !== undefined ? { message: options.message } : {}),
    };
    const text = JSON.stringify(value);
    await this.store.db
      .insertInto("array_meta")
      .values({ key: KEY, value: text })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: text }))
      .execute();
    return this.state();
  }

  async end(): Promise<MaintenanceState> {
    await this.store.db.deleteFrom("array_meta").where("key", "=", KEY).execute();
    const state = await this.state();
    for (const listener of this.endListeners) listener();
    return state;
  }

  /** Called when maintenance is ended on this instance (others notice on their next look). */
  onEnd(listener: () => void): void {
    this.endListeners.add(listener);
  }
}

export function maintenanceError(state: MaintenanceState): Maintenance {
  const detail = state.message ? `: ${state.message.replace(/\.\s*$/, "")}` : "";
  return new Maintenance(
    `The storage system is under maintenance${detail}. Please ${PHRASES.retry}.`,
    state.retryAfterSeconds ?? DEFAULT_MAINTENANCE_RETRY_S,
  );
}

/** Throws the Maintenance answer while `state` is on. */
function refuseDuring(state: MaintenanceState): void {
  if (state.enabled) throw maintenanceError(state);
}
