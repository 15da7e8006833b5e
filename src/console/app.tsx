/**
 * The console's shell: the login form, then the navigation, the banner of an active fault
 * rehearsal or maintenance (on every page), and the page the location's hash names.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Failure, Result } from "../client/index.ts";
import { FaultsPage } from "./pages/faults.tsx";
import { JobsPage } from "./pages/jobs.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { PortsPage } from "./pages/ports.tsx";
import { ServersPage } from "./pages/servers.tsx";
import { SnapshotsPage } from "./pages/snapshots.tsx";
import { VolumesPage } from "./pages/volumes.tsx";
import { logIn, logOut, resume, SESSION_ENDED, type Signed } from "./session.ts";
import { ErrorBox, Field, invalid, useLoad } from "./ui.tsx";

export interface PageProps {
  signed: Signed;
  /** The parameters after "?" in the location's hash (#/volumes?poolId=1). */
  query?: URLSearchParams;
}

const PAGES: { path: string; title: string; page: (props: PageProps) => ComponentChildren }[] = [
  { path: "overview", title: "Overview", page: OverviewPage },
  { path: "volumes", title: "Volumes", page: VolumesPage },
  { path: "servers", title: "Servers", page: ServersPage },
  { path: "ports", title: "Ports & connections", page: PortsPage },
  { path: "snapshots", title: "Snapshots", page: SnapshotsPage },
  { path: "jobs", title: "Jobs", page: JobsPage },
  { path: "faults", title: "Faults", page: FaultsPage },
];

/** Whether the user may change nothing: View Only is their one role. */
function viewOnly(signed: Signed): boolean {
  return !(["provisioning", "local-copy", "system-resource", "security"] as const).some((p) => signed.may(p));
}

function useHash(): string {
  const read = () => location.hash.replace(/^#\/?/, "") || "overview";
  const [hash, setHash] = useState(read);
  useEffect(() => {
    const onChange = () => setHash(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return hash;
}

export function App() {
  const [signed, setSigned] = useState<Signed | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    resume().then((s) => setSigned(s ?? null));
    const onEnded = () => {
      setSigned((current) => {
        if (current) setEnded(true);
        return null;
      });
    };
    addEventListener(SESSION_ENDED, onEnded);
    return () => removeEventListener(SESSION_ENDED, onEnded);
  }, []);
  if (signed === undefined) return <p class="loading">Loading…</p>;
  if (signed === null) {
    return (
      <Login
        ended={ended}
        onSigned={(s) => {
          setEnded(false);
          setSigned(s);
        }}
      />
    );
  }
  return (
    <Shell
      signed={signed}
      onLogOut={async () => {
        await logOut(signed);
        setSigned(null);
      }}
    />
  );
}

function Login({ onSigned, ended }: { onSigned: (s: Signed) => void; ended: boolean }) {
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <h1>Blockplane</h1>
      {ended ? (
        <p class="notice" data-testid="session-ended">
          Your session has ended (it expired, or was discarded): log in again.
        </p>
      ) : null}
      <form
        data-testid="login"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setFailure(undefined);
          try {
            const r = await logIn(user, password);
            if ("client" in r) onSigned(r);
            else setFailure(r);
          } catch (err) {
            setFailure(invalid(`The console could not log in: ${(err as Error).message}`));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="User" name="user" value={user} onInput={setUser} required />
        <Field label="Password" name="password" type="password" value={password} onInput={setPassword} />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <ErrorBox failure={failure} />
      </form>
    </main>
  );
}

/**
 * Maintenance, and the fault rules in force (for those who may read them): read at each page
 * shown (the banner is made anew), then every second.
 */
function Banner({ signed }: PageProps) {
  const maintenance = useLoad(() => signed.client.GET("/blockplane/v1/maintenance"), [], 1000);
  const faults = useLoad(
    async (): Promise<Result<{ data: { id: string; action: string }[] }>> => {
      const none = { ok: true as const, status: 200, data: { data: [] } };
      if (!signed.may("security")) return none;
      const r = await signed.client.GET("/blockplane/v1/faults");
      // A server without fault injection has no such URL: no rehearsal then.
      return !r.ok && r.status === 404 ? none : r;
    },
    [],
    1000,
  );
  const rules = faults.data?.data ?? [];
  const on = maintenance.data?.enabled === true;
  if (!on && rules.length === 0) return null;
  return (
    <div class="banner" role="status" data-testid="fault-banner">
      {on ? (
        <p>
          <strong>Maintenance is on</strong>
          {maintenance.data?.startTime
            ? ` since ${new Date(maintenance.data.startTime).toLocaleString()}`
            : ""}
          {maintenance.data?.message ? `: ${maintenance.data.message}` : ""} — requests to the array answer
          503.
        </p>
      ) : null}
      {rules.length > 0 ? (
        <p>
          <strong>Fault rehearsal active:</strong> {rules.length} fault rule{rules.length === 1 ? "" : "s"} in
          force ({rules.map((r) => `${r.id}: ${r.action}`).join(", ")}). <a href="#/faults">Manage faults</a>
        </p>
      ) : null}
    </div>
  );
}

function Shell({ signed, onLogOut }: { signed: Signed; onLogOut: () => void }) {
  const hash = useHash();
  const [path, query = ""] = hash.split("?");
  const current = PAGES.find((p) => p.path === path) ?? PAGES[0];
  const Page = current?.page ?? OverviewPage;
  useEffect(() => {
    document.title = `${current?.title ?? "Overview"} · Blockplane console`;
  }, [current]);
  return (
    <div class="shell">
      <nav>
        <span class="brand">Blockplane</span>
        {PAGES.map((p) => (
          <a key={p.path} href={`#/${p.path}`} class={p === current ? "active" : ""}>
            {p.title}
          </a>
        ))}
        <span class="who" data-testid="who">
          {signed.me.name}
          {viewOnly(signed) ? " (view only)" : ""}
        </span>
        <button type="button" class="link" onClick={onLogOut}>
          Log out
        </button>
      </nav>
      <Banner key={hash} signed={signed} />
      <main>
        <h1>{current?.title}</h1>
        <Page signed={signed} query={new URLSearchParams(query)} />
      </main>
    </div>
  );
}
