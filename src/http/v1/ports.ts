/**
 * Ports as the full API shows them: a view of the same ports as the simple face. Every port of the
 * simulated array is a target port (TAR) with LUN security on; Cinder lists the target ports and
 * reads their type, WWN, fabric mode and connection (FC) or address and TCP port (iSCSI).
 */
import { type Static, Type } from "typebox";
import { PORT_ID, type PortInfo, type PortProtocol } from "../../device/port/ports.ts";
import { call, errorResponses, ListOf, Query, type RouteModule, readParts } from "../routes/common.ts";
import { v1Forms } from "./contract.ts";

/** The full API's port types of each protocol. */
const PORT_TYPES: Record<PortProtocol, string> = { FC: "FIBRE", iSCSI: "ISCSI", NVME_TCP: "NVME_TCP" };
const PROTOCOLS = Object.keys(PORT_TYPES) as PortProtocol[];

const V1PortSchema = Type.Object({
  portId: Type.String(),
  portType: Type.String({ description: "FIBRE, ISCSI or NVME_TCP" }),
  portAttributes: Type.Array(Type.String()),
  portSpeed: Type.String(),
  loopId: Type.Optional(Type.String()),
  fabricMode: Type.Optional(Type.Boolean()),
  portConnection: Type.Optional(Type.String({ description: "PtoP or FCAL" })),
  lunSecuritySetting: Type.Boolean(),
  wwn: Type.Optional(Type.String()),
  ipv4Address: Type.Optional(Type.String()),
  ipv4Subnetmask: Type.Optional(Type.String()),
  tcpPort: Type.Optional(Type.String()),
  iscsiName: Type.Optional(Type.String()),
});
type V1Port = Static<typeof V1PortSchema>;

/** "NUMBER_32" as the full API writes a speed: "32G"; "NUMBER_0" is AUT (auto-negotiated). */
function speedOf(portSpeed: string): string {
  const n = /^NUMBER_(\d+)$/.exec(portSpeed)?.[1];
  return n === undefined || n === "0" ? "AUT" : `${n}G`;
}

function v1PortOf(p: PortInfo): V1Port {
  const port: V1Port = {
    portId: p.id,
    portType: PORT_TYPES[p.protocol],
    portAttributes: ["TAR"],
    portSpeed: speedOf(p.portSpeed),
    lunSecuritySetting: p.portSecurity,
  };
  if (p.fcInformation) {
    port.loopId = p.fcInformation.alPa;
    port.fabricMode = p.fcInformation.fabricSwitchSetting;
    port.portConnection = p.fcInformation.connectionType === "Point_To_Point" ? "PtoP" : "FCAL";
  }
  if (p.portWwn) port.wwn = p.portWwn.toLowerCase();
  const ip = p.iscsiInformation ?? p.nvmeTcpInformation;
  if (ip) {
    port.ipv4Address = ip.ipv4Information.address;
    port.ipv4Subnetmask = ip.ipv4Information.subnetMask;
    port.tcpPort = String(ip.tcpPort);
  }
  if (p.portIscsiName) port.iscsiName = p.portIscsiName;
  return port;
}

const PortTypeQuery = Type.Union(Object.values(PORT_TYPES).map((t) => Type.Literal(t)));

export const portRoutes: RouteModule = (app, { device }) => {
  const tags = ["v1 ports"];
  for (const { url, params } of v1Forms("/ports")) {
    app.get(
      url,
      {
        schema: {
          tags,
          summary: "List ports, of one type or attribute",
          params,
          querystring: Query({
            portType: Type.Optional(PortTypeQuery),
            portAttributes: Type.Optional(
              Type.String({ pattern: "^(TAR|MCU|RCU|ELUN)$", description: "TAR, MCU, RCU or ELUN" }),
            ),
          }),
          response: { 200: ListOf(V1PortSchema), ...errorResponses() },
        },
      },
      async (request) => {
        const { portType, portAttributes } = request.query;
        const protocols = PROTOCOLS.filter((p) => portType === undefined || PORT_TYPES[p] === portType);
        // Read one protocol after the other, as the array reports them (a later part may fail alone).
        const ports = await readParts(
          protocols.map((protocol) => () => device.listPorts({ protocol }, call())),
        );
        const data = ports
          .map(v1PortOf)
          .filter((p) => portAttributes === undefined || p.portAttributes.includes(portAttributes));
        return { data, count: data.length };
      },
    );
  }
  for (const { url, params } of v1Forms("/ports/:portId", {
    portId: Type.String({ pattern: PORT_ID.source, description: "e.g. CL1-A" }),
  })) {
    app.get(
      url,
      {
        schema: { tags, summary: "Get a port", params, response: { 200: V1PortSchema, ...errorResponses() } },
      },
      async (request) => v1PortOf(await device.getPort(request.params.portId, call())),
    );
  }
};
