/** Snapshots and snapshot groups, and taking snapshots of volumes. */
import { useState } from "preact/hooks";
import { SIMPLE } from "../../client/index.ts";
import type { PageProps } from "../app.tsx";
import { track } from "../operations.ts";
import { ChangeForm, ErrorBox, Field, idList, invalid, Section, useLoad } from "../ui.tsx";

type SnapshotType = "Snapshot" | "Mapped Snapshot" | "Snap Clone";

export function SnapshotsPage({ signed }: PageProps) {
  const { client } = signed;
  const [master, setMaster] = useState("");
  const [applied, setApplied] = useState("");
  const groups = useLoad(() => client.GET(`${SIMPLE}/snapshot-groups`), [], 5000);
  const snapshots = useLoad(
    () =>
      client.GET(`${SIMPLE}/snapshots`, {
        params: { query: { count: 100, ...(applied !== "" ? { masterVolumeId: Number(applied) } : {}) } },
      }),
    [applied],
    5000,
  );
  const mayChange = signed.may("local-copy");
  const [failure, setFailure] = useState<Awaited<ReturnType<typeof track>>>();
  const reload = () => {
    groups.reload();
    snapshots.reload();
  };
  return (
    <div>
      <Section title="Snapshot groups">
        <ErrorBox failure={groups.failure ?? (failure && !failure.ok ? failure : undefined)} />
        <ul data-testid="snapshot-groups" class="chips">
          {(groups.data?.data ?? []).map((g) => (
            <li key={g.name}>
              {g.name}
              {mayChange ? (
                <button
                  type="button"
                  class="danger small"
                  onClick={async () => {
                    if (!confirm(`Delete snapshot group ${g.name} and its snapshots?`)) return;
                    const r = await track(
                      client,
                      `Delete snapshot group ${g.name}`,
                      client.DELETE(`${SIMPLE}/snapshot-groups/{name}`, {
                        params: { path: { name: g.name } },
                      }),
                    );
                    setFailure(r);
                    reload();
                  }}
                >
                  Delete
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {groups.data && groups.data.data.length === 0 ? <p class="empty">No snapshot group.</p> : null}
      </Section>
      <Section title="Snapshots">
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied(master.trim());
          }}
        >
          <Field label="Master volume ID" name="masterVolumeId" value={master} onInput={setMaster} />
          <button type="submit">Filter</button>
        </form>
        <ErrorBox failure={snapshots.failure} />
        <table data-testid="snapshots">
          <thead>
            <tr>
              <th>ID</th>
              <th>Master volume</th>
              <th>Group</th>
              <th>Type</th>
              <th>Status</th>
              <th>Taken</th>
              <th>Mapped volume</th>
            </tr>
          </thead>
          <tbody>
            {(snapshots.data?.data ?? []).map((s) => (
              <tr key={s.id}>
                <td>{s.id}</td>
                <td>{s.masterVolumeId}</td>
                <td>{s.snapshotGroupName}</td>
                <td>{s.type}</td>
                <td>{s.status}</td>
                <td>{s.snapshotDate}</td>
                <td>{s.mappedVolumeId ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {mayChange ? <TakeSnapshots signed={signed} changed={reload} /> : null}
    </div>
  );
}

function TakeSnapshots({ signed, changed }: { signed: PageProps["signed"]; changed: () => void }) {
  const { client } = signed;
  const [volumes, setVolumes] = useState("");
  const [poolId, setPoolId] = useState("0");
  const [group, setGroup] = useState("");
  const [type, setType] = useState<SnapshotType>("Snapshot");
  return (
    <Section title="Take snapshots">
      <ChangeForm
        label="Take"
        testId="take-snapshots"
        submit={async () => {
          const ids = idList(volumes);
          if (!ids) return invalid('Give master volume IDs, such as "1,3,10-12".');
          const params = ids.map((masterVolumeId) => ({
            masterVolumeId,
            poolId: Number(poolId),
            snapshotGroupName: group,
            type,
          }));
          return track(
            client,
            `Snapshot ${ids.length} volume(s) into ${group}`,
            client.POST(`${SIMPLE}/snapshots`, { body: { params } }),
          );
        }}
        done={changed}
      >
        <Field label="Master volume IDs" name="masterVolumeIds" value={volumes} onInput={setVolumes} />
        <Field label="Pool ID" name="snapshotPoolId" value={poolId} onInput={setPoolId} />
        <Field label="Group" name="snapshotGroupName" value={group} onInput={setGroup} />
        <label class="field">
          <span>Type</span>
          <select
            value={type}
            onChange={(e) => setType((e.target as HTMLSelectElement).value as SnapshotType)}
          >
            <option>Snapshot</option>
            <option>Mapped Snapshot</option>
            <option>Snap Clone</option>
          </select>
        </label>
      </ChangeForm>
    </Section>
  );
}
