/**
 * Volume-server connections of the simulated array. A connection is one row (volume, server, lun);
 * the ports it appears on are the server's host groups, read when the connection is shown, so a
 * path added later presents the LUNs the server already has.
 */
import { NotFound, type SsbCode } from "../../domain/errors.ts";
import { type Db, forUpdate } from "../../store/db.ts";
import {
  type Connection,
  type ConnectionFilter,
  type ConnectionList,
  type ConnectionsPort,
  MAX_LUN,
} from "../port/connections.ts";
import type { CallOptions } from "../port.ts";
import { checkDeadline, refused, type SimContext, transact } from "./context.ts";
import { presentConnection, withdrawConnection } from "./lun-paths.ts";
import { containsText } from "./pools.ts";

/**
 * The array's refusals of this area (messageId KART30000-E; SSB codes Blockplane chose).
 * | rule                                               | SSB1 | SSB2 |
 * |----------------------------------------------------|------|------|
 * | the volume is already connected to the server      | 2e32 | 0001 |
 * | the server has no free LUN (2048 LUNs in use)      | 2e32 | 0002 |
 * | the LUN asked for is another volume's              | 2e32 | 0003 |
 * An absent volume or server is NotFound.
 */
export const CONNECTION_REFUSALS = {
  alreadyConnected: { SSB1: "2e32", SSB2: "0001" },
  noFreeLun: { SSB1: "2e32", SSB2: "0002" },
  lunInUse: { SSB1: "2e32", SSB2: "0003" },
} as const satisfies Record<string, SsbCode>;

interface ConnectionRow {
  volume_id: number;
  server_id: number;
  lun: number;
}

/** Shows connection rows with one LUN per port where their server has a host group. */
async function withLuns(db: Db, rows: ConnectionRow[]): Promise<Connection[]> {
  const serverIds = [...new Set(rows.map((r) => Number(r.server_id)))];
  const groups =
    serverIds.length === 0
      ? []
      : await db
          .selectFrom("host_groups")
          .select(["server_id", "port_id"])
          .where("server_id", "in", serverIds)
          .orderBy("port_id")
          .execute();
  const portsOf = new Map<number, string[]>();
  for (const g of groups) {
    const id = Number(g.server_id);
    portsOf.set(id, [...(portsOf.get(id) ?? []), g.port_id]);
  }
  return rows.map((r) => {
    const volumeId = Number(r.volume_id);
    const serverId = Number(r.server_id);
    return {
      id: `${volumeId},${serverId}`,
      volumeId,
      serverId,
      luns: (portsOf.get(serverId) ?? []).map((portId) => ({ lun: Number(r.lun), portId })),
    };
  });
}

/** The lowest number in min..max that is not in `used` (ascending), or undefined when none is free. */
export function lowestFree(used: number[], min: number, max: number): number | undefined {
  let candidate = min;
  for (const n of used) {
    if (n > candidate) break;
    if (n === candidate) candidate++;
  }
  return candidate <= max ? candidate : undefined;
}

/**
 * Cuts a page that would end part-way through one volume's connections back to the last whole
 * volume, so that continuing from the last volume ID + 1 misses nothing. A page holding a single
 * volume is kept as it is: that volume alone fills the page.
 */
function wholeVolumes<T extends { volume_id: number }>(page: T[], next: T | undefined): T[] {
  const last = page.at(-1);
  if (!next || !last || Number(next.volume_id) !== Number(last.volume_id)) return page;
  const cut = page.filter((r) => Number(r.volume_id) !== Number(last.volume_id));
  return cut.length > 0 ? cut : page;
}

/** The connection of a volume to a server, as a query. */
function find(tx: Db, volumeId: number, serverId: number) {
  return tx
    .selectFrom("connections")
    .select(["volume_id", "server_id", "lun"])
    .where("volume_id", "=", volumeId)
    .where("server_id", "=", serverId);
}

export function connectionsOps(ctx: SimContext): ConnectionsPort {
  const db = ctx.store.db;

  return {
    async listConnections(filter: ConnectionFilter, opts: CallOptions): Promise<ConnectionList> {
      checkDeadline(opts);
      const matching = db
        .selectFrom("connections")
        .innerJoin("servers", "servers.id", "connections.server_id")
        .$if(filter.serverId !== undefined, (q) =>
          q.where("connections.server_id", "=", filter.serverId as number),
        )
        .$if(filter.serverNickname !== undefined, (q) =>
          q.where(containsText(ctx.store, "servers.nickname", filter.serverNickname as string)),
        );
      const [total, rows] = await Promise.all([
        matching.select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
        matching
          .select(["connections.volume_id", "connections.server_id", "connections.lun"])
          .where("connections.volume_id", ">=", filter.startVolumeId)
          .orderBy("connections.volume_id")
          .orderBy("connections.server_id")
          .limit(filter.count + 1)
          .execute(),
      ]);
      const page = wholeVolumes(rows.slice(0, filter.count), rows[filter.count]);
      return {
        data: await withLuns(db, page),
        totalCount: Number(total.n),
        hasNext: rows.length > page.length,
      };
    },

    async getConnection(volumeId: number, serverId: number, opts: CallOptions): Promise<Connection> {
      checkDeadline(opts);
      const row = await find(db, volumeId, serverId).executeTakeFirst();
      if (!row) throw new NotFound(`The volume ${volumeId} is not connected to the server ${serverId}.`);
      return (await withLuns(db, [row]))[0] as Connection;
    },

    createConnection(volumeId: number, serverId: number, opts: CallOptions): Promise<Connection> {
      return transact(ctx, opts, async (tx) => {
        const row = await connectVolume(ctx, tx, volumeId, serverId);
        return (await withLuns(tx, [row]))[0] as Connection;
      });
    },

    deleteConnection(volumeId: number, serverId: number, opts: CallOptions): Promise<void> {
      return transact(ctx, opts, async (tx) => {
        const row = await forUpdate(ctx.store, find(tx, volumeId, serverId)).executeTakeFirst();
        if (!row) throw new NotFound(`The volume ${volumeId} is not connected to the server ${serverId}.`);
        await disconnectVolume(tx, volumeId, serverId);
      });
    },
  };
}

/**
 * Connects a volume to a server, inside a change of the array: at `lun` when given (refused when
 * another volume has it), else at the server's lowest free LUN; presented at once in each of the
 * server's host groups.
 */
export async function connectVolume(
  ctx: SimContext,
  tx: Db,
  volumeId: number,
  serverId: number,
  lun?: number,
): Promise<ConnectionRow> {
  // The volume and server rows are locked so neither is deleted while the LUN is assigned, and
  // two connections to one server do not take the same LUN.
  const volume = await forUpdate(
    ctx.store,
    tx.selectFrom("volumes").select("id").where("id", "=", volumeId),
  ).executeTakeFirst();
  if (!volume) throw new NotFound(`The volume ${volumeId} does not exist.`);
  const server = await forUpdate(
    ctx.store,
    tx.selectFrom("servers").select("id").where("id", "=", serverId),
  ).executeTakeFirst();
  if (!server) throw new NotFound(`The server ${serverId} does not exist.`);
  if (await find(tx, volumeId, serverId).executeTakeFirst()) {
    throw refused(
      `The volume ${volumeId} is already connected to the server ${serverId}.`,
      CONNECTION_REFUSALS.alreadyConnected,
    );
  }
  const used = (
    await tx
      .selectFrom("connections")
      .select("lun")
      .where("server_id", "=", serverId)
      .orderBy("lun")
      .execute()
  ).map((u) => Number(u.lun));
  if (lun !== undefined && used.includes(lun)) {
    throw refused(
      `LUN ${lun} of the server ${serverId} is already used by another volume.`,
      CONNECTION_REFUSALS.lunInUse,
    );
  }
  const chosen = lun ?? lowestFree(used, ctx.firstLun ?? 0, MAX_LUN);
  if (chosen === undefined) {
    throw refused(
      `The server ${serverId} has no free LUN: all ${MAX_LUN + 1} LUN numbers are in use.`,
      CONNECTION_REFUSALS.noFreeLun,
    );
  }
  const row = { volume_id: volumeId, server_id: serverId, lun: chosen };
  await tx.insertInto("connections").values(row).execute();
  await presentConnection(tx, serverId, volumeId, chosen);
  return row;
}

/** Disconnects a volume from a server (its LUN paths in the server's groups go with it). */
export async function disconnectVolume(tx: Db, volumeId: number, serverId: number): Promise<void> {
  await withdrawConnection(tx, serverId, volumeId);
  await tx
    .deleteFrom("connections")
    .where("volume_id", "=", volumeId)
    .where("server_id", "=", serverId)
    .execute();
}
