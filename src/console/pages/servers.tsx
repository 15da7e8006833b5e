/** Servers with their HBAs and paths, the host groups the array holds, and registering servers. */
import { useState } from "preact/hooks";
import { SIMPLE } from "../../client/index.ts";
import { OS_TYPES } from "../../domain/os-types.ts";
import type { PageProps } from "../app.tsx";
import { track } from "../operations.ts";
import { ChangeForm, ErrorBox, Field, invalid, mib, Section, useLoad } from "../ui.tsx";

export function ServersPage({ signed }: PageProps) {
  const { client } = signed;
  const servers = useLoad(() => client.GET(`${SIMPLE}/servers`), [], 5000);
  const [selected, setSelected] = useState<number>();
  const mayChange = signed.may("provisioning");
  return (
    <div>
      <Section title="Servers">
        <ErrorBox failure={servers.failure} />
        <table data-testid="servers">
          <thead>
            <tr>
              <th>ID</th>
              <th>Nickname</th>
              <th>Protocol</th>
              <th>OS</th>
              <th>Capacity</th>
              <th>Paths</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(servers.data?.data ?? []).map((s) => (
              <tr key={s.id} class={s.id === selected ? "selected" : ""}>
                <td>{s.id}</td>
                <td>{s.nickname}</td>
                <td>{s.protocol}</td>
                <td>{s.osType}</td>
                <td>{mib(s.totalCapacity)}</td>
                <td>{s.numberOfPaths}</td>
                <td>
                  <button type="button" onClick={() => setSelected(s.id)}>
                    Details
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {selected !== undefined ? (
        <ServerDetail signed={signed} id={selected} changed={servers.reload} />
      ) : null}
      {mayChange ? <RegisterServer signed={signed} changed={servers.reload} /> : null}
      <HostGroups signed={signed} />
    </div>
  );
}

function ServerDetail({
  signed,
  id,
  changed,
}: {
  signed: PageProps["signed"];
  id: number;
  changed: () => void;
}) {
  const { client } = signed;
  const detail = useLoad(
    () => client.GET(`${SIMPLE}/servers/{id}`, { params: { path: { id } } }),
    [id],
    5000,
  );
  const hbas = useLoad(
    () => client.GET(`${SIMPLE}/servers/{id}/hbas`, { params: { path: { id } } }),
    [id],
    5000,
  );
  const [wwn, setWwn] = useState("");
  const [ports, setPorts] = useState("CL1-A");
  const mayChange = signed.may("provisioning");
  const d = detail.data;
  const iscsi = d?.protocol === "iSCSI";
  const initiator = (v: string) => (iscsi ? { iscsiName: v } : { hbaWwn: v });
  return (
    <Section title={`Server ${id}${d ? `: ${d.nickname}` : ""}`}>
      <ErrorBox failure={detail.failure ?? hbas.failure} />
      <h3>HBAs</h3>
      <ul data-testid="hbas">
        {(hbas.data?.data ?? []).map((h) => (
          <li key={h.hbaWwn ?? h.iscsiName}>
            {h.hbaWwn ?? h.iscsiName} → {h.portIds.join(", ") || "no port"}
          </li>
        ))}
      </ul>
      <h3>Paths</h3>
      <ul data-testid="paths">
        {(d?.paths ?? []).map((p) => (
          <li key={p.hbaWwn ?? p.iscsiName}>
            {p.hbaWwn ?? p.iscsiName} via {p.portIds.join(", ")}
          </li>
        ))}
      </ul>
      {mayChange ? (
        <div class="forms">
          <ChangeForm
            label="Add HBA"
            testId="add-hba"
            submit={async () =>
              track(
                client,
                `Add HBA to server ${id}`,
                client.POST(`${SIMPLE}/servers/{id}/hbas`, {
                  params: { path: { id } },
                  body: { hbas: [initiator(wwn)] },
                }),
              )
            }
            done={() => {
              hbas.reload();
              changed();
            }}
          >
            <Field label={iscsi ? "iSCSI name" : "WWN"} name="wwn" value={wwn} onInput={setWwn} />
          </ChangeForm>
          <ChangeForm
            label="Add path"
            testId="add-path"
            submit={async () => {
              const portIds = ports
                .split(",")
                .map((p) => p.trim())
                .filter(Boolean);
              if (portIds.length === 0) return invalid("Name at least one port, e.g. CL1-A.");
              return track(
                client,
                `Add path to server ${id}`,
                client.POST(`${SIMPLE}/servers/{id}/paths`, {
                  params: { path: { id } },
                  body: { ...initiator(wwn), portIds },
                }),
              );
            }}
            done={() => {
              detail.reload();
              hbas.reload();
              changed();
            }}
          >
            <Field label="Ports" name="ports" value={ports} onInput={setPorts} placeholder="CL1-A, CL2-A" />
          </ChangeForm>
          <button
            type="button"
            class="danger"
            onClick={async () => {
              if (!confirm(`Delete server ${id}?`)) return;
              await track(
                client,
                `Delete server ${id}`,
                client.DELETE(`${SIMPLE}/servers/{id}`, { params: { path: { id } }, body: {} }),
              );
              changed();
            }}
          >
            Delete server
          </button>
        </div>
      ) : null}
    </Section>
  );
}

function RegisterServer({ signed, changed }: { signed: PageProps["signed"]; changed: () => void }) {
  const { client } = signed;
  const [nickname, setNickname] = useState("");
  const [protocol, setProtocol] = useState<"FC" | "iSCSI">("FC");
  const [osType, setOsType] = useState<(typeof OS_TYPES)[number]>("Linux");
  return (
    <Section title="Register a server">
      <ChangeForm
        label="Register"
        testId="register-server"
        submit={async () =>
          track(
            client,
            `Register server ${nickname}`,
            client.POST(`${SIMPLE}/servers`, { body: { serverNickname: nickname, protocol, osType } }),
          )
        }
        done={changed}
      >
        <Field label="Nickname" name="serverNickname" value={nickname} onInput={setNickname} />
        <label class="field">
          <span>Protocol</span>
          <select
            value={protocol}
            onChange={(e) => setProtocol((e.target as HTMLSelectElement).value as "FC" | "iSCSI")}
          >
            <option value="FC">FC</option>
            <option value="iSCSI">iSCSI</option>
          </select>
        </label>
        <label class="field">
          <span>OS</span>
          <select
            value={osType}
            onChange={(e) => setOsType((e.target as HTMLSelectElement).value as (typeof OS_TYPES)[number])}
          >
            {OS_TYPES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
      </ChangeForm>
    </Section>
  );
}

/** The host groups of every port, as the full API reads them (a server's are named after it). */
function HostGroups({ signed }: PageProps) {
  const groups = useLoad(() => signed.client.GET("/ConfigurationManager/v1/objects/host-groups"), [], 10000);
  const data = (groups.data?.data ?? []).filter((g) => g.hostGroupNumber !== 0);
  return (
    <Section title="Host groups">
      <ErrorBox failure={groups.failure} />
      <table data-testid="host-groups">
        <thead>
          <tr>
            <th>Port</th>
            <th>Number</th>
            <th>Name</th>
            <th>Host mode</th>
          </tr>
        </thead>
        <tbody>
          {data.map((g) => (
            <tr key={g.hostGroupId}>
              <td>{g.portId}</td>
              <td>{g.hostGroupNumber}</td>
              <td>{g.hostGroupName}</td>
              <td>{g.hostMode}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {groups.data && data.length === 0 ? <p class="empty">Only the ports' default groups.</p> : null}
    </Section>
  );
}
