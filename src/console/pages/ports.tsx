/** The ports, and the volume-server connections drawn as volume → server → port (LUN). */
import { useState } from "preact/hooks";
import { type Connection, SIMPLE } from "../../client/index.ts";
import type { PageProps } from "../app.tsx";
import { track } from "../operations.ts";
import { ChangeForm, ErrorBox, Field, idList, invalid, Section, useLoad } from "../ui.tsx";

export function PortsPage({ signed }: PageProps) {
  const { client } = signed;
  const ports = useLoad(() => client.GET(`${SIMPLE}/ports`), [], 10000);
  const servers = useLoad(() => client.GET(`${SIMPLE}/servers`), [], 10000);
  const connections = useLoad(
    () => client.GET(`${SIMPLE}/volume-server-connections`, { params: { query: { count: 100 } } }),
    [],
    5000,
  );
  const names = new Map((servers.data?.data ?? []).map((s) => [s.id, s.nickname]));
  return (
    <div>
      <Section title="Connections">
        <ErrorBox failure={connections.failure} />
        <ConnectionMap connections={connections.data?.data ?? []} names={names} />
        {connections.data?.hasNext ? <p class="hint">The first 100 connections are drawn.</p> : null}
        {signed.may("provisioning") ? <Connect signed={signed} changed={connections.reload} /> : null}
      </Section>
      <Section title="Ports">
        <ErrorBox failure={ports.failure} />
        <table data-testid="ports">
          <thead>
            <tr>
              <th>Port</th>
              <th>Protocol</th>
              <th>WWN / iSCSI name</th>
              <th>Speed</th>
              <th>Security</th>
            </tr>
          </thead>
          <tbody>
            {(ports.data?.data ?? []).map((p) => (
              <tr key={p.id}>
                <td>{p.id}</td>
                <td>{p.protocol}</td>
                <td>{p.portWwn || p.portIscsiName}</td>
                <td>{p.actualPortSpeed || p.portSpeed}</td>
                <td>{p.portSecurity ? "on" : "off"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

const ROW = 30;
const COLUMN = [20, 260, 500];

/** Three columns, volumes, servers and ports, with a line for each connection and each LUN's port. */
function ConnectionMap({ connections, names }: { connections: Connection[]; names: Map<number, string> }) {
  if (connections.length === 0) return <p class="empty">No volume is connected to a server.</p>;
  const volumes = [...new Set(connections.map((c) => c.volumeId))].sort((a, b) => a - b);
  const servers = [...new Set(connections.map((c) => c.serverId))].sort((a, b) => a - b);
  const ports = [...new Set(connections.flatMap((c) => c.luns.map((l) => l.portId)))].sort();
  const y = (list: (string | number)[], item: string | number) => 30 + list.indexOf(item) * ROW;
  const serverPort = new Map<string, number[]>();
  for (const c of connections)
    for (const l of c.luns) {
      const key = `${c.serverId}|${l.portId}`;
      serverPort.set(key, [...(serverPort.get(key) ?? []), l.lun]);
    }
  const height = 40 + Math.max(volumes.length, servers.length, ports.length) * ROW;
  return (
    <svg class="map" data-testid="connection-map" viewBox={`0 0 700 ${height}`} width="700" height={height}>
      <title>Volumes connected to servers, through ports</title>
      <text x={COLUMN[0]} y={14} class="head">
        Volume
      </text>
      <text x={COLUMN[1]} y={14} class="head">
        Server
      </text>
      <text x={COLUMN[2]} y={14} class="head">
        Port (LUNs)
      </text>
      {connections.map((c) => (
        <line
          key={c.id}
          x1={(COLUMN[0] ?? 0) + 120}
          y1={y(volumes, c.volumeId) - 4}
          x2={(COLUMN[1] ?? 0) - 6}
          y2={y(servers, c.serverId) - 4}
        />
      ))}
      {[...serverPort.keys()].map((key) => {
        const [server, port] = key.split("|");
        return (
          <line
            key={key}
            x1={(COLUMN[1] ?? 0) + 160}
            y1={y(servers, Number(server)) - 4}
            x2={(COLUMN[2] ?? 0) - 6}
            y2={y(ports, port ?? "") - 4}
          />
        );
      })}
      {volumes.map((v) => (
        <text key={`v${v}`} x={COLUMN[0]} y={y(volumes, v)} class="node">
          volume {v}
        </text>
      ))}
      {servers.map((s) => (
        <text key={`s${s}`} x={COLUMN[1]} y={y(servers, s)} class="node">
          {names.get(s) ?? "server"} #{s}
        </text>
      ))}
      {ports.map((p) => {
        const luns = [...serverPort.entries()].filter(([k]) => k.endsWith(`|${p}`)).flatMap(([, l]) => l);
        return (
          <text key={`p${p}`} x={COLUMN[2]} y={y(ports, p)} class="node">
            {p} ({luns.length} LUN{luns.length === 1 ? "" : "s"})
          </text>
        );
      })}
    </svg>
  );
}

function Connect({ signed, changed }: { signed: PageProps["signed"]; changed: () => void }) {
  const { client } = signed;
  const [volumes, setVolumes] = useState("");
  const [servers, setServers] = useState("");
  return (
    <ChangeForm
      label="Connect"
      testId="connect"
      submit={async () => {
        const volumeIds = idList(volumes);
        const serverIds = idList(servers);
        if (!volumeIds || !serverIds) return invalid('Give volume and server IDs, such as "1,3,10-12".');
        return track(
          client,
          `Connect ${volumeIds.length} volume(s) to ${serverIds.length} server(s)`,
          client.POST(`${SIMPLE}/volume-server-connections`, { body: { volumeIds, serverIds } }),
        );
      }}
      done={changed}
    >
      <Field
        label="Volume IDs"
        name="volumeIds"
        value={volumes}
        onInput={setVolumes}
        placeholder="1,3,10-12"
      />
      <Field label="Server IDs" name="serverIds" value={servers} onInput={setServers} placeholder="0" />
    </ChangeForm>
  );
}
