/**
 * The array as it leaves the factory: the drives and front-end ports of its model's profile
 * (profiles.ts), and, when --seed-pool is on, one usable pool. Written once, in one transaction, the
 * first time the store is opened; later starts keep state.
 */

import { hostModeOf } from "../../domain/os-types.ts";
import type { Db } from "../../store/db.ts";
import type { SimContext } from "./context.ts";
import { defaultGroupName } from "./lun-paths.ts";
import type { ArrayProfile } from "./profiles.ts";

export type { DriveType } from "./profiles.ts";

/** The array_meta key naming the model the store's array was seeded as. */
const MODEL_KEY = "model";

function portWwn(serial: string, index: number): string {
  const s = Number.parseInt(serial.replace(/\D/g, "") || "0", 10) & 0xffffff;
  return `50060e80${s.toString(16).padStart(6, "0")}${index.toString(16).padStart(2, "0")}`;
}

export function portIscsiName(serial: string, portId: string): string {
  return `iqn.1994-04.jp.co.hitachi:rsd.h8m.t.${serial}.${portId.replace("CL", "").replace("-", "").toLowerCase()}000`;
}

export const FC_DEFAULTS = {
  alPa: "EF",
  fabricSwitchSetting: true,
  connectionType: "Point_To_Point",
  sfpDataTransferRate: "NUMBER_32",
  portMode: "SCSI",
};

export function iscsiDefaults(index: number) {
  return {
    vlanUse: false,
    vlanId: [] as number[],
    ipMode: "ipv4v6",
    ipv4Information: {
      address: `192.168.0.${100 + index}`,
      subnetMask: "255.255.255.0",
      defaultGateway: "0.0.0.0",
    },
    ipv6Information: {
      linklocal: "Auto",
      linklocalAddress: `fe80::${(0x100 + index).toString(16)}`,
      linklocalAddressStatus: "VALID",
      global: "Auto",
      globalAddress: "::",
      globalAddressStatus: "INVALID",
      defaultGateway: "::",
    },
    isIpv6Updating: false,
    tcpPort: 3260,
    selectiveAck: true,
    delayedAck: true,
    windowSize: "NUMBER_64K",
    mtuSize: "NUMBER_9000",
    linkMtuSize: "NUMBER_9000",
    keepAliveTimer: 60,
    isnsServerMode: false,
    isnsServerIpAddress: "0.0.0.0",
    isnsServerPort: 3205,
    virtualPortEnabled: false,
  };
}

/** An NVMe/TCP port's settings: the NVMe/TCP subset of an iSCSI port's, with its discovery port. */
export function nvmeTcpDefaults(index: number) {
  const { vlanUse, vlanId, ipMode, ipv6Information, isIpv6Updating, selectiveAck, delayedAck, windowSize } =
    iscsiDefaults(index);
  return {
    vlanUse,
    vlanId,
    ipMode,
    ipv4Information: {
      address: `192.168.10.${100 + index}`,
      subnetMask: "255.255.255.0",
      defaultGateway: "0.0.0.0",
    },
    ipv6Information: { ...ipv6Information, linklocalAddress: `fe80::${(0x200 + index).toString(16)}` },
    isIpv6Updating,
    tcpPort: 4420,
    discoveryTcpPort: 8009,
    selectiveAck,
    delayedAck,
    windowSize,
    mtuSize: "NUMBER_9000",
    linkMtuSize: "NUMBER_9000",
    virtualPortEnabled: false,
  };
}

/** The drives, ports and (optionally) the pool of a first start. */
export function factoryRows(profile: ArrayProfile, serial: string, seedPool: boolean, now: number) {
  const drives = profile.drives.flatMap((t, ti) =>
    Array.from({ length: t.count }, (_, i) => ({
      location: `${ti}-${i}`,
      drive_type_code: t.code,
      drive_type: t.type,
      drive_interface: t.interface,
      capacity_mib: t.capacityMib,
      pool_id: null as number | null,
    })),
  );
  const ports = [
    ...profile.ports.fc.map((id, i) => ({
      id,
      protocol: "FC" as const,
      wwn: portWwn(serial, i),
      iscsi_name: null,
      port_speed: "NUMBER_0",
      port_security: 1,
      settings: JSON.stringify({
        ...FC_DEFAULTS,
        sfpDataTransferRate: profile.ports.fc64.includes(id) ? "NUMBER_64" : "NUMBER_32",
      }),
    })),
    ...profile.ports.iscsi.map((id, i) => ({
      id,
      protocol: "iSCSI" as const,
      wwn: null,
      iscsi_name: portIscsiName(serial, id),
      port_speed: "NUMBER_10",
      port_security: 1,
      settings: JSON.stringify(iscsiDefaults(i)),
    })),
    ...profile.ports.nvmeTcp.map((id, i) => ({
      id,
      protocol: "NVME_TCP" as const,
      wwn: null,
      iscsi_name: null,
      port_speed: "NUMBER_25",
      port_security: 1,
      settings: JSON.stringify(nvmeTcpDefaults(i)),
    })),
  ];
  // Every FC and iSCSI port comes with its default host group 0, of no server.
  const hostGroups = ports
    .filter((p) => p.protocol !== "NVME_TCP")
    .map((p) => ({
      port_id: p.id,
      host_group_number: 0,
      host_group_name: defaultGroupName(p.id),
      target_iscsi_name: p.iscsi_name,
      host_mode: hostModeOf("Linux"),
      host_mode_options: "[]",
      server_id: null,
    }));
  const pools = [];
  const spec = profile.seedPool;
  const type = profile.drives.find((d) => d.code === spec.driveTypeCode);
  if (seedPool && type) {
    let taken = 0;
    for (const d of drives) {
      if (d.drive_type_code === spec.driveTypeCode && taken < spec.dataDriveCount) {
        d.pool_id = 0;
        taken++;
      }
    }
    const parity = spec.raidLevel === "RAID6" ? 2 : 1;
    pools.push({
      id: 0,
      name: spec.name,
      raid_level: spec.raidLevel,
      drive_type_code: spec.driveTypeCode,
      total_capacity: (taken - parity) * type.capacityMib,
      threshold_warning: 70,
      threshold_depletion: 80,
      is_encryption_enabled: 0,
      created_at: now,
      parity_group_type: spec.parityGroupType,
    });
  }
  return { drives, ports, pools, hostGroups };
}

/**
 * The store keeps the array of one model: a start with another model would serve drives and ports
 * the model does not have, so it is refused. A store seeded before the model was recorded holds the
 * VSP E layout, which any VSP E model may adopt.
 */
async function checkModel(ctx: SimContext, tx: Db): Promise<void> {
  const { model, profile } = ctx.identity;
  const row = await tx
    .selectFrom("array_meta")
    .select("value")
    .where("key", "=", MODEL_KEY)
    .executeTakeFirst();
  if (row?.value === model) return;
  if (row === undefined && profile.family === "VSP E") {
    await tx.insertInto("array_meta").values({ key: MODEL_KEY, value: model }).execute();
    return;
  }
  const held = row?.value ?? "VSP E1090";
  throw new Error(
    `the store holds the simulated array of a ${held}, not of a ${model}: start with --array-model "${held}", or use a new data directory or database`,
  );
}

export async function seedArray(ctx: SimContext): Promise<void> {
  await ctx.store.db.transaction().execute(async (tx) => {
    // Claim the seeding first: of several instances starting at once on one PostgreSQL database,
    // one inserts the marker and the others wait on its key until that one commits, then insert
    // nothing and leave. (A read-then-insert would let both seed and one fail on the drives' keys.)
    // On SQLite the insert takes the write lock at once, so no reader has to upgrade later.
    const claimed = await tx
      .insertInto("array_meta")
      .values({ key: "seeded", value: String(ctx.now()) })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("key")
      .executeTakeFirst();
    if (!claimed) return checkModel(ctx, tx);
    await tx.insertInto("array_meta").values({ key: MODEL_KEY, value: ctx.identity.model }).execute();
    const rows = factoryRows(ctx.identity.profile, ctx.identity.serial, ctx.identity.seedPool, ctx.now());
    if (rows.pools.length > 0) await tx.insertInto("pools").values(rows.pools).execute();
    await tx.insertInto("drives").values(rows.drives).execute();
    await tx.insertInto("ports").values(rows.ports).execute();
    await tx.insertInto("host_groups").values(rows.hostGroups).execute();
  });
}
