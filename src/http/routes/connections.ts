/**
 * Volume-server connections (LUN paths): list, get, connect volumes to servers (multi-resource,
 * asynchronous) and disconnect one.
 */
import { Type } from "typebox";
import { MAX_LUN } from "../../device/port/connections.ts";
import { MAX_SERVER_ID } from "../../device/port/servers.ts";
import { MAX_VOLUME_ID } from "../../device/port/volumes.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import { MAX_CONNECTION_PAGE } from "../../domain/limits.ts";
import { CONNECTION_JOBS, CONNECTIONS_URL } from "../../services/connections.ts";
import { principalOf } from "../contract/auth.ts";
import {
  accepted,
  acceptedEach,
  Body,
  call,
  errorResponses,
  IdOrText,
  idsOf,
  ListOf,
  parseCompositeId,
  Query,
  type RouteModule,
  StatusResourceSchema,
} from "./common.ts";

/** Most connections one list request answers. */
const MAX_PAGE = MAX_CONNECTION_PAGE;
/**
 * Most volumes and servers one connect request names: every pair is an item of the job, and
 * 1000 × 64 pairs stay within the 65,280 operationDetails a command-status holds.
 */
const MAX_VOLUMES_PER_REQUEST = 1000;
const MAX_SERVERS_PER_REQUEST = 64;

const ServerId = Type.Integer({ minimum: 0, maximum: MAX_SERVER_ID });

const ConnectionSchema = Type.Object({
  id: Type.String({ description: '"volumeId,serverId"' }),
  volumeId: Type.Integer(),
  serverId: Type.Integer(),
  luns: Type.Array(
    Type.Object({ lun: Type.Integer({ minimum: 0, maximum: MAX_LUN }), portId: Type.String() }),
    { description: "The connection's LUN on each port where the server has a host group (a path)." },
  ),
});

const ListQuery = Query({
  serverId: Type.Optional(ServerId),
  serverNickname: Type.Optional(
    Type.String({ minLength: 1, maxLength: 229, description: "Partial match; not with serverId." }),
  ),
  startVolumeId: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_VOLUME_ID, default: 0 })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE })),
});

const CreateBody = Body({
  volumeIds: Type.Array(IdOrText(0, MAX_VOLUME_ID), {
    minItems: 1,
    maxItems: MAX_VOLUMES_PER_REQUEST,
    uniqueItems: true,
  }),
  serverIds: Type.Array(IdOrText(0, MAX_SERVER_ID), {
    minItems: 1,
    maxItems: MAX_SERVERS_PER_REQUEST,
    uniqueItems: true,
  }),
});

const IdParams = Type.Object({ id: Type.String({ description: '"volumeId,serverId"' }) });

function parseConnectionId(raw: string): [number, number] {
  const [volumeId, serverId] = parseCompositeId(raw, "volume-server connection", [
    [0, MAX_VOLUME_ID],
    [0, MAX_SERVER_ID],
  ]) as [number, number];
  return [volumeId, serverId];
}

export const connectionRoutes: RouteModule = (app, { device, jobs }) => {
  const tags = ["volume-server-connections"];
  const provisioning = { permission: "provisioning" } as const;

  app.get(
    CONNECTIONS_URL,
    {
      schema: {
        tags,
        summary: "List volume-server connections",
        description:
          "Ordered by volume ID, then server ID; at most 2048 a request. A page does not end part-way " +
          "through one volume's connections (unless that volume fills it), so the next page starts at " +
          "the last volume ID + 1. totalCount counts every connection that matches the server filter.",
        querystring: ListQuery,
        response: { 200: ListOf(ConnectionSchema, true), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.serverId !== undefined && q.serverNickname !== undefined) {
        throw new InvalidRequest("Specify serverId or serverNickname, not both.");
      }
      const list = await device.listConnections(
        {
          ...(q.serverId !== undefined ? { serverId: q.serverId } : {}),
          ...(q.serverNickname !== undefined ? { serverNickname: q.serverNickname } : {}),
          startVolumeId: q.startVolumeId ?? 0,
          count: q.count ?? MAX_PAGE,
        },
        call(),
      );
      return { ...list, count: list.data.length };
    },
  );

  app.get(
    `${CONNECTIONS_URL}/:id`,
    {
      schema: {
        tags,
        summary: "Get a volume-server connection",
        params: IdParams,
        response: { 200: ConnectionSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const [volumeId, serverId] = parseConnectionId(request.params.id);
      return device.getConnection(volumeId, serverId, call());
    },
  );

  app.post(
    CONNECTIONS_URL,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Connect volumes to servers",
        description:
          "Asynchronous and multi-resource: every volume is connected to every server, each pair an item " +
          "of the job, at the server's lowest free LUN (0-2047), presented on every port of the server. " +
          "A pair already connected, or whose volume or server does not exist, fails alone. " +
          'An ID may also be written as decimal text ("7"), as the array reads it. ' +
          "The answer lists one statusResource per pair, volume by volume, each to every server; each " +
          'command-status names its pair in operationDetails (resourceId "volumeId,serverId") or reports its failure.',
        body: CreateBody,
        response: { 202: Type.Array(StatusResourceSchema), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const volumeIds = idsOf(request.body.volumeIds, "volumeIds", 0, MAX_VOLUME_ID);
      const serverIds = idsOf(request.body.serverIds, "serverIds", 0, MAX_SERVER_ID);
      const ids = await jobs.enqueueItems(
        CONNECTION_JOBS.create,
        { volumeIds, serverIds },
        principalOf(request).user.id,
        volumeIds.length * serverIds.length,
      );
      return acceptedEach(reply, ids);
    },
  );

  app.delete(
    `${CONNECTIONS_URL}/:id`,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Disconnect a volume from a server",
        description: "Asynchronous: removes the volume's LUN from every port of the server.",
        params: IdParams,
        response: { 202: StatusResourceSchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const [volumeId, serverId] = parseConnectionId(request.params.id);
      // An absent connection is a 404 now rather than a failed job later.
      await device.getConnection(volumeId, serverId, call());
      const id = await jobs.enqueue(
        CONNECTION_JOBS.delete,
        { volumeId, serverId },
        principalOf(request).user.id,
      );
      return accepted(reply, id);
    },
  );
};
