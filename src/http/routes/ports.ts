/**
 * Ports: the array's front-end FC and iSCSI ports. A settings change is synchronous: it answers
 * 200 with the affected port once the array has applied it.
 */
import { isIPv4, isIPv6 } from "node:net";
import { Type } from "typebox";
import {
  ADDRESSING,
  FC_CONNECTION_TYPES,
  IP_MODES,
  type IscsiInformationChange,
  MTU_SIZES,
  PORT_ID,
  PORT_SPEEDS,
  type PortChange,
  WINDOW_SIZES,
} from "../../device/port/ports.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import { succeeded } from "../../services/jobs.ts";
import {
  Body,
  call,
  done,
  ErrorBodySchema,
  ExecutionResultSchema,
  errorResponses,
  ListOf,
  Query,
  type RouteModule,
  readParts,
  SIMPLE_OBJECTS,
} from "./common.ts";

const PORTS_URL = `${SIMPLE_OBJECTS}/ports`;

const literals = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));
const TcpPort = Type.Integer({ minimum: 1, maximum: 65535 });
const VlanId = Type.Integer({ minimum: 1, maximum: 4094 });

const FcInformationSchema = Type.Object({
  alPa: Type.String(),
  fabricSwitchSetting: Type.Boolean(),
  connectionType: Type.String(),
  sfpDataTransferRate: Type.String(),
  portMode: Type.String(),
});

const IscsiInformationSchema = Type.Object({
  vlanUse: Type.Boolean(),
  vlanId: Type.Optional(Type.Integer({ description: "the first VLAN ID set; absent while none is" })),
  vlanIds: Type.Array(Type.Integer(), { description: "every VLAN ID set on the port" }),
  ipMode: Type.String(),
  ipv4Information: Type.Object({
    address: Type.String(),
    subnetMask: Type.String(),
    defaultGateway: Type.String(),
  }),
  ipv6Information: Type.Object({
    linklocal: Type.String(),
    linklocalAddress: Type.String(),
    linklocalAddressStatus: Type.String(),
    global: Type.String(),
    globalAddress: Type.String(),
    globalAddressStatus: Type.String(),
    defaultGateway: Type.String(),
  }),
  isIpv6Updating: Type.Boolean(),
  tcpPort: Type.Integer(),
  selectiveAck: Type.Boolean(),
  delayedAck: Type.Boolean(),
  windowSize: Type.String(),
  mtuSize: Type.String(),
  linkMtuSize: Type.String(),
  keepAliveTimer: Type.Integer(),
  isnsServerMode: Type.Boolean(),
  isnsServerIpAddress: Type.String(),
  isnsServerPort: Type.Integer(),
  virtualPortEnabled: Type.Boolean(),
});

/** An NVMe/TCP port's settings (VSP One). */
const NvmeTcpInformationSchema = Type.Object({
  vlanUse: Type.Boolean(),
  vlanId: Type.Optional(Type.Integer({ description: "the first VLAN ID set; absent while none is" })),
  vlanIds: Type.Array(Type.Integer()),
  ipMode: Type.String(),
  ipv4Information: IscsiInformationSchema.properties.ipv4Information,
  ipv6Information: IscsiInformationSchema.properties.ipv6Information,
  isIpv6Updating: Type.Boolean(),
  tcpPort: Type.Integer(),
  discoveryTcpPort: Type.Integer(),
  selectiveAck: Type.Boolean(),
  delayedAck: Type.Boolean(),
  windowSize: Type.String(),
  mtuSize: Type.String(),
  linkMtuSize: Type.String(),
  virtualPortEnabled: Type.Boolean(),
});

const PortSchema = Type.Object({
  id: Type.String(),
  protocol: Type.String(),
  portWwn: Type.Optional(Type.String()),
  portIscsiName: Type.Optional(Type.String()),
  portSpeed: Type.String(),
  portSecurity: Type.Boolean(),
  fcInformation: Type.Optional(FcInformationSchema),
  iscsiInformation: Type.Optional(IscsiInformationSchema),
  nvmeTcpInformation: Type.Optional(NvmeTcpInformationSchema),
});

const PortParams = Type.Object(
  { portId: Type.String({ pattern: PORT_ID.source, description: 'a port ID such as "CL1-A"' }) },
  { additionalProperties: false },
);

const ChangeBody = Body(
  {
    portSpeed: Type.Optional(literals(PORT_SPEEDS)),
    portSecurity: Type.Optional(Type.Boolean()),
    fcInformation: Type.Optional(
      Body(
        {
          alPa: Type.Optional(Type.String({ pattern: "^[0-9A-Fa-f]{2}$", description: "hexadecimal 01–EF" })),
          fabricSwitchSetting: Type.Optional(Type.Boolean()),
          connectionType: Type.Optional(literals(FC_CONNECTION_TYPES)),
        },
        { minProperties: 1 },
      ),
    ),
    iscsiInformation: Type.Optional(
      Body(
        {
          vlanUse: Type.Optional(Type.Boolean()),
          addVlanId: Type.Optional(VlanId),
          deleteVlanId: Type.Optional(VlanId),
          ipMode: Type.Optional(literals(IP_MODES)),
          ipv4Information: Type.Optional(
            Body(
              {
                address: Type.Optional(Type.String()),
                subnetMask: Type.Optional(Type.String()),
                defaultGateway: Type.Optional(Type.String()),
              },
              { minProperties: 1 },
            ),
          ),
          ipv6Information: Type.Optional(
            Body(
              {
                linklocal: Type.Optional(literals(ADDRESSING)),
                linklocalAddress: Type.Optional(Type.String()),
                global: Type.Optional(literals(ADDRESSING)),
                globalAddress: Type.Optional(Type.String()),
                defaultGateway: Type.Optional(Type.String()),
              },
              { minProperties: 1 },
            ),
          ),
          tcpPort: Type.Optional(TcpPort),
          selectiveAck: Type.Optional(Type.Boolean()),
          delayedAck: Type.Optional(Type.Boolean()),
          windowSize: Type.Optional(literals(WINDOW_SIZES)),
          mtuSize: Type.Optional(literals(MTU_SIZES)),
          keepAliveTimer: Type.Optional(
            Type.Integer({ minimum: 30, maximum: 64800, description: "seconds" }),
          ),
          isnsServerMode: Type.Optional(Type.Boolean()),
          isnsServerIpAddress: Type.Optional(Type.String()),
          isnsServerPort: Type.Optional(TcpPort),
        },
        { minProperties: 1 },
      ),
    ),
  },
  { minProperties: 1 },
);

/** A subnet mask: an IPv4 address whose bits are ones, then zeros. */
function isSubnetMask(text: string): boolean {
  if (!isIPv4(text)) return false;
  const bits = text
    .split(".")
    .map((o) => Number(o).toString(2).padStart(8, "0"))
    .join("");
  return /^1*0*$/.test(bits);
}

function check(ok: boolean, field: string, value: string, what: string): void {
  if (!ok) throw new InvalidRequest(`The field "${field}" is invalid: "${value}" is not ${what}.`);
}

/** Checks the values the schema cannot: the AL_PA range and the forms of addresses. */
function checkChange(change: PortChange): void {
  const alPa = change.fcInformation?.alPa;
  if (alPa !== undefined) {
    const n = Number.parseInt(alPa, 16);
    check(n >= 0x01 && n <= 0xef, "fcInformation.alPa", alPa, "a hexadecimal value from 01 to EF");
  }
  const i: IscsiInformationChange | undefined = change.iscsiInformation;
  if (!i) return;
  const v4 = i.ipv4Information ?? {};
  if (v4.address !== undefined)
    check(isIPv4(v4.address), "iscsiInformation.ipv4Information.address", v4.address, "an IPv4 address");
  if (v4.subnetMask !== undefined) {
    check(
      isSubnetMask(v4.subnetMask),
      "iscsiInformation.ipv4Information.subnetMask",
      v4.subnetMask,
      "a subnet mask",
    );
  }
  if (v4.defaultGateway !== undefined) {
    check(
      isIPv4(v4.defaultGateway),
      "iscsiInformation.ipv4Information.defaultGateway",
      v4.defaultGateway,
      "an IPv4 address",
    );
  }
  const v6 = i.ipv6Information ?? {};
  for (const key of ["linklocalAddress", "globalAddress", "defaultGateway"] as const) {
    const value = v6[key];
    if (value !== undefined)
      check(isIPv6(value), `iscsiInformation.ipv6Information.${key}`, value, "an IPv6 address");
  }
  if (i.isnsServerIpAddress !== undefined) {
    const a = i.isnsServerIpAddress;
    check(isIPv4(a) || isIPv6(a), "iscsiInformation.isnsServerIpAddress", a, "an IPv4 or IPv6 address");
  }
}

export const portRoutes: RouteModule = (app, { device }) => {
  const tags = ["ports"];

  app.get(
    PORTS_URL,
    {
      schema: {
        tags,
        summary: "List ports",
        querystring: Query({
          protocol: Type.Optional(
            Type.Union([Type.Literal("FC"), Type.Literal("iSCSI"), Type.Literal("NVME_TCP")]),
          ),
        }),
        response: { 200: ListOf(PortSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const { protocol } = request.query;
      // Without a filter the list is read in parts, FC, iSCSI, then NVMe/TCP, as the array reports
      // them: a failure reading a later part answers the ones before in partialSuccessResponses.
      const data = protocol
        ? await device.listPorts({ protocol }, call())
        : await readParts([
            () => device.listPorts({ protocol: "FC" }, call()),
            () => device.listPorts({ protocol: "iSCSI" }, call()),
            () => device.listPorts({ protocol: "NVME_TCP" }, call()),
          ]).then((ports) => ports.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
      return { data, count: data.length };
    },
  );

  app.get(
    `${PORTS_URL}/:portId`,
    {
      schema: {
        tags,
        summary: "Get a port",
        params: PortParams,
        response: { 200: PortSchema, ...errorResponses() },
      },
    },
    async (request) => device.getPort(request.params.portId, call()),
  );

  app.patch(
    `${PORTS_URL}/:portId`,
    {
      config: { permission: "provisioning" },
      schema: {
        tags,
        summary: "Change port settings (synchronous; only the given settings change)",
        description:
          "fcInformation applies to FC ports and iscsiInformation to iSCSI ports; the other is a 400. " +
          "An iSCSI port's speed is fixed at NUMBER_10: another value is ignored.",
        params: PortParams,
        body: ChangeBody,
        response: { 200: ExecutionResultSchema, 400: ErrorBodySchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { portId } = request.params;
      const change = request.body as PortChange;
      checkChange(change);
      await device.updatePort(portId, change, call());
      return done(reply, succeeded("UPDATE", "Port", portId, `${PORTS_URL}/${portId}`));
    },
  );
};
