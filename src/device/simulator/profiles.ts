/**
 * Profiles of the model families the simulated array can be: the drives it leaves the factory with,
 * its front-end ports, its firmware, its limits, and the features that differ between families.
 * `--array-model` picks one by its model name; docs/array-profiles.md says which values come from
 * public facts and which are modelled.
 */

export type ModelFamily = "VSP E" | "VSP One B20";

/** One drive type installed in the array, and how many drives of it. */
export interface DriveType {
  /** The drive type code, 12 characters, as the API names it. */
  code: string;
  type: "SSD";
  interface: "NVMe";
  /** Raw capacity of one drive, MiB. */
  capacityMib: number;
  count: number;
}

/** The front-end ports, by ID, of each protocol. */
export interface PortLayout {
  fc: string[];
  iscsi: string[];
  /** NVMe over TCP (VSP One B20 only). */
  nvmeTcp: string[];
  /** The FC ports fitted with 64 Gbps SFPs; the others have 32 Gbps ones. */
  fc64: string[];
}

/** The pool a first start creates when --seed-pool is on. */
export interface SeedPool {
  name: string;
  driveTypeCode: string;
  dataDriveCount: number;
  raidLevel: "RAID5" | "RAID6";
  parityGroupType: "DDP" | "DEFAULT";
}

export interface ArrayProfile {
  model: string;
  family: ModelFamily;
  gumVersion: string;
  dkcMicroVersion: string;
  /** Cache of the two controllers together, GiB (documentation only). */
  cacheGiB: number;
  drives: DriveType[];
  ports: PortLayout;
  limits: {
    /** Drive slots of the largest configuration. */
    maxDrives: number;
    /** Pools the array can hold (pool IDs 0 to maxPools − 1). */
    maxPools: number;
    /** Volumes the array can hold (documentation only; volume IDs stop at 65279 everywhere). */
    maxVolumes: number;
  };
  features: {
    /** Distributed-parity pools (`parityGroupType: "DDP"`), expandable by any number of drives. */
    ddp: boolean;
    /** GET recommended-pool-configurations. */
    recommendedPoolConfigurations: boolean;
    /** estimatedConfigurable* capacities of GET storage (?withEstimatedConfigurableCapacities=true). */
    estimatedCapacities: boolean;
    /** The embedded management (ESM) fields and the service IP addresses of GET storage. */
    esm: boolean;
    /** Compression accelerator modules (the full API's isCompressionAccelerationAvailable). */
    compressionAcceleration: boolean;
  };
  seedPool: SeedPool;
}

const MIB_960GB = 915_715;
const MIB_1R9TB = 1_831_430;
const MIB_3R8TB = 3_662_860;
const MIB_7R6TB = 7_325_720;
const MIB_15TB = 14_651_440;

/** E-series NVMe SSDs (the codes of SVOS RF 9 drive boxes). */
const E_DRIVES_SMALL = {
  code: "SNR5A-R960NC",
  type: "SSD",
  interface: "NVMe",
  capacityMib: MIB_960GB,
} as const;
const E_DRIVES_1R9 = {
  code: "SNB5A-R1R9NC",
  type: "SSD",
  interface: "NVMe",
  capacityMib: MIB_1R9TB,
} as const;
const E_DRIVES_3R8 = {
  code: "SNB5B-R3R8NC",
  type: "SSD",
  interface: "NVMe",
  capacityMib: MIB_3R8TB,
} as const;

/** VSP One B20 NVMe SSDs. */
const B_DRIVES_1R9 = {
  code: "SNB5B-R1R9NC",
  type: "SSD",
  interface: "NVMe",
  capacityMib: MIB_1R9TB,
} as const;
const B_DRIVES_3R8 = {
  code: "SNB5C-R3R8NC",
  type: "SSD",
  interface: "NVMe",
  capacityMib: MIB_3R8TB,
} as const;
const B_DRIVES_7R6 = {
  code: "SNB5C-R7R6NC",
  type: "SSD",
  interface: "NVMe",
  capacityMib: MIB_7R6TB,
} as const;
const B_DRIVES_15 = { code: "SNB5C-R15RNC", type: "SSD", interface: "NVMe", capacityMib: MIB_15TB } as const;

/** Two 4-port FC and two 4-port iSCSI channel boards per controller pair, as the E1090 seed has had. */
const E_PORTS_LARGE: PortLayout = {
  fc: ["CL1-A", "CL2-A", "CL3-A", "CL4-A", "CL1-B", "CL2-B", "CL3-B", "CL4-B"],
  iscsi: ["CL1-C", "CL2-C", "CL3-C", "CL4-C", "CL1-D", "CL2-D", "CL3-D", "CL4-D"],
  nvmeTcp: [],
  fc64: ["CL1-B", "CL2-B", "CL3-B", "CL4-B"],
};
const E_PORTS_SMALL: PortLayout = {
  fc: ["CL1-A", "CL2-A", "CL3-A", "CL4-A"],
  iscsi: ["CL1-B", "CL2-B", "CL3-B", "CL4-B"],
  nvmeTcp: [],
  fc64: [],
};
const B_PORTS_LARGE: PortLayout = {
  fc: ["CL1-A", "CL2-A", "CL3-A", "CL4-A", "CL5-A", "CL6-A", "CL7-A", "CL8-A"],
  iscsi: ["CL1-B", "CL2-B", "CL3-B", "CL4-B"],
  nvmeTcp: ["CL1-C", "CL2-C", "CL3-C", "CL4-C"],
  fc64: ["CL5-A", "CL6-A", "CL7-A", "CL8-A"],
};
const B_PORTS_SMALL: PortLayout = {
  fc: ["CL1-A", "CL2-A", "CL3-A", "CL4-A"],
  iscsi: ["CL1-B", "CL2-B"],
  nvmeTcp: ["CL1-C", "CL2-C"],
  fc64: [],
};

const E_FEATURES: ArrayProfile["features"] = {
  ddp: false,
  recommendedPoolConfigurations: false,
  estimatedCapacities: false,
  esm: false,
  compressionAcceleration: false,
};
const B_FEATURES: ArrayProfile["features"] = {
  ddp: true,
  recommendedPoolConfigurations: true,
  estimatedCapacities: true,
  esm: true,
  compressionAcceleration: true,
};

function vspE(
  model: string,
  microSuffix: string,
  cacheGiB: number,
  maxDrives: number,
  drives: DriveType[],
  ports: PortLayout,
  maxVolumes: number,
): ArrayProfile {
  const seed = drives[1] ?? drives[0];
  return {
    model,
    family: "VSP E",
    gumVersion: "93-07-21/00",
    dkcMicroVersion: `93-07-21-${microSuffix}/00`,
    cacheGiB,
    drives,
    ports,
    limits: { maxDrives, maxPools: 128, maxVolumes },
    features: E_FEATURES,
    seedPool: {
      name: "pool0",
      driveTypeCode: (seed as DriveType).code,
      dataDriveCount: 9,
      raidLevel: "RAID6",
      parityGroupType: "DEFAULT",
    },
  };
}

function vspOneB20(
  model: string,
  cacheGiB: number,
  maxDrives: number,
  drives: DriveType[],
  ports: PortLayout,
  seedCount: number,
): ArrayProfile {
  return {
    model,
    family: "VSP One B20",
    gumVersion: "A3-04-01/00",
    dkcMicroVersion: "A3-04-01-40/00",
    cacheGiB,
    drives,
    ports,
    limits: { maxDrives, maxPools: 128, maxVolumes: 65_280 },
    features: B_FEATURES,
    seedPool: {
      name: "pool0",
      driveTypeCode: (drives[0] as DriveType).code,
      dataDriveCount: seedCount,
      raidLevel: "RAID6",
      parityGroupType: "DDP",
    },
  };
}

export const PROFILES: readonly ArrayProfile[] = [
  vspE(
    "VSP E590",
    "40",
    256,
    24,
    [
      { ...E_DRIVES_SMALL, count: 12 },
      { ...E_DRIVES_1R9, count: 12 },
    ],
    E_PORTS_SMALL,
    32_768,
  ),
  vspE(
    "VSP E790",
    "40",
    512,
    24,
    [
      { ...E_DRIVES_1R9, count: 12 },
      { ...E_DRIVES_3R8, count: 12 },
    ],
    E_PORTS_SMALL,
    49_152,
  ),
  vspE(
    "VSP E990",
    "60",
    1024,
    96,
    [
      { ...E_DRIVES_SMALL, count: 24 },
      { ...E_DRIVES_1R9, count: 24 },
      { ...E_DRIVES_3R8, count: 12 },
    ],
    E_PORTS_LARGE,
    65_280,
  ),
  vspE(
    "VSP E1090",
    "80",
    1024,
    96,
    [
      { ...E_DRIVES_SMALL, count: 24 },
      { ...E_DRIVES_1R9, count: 24 },
      { ...E_DRIVES_3R8, count: 16 },
    ],
    E_PORTS_LARGE,
    65_280,
  ),
  vspOneB20(
    "VSP One B23",
    128,
    24,
    [
      { ...B_DRIVES_1R9, count: 12 },
      { ...B_DRIVES_3R8, count: 12 },
    ],
    B_PORTS_SMALL,
    9,
  ),
  vspOneB20(
    "VSP One B24",
    256,
    72,
    [
      { ...B_DRIVES_1R9, count: 24 },
      { ...B_DRIVES_3R8, count: 12 },
    ],
    B_PORTS_SMALL,
    12,
  ),
  vspOneB20(
    "VSP One B26",
    512,
    72,
    [
      { ...B_DRIVES_1R9, count: 24 },
      { ...B_DRIVES_3R8, count: 24 },
      { ...B_DRIVES_7R6, count: 12 },
    ],
    B_PORTS_LARGE,
    12,
  ),
  vspOneB20(
    "VSP One B28",
    1024,
    72,
    [
      { ...B_DRIVES_1R9, count: 24 },
      { ...B_DRIVES_3R8, count: 24 },
      { ...B_DRIVES_7R6, count: 12 },
      { ...B_DRIVES_15, count: 12 },
    ],
    B_PORTS_LARGE,
    12,
  ),
];

export const DEFAULT_MODEL = "VSP One B28";

export const MODEL_NAMES: readonly string[] = PROFILES.map((p) => p.model);

/** The profile of a model name, matched without regard to case or runs of spaces. */
export function findProfile(model: string): ArrayProfile | undefined {
  const key = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();
  return PROFILES.find((p) => key(p.model) === key(model));
}
