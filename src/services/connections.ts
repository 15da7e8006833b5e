/**
 * Volume-server connections: the asynchronous operations. Connecting is multi-resource: every
 * listed volume to every listed server, each pair its own item, so a pair the array refuses
 * (already connected, no free LUN, absent volume or server) fails alone.
 */
import { eachItem, type JobsService, SIMPLE_OBJECTS, succeeded } from "./jobs.ts";

export const CONNECTION_JOBS = {
  create: "connections.create",
  delete: "connections.delete",
} as const;

export const CONNECTIONS_URL = `${SIMPLE_OBJECTS}/volume-server-connections`;
export const connectionId = (volumeId: number, serverId: number) => `${volumeId},${serverId}`;
export const connectionUrl = (volumeId: number, serverId: number) =>
  `${CONNECTIONS_URL}/${connectionId(volumeId, serverId)}`;

/** What operationDetails name a connection. */
const RESOURCE_TYPE = "VolumeServerConnection";

export interface ConnectionsCreateParams {
  volumeIds: number[];
  serverIds: number[];
}

export interface ConnectionParams {
  volumeId: number;
  serverId: number;
}

export function registerConnectionJobs(jobs: JobsService): void {
  jobs.register<ConnectionsCreateParams>(CONNECTION_JOBS.create, (p, ctx) => {
    // Volume by volume, each to every server: the order the command-status lists the pairs in.
    const pairs = p.volumeIds.flatMap((volumeId) => p.serverIds.map((serverId) => ({ volumeId, serverId })));
    return eachItem(
      ctx,
      pairs,
      (c) => connectionUrl(c.volumeId, c.serverId),
      async (c, opts) => {
        await ctx.device.createConnection(c.volumeId, c.serverId, opts);
        return succeeded(
          "CREATE",
          RESOURCE_TYPE,
          connectionId(c.volumeId, c.serverId),
          connectionUrl(c.volumeId, c.serverId),
        );
      },
    );
  });

  jobs.register<ConnectionParams>(CONNECTION_JOBS.delete, (p, ctx) =>
    eachItem(
      ctx,
      [p],
      (c) => connectionUrl(c.volumeId, c.serverId),
      async (c, opts) => {
        await ctx.device.deleteConnection(c.volumeId, c.serverId, opts);
        return succeeded(
          "DELETE",
          RESOURCE_TYPE,
          connectionId(c.volumeId, c.serverId),
          connectionUrl(c.volumeId, c.serverId),
        );
      },
    ),
  );
}
