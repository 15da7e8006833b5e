/** The console's small shared parts: error display, loading, capacity bar, forms, formatting. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ErrorBody, Failure, Result } from "../client/index.ts";

/** What failed, as the API said it: message, solution, and every error of a multi-resource answer. */
export function ErrorBox({ failure, title }: { failure: Failure | undefined; title?: string }) {
  if (!failure) return null;
  const errors: ErrorBody[] = failure.errorResponses?.length
    ? failure.errorResponses
    : failure.error
      ? [failure.error]
      : [];
  const done = failure.partialSuccessResponses?.length ?? 0;
  return (
    <div class="error" role="alert" data-testid="error">
      <strong>{title ?? (failure.status ? `Error ${failure.status}` : "Error")}</strong>
      {errors.length === 0 ? <p>{failure.message}</p> : null}
      {errors.map((e, i) => (
        <div key={i} class="error-item">
          <p class="message">{e.message}</p>
          {e.solution ? <p class="solution">{e.solution}</p> : null}
          <p class="meta">
            {e.messageId}
            {e.errorCode ? ` · SSB ${e.errorCode.SSB1}/${e.errorCode.SSB2}` : ""}
            {e.requestId ? ` · request ${e.requestId}` : ""}
          </p>
        </div>
      ))}
      {done > 0 ? <p class="partial">Done all the same: {done} item(s).</p> : null}
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  failure: Failure | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads with `load` when `deps` change and whenever `reload` is called; with `everyMs`, again on
 * that period while the page shows (a failed read shows its error, and the last data stays).
 */
export function useLoad<T>(load: () => Promise<Result<T>>, deps: unknown[], everyMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; failure: Failure | undefined; loading: boolean }>(
    {
      data: undefined,
      failure: undefined,
      loading: true,
    },
  );
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const latest = useRef(0);
  // The caller names what the load depends on.
  useEffect(() => {
    const mine = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then((r) => {
      if (mine !== latest.current) return;
      setState((s) =>
        r.ok ? { data: r.data, failure: undefined, loading: false } : { ...s, failure: r, loading: false },
      );
    });
  }, [...deps, tick]);
  useEffect(() => {
    if (!everyMs) return;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, reload]);
  return { ...state, reload };
}

/** Capacity in MiB as people read it. */
export function mib(value: number | undefined): string {
  if (value === undefined) return "–";
  const units = ["MiB", "GiB", "TiB", "PiB"];
  let v = value;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** A pool's capacity: used and free, with its warning and depletion thresholds marked. */
export function CapacityBar(props: { used: number; total: number; warning: number; depletion: number }) {
  const { used, total, warning, depletion } = props;
  const rate = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const level = rate >= depletion ? "depleted" : rate >= warning ? "warning" : "normal";
  return (
    <div class="capacity" title={`${Math.round(rate)}% used`} data-used-percent={Math.round(rate)}>
      <div class={`used ${level}`} style={{ width: `${rate}%` }} />
      <div class="threshold warning-mark" style={{ left: `${warning}%` }} title={`warning ${warning}%`} />
      <div
        class="threshold depletion-mark"
        style={{ left: `${depletion}%` }}
        title={`depletion ${depletion}%`}
      />
      <span class="legend">
        {mib(used)} used · {mib(total - used)} free · warning {warning}% · depletion {depletion}%
      </span>
    </div>
  );
}

export function Section(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section>
      <header class="section-head">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/**
 * A form of a change: runs `submit`, shows the API's error as it comes, and `done` on success.
 * Its controls are inside; the submit button is its own.
 */
export function ChangeForm(props: {
  label: string;
  submit: () => Promise<Result<unknown> | undefined>;
  done?: (data: unknown) => void;
  children: ComponentChildren;
  testId?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure>();
  return (
    <form
      class="change"
      data-testid={props.testId}
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setFailure(undefined);
        try {
          const r = await props.submit();
          if (r && !r.ok) setFailure(r);
          else if (r) props.done?.(r.data);
        } finally {
          setBusy(false);
        }
      }}
    >
      {props.children}
      <button type="submit" disabled={busy}>
        {busy ? "Working…" : props.label}
      </button>
      <ErrorBox failure={failure} />
    </form>
  );
}

/** A labelled input whose value lives in the caller's state. */
export function Field(props: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  name?: string;
  type?: "text" | "number" | "password";
  placeholder?: string;
  required?: boolean;
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        name={props.name}
        // One attribute set for every kind, as the DOM has it (the JSX types split them by kind).
        type={(props.type ?? "text") as "text"}
        value={props.value}
        placeholder={props.placeholder}
        required={props.required}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}

/** "1,3,10-12" as [1, 3, 10, 11, 12]; undefined when it is not such a list. */
export function idList(text: string): number[] | undefined {
  const ids: number[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    if (part === "") continue;
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (to < from || to - from > 1000) return undefined;
      for (let i = from; i <= to; i++) ids.push(i);
    } else if (/^\d+$/.test(part)) ids.push(Number(part));
    else return undefined;
  }
  return ids.length > 0 ? ids : undefined;
}

/** A failure the console makes itself, for input it cannot send. */
export function invalid(message: string): Failure {
  return { ok: false, status: 0, message };
}
