/**
 * Host groups, the WWNs and iSCSI names registered in them, and their LUN paths, as the full API
 * shows them: views of the array's own host groups (device/port/host-groups.ts), which the simple
 * face's servers are made of. Reads are synchronous; every change is a job (202, or held until it
 * completes when the request asks so).
 *
 * IDs: a host group is "CL1-A,1", an initiator "CL1-A,1,<wwn or iSCSI name>", a LUN path
 * "CL1-A,1,0". A filter that matches nothing is `200 {"data": []}`.
 */
import type { FastifyRequest } from "fastify";
import { type Static, Type } from "typebox";
import { MAX_LUN } from "../../device/port/connections.ts";
import { type HostGroup, MAX_HOST_MODE_OPTION } from "../../device/port/host-groups.ts";
import { PORT_ID } from "../../device/port/ports.ts";
import { HOST_GROUP_NAME_MAX, MAX_HOST_GROUP_NUMBER } from "../../device/port/servers.ts";
import { MAX_VOLUME_ID } from "../../device/port/volumes.ts";
import { InvalidRequest, NotFound } from "../../domain/errors.ts";
import { ALL_HOST_MODES } from "../../domain/os-types.ts";
import { HOST_GROUP_JOBS } from "../../services/host-groups.ts";
import { parseIscsiName, parseWwn } from "../../services/servers.ts";
import type { AppDeps } from "../app.ts";
import { Body, call, errorResponses, parseCompositeId, Query, type RouteModule } from "../routes/common.ts";
import { v1Forms } from "./contract.ts";
import { JobSchema, type V1Jobs } from "./jobs.ts";

const PortId = Type.String({ pattern: PORT_ID.source, description: "CL1-A and the like" });
const HostGroupNumber = Type.Integer({ minimum: 0, maximum: MAX_HOST_GROUP_NUMBER });
/** Host group names: 1–64 printable characters, none of , / \ (IDs are comma-separated). */
const HostGroupName = Type.String({
  minLength: 1,
  maxLength: HOST_GROUP_NAME_MAX,
  pattern: "^[^,/\\\\\\s]([^,/\\\\]*[^,/\\\\\\s])?$",
});
const HostMode = Type.Union(ALL_HOST_MODES.map((m) => Type.Literal(m)));
const HostModeOptions = Type.Array(Type.Integer({ minimum: 0, maximum: MAX_HOST_MODE_OPTION }), {
  maxItems: MAX_HOST_MODE_OPTION + 1,
});
/** A boolean query parameter as clients write it: true/false in any case. */
const QueryBoolean = Type.String({ pattern: "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$" });

const HostGroupSchema = Type.Object({
  hostGroupId: Type.String({ description: "<portId>,<hostGroupNumber>" }),
  portId: Type.String(),
  hostGroupNumber: Type.Integer(),
  hostGroupName: Type.String(),
  hostMode: Type.String(),
  hostModeOptions: Type.Array(Type.Integer()),
  iscsiName: Type.Optional(Type.String({ description: "the iSCSI target name (iSCSI ports)" })),
});
const HostWwnSchema = Type.Object({
  hostWwnId: Type.String({ description: "<portId>,<hostGroupNumber>,<hostWwn>" }),
  portId: Type.String(),
  hostGroupNumber: Type.Integer(),
  hostGroupName: Type.String(),
  hostWwn: Type.String(),
  wwnNickname: Type.String(),
});
const HostIscsiSchema = Type.Object({
  hostIscsiId: Type.String({ description: "<portId>,<hostGroupNumber>,<iscsiName>" }),
  portId: Type.String(),
  hostGroupNumber: Type.Integer(),
  hostGroupName: Type.String(),
  iscsiName: Type.String(),
  iscsiNickname: Type.String(),
});
const LunSchema = Type.Object({
  lunId: Type.String({ description: "<portId>,<hostGroupNumber>,<lun>" }),
  portId: Type.String(),
  hostGroupNumber: Type.Integer(),
  hostMode: Type.Optional(Type.String()),
  lun: Type.Integer(),
  ldevId: Type.Integer(),
  isCommandDevice: Type.Optional(Type.Boolean()),
  hostModeOptions: Type.Optional(Type.Array(Type.Integer())),
});
const DataOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ data: Type.Array(item) });

function v1Group(g: HostGroup): Static<typeof HostGroupSchema> {
  return {
    hostGroupId: `${g.portId},${g.hostGroupNumber}`,
    portId: g.portId,
    hostGroupNumber: g.hostGroupNumber,
    hostGroupName: g.hostGroupName,
    hostMode: g.hostMode,
    hostModeOptions: g.hostModeOptions,
    ...(g.iscsiName !== null ? { iscsiName: g.iscsiName } : {}),
  };
}

/** "CL1-A,1" → port and number; anything else is a 400. */
function groupId(raw: string): { portId: string; hostGroupNumber: number } {
  const comma = raw.indexOf(",");
  const portId = raw.slice(0, comma);
  if (comma < 0 || !PORT_ID.test(portId)) {
    throw new InvalidRequest(
      `The object ID "${raw}" is invalid: a host group ID has the form <portId>,<hostGroupNumber>.`,
    );
  }
  const [n] = parseCompositeId(raw.slice(comma + 1), "host group number", [[0, MAX_HOST_GROUP_NUMBER]]);
  return { portId, hostGroupNumber: n as number };
}

/** "CL1-A,1,<rest>" → the group and the rest (a WWN, an iSCSI name, a LUN). */
function memberId(raw: string, what: string): { portId: string; hostGroupNumber: number; rest: string } {
  const parts = raw.split(",");
  if (parts.length < 3) {
    throw new InvalidRequest(
      `The object ID "${raw}" is invalid: a ${what} ID has the form <portId>,<hostGroupNumber>,<${what}>.`,
    );
  }
  return { ...groupId(`${parts[0]},${parts[1]}`), rest: parts.slice(2).join(",") };
}

export function hostGroupRoutes(v1Jobs: V1Jobs): RouteModule {
  return (app, { device }: AppDeps) => {
    const provisioning = { permission: "provisioning" } as const;
    const accepted202 = { 202: JobSchema, ...errorResponses() };

    // Host groups

    for (const { url, params } of v1Forms("/host-groups")) {
      app.get(
        url,
        {
          schema: {
            tags: ["v1 host groups"],
            summary: "List the host groups of a port, or of every FC and iSCSI port",
            params,
            querystring: Query({
              portId: Type.Optional(PortId),
              detailInfoType: Type.Optional(Type.String({ pattern: "^(resourceGroup|nvmSubsystem)$" })),
              isUndefined: Type.Optional(QueryBoolean),
            }),
            response: { 200: DataOf(HostGroupSchema), ...errorResponses() },
          },
        },
        async (request) => ({
          data: (await device.listHostGroups(request.query.portId, call())).map(v1Group),
        }),
      );
      app.post(
        url,
        {
          config: provisioning,
          schema: {
            tags: ["v1 host groups"],
            summary: "Make a host group on a port (of no server)",
            params,
            body: Body({
              portId: PortId,
              hostGroupName: HostGroupName,
              hostGroupNumber: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_HOST_GROUP_NUMBER })),
              iscsiName: Type.Optional(Type.String({ minLength: 1 })),
              hostMode: Type.Optional(HostMode),
              hostModeOptions: Type.Optional(HostModeOptions),
            }),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const { iscsiName, ...rest } = request.body;
          const spec = {
            ...rest,
            ...(iscsiName !== undefined ? { iscsiName: parseIscsiName(iscsiName) } : {}),
          };
          // The port must exist before a job is accepted for it.
          await device.listHostGroups(spec.portId, call());
          return v1Jobs.start(request, reply, HOST_GROUP_JOBS.create, spec);
        },
      );
    }

    for (const { url, params } of v1Forms("/host-groups/:hostGroupId", { hostGroupId: Type.String() })) {
      app.get(
        url,
        {
          schema: {
            tags: ["v1 host groups"],
            summary: "Get a host group",
            params,
            response: { 200: HostGroupSchema, ...errorResponses() },
          },
        },
        async (request) => {
          const { portId, hostGroupNumber } = groupId(request.params.hostGroupId);
          return v1Group(await device.getHostGroup(portId, hostGroupNumber, call()));
        },
      );
      app.put(
        url,
        {
          config: provisioning,
          schema: {
            tags: ["v1 host groups"],
            summary: "Change a host group's name, host mode and options, or iSCSI target name",
            params,
            body: Body(
              {
                hostGroupName: Type.Optional(HostGroupName),
                hostMode: Type.Optional(HostMode),
                hostModeOptions: Type.Optional(HostModeOptions),
                iscsiName: Type.Optional(Type.String({ minLength: 1 })),
              },
              { minProperties: 1 },
            ),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const key = groupId(request.params.hostGroupId);
          await device.getHostGroup(key.portId, key.hostGroupNumber, call());
          const { iscsiName, ...rest } = request.body;
          const change = {
            ...rest,
            ...(iscsiName !== undefined ? { iscsiName: parseIscsiName(iscsiName) } : {}),
          };
          return v1Jobs.start(request, reply, HOST_GROUP_JOBS.update, { ...key, change });
        },
      );
      app.delete(
        url,
        {
          config: provisioning,
          schema: {
            tags: ["v1 host groups"],
            summary: "Delete a host group with its WWNs, iSCSI names and LUN paths (group 0 is reset)",
            params,
            response: accepted202,
          },
        },
        async (request, reply) => {
          const key = groupId(request.params.hostGroupId);
          await device.getHostGroup(key.portId, key.hostGroupNumber, call());
          return v1Jobs.start(request, reply, HOST_GROUP_JOBS.delete, key);
        },
      );
    }

    // WWNs and iSCSI names registered in host groups

    const kinds = [
      { path: "/host-wwns", kind: "wwn", field: "hostWwn", schema: HostWwnSchema, tag: "v1 host WWNs" },
      {
        path: "/host-iscsis",
        kind: "iscsi",
        field: "iscsiName",
        schema: HostIscsiSchema,
        tag: "v1 host iSCSI names",
      },
    ] as const;
    for (const k of kinds) {
      const parseName = (text: string) =>
        k.kind === "wwn" ? parseWwn(text, k.field) : parseIscsiName(text, k.field);
      const view = (i: { portId: string; hostGroupNumber: number; hostGroupName: string; name: string }) =>
        k.kind === "wwn"
          ? {
              hostWwnId: `${i.portId},${i.hostGroupNumber},${i.name}`,
              portId: i.portId,
              hostGroupNumber: i.hostGroupNumber,
              hostGroupName: i.hostGroupName,
              hostWwn: i.name,
              wwnNickname: "-",
            }
          : {
              hostIscsiId: `${i.portId},${i.hostGroupNumber},${i.name}`,
              portId: i.portId,
              hostGroupNumber: i.hostGroupNumber,
              hostGroupName: i.hostGroupName,
              iscsiName: i.name,
              iscsiNickname: "-",
            };

      for (const { url, params } of v1Forms(k.path)) {
        app.get(
          url,
          {
            schema: {
              tags: [k.tag],
              summary: `List the ${k.kind === "wwn" ? "WWNs" : "iSCSI names"} registered in the host groups of a port`,
              description: "portId is required; hostGroupNumber or hostGroupName narrows to one host group.",
              params,
              querystring: Query({
                portId: PortId,
                hostGroupNumber: Type.Optional(HostGroupNumber),
                hostGroupName: Type.Optional(Type.String({ minLength: 1, maxLength: HOST_GROUP_NAME_MAX })),
              }),
              response: { 200: DataOf(k.schema), ...errorResponses() },
            },
          },
          async (request) => {
            const { portId, hostGroupNumber, hostGroupName } = request.query;
            if (hostGroupNumber !== undefined && hostGroupName !== undefined) {
              throw new InvalidRequest("Give hostGroupNumber or hostGroupName, not both.");
            }
            const key = {
              portId,
              ...(hostGroupNumber !== undefined ? { hostGroupNumber } : {}),
              ...(hostGroupName !== undefined ? { hostGroupName } : {}),
            };
            return { data: (await device.listInitiators(key, k.kind, call())).map(view) };
          },
        );
        app.post(
          url,
          {
            config: provisioning,
            schema: {
              tags: [k.tag],
              summary: `Register ${k.kind === "wwn" ? "a host WWN" : "a host iSCSI name"} in a host group`,
              params,
              body: Body({
                [k.field]: Type.String({ minLength: 1 }),
                portId: PortId,
                hostGroupNumber: HostGroupNumber,
              }),
              response: accepted202,
            },
          },
          async (request, reply) => {
            const body = request.body as Record<string, string | number>;
            const name = parseName(String(body[k.field]));
            const key = { portId: String(body.portId), hostGroupNumber: Number(body.hostGroupNumber) };
            await device.getHostGroup(key.portId, key.hostGroupNumber, call());
            return v1Jobs.start(request, reply, HOST_GROUP_JOBS.addInitiator, { ...key, kind: k.kind, name });
          },
        );
      }

      const idField = k.kind === "wwn" ? "hostWwnId" : "hostIscsiId";
      for (const { url, params } of v1Forms(`${k.path}/:${idField}`, { [idField]: Type.String() })) {
        const memberOf = (request: FastifyRequest) => {
          const raw = (request.params as Record<string, string>)[idField] as string;
          const { rest, ...key } = memberId(raw, k.field);
          return { ...key, name: parseName(rest) };
        };
        app.get(
          url,
          {
            schema: {
              tags: [k.tag],
              summary: `Get ${k.kind === "wwn" ? "a host WWN" : "a host iSCSI name"} of a host group`,
              params,
              response: { 200: k.schema, ...errorResponses() },
            },
          },
          async (request) => {
            const m = memberOf(request);
            const found = (await device.listInitiators(m, k.kind, call())).find((i) => i.name === m.name);
            if (!found)
              throw new NotFound(
                `The ${k.field} ${m.name} is not registered in host group ${m.portId},${m.hostGroupNumber}.`,
              );
            return view(found);
          },
        );
        app.delete(
          url,
          {
            config: provisioning,
            schema: {
              tags: [k.tag],
              summary: `Remove ${k.kind === "wwn" ? "a host WWN" : "a host iSCSI name"} from a host group`,
              params,
              response: accepted202,
            },
          },
          async (request, reply) => {
            const m = memberOf(request);
            const found = (await device.listInitiators(m, k.kind, call())).some((i) => i.name === m.name);
            if (!found)
              throw new NotFound(
                `The ${k.field} ${m.name} is not registered in host group ${m.portId},${m.hostGroupNumber}.`,
              );
            return v1Jobs.start(request, reply, HOST_GROUP_JOBS.removeInitiator, { ...m, kind: k.kind });
          },
        );
      }
    }

    // LUN paths

    const lunView = async (
      paths: { portId: string; hostGroupNumber: number; lun: number; volumeId: number }[],
      basic: boolean,
    ) => {
      const groups = new Map<string, HostGroup>();
      const out: Static<typeof LunSchema>[] = [];
      for (const p of paths) {
        const lun: Static<typeof LunSchema> = {
          lunId: `${p.portId},${p.hostGroupNumber},${p.lun}`,
          portId: p.portId,
          hostGroupNumber: p.hostGroupNumber,
          lun: p.lun,
          ldevId: p.volumeId,
        };
        if (!basic) {
          const key = `${p.portId},${p.hostGroupNumber}`;
          let g = groups.get(key);
          if (!g) {
            g = await device.getHostGroup(p.portId, p.hostGroupNumber, call());
            groups.set(key, g);
          }
          lun.hostMode = g.hostMode;
          lun.isCommandDevice = false;
          lun.hostModeOptions = g.hostModeOptions;
        }
        out.push(lun);
      }
      return out;
    };

    for (const { url, params } of v1Forms("/luns")) {
      app.get(
        url,
        {
          schema: {
            tags: ["v1 LUN paths"],
            summary: "List the LUN paths of a port, of one host group, or of an LDEV",
            params,
            querystring: Query({
              portId: Type.Optional(PortId),
              hostGroupNumber: Type.Optional(HostGroupNumber),
              ldevId: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_VOLUME_ID })),
              isBasicLunInformation: Type.Optional(QueryBoolean),
              lunOption: Type.Optional(Type.String({ pattern: "^ALUA$" })),
            }),
            response: { 200: DataOf(LunSchema), ...errorResponses() },
          },
        },
        async (request) => {
          const { portId, hostGroupNumber, ldevId, isBasicLunInformation } = request.query;
          if (portId === undefined && ldevId === undefined) {
            throw new InvalidRequest("Give portId (and hostGroupNumber), or ldevId.");
          }
          if (hostGroupNumber !== undefined && portId === undefined) {
            throw new InvalidRequest("hostGroupNumber needs portId.");
          }
          const paths = await device.listLunPaths(
            {
              ...(portId !== undefined ? { portId } : {}),
              ...(hostGroupNumber !== undefined ? { hostGroupNumber } : {}),
              ...(ldevId !== undefined ? { volumeId: ldevId } : {}),
            },
            call(),
          );
          return { data: await lunView(paths, isBasicLunInformation?.toLowerCase() === "true") };
        },
      );
      app.post(
        url,
        {
          config: provisioning,
          schema: {
            tags: ["v1 LUN paths"],
            summary: "Give an LDEV a LUN in a host group (the lowest free one unless lun is given)",
            params,
            body: Body({
              portId: PortId,
              hostGroupNumber: HostGroupNumber,
              ldevId: Type.Integer({ minimum: 0, maximum: MAX_VOLUME_ID }),
              lun: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LUN })),
            }),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const { portId, hostGroupNumber, ldevId, lun } = request.body;
          await device.getHostGroup(portId, hostGroupNumber, call());
          await device.getVolume(ldevId, call());
          const params = { portId, hostGroupNumber, volumeId: ldevId, ...(lun !== undefined ? { lun } : {}) };
          return v1Jobs.start(request, reply, HOST_GROUP_JOBS.createLunPath, params);
        },
      );
    }

    for (const { url, params } of v1Forms("/luns/:lunId", { lunId: Type.String() })) {
      const pathOf = (raw: string) => {
        const { rest, ...key } = memberId(raw, "lun");
        const [lun] = parseCompositeId(rest, "LUN", [[0, MAX_LUN]]);
        return { ...key, lun: lun as number };
      };
      app.get(
        url,
        {
          schema: {
            tags: ["v1 LUN paths"],
            summary: "Get a LUN path",
            params,
            response: { 200: LunSchema, ...errorResponses() },
          },
        },
        async (request) => {
          const p = pathOf(request.params.lunId);
          const path = await device.getLunPath(p.portId, p.hostGroupNumber, p.lun, call());
          return (await lunView([path], false))[0];
        },
      );
      app.delete(
        url,
        {
          config: provisioning,
          schema: {
            tags: ["v1 LUN paths"],
            summary: "Remove a LUN path (through a server's host group: the server's connection to the LDEV)",
            params,
            response: accepted202,
          },
        },
        async (request, reply) => {
          const p = pathOf(request.params.lunId);
          await device.getLunPath(p.portId, p.hostGroupNumber, p.lun, call());
          return v1Jobs.start(request, reply, HOST_GROUP_JOBS.deleteLunPath, p);
        },
      );
    }
  };
}
