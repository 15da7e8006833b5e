/**
 * Ports: the array's front-end FC and iSCSI ports. A settings change is synchronous: it answers
 * 200 with the affected port once the array has applied it.
 *
 * A change takes the bodies the clients send: whole ipv4Information/ipv6Information objects where
 * the empty string stands for a setting not given, and the IPv6 statuses sent back as reported.
 * The route checks the forms of values; the array checks what depends on the port (its protocol,
 * its hardware's speeds, the statuses it reports).
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { Type } from "typebox";
import {
  FC_CONNECTION_TYPES,
  IP_MODES,
  type Ipv4InformationChange,
  type Ipv6InformationChange,
  ISCSI_WINDOW_SIZES,
  type IscsiInformationChange,
  MTU_SIZES,
  PORT_ID,
  PORT_PROTOCOLS,
  PORT_SPEEDS,
  type PortChange,
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
  portSpeed: Type.String({ description: "the configured speed; NUMBER_0 is auto-negotiation" }),
  actualPortSpeed: Type.String({ description: "the speed the link runs at" }),
  portSecurity: Type.Boolean(),
  fcInformation: Type.Optional(FcInformationSchema),
  iscsiInformation: Type.Optional(IscsiInformationSchema),
  nvmeTcpInformation: Type.Optional(NvmeTcpInformationSchema),
});

const PortParams = Type.Object(
  { portId: Type.String({ pattern: PORT_ID.source, description: 'a port ID such as "CL1-A"' }) },
  { additionalProperties: false },
);

/** A string setting of a change; the empty string leaves the setting as it is. */
const Setting = (description: string) => Type.Optional(Type.String({ description }));

const ChangeBody = Body(
  {
    portSpeed: Type.Optional(literals(PORT_SPEEDS)),
    portSecurity: Type.Optional(Type.Boolean()),
    fcInformation: Type.Optional(
      Body(
        {
          alPa: Type.Optional(Type.String({ description: "two hexadecimal digits, 01–EF" })),
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
                address: Setting("an IPv4 address"),
                subnetMask: Setting("a subnet mask"),
                defaultGateway: Setting("an IPv4 address; 0.0.0.0 for none"),
              },
              { minProperties: 1 },
            ),
          ),
          ipv6Information: Type.Optional(
            Body(
              {
                linklocal: Setting('"Auto", "Manual" or a link-local address (fe80::/10)'),
                linklocalAddress: Setting("a link-local address, set by hand"),
                linklocalAddressStatus: Setting("reported by the array: accepted only as reported"),
                global: Setting('"Auto", "Manual" or a global address'),
                globalAddress: Setting('a global address, set by hand; "::" for none'),
                globalAddressStatus: Setting("reported by the array: accepted only as reported"),
                defaultGateway: Setting('an IPv6 address; "::" for none'),
              },
              { minProperties: 1 },
            ),
          ),
          tcpPort: Type.Optional(TcpPort),
          selectiveAck: Type.Optional(Type.Boolean()),
          delayedAck: Type.Optional(Type.Boolean()),
          windowSize: Type.Optional(literals(ISCSI_WINDOW_SIZES)),
          mtuSize: Type.Optional(literals(MTU_SIZES)),
          keepAliveTimer: Type.Optional(
            Type.Integer({ minimum: 30, maximum: 64800, description: "seconds" }),
          ),
          isnsServerMode: Type.Optional(Type.Boolean()),
          isnsServerIpAddress: Setting("an IPv4 or IPv6 address"),
          isnsServerPort: Type.Optional(TcpPort),
          virtualPortEnabled: Type.Optional(Type.Boolean()),
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

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet("fe80::", 10, "ipv6");
const isLinkLocal = (a: string) => isIPv6(a) && LINK_LOCAL.check(a, "ipv6");
const isGlobal = (a: string) => isIPv6(a) && !LINK_LOCAL.check(a, "ipv6");

/** Checks a string setting unless it is absent or empty (left as it is). */
function checkSetting(
  value: string | undefined,
  field: string,
  ok: (v: string) => boolean,
  what: string,
): void {
  if (value !== undefined && value !== "") check(ok(value), field, value, what);
}

/** Checks the forms of the IPv4 and IPv6 settings of a section such as iscsiInformation. */
function checkIpSettings(
  at: string,
  section: { ipv4Information?: Ipv4InformationChange; ipv6Information?: Ipv6InformationChange },
): void {
  const v4 = section.ipv4Information ?? {};
  const at4 = `${at}.ipv4Information`;
  checkSetting(v4.address, `${at4}.address`, isIPv4, "an IPv4 address");
  checkSetting(v4.subnetMask, `${at4}.subnetMask`, isSubnetMask, "a subnet mask");
  checkSetting(v4.defaultGateway, `${at4}.defaultGateway`, isIPv4, "an IPv4 address");
  const v6 = section.ipv6Information ?? {};
  const at6 = `${at}.ipv6Information`;
  const mode = (ok: (a: string) => boolean) => (v: string) => v === "Auto" || v === "Manual" || ok(v);
  checkSetting(
    v6.linklocal,
    `${at6}.linklocal`,
    mode(isLinkLocal),
    '"Auto", "Manual" or a link-local address',
  );
  checkSetting(
    v6.linklocalAddress,
    `${at6}.linklocalAddress`,
    isLinkLocal,
    "a link-local address (fe80::/10)",
  );
  checkSetting(v6.global, `${at6}.global`, mode(isGlobal), '"Auto", "Manual" or a global IPv6 address');
  checkSetting(v6.globalAddress, `${at6}.globalAddress`, isGlobal, "a global IPv6 address");
  checkSetting(v6.defaultGateway, `${at6}.defaultGateway`, isIPv6, "an IPv6 address");
  for (const [modeKey, addressKey] of [
    ["linklocal", "linklocalAddress"],
    ["global", "globalAddress"],
  ] as const) {
    const m = v6[modeKey];
    const a = v6[addressKey];
    if (m && a && m !== "Auto" && m !== "Manual" && m !== a) {
      throw new InvalidRequest(
        `The fields "${at6}.${modeKey}" and "${at6}.${addressKey}" give two addresses ("${m}", "${a}"): give one.`,
      );
    }
  }
}

/** Checks the values the schema cannot: the AL_PA range and the forms of addresses. */
function checkChange(change: PortChange): void {
  const alPa = change.fcInformation?.alPa;
  if (alPa !== undefined) {
    const ok =
      /^[0-9A-Fa-f]{2}$/.test(alPa) && Number.parseInt(alPa, 16) >= 0x01 && Number.parseInt(alPa, 16) <= 0xef;
    check(ok, "fcInformation.alPa", alPa, "two hexadecimal digits from 01 to EF (without a 0x prefix)");
  }
  const i: IscsiInformationChange | undefined = change.iscsiInformation;
  if (!i) return;
  checkIpSettings("iscsiInformation", i);
  checkSetting(
    i.isnsServerIpAddress,
    "iscsiInformation.isnsServerIpAddress",
    (a) => isIPv4(a) || isIPv6(a),
    "an IPv4 or IPv6 address",
  );
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
          protocol: Type.Optional(literals(PORT_PROTOCOLS)),
        }),
        response: { 200: ListOf(PortSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const { protocol } = request.query;
      // Without a filter the list is read in parts, one per protocol, as the array reports them:
      // a failure reading a later part answers the earlier ones in partialSuccessResponses.
      const data = protocol
        ? await device.listPorts({ protocol }, call())
        : await readParts(PORT_PROTOCOLS.map((p) => () => device.listPorts({ protocol: p }, call()))).then(
            (ports) => ports.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
          );
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
          "An FC port takes NUMBER_0 (auto) and the rates its SFP runs at (its own and the two below); " +
          "an iSCSI port's speed is fixed at NUMBER_10: another value is ignored. " +
          "In ipv4Information and ipv6Information the empty string leaves a setting as it is; " +
          "the IPv6 address statuses are accepted only as the port reports them.",
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
