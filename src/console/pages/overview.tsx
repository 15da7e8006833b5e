/** The array at a glance: model, serial and health; its drives; each pool with its capacity. */
import { useState } from "preact/hooks";
import { type Drive, type Pool, SIMPLE } from "../../client/index.ts";
import type { PageProps } from "../app.tsx";
import { track } from "../operations.ts";
import { CapacityBar, ChangeForm, ErrorBox, Field, invalid, mib, Section, useLoad } from "../ui.tsx";

type DriveSpec = { driveTypeCode: string; dataDriveCount: number; raidLevel?: "RAID1" | "RAID5" | "RAID6" };

export function OverviewPage({ signed }: PageProps) {
  const { client } = signed;
  const storage = useLoad(() => client.GET(`${SIMPLE}/storage`), [], 5000);
  const health = useLoad(() => client.GET(`${SIMPLE}/health-status`), [], 5000);
  const drives = useLoad(() => client.GET(`${SIMPLE}/drives`), [], 5000);
  const pools = useLoad(() => client.GET(`${SIMPLE}/pools`), [], 3000);
  const reload = () => {
    pools.reload();
    drives.reload();
    storage.reload();
  };
  const s = storage.data;
  return (
    <div class="overview">
      <Section title="Array">
        <ErrorBox failure={storage.failure ?? health.failure} />
        {s ? (
          <dl class="facts" data-testid="array">
            <dt>Model</dt>
            <dd>{s.modelName}</dd>
            <dt>Serial</dt>
            <dd>{s.serial}</dd>
            <dt>Health</dt>
            <dd class={health.data?.poolStatus.summary === "Normal" ? "ok" : "bad"}>
              pools {health.data?.poolStatus.summary ?? "…"}, snapshots{" "}
              {health.data?.snapshotStatus.summary ?? "…"}
            </dd>
            <dt>Volumes</dt>
            <dd>{s.numberOfTotalVolumes}</dd>
            <dt>Servers</dt>
            <dd>{s.numberOfTotalServers}</dd>
            <dt>Pool capacity</dt>
            <dd>
              {mib(s.usedPoolCapacity)} used of {mib(s.totalPoolCapacity)}
            </dd>
          </dl>
        ) : null}
      </Section>
      <Section title="Pools">
        <ErrorBox failure={pools.failure} />
        <div class="pools">
          {(pools.data?.data ?? []).map((p) => (
            <PoolCard key={p.id} pool={p} signed={signed} changed={reload} />
          ))}
          {pools.data && pools.data.data.length === 0 ? <p class="empty">No pool yet.</p> : null}
        </div>
        {signed.may("provisioning") ? (
          <CreatePool signed={signed} drives={drives.data?.data ?? []} changed={reload} />
        ) : null}
      </Section>
      <Section title="Drives">
        <ErrorBox failure={drives.failure} />
        <DriveSummary drives={drives.data?.data ?? []} />
      </Section>
    </div>
  );
}

function PoolCard({
  pool,
  signed,
  changed,
}: {
  pool: Pool;
  signed: PageProps["signed"];
  changed: () => void;
}) {
  const { client } = signed;
  const [failure, setFailure] = useState<Awaited<ReturnType<typeof track>>>();
  const used = pool.totalCapacity - pool.freeCapacity;
  return (
    <article class="pool" data-testid={`pool-${pool.name}`}>
      <header>
        <h3>
          {pool.name} <span class="id">#{pool.id}</span>
        </h3>
        <span class={`status ${pool.status === "Normal" ? "ok" : "bad"}`}>{pool.status}</span>
      </header>
      <CapacityBar
        used={used}
        total={pool.totalCapacity}
        warning={pool.capacityManage.thresholdWarning}
        depletion={pool.capacityManage.thresholdDepletion}
      />
      <p>
        <a href={`#/volumes?poolId=${pool.id}`}>{pool.numberOfVolumes} volume(s)</a> ·{" "}
        {mib(pool.totalCapacity)} total ·{" "}
        {pool.drives.map((d) => `${d.numberOfDrives}× ${d.driveType} ${d.raidLevel}`).join(", ")}
        {pool.configStatus.length > 0 ? ` · ${pool.configStatus.join(", ")}` : ""}
      </p>
      {signed.may("provisioning") ? (
        <div class="row-actions">
          <button
            type="button"
            class="danger"
            onClick={async () => {
              if (!confirm(`Delete pool ${pool.name}?`)) return;
              const r = await track(
                client,
                `Delete pool ${pool.name}`,
                client.DELETE(`${SIMPLE}/pools/{id}`, { params: { path: { id: pool.id } } }),
              );
              setFailure(r.ok ? undefined : r);
              changed();
            }}
          >
            Delete
          </button>
        </div>
      ) : null}
      {failure && !failure.ok ? <ErrorBox failure={failure} /> : null}
    </article>
  );
}

/** Drives grouped by type and use: how many of each are free for a new pool. */
function DriveSummary({ drives }: { drives: Drive[] }) {
  const groups = new Map<string, { drive: Drive; count: number; usage: string }>();
  for (const d of drives) {
    const key = `${d.driveTypeCode}|${d.usageType}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { drive: d, count: 1, usage: d.usageType });
  }
  return (
    <table data-testid="drives">
      <thead>
        <tr>
          <th>Drive type</th>
          <th>Kind</th>
          <th>Capacity</th>
          <th>Use</th>
          <th>Drives</th>
        </tr>
      </thead>
      <tbody>
        {[...groups.values()].map(({ drive, count, usage }) => (
          <tr key={`${drive.driveTypeCode}${usage}`}>
            <td>{drive.driveTypeCode}</td>
            <td>
              {drive.driveType} {drive.driveInterface}
            </td>
            <td>{drive.displayDriveCapacity}</td>
            <td>{usage}</td>
            <td>{count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function driveSpec(code: string, count: string, raid: string): DriveSpec | undefined {
  const n = Number(count);
  if (!code || !Number.isInteger(n) || n < 1) return undefined;
  return {
    driveTypeCode: code,
    dataDriveCount: n,
    ...(raid ? { raidLevel: raid as "RAID1" | "RAID5" | "RAID6" } : {}),
  };
}

function DriveFields(props: {
  types: string[];
  code: string;
  setCode: (v: string) => void;
  count: string;
  setCount: (v: string) => void;
  raid: string;
  setRaid: (v: string) => void;
}) {
  return (
    <>
      <label class="field">
        <span>Drive type</span>
        <select
          name="driveTypeCode"
          value={props.code}
          onChange={(e) => props.setCode((e.target as HTMLSelectElement).value)}
        >
          <option value="">choose…</option>
          {props.types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <Field
        label="Drives"
        name="dataDriveCount"
        value={props.count}
        onInput={props.setCount}
        type="number"
      />
      <label class="field">
        <span>RAID</span>
        <select
          name="raidLevel"
          value={props.raid}
          onChange={(e) => props.setRaid((e.target as HTMLSelectElement).value)}
        >
          <option value="">array's default</option>
          <option value="RAID1">RAID1</option>
          <option value="RAID5">RAID5</option>
          <option value="RAID6">RAID6</option>
        </select>
      </label>
    </>
  );
}

function CreatePool({
  signed,
  drives,
  changed,
}: {
  signed: PageProps["signed"];
  drives: Drive[];
  changed: () => void;
}) {
  const { client } = signed;
  const types = [
    ...new Set(drives.filter((d) => d.usageType.toUpperCase() === "FREE").map((d) => d.driveTypeCode)),
  ];
  const [name, setName] = useState("");
  const [code, setCode] = useState("");
  const [count, setCount] = useState("5");
  const [raid, setRaid] = useState("RAID5");
  const [expandId, setExpandId] = useState("");
  return (
    <div class="forms">
      <ChangeForm
        label="Create pool"
        testId="create-pool"
        submit={async () => {
          const spec = driveSpec(code || types[0] || "", count, raid);
          if (!spec) return invalid("Choose a drive type and a number of drives.");
          return track(
            client,
            `Create pool ${name}`,
            client.POST(`${SIMPLE}/pools`, { body: { name, drives: [spec] } }),
          );
        }}
        done={changed}
      >
        <Field label="Name" name="poolName" value={name} onInput={setName} />
        <DriveFields
          types={types}
          code={code}
          setCode={setCode}
          count={count}
          setCount={setCount}
          raid={raid}
          setRaid={setRaid}
        />
      </ChangeForm>
      <ChangeForm
        label="Expand pool"
        testId="expand-pool"
        submit={async () => {
          const spec = driveSpec(code || types[0] || "", count, raid);
          const id = Number(expandId);
          if (!spec || expandId === "" || !Number.isInteger(id))
            return invalid("Give a pool ID, a drive type and a number of drives.");
          return track(
            client,
            `Expand pool ${id}`,
            client.POST(`${SIMPLE}/pools/{id}/actions/expand/invoke`, {
              params: { path: { id } },
              body: { additionalDrives: [spec] },
            }),
          );
        }}
        done={changed}
      >
        <Field label="Pool ID" name="expandPoolId" value={expandId} onInput={setExpandId} type="number" />
        <span class="hint">with the drives chosen above</span>
      </ChangeForm>
    </div>
  );
}
