/**
 * Servers (hosts) with their HBAs, paths, iSCSI targets and host groups. Reads answer at once;
 * every change is asynchronous (202 + command-status). A change is checked here against the
 * request and the server's protocol, and the array checks its own rules when the job runs.
 */
import { Type } from "typebox";
import { PORT_ID } from "../../device/port/ports.ts";
import {
  MAX_HOST_GROUP_NUMBER,
  MAX_SERVER_ID,
  OS_TYPES,
  type ServerChange,
} from "../../device/port/servers.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import { OS_TYPE_OPTION } from "../../domain/limits.ts";
import {
  checkHbaFits,
  checkNickname,
  hbaFromBody,
  parseHbaName,
  parseIscsiName,
  parseWwn,
  SERVER_JOBS,
  SERVERS_URL,
} from "../../services/servers.ts";
import { principalOf } from "../contract/auth.ts";
import {
  accepted,
  acceptedEach,
  Body,
  call,
  errorResponses,
  IntId,
  idParams,
  ListOf,
  Query,
  type RouteModule,
  StatusResourceSchema,
} from "./common.ts";

const NullableString = Type.Union([Type.String(), Type.Null()]);
const PortId = Type.String({ pattern: PORT_ID.source, description: 'a port ID such as "CL1-A"' });
const OsType = Type.Union(OS_TYPES.map((t) => Type.Literal(t)));
const OsTypeOptions = Type.Array(Type.Integer({ minimum: OS_TYPE_OPTION.min, maximum: OS_TYPE_OPTION.max }), {
  maxItems: 256,
  uniqueItems: true,
});

const ServerSummarySchema = Type.Object({
  id: Type.Integer(),
  nickname: Type.String(),
  protocol: Type.String({ description: "FC, iSCSI, or Undefined for a reserved server" }),
  osType: Type.String(),
  totalCapacity: Type.Integer({ description: "MiB" }),
  usedCapacity: Type.Integer({ description: "MiB" }),
  numberOfPaths: Type.Integer(),
  isInconsistent: Type.Boolean(),
  modificationInProgress: Type.Boolean(),
  compatibility: Type.String(),
  isReserved: Type.Boolean(),
  hasUnalignedOsTypes: Type.Boolean(),
});

const HbaPathsSchema = Type.Object({
  hbaWwn: NullableString,
  iscsiName: NullableString,
  portIds: Type.Array(Type.String()),
});

const ServerDetailSchema = Type.Object({
  id: Type.Integer(),
  nickname: Type.String(),
  protocol: Type.String(),
  osType: Type.String(),
  osTypeOptions: Type.Array(Type.Integer()),
  totalCapacity: Type.Integer(),
  usedCapacity: Type.Integer(),
  numberOfVolumes: Type.Integer(),
  numberOfPaths: Type.Integer(),
  paths: Type.Array(HbaPathsSchema),
  isInconsistent: Type.Boolean(),
  modificationInProgress: Type.Boolean(),
  compatibility: Type.String(),
  isReserved: Type.Boolean(),
  hasUnalignedOsTypes: Type.Boolean(),
  hasNonFullmeshLuPaths: Type.Boolean(),
  hasUnalignedOsTypeOptions: Type.Boolean(),
});

const HbaSchema = Type.Object({
  serverId: Type.Integer(),
  hbaWwn: NullableString,
  iscsiName: NullableString,
  portIds: Type.Array(Type.String()),
});

const PathSchema = Type.Object({
  id: Type.String({ description: "<hbaWwn or iscsiName>,<portId>" }),
  serverId: Type.Integer(),
  hbaWwn: NullableString,
  iscsiName: NullableString,
  portId: Type.String(),
});

const TargetSchema = Type.Object({ portId: Type.String(), targetIscsiName: NullableString });

const HbaName = Type.Object({
  hbaWwn: Type.Optional(Type.String({ description: "16 hexadecimal characters (FC servers)" })),
  iscsiName: Type.Optional(Type.String({ description: "iqn. or eui. format (iSCSI servers)" })),
});

const serverId = IntId(0, MAX_SERVER_ID, "server ID");
const HbaParams = Type.Object(
  { id: serverId, hba: Type.String({ description: "a WWN or an iSCSI name" }) },
  { additionalProperties: false },
);
const PathParams = Type.Object(
  { id: serverId, pathId: Type.String({ description: "<hbaWwn or iscsiName>,<portId>" }) },
  { additionalProperties: false },
);
const PortParams = Type.Object({ id: serverId, portId: PortId }, { additionalProperties: false });

const NoBody = Type.Optional(Type.Union([Body({}), Type.Null()]));

/** "<hba>,<portId>" of a path URL; the HBA part may not hold a comma, so the last one splits. */
function parsePathId(raw: string) {
  const comma = raw.lastIndexOf(",");
  const portId = raw.slice(comma + 1);
  if (comma < 0 || !PORT_ID.test(portId)) {
    throw new InvalidRequest(
      `The object ID "${raw}" is invalid: a path ID has the form <hbaWwn or iscsiName>,<portId>.`,
    );
  }
  return { hba: parseHbaName(raw.slice(0, comma)), portId };
}

export const serverRoutes: RouteModule = (app, { device, jobs }) => {
  const tags = ["servers"];
  const change = { permission: "provisioning" } as const;
  const accept = { 202: StatusResourceSchema, ...errorResponses() };
  const enqueue = (kind: string, params: unknown, request: Parameters<typeof principalOf>[0]) =>
    jobs.enqueue(kind, params, principalOf(request).user.id);

  app.get(
    SERVERS_URL,
    {
      schema: {
        tags,
        summary: "List servers",
        querystring: Query({
          nickname: Type.Optional(Type.String({ description: "exact match" })),
          hbaWwn: Type.Optional(Type.String({ description: "exact match" })),
          iscsiName: Type.Optional(Type.String({ description: "exact match" })),
        }),
        response: { 200: ListOf(ServerSummarySchema), ...errorResponses() },
      },
    },
    async (request) => {
      const { nickname, hbaWwn, iscsiName } = request.query;
      const data = await device.listServers(
        {
          ...(nickname !== undefined ? { nickname } : {}),
          ...(hbaWwn !== undefined ? { hbaWwn: parseWwn(hbaWwn) } : {}),
          ...(iscsiName !== undefined ? { iscsiName: parseIscsiName(iscsiName) } : {}),
        },
        call(),
      );
      return { data, count: data.length };
    },
  );

  app.get(
    `${SERVERS_URL}/:id`,
    {
      schema: {
        tags,
        summary: "Get a server",
        params: idParams(MAX_SERVER_ID),
        response: { 200: ServerDetailSchema, ...errorResponses() },
      },
    },
    async (request) => device.getServer(request.params.id, call()),
  );

  app.post(
    SERVERS_URL,
    {
      config: change,
      schema: {
        tags,
        summary: "Register a server",
        body: Body({
          serverNickname: Type.String({ description: "1–229 characters" }),
          protocol: Type.Optional(Type.Union([Type.Literal("FC"), Type.Literal("iSCSI")])),
          osType: Type.Optional(OsType),
          osTypeOptions: Type.Optional(OsTypeOptions),
          isReserved: Type.Optional(
            Type.Boolean({ description: "a shell server that host groups are added to" }),
          ),
        }),
        response: accept,
      },
    },
    async (request, reply) => {
      const b = request.body;
      const reserved = b.isReserved === true;
      if (!reserved && b.protocol === undefined) {
        throw new InvalidRequest(
          "The request body must give protocol (FC or iSCSI) unless isReserved is true.",
        );
      }
      // A reserved server has neither protocol nor OS type until host groups are added to it.
      const protocol = reserved ? "Undefined" : (b.protocol as "FC" | "iSCSI");
      checkNickname(b.serverNickname, protocol);
      const spec = {
        nickname: b.serverNickname,
        protocol,
        osType: reserved ? "Undefined" : (b.osType ?? "Linux"),
        osTypeOptions: reserved ? [] : (b.osTypeOptions ?? []),
        isReserved: reserved,
      };
      return accepted(reply, await enqueue(SERVER_JOBS.create, spec, request));
    },
  );

  app.patch(
    `${SERVERS_URL}/:id`,
    {
      config: change,
      schema: {
        tags,
        summary: "Change a server's nickname, its OS type and options, or both",
        params: idParams(MAX_SERVER_ID),
        body: Body(
          {
            nickname: Type.Optional(Type.String()),
            osType: Type.Optional(OsType),
            osTypeOptions: Type.Optional(OsTypeOptions),
          },
          { minProperties: 1 },
        ),
        response: accept,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { nickname, osType, osTypeOptions } = request.body;
      const server = await device.getServer(id, call());
      // Clients send a nickname and an OS type together when both change: one job does both.
      if (nickname !== undefined) checkNickname(nickname, server.protocol);
      const changed: ServerChange = {
        ...(nickname !== undefined ? { nickname } : {}),
        ...(osType !== undefined ? { osType } : {}),
        ...(osTypeOptions !== undefined ? { osTypeOptions } : {}),
      };
      return accepted(reply, await enqueue(SERVER_JOBS.update, { id, change: changed }, request));
    },
  );

  app.delete(
    `${SERVERS_URL}/:id`,
    {
      config: change,
      schema: {
        tags,
        summary: "Delete a server with its HBAs, paths, host groups and volume connections",
        description:
          "With keepLunConfig the server's host groups stay on their ports, with their initiators and LUN paths, as host groups of no server that another server can take over (add-host-groups).",
        params: idParams(MAX_SERVER_ID),
        body: Type.Optional(
          Type.Union([Body({ keepLunConfig: Type.Optional(Type.Boolean()) }), Type.Null()]),
        ),
        response: accept,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await device.getServer(id, call());
      const keepLunConfig = request.body?.keepLunConfig === true;
      return accepted(reply, await enqueue(SERVER_JOBS.delete, { id, keepLunConfig }, request));
    },
  );

  // HBAs

  app.get(
    `${SERVERS_URL}/:id/hbas`,
    {
      schema: {
        tags,
        summary: "List a server's HBAs",
        params: idParams(MAX_SERVER_ID),
        response: { 200: ListOf(HbaSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const data = await device.listHbas(request.params.id, call());
      return { data, count: data.length };
    },
  );

  app.get(
    `${SERVERS_URL}/:id/hbas/:hba`,
    {
      schema: {
        tags,
        summary: "Get an HBA of a server",
        params: HbaParams,
        response: { 200: HbaSchema, ...errorResponses() },
      },
    },
    async (request) => device.getHba(request.params.id, parseHbaName(request.params.hba).name, call()),
  );

  app.post(
    `${SERVERS_URL}/:id/hbas`,
    {
      config: change,
      schema: {
        tags,
        summary: "Add HBAs to a server (one statusResource per HBA; each succeeds or fails on its own)",
        params: idParams(MAX_SERVER_ID),
        body: Body({ hbas: Type.Array(Body(HbaName.properties), { minItems: 1, maxItems: 256 }) }),
        response: { 202: Type.Array(StatusResourceSchema), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const hbas = request.body.hbas.map((h, i) => hbaFromBody(h, `hbas[${i}]`));
      const server = await device.getServer(id, call());
      for (const hba of hbas) checkHbaFits(hba, id, server.protocol);
      const ids = await jobs.enqueueItems(
        SERVER_JOBS.addHbas,
        { id, hbas },
        principalOf(request).user.id,
        hbas.length,
      );
      return acceptedEach(reply, ids);
    },
  );

  app.delete(
    `${SERVERS_URL}/:id/hbas/:hba`,
    {
      config: change,
      schema: {
        tags,
        summary: "Remove an HBA and its paths from a server",
        params: HbaParams,
        response: accept,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const hba = parseHbaName(request.params.hba);
      await device.getHba(id, hba.name, call());
      return accepted(reply, await enqueue(SERVER_JOBS.deleteHba, { id, hba }, request));
    },
  );

  // Paths

  app.post(
    `${SERVERS_URL}/:id/paths`,
    {
      config: change,
      schema: {
        tags,
        summary: "Add paths from an HBA of the server through ports (host groups are created as needed)",
        params: idParams(MAX_SERVER_ID),
        body: Body({
          ...HbaName.properties,
          portIds: Type.Array(PortId, { minItems: 1, maxItems: 32, uniqueItems: true }),
        }),
        response: accept,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const hba = hbaFromBody(request.body);
      const server = await device.getServer(id, call());
      checkHbaFits(hba, id, server.protocol);
      return accepted(
        reply,
        await enqueue(SERVER_JOBS.addPaths, { id, hba, portIds: request.body.portIds }, request),
      );
    },
  );

  app.get(
    `${SERVERS_URL}/:id/paths/:pathId`,
    {
      schema: {
        tags,
        summary: "Get a path of a server",
        params: PathParams,
        response: { 200: PathSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const { hba, portId } = parsePathId(request.params.pathId);
      return device.getServerPath(request.params.id, hba.name, portId, call());
    },
  );

  app.delete(
    `${SERVERS_URL}/:id/paths/:pathId`,
    {
      config: change,
      schema: {
        tags,
        summary: "Remove a path (and the host group with its last path)",
        params: PathParams,
        response: accept,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { hba, portId } = parsePathId(request.params.pathId);
      await device.getServerPath(id, hba.name, portId, call());
      return accepted(
        reply,
        await enqueue(SERVER_JOBS.deletePath, { id, hbaName: hba.name, portId }, request),
      );
    },
  );

  // iSCSI targets

  app.get(
    `${SERVERS_URL}/:id/target-iscsi-ports`,
    {
      schema: {
        tags,
        summary: "List the iSCSI targets of a server (one per host group; the name is null for FC)",
        params: idParams(MAX_SERVER_ID),
        response: { 200: ListOf(TargetSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const data = await device.listTargetIscsiPorts(request.params.id, call());
      return { data, count: data.length };
    },
  );

  app.get(
    `${SERVERS_URL}/:id/target-iscsi-ports/:portId`,
    {
      schema: {
        tags,
        summary: "Get the iSCSI target of a server on a port",
        params: PortParams,
        response: { 200: TargetSchema, ...errorResponses() },
      },
    },
    async (request) => device.getTargetIscsiPort(request.params.id, request.params.portId, call()),
  );

  app.patch(
    `${SERVERS_URL}/:id/target-iscsi-ports/:portId`,
    {
      config: change,
      schema: {
        tags,
        summary: "Rename the iSCSI target of a server on a port",
        params: PortParams,
        body: Body({ targetIscsiName: Type.String({ description: "iqn. or eui. format" }) }),
        response: accept,
      },
    },
    async (request, reply) => {
      const { id, portId } = request.params;
      const targetIscsiName = parseIscsiName(request.body.targetIscsiName, "targetIscsiName");
      const server = await device.getServer(id, call());
      if (server.protocol !== "iSCSI") {
        throw new InvalidRequest(
          `Server ${id} connects by ${server.protocol}: it has no iSCSI target to rename.`,
        );
      }
      await device.getTargetIscsiPort(id, portId, call());
      return accepted(
        reply,
        await enqueue(SERVER_JOBS.setTargetName, { id, portId, targetIscsiName }, request),
      );
    },
  );

  // Host groups

  app.post(
    `${SERVERS_URL}/:id/actions/add-host-groups/invoke`,
    {
      config: change,
      schema: {
        tags,
        summary: "Move existing host groups, with their HBAs and paths, into a server",
        params: idParams(MAX_SERVER_ID),
        body: Body({
          hostGroups: Type.Array(
            Body({
              portId: PortId,
              hostGroupId: Type.Optional(
                Type.Integer({
                  minimum: 0,
                  maximum: MAX_HOST_GROUP_NUMBER,
                  description: "host group number; 0 is a port's first host group",
                }),
              ),
              hostGroupName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            }),
            { minItems: 1, maxItems: 64 },
          ),
        }),
        response: accept,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { hostGroups } = request.body;
      hostGroups.forEach((g, i) => {
        if ((g.hostGroupId === undefined) === (g.hostGroupName === undefined)) {
          throw new InvalidRequest(
            `hostGroups[${i}] must give exactly one of hostGroupId and hostGroupName.`,
          );
        }
      });
      await device.getServer(id, call());
      return accepted(reply, await enqueue(SERVER_JOBS.addHostGroups, { id, hostGroups }, request));
    },
  );

  app.post(
    `${SERVERS_URL}/:id/actions/sync-host-group-names/invoke`,
    {
      config: change,
      schema: {
        tags,
        summary: "Rename every host group of a server after the server's nickname",
        params: idParams(MAX_SERVER_ID),
        body: NoBody,
        response: accept,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await device.getServer(id, call());
      return accepted(reply, await enqueue(SERVER_JOBS.syncHostGroupNames, { id }, request));
    },
  );
};
