/**
 * Jobs, live: the changes started from this console with their progress (a multi-resource
 * operation's items as they complete) and what failed; and the newest command-statuses of the
 * API, read again every second, as they appear and complete.
 */
import { useRef } from "preact/hooks";
import { type CommandStatus, type Result, SIMPLE } from "../../client/index.ts";
import type { PageProps } from "../app.tsx";
import { type Operation, useOperations } from "../operations.ts";
import { ErrorBox, Section, useLoad } from "../ui.tsx";

const SHOWN = 100;

export function JobsPage({ signed }: PageProps) {
  const { client } = signed;
  const operations = useOperations();
  // Where the newest page began at the last read: each read walks on from there.
  const from = useRef(0);
  const statuses = useLoad(
    async (): Promise<Result<CommandStatus[]>> => {
      let start = from.current;
      let rows: CommandStatus[] = [];
      for (let page = 0; page < 100; page++) {
        const r = await client.GET(`${SIMPLE}/command-status`, {
          params: { query: { startId: start, count: SHOWN } },
        });
        if (!r.ok) return r;
        rows = [...rows, ...r.data.data].slice(-SHOWN);
        const last = r.data.data[r.data.data.length - 1];
        if (!r.data.hasNext || !last) break;
        start = last.id + 1;
      }
      from.current = rows[0]?.id ?? start;
      return { ok: true, status: 200, data: rows.reverse() };
    },
    [],
    1000,
  );
  return (
    <div>
      <Section title="Started here">
        {operations.length === 0 ? <p class="empty">No change started from this console yet.</p> : null}
        <ul class="operations" data-testid="operations">
          {operations.map((op) => (
            <OperationRow key={op.id} op={op} />
          ))}
        </ul>
      </Section>
      <Section title="Command statuses">
        <ErrorBox failure={statuses.failure} />
        <table data-testid="command-statuses">
          <thead>
            <tr>
              <th>ID</th>
              <th>Progress</th>
              <th>Status</th>
              <th>Resources</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {(statuses.data ?? []).map((s) => (
              <tr key={s.id} data-testid={`status-${s.id}`} class={s.status === "error" ? "failed" : ""}>
                <td>{s.id}</td>
                <td class={`progress-${s.progress}`}>{s.progress}</td>
                <td>{s.status ?? ""}</td>
                <td>
                  {(s.operationDetails ?? [])
                    .slice(0, 3)
                    .map((d) => `${d.operationType} ${d.resourceType} ${d.resourceId}`)
                    .join(", ")}
                  {(s.operationDetails?.length ?? 0) > 3
                    ? ` and ${(s.operationDetails?.length ?? 0) - 3} more`
                    : ""}
                </td>
                <td>
                  {s.errorMessage ?? ""}
                  {(s.errorResponses?.length ?? 0) > 1 ? ` (${s.errorResponses?.length} errors)` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

function OperationRow({ op }: { op: Operation }) {
  const percent = op.total > 0 ? Math.round((op.completed / op.total) * 100) : 0;
  const state =
    op.outcome === undefined
      ? op.progress
      : op.outcome === "normal"
        ? "completed"
        : op.succeeded > 0
          ? "partly failed"
          : "failed";
  return (
    <li class={`operation ${op.outcome ?? "running"}`} data-testid="operation" data-state={state}>
      <div class="operation-head">
        <strong>{op.label}</strong>
        <span class="state" data-testid="operation-state">
          {state}
        </span>
        <span data-testid="operation-progress">
          {op.completed} of {op.total} item{op.total === 1 ? "" : "s"} completed
        </span>
      </div>
      <progress max={100} value={percent} />
      {op.outcome === "error" ? (
        <div class="failures" data-testid="operation-failures">
          {op.total > 1 ? (
            <p>
              {op.succeeded} done, {op.failedJobs.length || op.total - op.succeeded} failed.
            </p>
          ) : null}
          {op.failedJobs.length > 0 ? (
            <ul>
              {op.failedJobs.map((j) => (
                <li key={j.id}>
                  command-status {j.id}: {j.errorMessage ?? "failed"}
                  {j.errorResource ? ` (${j.errorResource})` : ""}
                  {j.errorCode ? ` · SSB ${j.errorCode.SSB1}/${j.errorCode.SSB2}` : ""}
                </li>
              ))}
            </ul>
          ) : (
            <ErrorBox failure={op.failure} />
          )}
        </div>
      ) : null}
    </li>
  );
}
