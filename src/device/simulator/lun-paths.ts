/**
 * What the array holds of host groups and LUN paths, and the rules every change of them keeps,
 * whichever face asked for it:
 * - a host group is (port, number), numbers 0–254; 0 is the port's default group, of no server;
 * - an initiator is registered in at most one host group of a port;
 * - a server has at most one host group per port, and presents each of its connections (its LUN
 *   per volume, `connections`) in every one of them: the LUN paths of a server's groups mirror
 *   its connections, so a group made for a server shows the LUNs it already has.
 */
import { hostModeOf } from "../../domain/os-types.ts";
import type { Db } from "../../store/db.ts";
import { MAX_HOST_GROUP_NUMBER } from "../port/servers.ts";

/** The name of a port's default host group 0: CL1-A's is "1A-G00". */
export function defaultGroupName(portId: string): string {
  const m = /^CL(\w+)-(\w)$/.exec(portId);
  return m ? `${m[1]}${m[2]}-G00` : `${portId}-G00`;
}

/**
 * The default iSCSI target name of host group `n` on a port: the port's own name ends in the
 * three hex digits of host group 0, which are replaced by those of `n`.
 */
export function defaultTargetName(portIscsiName: string, n: number): string {
  const suffix = n.toString(16).padStart(3, "0");
  return /[0-9a-f]{3}$/.test(portIscsiName)
    ? `${portIscsiName.slice(0, -3)}${suffix}`
    : `${portIscsiName}.${suffix}`;
}

/** The lowest host group number from 1 free on a port, or undefined when the port is full. */
export async function freeHostGroupNumber(tx: Db, portId: string): Promise<number | undefined> {
  const taken = new Set(
    (
      await tx.selectFrom("host_groups").select("host_group_number").where("port_id", "=", portId).execute()
    ).map((r) => Number(r.host_group_number)),
  );
  for (let n = 1; n <= MAX_HOST_GROUP_NUMBER; n++) if (!taken.has(n)) return n;
  return undefined;
}

export interface NewHostGroup {
  portId: string;
  number: number;
  name: string;
  targetIscsiName: string | null;
  hostMode: string;
  hostModeOptions: number[];
  serverId: number | null;
}

/** Records a host group; one of a server presents the server's connections at once. */
export async function insertGroup(tx: Db, g: NewHostGroup): Promise<void> {
  await tx
    .insertInto("host_groups")
    .values({
      port_id: g.portId,
      host_group_number: g.number,
      host_group_name: g.name,
      target_iscsi_name: g.targetIscsiName,
      host_mode: g.hostMode,
      host_mode_options: JSON.stringify([...g.hostModeOptions].sort((a, b) => a - b)),
      server_id: g.serverId,
    })
    .execute();
  if (g.serverId !== null) {
    const connections = await tx
      .selectFrom("connections")
      .select(["volume_id", "lun"])
      .where("server_id", "=", g.serverId)
      .execute();
    if (connections.length > 0) {
      await tx
        .insertInto("lun_paths")
        .values(
          connections.map((c) => ({
            port_id: g.portId,
            host_group_number: g.number,
            lun: Number(c.lun),
            volume_id: Number(c.volume_id),
          })),
        )
        .execute();
    }
  }
}

/** The host group settings a server's OS type gives. */
export function serverGroupMode(
  osType: string,
  osTypeOptions: string,
): { hostMode: string; hostModeOptions: number[] } {
  return { hostMode: hostModeOf(osType), hostModeOptions: JSON.parse(osTypeOptions) as number[] };
}

/** Removes a host group with its initiators and LUN paths. */
export async function dropGroup(tx: Db, portId: string, number: number): Promise<void> {
  await tx
    .deleteFrom("host_group_initiators")
    .where("port_id", "=", portId)
    .where("host_group_number", "=", number)
    .execute();
  await tx
    .deleteFrom("lun_paths")
    .where("port_id", "=", portId)
    .where("host_group_number", "=", number)
    .execute();
  await tx
    .deleteFrom("host_groups")
    .where("port_id", "=", portId)
    .where("host_group_number", "=", number)
    .execute();
}

/** The host groups of a server, by port. */
export async function serverGroups(
  tx: Db,
  serverId: number,
): Promise<{ port_id: string; host_group_number: number }[]> {
  return tx
    .selectFrom("host_groups")
    .select(["port_id", "host_group_number"])
    .where("server_id", "=", serverId)
    .orderBy("port_id")
    .execute();
}

/** Presents a new connection of a server in each of its host groups. */
export async function presentConnection(
  tx: Db,
  serverId: number,
  volumeId: number,
  lun: number,
): Promise<void> {
  const groups = await serverGroups(tx, serverId);
  if (groups.length === 0) return;
  await tx
    .insertInto("lun_paths")
    .values(
      groups.map((g) => ({
        port_id: g.port_id,
        host_group_number: g.host_group_number,
        lun,
        volume_id: volumeId,
      })),
    )
    .execute();
}

/** Withdraws a server's connection to a volume from each of its host groups. */
export async function withdrawConnection(tx: Db, serverId: number, volumeId: number): Promise<void> {
  await tx
    .deleteFrom("lun_paths")
    .where("volume_id", "=", volumeId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("host_groups")
          .select("host_groups.port_id")
          .whereRef("host_groups.port_id", "=", "lun_paths.port_id")
          .whereRef("host_groups.host_group_number", "=", "lun_paths.host_group_number")
          .where("host_groups.server_id", "=", serverId),
      ),
    )
    .execute();
}

/** Rewrites the LUN paths of every host group of a server from its connections. */
export async function meshServer(tx: Db, serverId: number): Promise<void> {
  const groups = await serverGroups(tx, serverId);
  for (const g of groups) {
    await tx
      .deleteFrom("lun_paths")
      .where("port_id", "=", g.port_id)
      .where("host_group_number", "=", g.host_group_number)
      .execute();
  }
  const connections = await tx
    .selectFrom("connections")
    .select(["volume_id", "lun"])
    .where("server_id", "=", serverId)
    .execute();
  const rows = groups.flatMap((g) =>
    connections.map((c) => ({
      port_id: g.port_id,
      host_group_number: Number(g.host_group_number),
      lun: Number(c.lun),
      volume_id: Number(c.volume_id),
    })),
  );
  // A few hundred rows a statement keeps within every dialect's limit on bound parameters.
  for (let i = 0; i < rows.length; i += 500)
    await tx
      .insertInto("lun_paths")
      .values(rows.slice(i, i + 500))
      .execute();
}
