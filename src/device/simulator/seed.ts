/**
 * The array as it leaves the factory: drive boxes full of free drives and the front-end ports.
 * Written once, in one transaction, the first time the store is opened; later starts keep state.
 */
import type { SimContext } from "./context.ts";

export interface DriveType {
  code: string;
  type: string;
  interface: string;
  capacityMib: number;
  count: number;
}

/** Drive types installed in the simulated array, with how many free drives of each. */
export const DRIVE_TYPES: DriveType[] = [
  { code: "SNR5A-R960NC", type: "SSD", interface: "NVMe", capacityMib: 915_715, count: 24 },
  { code: "SNB5A-R1R9NC", type: "SSD", interface: "NVMe", capacityMib: 1_831_430, count: 24 },
  { code: "SNB5B-R3R8NC", type: "SSD", interface: "NVMe", capacityMib: 3_662_860, count: 16 },
];

/** FC ports with the rate of their SFP: 32 Gbps on the A ports, 64 Gbps on the B ports. */
const FC_PORTS: [string, string][] = [
  ["CL1-A", "NUMBER_32"],
  ["CL2-A", "NUMBER_32"],
  ["CL3-A", "NUMBER_32"],
  ["CL4-A", "NUMBER_32"],
  ["CL1-B", "NUMBER_64"],
  ["CL2-B", "NUMBER_64"],
  ["CL3-B", "NUMBER_64"],
  ["CL4-B", "NUMBER_64"],
];
const ISCSI_PORTS = ["CL1-C", "CL2-C", "CL3-C", "CL4-C", "CL1-D", "CL2-D", "CL3-D", "CL4-D"];

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
    if (!claimed) return;
    const drives = DRIVE_TYPES.flatMap((t, ti) =>
      Array.from({ length: t.count }, (_, i) => ({
        location: `${ti}-${i}`,
        drive_type_code: t.code,
        drive_type: t.type,
        drive_interface: t.interface,
        capacity_mib: t.capacityMib,
        pool_id: null,
      })),
    );
    await tx.insertInto("drives").values(drives).execute();
    const serial = ctx.identity.serial;
    await tx
      .insertInto("ports")
      .values([
        ...FC_PORTS.map(([id, sfpDataTransferRate], i) => ({
          id,
          protocol: "FC" as const,
          wwn: portWwn(serial, i),
          iscsi_name: null,
          port_speed: "NUMBER_0",
          port_security: 1,
          settings: JSON.stringify({ ...FC_DEFAULTS, sfpDataTransferRate }),
        })),
        ...ISCSI_PORTS.map((id, i) => ({
          id,
          protocol: "iSCSI" as const,
          wwn: null,
          iscsi_name: portIscsiName(serial, id),
          port_speed: "NUMBER_10",
          port_security: 1,
          settings: JSON.stringify(iscsiDefaults(i)),
        })),
      ])
      .execute();
  });
}
