/**
 * Volumes, a page at a time as the API pages them (startVolumeId, count): an array holds up to
 * 65,280, so the console never reads them all. The filters are the API's own query parameters.
 */
import { useState } from "preact/hooks";
import { SIMPLE } from "../../client/index.ts";
import type { PageProps } from "../app.tsx";
import { track } from "../operations.ts";
import { ChangeForm, ErrorBox, Field, invalid, mib, Section, useLoad } from "../ui.tsx";

const FILTERS = [
  ["poolId", "Pool ID"],
  ["serverId", "Server ID"],
  ["nickname", "Nickname"],
  ["minTotalCapacity", "Min MiB"],
  ["maxTotalCapacity", "Max MiB"],
] as const;
type FilterName = (typeof FILTERS)[number][0];

export function VolumesPage({ signed, query }: PageProps) {
  const { client } = signed;
  const [filters, setFilters] = useState<Record<FilterName, string>>(() => {
    const initial = {} as Record<FilterName, string>;
    for (const [name] of FILTERS) initial[name] = query?.get(name) ?? "";
    return initial;
  });
  const [applied, setApplied] = useState(filters);
  const [pageSize, setPageSize] = useState(100);
  // The start of each page shown so far, so that "Previous" goes back exactly.
  const [starts, setStarts] = useState<number[]>([0]);
  const start = starts[starts.length - 1] ?? 0;
  const [rowFailure, setRowFailure] = useState<Awaited<ReturnType<typeof track>>>();

  const list = useLoad(() => {
    const q: Record<string, string | number> = { startVolumeId: start, count: pageSize };
    for (const [name] of FILTERS) {
      const v = applied[name].trim();
      if (v === "") continue;
      q[name] = name === "nickname" ? v : Number(v);
    }
    return client.GET(`${SIMPLE}/volumes`, { params: { query: q } });
  }, [start, pageSize, JSON.stringify(applied)]);
  const data = list.data?.data ?? [];
  const mayChange = signed.may("provisioning");

  return (
    <div>
      <Section title="Find">
        <form
          class="filters"
          data-testid="volume-filters"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied({ ...filters });
            setStarts([0]);
            // Read again even when nothing changed: the array may have.
            list.reload();
          }}
        >
          {FILTERS.map(([name, label]) => (
            <Field
              key={name}
              label={label}
              name={name}
              value={filters[name]}
              onInput={(v) => setFilters((f) => ({ ...f, [name]: v }))}
            />
          ))}
          <label class="field">
            <span>Per page</span>
            <select
              value={String(pageSize)}
              onChange={(e) => {
                setPageSize(Number((e.target as HTMLSelectElement).value));
                setStarts([0]);
              }}
            >
              {[50, 100, 500].map((n) => (
                <option key={n} value={String(n)}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
      </Section>
      <Section
        title="Volumes"
        actions={
          <span class="pager">
            <span data-testid="volume-count">
              {list.data ? `${list.data.totalCount} matching · from ID ${start}` : "…"}
            </span>
            <button
              type="button"
              disabled={starts.length < 2}
              onClick={() => setStarts((s) => s.slice(0, -1))}
            >
              Previous
            </button>
            <button
              type="button"
              disabled={!list.data?.hasNext}
              onClick={() => {
                const last = data[data.length - 1];
                if (last) setStarts((s) => [...s, last.id + 1]);
              }}
            >
              Next
            </button>
          </span>
        }
      >
        <ErrorBox failure={list.failure ?? (rowFailure && !rowFailure.ok ? rowFailure : undefined)} />
        <table data-testid="volumes">
          <thead>
            <tr>
              <th>ID</th>
              <th>Nickname</th>
              <th>Pool</th>
              <th>Capacity</th>
              <th>Used</th>
              <th>Saving</th>
              <th>Servers</th>
              <th>Snapshots</th>
              {mayChange ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {data.map((v) => (
              <tr key={v.id} data-testid={`volume-${v.id}`}>
                <td>{v.id}</td>
                <td>{v.nickname}</td>
                <td>
                  {v.poolName} #{v.poolId}
                </td>
                <td>{mib(v.totalCapacity)}</td>
                <td>{mib(v.usedCapacity)}</td>
                <td>{v.savingSetting}</td>
                <td>{v.numberOfConnectingServers}</td>
                <td>{v.numberOfSnapshots}</td>
                {mayChange ? (
                  <td class="row-actions">
                    <button
                      type="button"
                      onClick={async () => {
                        const more = prompt(`MiB to add to volume ${v.id}`, "1024");
                        if (!more) return;
                        const r = await track(
                          client,
                          `Expand volume ${v.id}`,
                          client.POST(`${SIMPLE}/volumes/{id}/actions/expand/invoke`, {
                            params: { path: { id: v.id } },
                            body: { capacity: Number(more) },
                          }),
                        );
                        setRowFailure(r);
                        list.reload();
                      }}
                    >
                      Expand
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={async () => {
                        if (!confirm(`Delete volume ${v.id}?`)) return;
                        const r = await track(
                          client,
                          `Delete volume ${v.id}`,
                          client.DELETE(`${SIMPLE}/volumes/{id}`, { params: { path: { id: v.id } } }),
                        );
                        setRowFailure(r);
                        list.reload();
                      }}
                    >
                      Delete
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && data.length === 0 ? <p class="empty">No volume matches.</p> : null}
      </Section>
      {mayChange ? <CreateVolumes signed={signed} changed={list.reload} /> : null}
    </div>
  );
}

function CreateVolumes({ signed, changed }: { signed: PageProps["signed"]; changed: () => void }) {
  const { client } = signed;
  const [poolId, setPoolId] = useState("0");
  const [capacity, setCapacity] = useState("1024");
  const [number, setNumber] = useState("1");
  const [baseName, setBaseName] = useState("");
  return (
    <Section title="Create volumes">
      <ChangeForm
        label="Create"
        testId="create-volumes"
        submit={async () => {
          const n = Number(number);
          const body = {
            poolId: Number(poolId),
            capacity: Number(capacity),
            ...(n > 1 ? { number: n } : {}),
            ...(baseName
              ? { nicknameParam: { baseName, ...(n > 1 ? { startNumber: 0, numberOfDigits: 3 } : {}) } }
              : {}),
          };
          if (![body.poolId, body.capacity, n].every(Number.isInteger))
            return invalid("Pool ID, capacity and number are whole numbers.");
          return track(
            client,
            `Create ${n} volume${n === 1 ? "" : "s"} in pool ${body.poolId}`,
            client.POST(`${SIMPLE}/volumes`, { body }),
          );
        }}
        done={changed}
      >
        <Field label="Pool ID" name="poolId" value={poolId} onInput={setPoolId} type="number" />
        <Field label="Capacity (MiB)" name="capacity" value={capacity} onInput={setCapacity} type="number" />
        <Field label="Number" name="number" value={number} onInput={setNumber} type="number" />
        <Field label="Nickname" name="baseName" value={baseName} onInput={setBaseName} />
      </ChangeForm>
      <p class="hint">A multi-volume create runs as one job: follow it on the Jobs page.</p>
    </Section>
  );
}
