/**
 * What the hitachivantara.vspone_block collection (4.6.1) sends and decodes, per module and
 * operation of its simple-API modules (hv_vsp_one_* and hv_ddp_pool*). Every module run opens a
 * session on the full API with Basic credentials, reads storages/instance (first with
 * detailInfoType, then without when refused), runs its calls, polls each job on command-status
 * (progress "completed", status "normal", affectedResources[0] = the resource's URL) and deletes
 * its session when it exits. The collection's model classes take unknown keys, so no step is exact.
 * test/compat/ansible/ holds the playbooks and the driver that ran these against a server.
 */
import type { Scenario, Shape, Step } from "./corpus.ts";

const S = "/ConfigurationManager/simple/v1/objects";
const F = "/ConfigurationManager/v1/objects";
const JSON_HEADERS = { "Content-Type": "application/json" };

/** A command-status as the job poller reads it. */
const JOB: Shape = { progress: "string", status: "string", affectedResources: ["string"] };

const STORAGE_INSTANCE: Shape = {
  storageDeviceId: "string",
  model: "string",
  serialNumber: "integer",
  ctl1Ip: "string?",
  ctl2Ip: "string?",
  dkcMicroVersion: "string",
  communicationModes: "any?",
  isSecure: "boolean?",
};

const VOLUME_FIELDS: Record<string, Shape> = {
  id: "integer",
  nickname: "string",
  poolId: "integer",
  poolName: "string",
  totalCapacity: "integer",
  usedCapacity: "integer",
  freeCapacity: "integer?",
  reservedCapacity: "integer?",
  savingSetting: "string",
  capacitySaving: "string?",
  isDataReductionShareEnabled: "boolean",
  compressionAcceleration: "boolean",
  compressionAccelerationStatus: "string?",
  capacitySavingStatus: "string",
  numberOfConnectingServers: "integer",
  numberOfSnapshots: "integer",
  volumeTypes: ["string"],
};
const LUNS: Shape = [{ lun: "integer", serverId: "integer", portId: "string?" }];
/** A volume as GET volumes/{id} answers it. */
const VOLUME: Shape = { ...VOLUME_FIELDS, luns: LUNS };
/** A volume as a list item: the collection's volume class defaults luns when a list lacks it. */
const VOLUME_ITEM: Shape = { ...VOLUME_FIELDS, "luns?": LUNS };

const QOS: Shape = {
  threshold: {
    isUpperIopsEnabled: "boolean",
    upperIops: "integer?",
    isUpperTransferRateEnabled: "boolean",
    upperTransferRate: "integer?",
    isLowerIopsEnabled: "boolean",
    lowerIops: "integer?",
    isLowerTransferRateEnabled: "boolean",
    lowerTransferRate: "integer?",
    isResponsePriorityEnabled: "boolean",
    responsePriority: "integer?",
    targetResponseTime: "integer?",
  },
  alertSetting: {
    isUpperAlertEnabled: "boolean",
    upperAlertAllowableTime: "integer?",
    isLowerAlertEnabled: "boolean",
    lowerAlertAllowableTime: "integer?",
    isResponseAlertEnabled: "boolean",
    responseAlertAllowableTime: "integer?",
  },
  alertTime: "any?",
};

const POOL: Shape = {
  id: "integer",
  name: "string",
  status: "string",
  encryption: "string",
  totalCapacity: "integer",
  effectiveCapacity: "integer",
  usedCapacity: "integer",
  freeCapacity: "integer",
  capacityManage: { usedCapacityRate: "integer", thresholdWarning: "integer", thresholdDepletion: "integer" },
  savingEffects: {
    efficiencyDataReduction: "integer",
    efficiencyFmdSaving: "integer",
    preCapacityFmdSaving: "integer",
    postCapacityFmdSaving: "integer",
    isTotalEfficiencySupport: "boolean",
    totalEfficiencyStatus: "string",
    dataReductionWithoutSystemDataStatus: "string",
    softwareSavingWithoutSystemDataStatus: "string",
    totalEfficiency: "integer",
    dataReductionWithoutSystemData: "integer",
    softwareSavingWithoutSystemData: "integer",
    calculationStartTime: "string",
    calculationEndTime: "string",
  },
  configStatus: ["any"],
  numberOfVolumes: "integer",
  numberOfTiers: "integer",
  numberOfDriveTypes: "integer",
  tiers: ["any"],
  drives: [
    {
      driveType: "string",
      driveInterface: "string",
      driveRpm: "string",
      driveCapacity: "integer",
      displayDriveCapacity: "string",
      totalCapacity: "integer",
      numberOfDrives: "integer",
      locations: ["string"],
      raidLevel: "string",
      parityGroupType: "string",
    },
  ],
  subscriptionLimit: { isEnabled: "boolean", currentRate: "integer?" },
  containsCapacitySavingVolume: "boolean",
};

const RECOMMENDED: Shape = {
  data: [
    {
      driveTypeCode: "string",
      raidLevel: "string",
      parityGroupType: "string",
      numberOfCurrentDataDrives: "integer",
      numberOfCurrentFreeDrives: "integer",
      numberOfRecommendedAddDataDrives: "integer",
      numberOfRecommendedRemainedFreeDrives: "integer",
      currentPoolCapacity: "integer",
      afterOperationPoolCapacity: "integer",
    },
  ],
};

const SERVER_FIELDS: Record<string, Shape> = {
  id: "integer",
  nickname: "string",
  protocol: "string",
  osType: "string",
  // Detail fields: the collection's server class defaults them when a list item lacks them.
  "osTypeOptions?": ["integer"],
  totalCapacity: "integer",
  usedCapacity: "integer",
  numberOfPaths: "integer",
  numberOfVolumes: "integer?",
  isInconsistent: "boolean",
  modificationInProgress: "boolean",
  compatibility: "string",
  isReserved: "boolean",
  hasUnalignedOsTypes: "boolean",
  hasUnalignedOsTypeOptions: "boolean?",
  hasNonFullmeshLuPaths: "boolean?",
};
const SERVER_PATHS: Shape = [{ hbaWwn: "string?", iscsiName: "string?", portIds: ["string"] }];
/** A server as GET servers/{id} answers it. */
const SERVER: Shape = { ...SERVER_FIELDS, paths: SERVER_PATHS };
/** A server as a list item: the collection's server class defaults paths when a list lacks it. */
const SERVER_ITEM: Shape = { ...SERVER_FIELDS, "paths?": SERVER_PATHS };
const HBA: Shape = { serverId: "integer", hbaWwn: "string?", iscsiName: "string?", portIds: ["string"] };
// The collection's iSCSI target class defaults both fields (an FC server's ports have no target name).
const ISCSI_TARGETS: Shape = { data: [{ portId: "string", targetIscsiName: "string?" }] };

const PORT: Shape = {
  id: "string",
  protocol: "string",
  portWwn: "string?",
  portIscsiName: "string?",
  portSpeed: "string",
  actualPortSpeed: "string",
  portSecurity: "boolean",
  fcInformation: "any?",
  iscsiInformation: "any?",
  nvmeTcpInformation: "any?",
};

const SNAPSHOT: Shape = {
  id: "string",
  masterVolumeId: "integer",
  snapshotId: "integer",
  status: "string",
  snapshotDate: "string",
  snapshotGroupName: "string",
  mappedVolumeId: "integer?",
  rootVolumeId: "integer",
  poolId: "integer",
  usedCapacityPerRootVolume: "integer",
  isVolumeCapacityExpanding: "boolean",
  type: "string",
  retentionPeriod: "integer?",
};
const SNAPSHOT_GROUP: Shape = {
  name: "string",
  snapshots: [{ snapshotId: "integer", masterVolumeId: "integer" }],
};

// ---- building blocks ---------------------------------------------------------------------------

function get(name: string, path: string, reads?: Shape, query?: Record<string, string>, status = 200): Step {
  return { name, method: "GET", path, query, headers: JSON_HEADERS, status, reads };
}

/** A call answered by one statusResource, polled to its end. */
function job(
  name: string,
  method: Step["method"],
  path: string,
  body?: unknown,
  capture?: Record<string, string>,
): Step {
  return {
    name,
    method,
    path,
    headers: JSON_HEADERS,
    body,
    status: 202,
    reads: { statusResource: "string" },
    jobs: { reads: JOB, capture },
  };
}

/** A change answered at once with its execution result (no statusResource), taken as it is. */
function sync(name: string, method: Step["method"], path: string, body?: unknown): Step {
  return { name, method, path, headers: JSON_HEADERS, body, status: 200 };
}

/** A multi-resource POST the client reads as an array of statusResource, one per resource. */
function jobs(name: string, path: string, body: unknown): Step {
  return {
    name,
    method: "POST",
    path,
    headers: JSON_HEADERS,
    body,
    status: 202,
    reads: [{ statusResource: "string" }],
    jobs: { reads: JOB },
  };
}

/** Every module run starts with these: its own session and the storage system's model. */
function opening(module: string): Step[] {
  return [
    {
      name: `${module}: POST sessions (Basic, no body)`,
      method: "POST",
      path: `${F}/sessions`,
      auth: "basic",
      headers: JSON_HEADERS,
      status: 200,
      reads: { token: "string", sessionId: "integer" },
      capture: { ownSession: "sessionId" },
    },
    get(`${module}: GET storages/instance with detailInfoType`, `${F}/storages/instance`, STORAGE_INSTANCE, {
      detailInfoType: "compressionAcceleration",
    }),
  ];
}

/** ...and end with the session's deletion. */
function closing(module: string): Step {
  return {
    name: `${module}: DELETE its session`,
    method: "DELETE",
    path: `${F}/sessions/{ownSession}`,
    headers: JSON_HEADERS,
    status: 200,
  };
}

function scenario(module: string, operation: string, steps: Step[]): Scenario {
  return { client: "ansible", module, operation, steps: [...opening(module), ...steps, closing(module)] };
}

// Fixtures made the way the client's own calls make them (each scenario runs on a fresh server).
const poolFixture = (name: string): Step[] => [
  job(`fixture: POST pools ${name}`, "POST", `${S}/pools`, {
    name,
    drives: [
      { driveTypeCode: "SNB5C-R3R8NC", dataDriveCount: 9, raidLevel: "RAID5", parityGroupType: "DDP" },
    ],
  }),
  // The array starts with its seeded pool 0, so the new pool is the second of the list.
  { ...get("fixture: find the pool", `${S}/pools`, { data: [POOL] }), capture: { poolId: "data.1.id" } },
];
const volumeFixture = (nickname: string): Step[] => [
  jobs(`fixture: POST volumes ${nickname}`, `${S}/volumes`, {
    capacity: 1024,
    number: 1,
    nicknameParam: { baseName: nickname },
    poolId: "{poolId}",
  }),
  {
    ...get("fixture: find the volume", `${S}/volumes`, { data: [VOLUME_ITEM] }, { nickname }),
    capture: { volumeId: "data.0.id" },
  },
];
const serverFixture = (nickname: string, protocol: "FC" | "iSCSI", key = "serverId"): Step[] => [
  job(`fixture: POST servers ${nickname}`, "POST", `${S}/servers`, {
    serverNickname: nickname,
    protocol,
    osType: "Linux",
  }),
  {
    ...get("fixture: find the server", `${S}/servers`, { data: [SERVER_ITEM] }, { nickname }),
    capture: { [key]: "data.0.id" },
  },
];

/** The volume read the module does after every change: the volume, then its QoS settings. */
const volumeDetails = (m: string): Step[] => [
  get(`${m}: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
  get(`${m}: GET volumes/{id}/qos-setting`, `${S}/volumes/{volumeId}/qos-setting`, QOS),
];

// ---- hv_vsp_one_volume -------------------------------------------------------------------------

const VM = "hv_vsp_one_volume";
const volumeScenarios: Scenario[] = [
  scenario(VM, "create one volume (capacity, pool, nickname)", [
    ...poolFixture("vpool"),
    jobs(`${VM} create: POST volumes (one)`, `${S}/volumes`, {
      capacity: 1024,
      number: 1,
      nicknameParam: { baseName: "vol-one" },
      isDataReductionShareEnabled: false,
      poolId: "{poolId}",
    }),
    {
      ...get(`${VM}: find it`, `${S}/volumes`, { data: [VOLUME_ITEM] }, { nickname: "vol-one" }),
      capture: { volumeId: "data.0.id" },
    },
    ...volumeDetails(VM),
  ]),
  scenario(VM, "create 3 volumes with a nickname sequence", [
    ...poolFixture("vpool"),
    jobs(`${VM} create: POST volumes (3, nickname sequence)`, `${S}/volumes`, {
      capacity: 512,
      number: 3,
      nicknameParam: { baseName: "seq", startNumber: 10, numberOfDigits: 3 },
      isDataReductionShareEnabled: false,
      poolId: "{poolId}",
    }),
    {
      ...get(`${VM}: find seq010`, `${S}/volumes`, { data: [VOLUME_ITEM] }, { nickname: "seq010" }),
      capture: { volumeId: "data.0.id" },
    },
    ...volumeDetails(VM),
    get(`${VM}: find seq012`, `${S}/volumes`, { data: [VOLUME_ITEM] }, { nickname: "seq012" }),
  ]),
  scenario(VM, "create with data reduction share and capacity saving", [
    ...poolFixture("vpool"),
    jobs(`${VM} create: POST volumes (DRS, COMPRESSION)`, `${S}/volumes`, {
      capacity: 200,
      number: 1,
      nicknameParam: { baseName: "vol-drs" },
      savingSetting: "COMPRESSION",
      isDataReductionShareEnabled: true,
      poolId: "{poolId}",
    }),
    {
      ...get(`${VM}: find it`, `${S}/volumes`, { data: [VOLUME_ITEM] }, { nickname: "vol-drs" }),
      capture: { volumeId: "data.0.id" },
    },
    ...volumeDetails(VM),
  ]),
  scenario(VM, "create with QoS threshold", [
    ...poolFixture("vpool"),
    jobs(`${VM} create: POST volumes`, `${S}/volumes`, {
      capacity: 1024,
      number: 1,
      nicknameParam: { baseName: "vol-qos" },
      isDataReductionShareEnabled: false,
      poolId: "{poolId}",
    }),
    {
      ...get(`${VM}: find it`, `${S}/volumes`, { data: [VOLUME_ITEM] }, { nickname: "vol-qos" }),
      capture: { volumeId: "data.0.id" },
    },
    job(`${VM} create: PATCH qos-setting threshold`, "PATCH", `${S}/volumes/{volumeId}/qos-setting`, {
      threshold: { isLowerIopsEnabled: true, lowerIops: 1000, isUpperIopsEnabled: true, upperIops: 5000 },
    }),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "change QoS threshold", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-t"),
    get(`${VM} qos: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    job(`${VM} qos: PATCH qos-setting threshold`, "PATCH", `${S}/volumes/{volumeId}/qos-setting`, {
      threshold: {
        isUpperIopsEnabled: true,
        upperIops: 3000,
        isUpperTransferRateEnabled: true,
        upperTransferRate: 200,
        isResponsePriorityEnabled: true,
        responsePriority: 2,
      },
    }),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "change QoS alert settings", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-a"),
    get(`${VM} qos: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    // The module sends threshold and alertSetting in separate runs (both in one spec sends
    // nothing); an alert needs its limit enabled, so a first run sets the limits.
    job(
      `${VM} qos: PATCH qos-setting threshold (limits for the alerts)`,
      "PATCH",
      `${S}/volumes/{volumeId}/qos-setting`,
      {
        threshold: {
          isUpperIopsEnabled: true,
          upperIops: 5000,
          isLowerIopsEnabled: true,
          lowerIops: 1000,
          isResponsePriorityEnabled: true,
          responsePriority: 2,
        },
      },
    ),
    ...volumeDetails(VM),
    get(`${VM} qos: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    job(`${VM} qos: PATCH qos-setting alertSetting`, "PATCH", `${S}/volumes/{volumeId}/qos-setting`, {
      alertSetting: {
        isUpperAlertEnabled: true,
        upperAlertAllowableTime: 30,
        isLowerAlertEnabled: true,
        lowerAlertAllowableTime: 60,
        isResponseAlertEnabled: true,
        responseAlertAllowableTime: 90,
      },
    }),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "expand capacity", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-x"),
    get(`${VM} expand: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    job(
      `${VM} expand: POST expand (the difference in MiB)`,
      "POST",
      `${S}/volumes/{volumeId}/actions/expand/invoke`,
      {
        capacity: 1024,
      },
    ),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "change nickname", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-n"),
    get(`${VM} update: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    // Answered at once (no statusResource); the client's PATCH helper returns the body as it is.
    sync(`${VM} update: PATCH volumes/{id} nickname`, "PATCH", `${S}/volumes/{volumeId}`, {
      nickname: "vol-renamed",
    }),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "change capacity saving and compression acceleration", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-s"),
    get(`${VM} update: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    job(
      `${VM} update: PATCH volumes/{id} savingSetting + compressionAcceleration`,
      "PATCH",
      `${S}/volumes/{volumeId}`,
      {
        savingSetting: "DEDUPLICATION_AND_COMPRESSION",
        compressionAcceleration: true,
      },
    ),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "attach volume to two servers", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-c"),
    ...serverFixture("srv-a", "FC", "serverA"),
    ...serverFixture("srv-b", "FC", "serverB"),
    get(`${VM} attach: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    jobs(
      `${VM} attach: POST volume-server-connections (one job per pair)`,
      `${S}/volume-server-connections`,
      {
        volumeIds: ["{volumeId}"],
        serverIds: ["{serverA}", "{serverB}"],
      },
    ),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "detach volume from one server", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-d"),
    ...serverFixture("srv-a", "FC", "serverA"),
    jobs("fixture: attach", `${S}/volume-server-connections`, {
      volumeIds: ["{volumeId}"],
      serverIds: ["{serverA}"],
    }),
    get(`${VM} detach: GET volumes/{id}`, `${S}/volumes/{volumeId}`, VOLUME),
    job(
      `${VM} detach: DELETE volume-server-connections/{vol},{server}`,
      "DELETE",
      `${S}/volume-server-connections/{volumeId},{serverA}`,
    ),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "attach several volumes to several servers (server_present)", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-m"),
    ...serverFixture("srv-a", "FC", "serverA"),
    ...serverFixture("srv-b", "FC", "serverB"),
    jobs(`${VM} server_present: POST volume-server-connections`, `${S}/volume-server-connections`, {
      volumeIds: ["{volumeId}"],
      serverIds: ["{serverA}", "{serverB}"],
    }),
  ]),
  scenario(VM, "create and attach to a server", [
    ...poolFixture("vpool"),
    ...serverFixture("srv-a", "FC", "serverA"),
    // The new volume's ID is the text after the last "/" of its job's affectedResources, and the
    // attach sends it as that text: "7", not 7.
    {
      ...jobs(`${VM} create: POST volumes`, `${S}/volumes`, {
        capacity: 100,
        number: 1,
        nicknameParam: { baseName: "vol-att" },
        isDataReductionShareEnabled: false,
        poolId: "{poolId}",
      }),
      jobs: { reads: JOB, capture: { volumeId: "0.operationDetails.0.resourceId" } },
    },
    jobs(`${VM} create: POST volume-server-connections`, `${S}/volume-server-connections`, {
      volumeIds: ["{volumeId}"],
      serverIds: ["{serverA}"],
    }),
    ...volumeDetails(VM),
  ]),
  scenario(VM, "delete by id", [
    ...poolFixture("vpool"),
    ...volumeFixture("vol-del"),
    job(`${VM} delete: DELETE volumes/{id}`, "DELETE", `${S}/volumes/{volumeId}`),
    get(`${VM}: gone`, `${S}/volumes/{volumeId}`, undefined, undefined, 404),
  ]),
];

// ---- hv_vsp_one_volume_facts -------------------------------------------------------------------

const VF = "hv_vsp_one_volume_facts";
const VOLUMES: Shape = { data: [VOLUME_ITEM], count: "integer?", totalCount: "integer?" };
const volumeFactsScenarios: Scenario[] = [
  scenario(VF, "all volumes", [
    ...poolFixture("fpool"),
    ...volumeFixture("vf-0"),
    get(`${VF}: GET volumes`, `${S}/volumes`, VOLUMES),
  ]),
  scenario(VF, "by volume id (with QoS settings)", [
    ...poolFixture("fpool"),
    ...volumeFixture("vf-0"),
    ...volumeDetails(VF),
  ]),
  scenario(VF, "by pool id and nickname", [
    ...poolFixture("fpool"),
    ...volumeFixture("vf-1"),
    get(`${VF}: GET volumes?poolId&nickname`, `${S}/volumes`, VOLUMES, {
      poolId: "{poolId}",
      nickname: "vf-1",
    }),
  ]),
  scenario(VF, "by pool name", [
    ...poolFixture("fpool"),
    get(`${VF}: GET volumes?poolName`, `${S}/volumes`, VOLUMES, { poolName: "fpool" }),
  ]),
  scenario(VF, "by server id", [
    ...serverFixture("fx", "FC"),
    get(`${VF}: GET volumes?serverId`, `${S}/volumes`, VOLUMES, { serverId: "{serverId}" }),
  ]),
  scenario(VF, "by server nickname", [
    ...serverFixture("fx", "FC"),
    get(`${VF}: GET volumes?serverNickname`, `${S}/volumes`, VOLUMES, { serverNickname: "fx" }),
  ]),
  scenario(VF, "by capacity range, start id and count", [
    ...poolFixture("fpool"),
    ...volumeFixture("vf-c"),
    get(`${VF}: GET volumes?min/max capacities&startVolumeId&count`, `${S}/volumes`, VOLUMES, {
      minTotalCapacity: "512",
      maxTotalCapacity: "2048",
      minUsedCapacity: "0",
      maxUsedCapacity: "1024",
      startVolumeId: "{volumeId}",
      count: "2",
    }),
  ]),
];

// ---- hv_ddp_pool / hv_ddp_pool_facts -----------------------------------------------------------

const DP = "hv_ddp_pool";
const POOLS: Shape = { data: [POOL] };
/** The module lists every pool and reads each one before deciding. */
const poolsWithDetails = (m: string): Step[] => [
  get(`${m}: GET pools`, `${S}/pools`, POOLS),
  get(`${m}: GET pools/{id} of each pool`, `${S}/pools/{poolId}`, POOL),
];
const ddpScenarios: Scenario[] = [
  scenario(DP, "create with drives, encryption and thresholds", [
    get(`${DP} create: GET pools`, `${S}/pools`, POOLS),
    get(
      `${DP} create: GET recommended-pool-configurations`,
      `${S}/recommended-pool-configurations`,
      RECOMMENDED,
    ),
    job(
      `${DP} create: POST pools`,
      "POST",
      `${S}/pools`,
      {
        name: "ddp-a",
        drives: [
          { driveTypeCode: "SNB5C-R7R6NC", dataDriveCount: 9, raidLevel: "RAID5", parityGroupType: "DDP" },
        ],
        isEncryptionEnabled: true,
      },
      { poolUrl: "0.affectedResources.0" },
    ),
    // The module takes the id from the job; after the seeded pool 0 it is the second of the list.
    { ...get(`${DP}: find it`, `${S}/pools`, POOLS), capture: { poolId: "data.1.id" } },
    get(`${DP} create: GET pools/{id}`, `${S}/pools/{poolId}`, POOL),
    job(`${DP} create: PATCH pools/{id} thresholds`, "PATCH", `${S}/pools/{poolId}`, {
      thresholdDepletion: 80,
      thresholdWarning: 70,
      name: "ddp-a",
    }),
    get(`${DP} create: GET pools/{id} again`, `${S}/pools/{poolId}`, POOL),
  ]),
  scenario(DP, "create with automatic drive selection", [
    get(`${DP} create: GET pools`, `${S}/pools`, POOLS),
    get(
      `${DP} create: GET recommended-pool-configurations`,
      `${S}/recommended-pool-configurations`,
      RECOMMENDED,
    ),
    {
      ...get(
        `${DP}: a DDP RAID6 recommendation with at least 9 data drives`,
        `${S}/recommended-pool-configurations`,
        RECOMMENDED,
      ),
      capture: {
        driveTypeCode: "data.0.driveTypeCode",
        dataDriveCount: "data.0.numberOfRecommendedAddDataDrives",
      },
    },
    job(`${DP} create: POST pools with the recommended drives`, "POST", `${S}/pools`, {
      name: "ddp-auto",
      drives: [
        {
          driveTypeCode: "{driveTypeCode}",
          dataDriveCount: "{dataDriveCount}",
          raidLevel: "RAID5",
          parityGroupType: "DDP",
        },
      ],
    }),
  ]),
  scenario(DP, "update name and thresholds", [
    ...poolFixture("ddp-u"),
    get(`${DP} update: GET pools/{id}`, `${S}/pools/{poolId}`, POOL),
    job(`${DP} update: PATCH pools/{id}`, "PATCH", `${S}/pools/{poolId}`, {
      thresholdDepletion: 75,
      thresholdWarning: 60,
      name: "ddp-u2",
    }),
    get(`${DP} update: GET pools/{id} again`, `${S}/pools/{poolId}`, POOL),
  ]),
  scenario(DP, "expand with more drives", [
    ...poolFixture("ddp-x"),
    get(`${DP} expand: GET pools/{id}`, `${S}/pools/{poolId}`, POOL),
    get(
      `${DP} expand: GET recommended-pool-configurations?poolId`,
      `${S}/recommended-pool-configurations`,
      RECOMMENDED,
      {
        poolId: "{poolId}",
      },
    ),
    job(`${DP} expand: POST expand`, "POST", `${S}/pools/{poolId}/actions/expand/invoke`, {
      additionalDrives: [
        { driveTypeCode: "SNB5C-R3R8NC", dataDriveCount: 9, raidLevel: "RAID5", parityGroupType: "DDP" },
      ],
    }),
    get(`${DP} expand: GET pools/{id} again`, `${S}/pools/{poolId}`, POOL),
  ]),
  scenario(DP, "delete by id", [
    ...poolFixture("ddp-d"),
    get(`${DP} delete: GET pools/{id}`, `${S}/pools/{poolId}`, POOL),
    job(`${DP} delete: DELETE pools/{id}`, "DELETE", `${S}/pools/{poolId}`),
    get(`${DP}: gone`, `${S}/pools/{poolId}`, undefined, undefined, 404),
  ]),
];
const DPF = "hv_ddp_pool_facts";
const ddpFactsScenarios: Scenario[] = [
  scenario(DPF, "all pools", [...poolFixture("fx-pool"), ...poolsWithDetails(DPF)]),
  scenario(DPF, "by pool id", [
    ...poolFixture("fx-pool"),
    get(`${DPF}: GET pools/{id}`, `${S}/pools/{poolId}`, POOL),
  ]),
  scenario(DPF, "by pool name", [...poolFixture("fx-pool"), ...poolsWithDetails(DPF)]),
];

// ---- hv_vsp_one_server / facts / hba facts ------------------------------------------------------

const SM = "hv_vsp_one_server";
const WWN = "21000024ff000001";
const IQN = "iqn.1994-05.com.redhat:compat1";
const serverDetails = (m: string): Step[] => [
  get(`${m}: GET servers/{id}`, `${S}/servers/{serverId}`, SERVER),
  get(
    `${m}: GET servers/{id}/target-iscsi-ports`,
    `${S}/servers/{serverId}/target-iscsi-ports`,
    ISCSI_TARGETS,
  ),
];
const serverScenarios: Scenario[] = [
  scenario(SM, "create an FC server", [
    get(`${SM} create: GET servers?nickname`, `${S}/servers`, { data: [SERVER_ITEM] }, { nickname: "fc-1" }),
    job(`${SM} create: POST servers`, "POST", `${S}/servers`, {
      serverNickname: "fc-1",
      protocol: "FC",
      osType: "Linux",
      osTypeOptions: [2, 22],
    }),
    {
      ...get(`${SM}: find it`, `${S}/servers`, { data: [SERVER_ITEM] }, { nickname: "fc-1" }),
      capture: { serverId: "data.0.id" },
    },
    ...serverDetails(SM),
  ]),
  scenario(SM, "create an iSCSI server", [
    job(`${SM} create: POST servers`, "POST", `${S}/servers`, {
      serverNickname: "is-1",
      protocol: "iSCSI",
      osType: "VMware",
    }),
    {
      ...get(`${SM}: find it`, `${S}/servers`, { data: [SERVER_ITEM] }, { nickname: "is-1" }),
      capture: { serverId: "data.0.id" },
    },
    ...serverDetails(SM),
  ]),
  scenario(SM, "change nickname and OS type", [
    ...serverFixture("fc-2", "FC"),
    get(`${SM} update: GET servers/{id}`, `${S}/servers/{serverId}`, SERVER),
    job(`${SM} update: PATCH servers/{id}`, "PATCH", `${S}/servers/{serverId}`, {
      nickname: "fc-2b",
      osType: "Windows",
    }),
    ...serverDetails(SM),
  ]),
  scenario(SM, "add an FC HBA", [
    ...serverFixture("fc-3", "FC"),
    get(`${SM} add_hba: GET servers/{id}`, `${S}/servers/{serverId}`, SERVER),
    jobs(`${SM} add_hba: POST servers/{id}/hbas`, `${S}/servers/{serverId}/hbas`, {
      hbas: [{ hbaWwn: WWN }],
    }),
    ...serverDetails(SM),
  ]),
  scenario(SM, "add an iSCSI initiator", [
    ...serverFixture("is-2", "iSCSI"),
    jobs(`${SM} add_hba: POST servers/{id}/hbas`, `${S}/servers/{serverId}/hbas`, {
      hbas: [{ iscsiName: IQN }],
    }),
    ...serverDetails(SM),
  ]),
  scenario(SM, "add FC paths", [
    ...serverFixture("fc-4", "FC"),
    jobs("fixture: hba", `${S}/servers/{serverId}/hbas`, { hbas: [{ hbaWwn: WWN }] }),
    job(`${SM} add_path: POST servers/{id}/paths`, "POST", `${S}/servers/{serverId}/paths`, {
      portIds: ["CL1-A", "CL2-A"],
      hbaWwn: WWN,
    }),
    // The module reads the server back after the change (it never lists servers/{id}/paths).
    ...serverDetails(SM),
  ]),
  scenario(SM, "add an iSCSI path", [
    ...serverFixture("is-3", "iSCSI"),
    jobs("fixture: initiator", `${S}/servers/{serverId}/hbas`, { hbas: [{ iscsiName: IQN }] }),
    job(`${SM} add_path: POST servers/{id}/paths`, "POST", `${S}/servers/{serverId}/paths`, {
      portIds: ["CL1-B"],
      iscsiName: IQN,
    }),
  ]),
  scenario(SM, "change iSCSI target name", [
    ...serverFixture("is-4", "iSCSI"),
    jobs("fixture: initiator", `${S}/servers/{serverId}/hbas`, { hbas: [{ iscsiName: IQN }] }),
    job("fixture: path", "POST", `${S}/servers/{serverId}/paths`, { portIds: ["CL1-B"], iscsiName: IQN }),
    job(
      `${SM} change_iscsi_target_settings: PATCH target-iscsi-ports/{port}`,
      "PATCH",
      `${S}/servers/{serverId}/target-iscsi-ports/CL1-B`,
      {
        targetIscsiName: "iqn.2014-04.jp.co.hitachi:compat.1",
      },
    ),
    get(`${SM}: GET target-iscsi-ports/{port}`, `${S}/servers/{serverId}/target-iscsi-ports/CL1-B`, {
      portId: "string",
      targetIscsiName: "string",
    }),
  ]),
  scenario(SM, "remove an FC path", [
    ...serverFixture("fc-5", "FC"),
    jobs("fixture: hba", `${S}/servers/{serverId}/hbas`, { hbas: [{ hbaWwn: WWN }] }),
    job("fixture: paths", "POST", `${S}/servers/{serverId}/paths`, {
      portIds: ["CL1-A", "CL2-A"],
      hbaWwn: WWN,
    }),
    job(
      `${SM} remove_path: DELETE servers/{id}/paths/{wwn},{port}`,
      "DELETE",
      `${S}/servers/{serverId}/paths/${WWN},CL2-A`,
    ),
  ]),
  scenario(SM, "add host groups (by name and by id)", [
    // Host groups that belong to no server: a server's own (named after its nickname, numbered
    // from 1 on each port), left behind when the server is deleted with keepLunConfig.
    ...serverFixture("hg-src", "FC", "sourceId"),
    jobs("fixture: hba", `${S}/servers/{sourceId}/hbas`, { hbas: [{ hbaWwn: WWN }] }),
    job("fixture: paths", "POST", `${S}/servers/{sourceId}/paths`, {
      portIds: ["CL3-A", "CL4-A"],
      hbaWwn: WWN,
    }),
    job("fixture: delete it keeping its LUN configuration", "DELETE", `${S}/servers/{sourceId}`, {
      keepLunConfig: true,
    }),
    ...serverFixture("fc-6", "FC"),
    job(
      `${SM} add_host_groups: POST add-host-groups`,
      "POST",
      `${S}/servers/{serverId}/actions/add-host-groups/invoke`,
      {
        hostGroups: [
          { portId: "CL3-A", hostGroupName: "hg-src" },
          { portId: "CL4-A", hostGroupId: 1 },
        ],
      },
    ),
    ...serverDetails(SM),
  ]),
  scenario(SM, "sync host group names with the nickname", [
    ...serverFixture("fc-7", "FC"),
    job(
      `${SM} sync_server_nick_name: POST sync-host-group-names (no body)`,
      "POST",
      `${S}/servers/{serverId}/actions/sync-host-group-names/invoke`,
    ),
    ...serverDetails(SM),
  ]),
  scenario(SM, "remove an HBA", [
    ...serverFixture("is-5", "iSCSI"),
    jobs("fixture: initiator", `${S}/servers/{serverId}/hbas`, { hbas: [{ iscsiName: IQN }] }),
    job(`${SM} remove_hba: DELETE servers/{id}/hbas/{name}`, "DELETE", `${S}/servers/{serverId}/hbas/${IQN}`),
  ]),
  scenario(SM, "delete keeping LUN configuration", [
    ...serverFixture("fc-8", "FC"),
    job(`${SM} absent: DELETE servers/{id} with keepLunConfig`, "DELETE", `${S}/servers/{serverId}`, {
      keepLunConfig: true,
    }),
    get(`${SM}: gone`, `${S}/servers/{serverId}`, undefined, undefined, 404),
  ]),
  scenario(SM, "delete", [
    ...serverFixture("fc-9", "FC"),
    job(`${SM} absent: DELETE servers/{id} (no body)`, "DELETE", `${S}/servers/{serverId}`),
  ]),
];
const SF = "hv_vsp_one_server_facts";
const SERVERS: Shape = { data: [SERVER_ITEM] };
const withHba: Step[] = [
  ...serverFixture("fx", "FC"),
  jobs("fixture: hba", `${S}/servers/{serverId}/hbas`, { hbas: [{ hbaWwn: WWN }] }),
  job("fixture: path", "POST", `${S}/servers/{serverId}/paths`, { portIds: ["CL5-A"], hbaWwn: WWN }),
];
const serverFactsScenarios: Scenario[] = [
  scenario(SF, "all servers", [...withHba, get(`${SF}: GET servers`, `${S}/servers`, SERVERS)]),
  scenario(SF, "by server id", [...withHba, ...serverDetails(SF)]),
  scenario(SF, "by nickname", [
    ...withHba,
    get(`${SF}: GET servers?nickname`, `${S}/servers`, SERVERS, { nickname: "fx" }),
  ]),
  scenario(SF, "by HBA WWN", [
    ...withHba,
    get(`${SF}: GET servers?hbaWwn`, `${S}/servers`, SERVERS, { hbaWwn: WWN }),
  ]),
  scenario(SF, "all servers with details", [
    ...withHba,
    get(`${SF}: GET servers`, `${S}/servers`, SERVERS),
    ...serverDetails(SF),
  ]),
];
const HF = "hv_vsp_one_server_hba_facts";
const hbaFactsScenarios: Scenario[] = [
  scenario(HF, "HBAs of a server", [
    ...withHba,
    get(`${HF}: GET servers/{id}/hbas`, `${S}/servers/{serverId}/hbas`, { data: [HBA] }),
  ]),
  scenario(HF, "one HBA by WWN", [
    ...withHba,
    get(`${HF}: GET servers/{id}/hbas/{wwn}`, `${S}/servers/{serverId}/hbas/${WWN}`, HBA),
  ]),
];

// ---- hv_vsp_one_port / facts ---------------------------------------------------------------------

const PM = "hv_vsp_one_port";
const portScenarios: Scenario[] = [
  scenario(PM, "change FC port settings", [
    get(`${PM}: GET ports/{id}`, `${S}/ports/CL4-A`, PORT),
    sync(`${PM}: PATCH ports/{id} FC`, "PATCH", `${S}/ports/CL4-A`, {
      portSpeed: "NUMBER_16",
      portSecurity: true,
      fcInformation: { alPa: "E8", fabricSwitchSetting: false, connectionType: "FC_AL" },
    }),
    get(`${PM}: GET ports/{id} again`, `${S}/ports/CL4-A`, PORT),
  ]),
  scenario(PM, "change iSCSI port settings (IPv4, TCP, VLAN, iSNS)", [
    get(`${PM}: GET ports/{id}`, `${S}/ports/CL4-B`, PORT),
    sync(`${PM}: PATCH ports/{id} iSCSI`, "PATCH", `${S}/ports/CL4-B`, {
      portSpeed: "NUMBER_10",
      iscsiInformation: {
        vlanUse: true,
        addVlanId: 100,
        ipMode: "ipv4",
        ipv4Information: {
          address: "192.168.50.10",
          subnetMask: "255.255.255.0",
          defaultGateway: "192.168.50.1",
        },
        tcpPort: 3261,
        selectiveAck: true,
        delayedAck: false,
        windowSize: "NUMBER_128K",
        mtuSize: "NUMBER_9000",
        keepAliveTimer: 90,
        isnsServerMode: true,
        isnsServerIpAddress: "192.168.50.2",
        isnsServerPort: 3205,
      },
    }),
    get(`${PM}: GET ports/{id} again`, `${S}/ports/CL4-B`, PORT),
  ]),
  scenario(PM, "change iSCSI port to IPv4+IPv6", [
    // The change removes VLAN 100, which an earlier run of the module set.
    sync("fixture: PATCH ports/{id} VLAN 100", "PATCH", `${S}/ports/CL4-B`, {
      iscsiInformation: { vlanUse: true, addVlanId: 100 },
    }),
    get(`${PM}: GET ports/{id}`, `${S}/ports/CL4-B`, PORT),
    sync(`${PM}: PATCH ports/{id} IPv6`, "PATCH", `${S}/ports/CL4-B`, {
      iscsiInformation: {
        deleteVlanId: 100,
        ipMode: "ipv4v6",
        ipv6Information: { linklocal: "Auto", global: "Auto", defaultGateway: "::" },
      },
    }),
    get(`${PM}: GET ports/{id} again`, `${S}/ports/CL4-B`, PORT),
  ]),
];
const PF = "hv_vsp_one_port_facts";
const portFactsScenarios: Scenario[] = [
  scenario(PF, "all ports", [get(`${PF}: GET ports`, `${S}/ports`, { data: [PORT] })]),
  scenario(PF, "one port by id", [get(`${PF}: GET ports/{id}`, `${S}/ports/CL1-B`, PORT)]),
  scenario(PF, "ports of a protocol", [
    get(`${PF}: GET ports?protocol`, `${S}/ports`, { data: [PORT] }, { protocol: "iSCSI" }),
  ]),
];

// ---- hv_vsp_one_snapshot* ------------------------------------------------------------------------

const SN = "hv_vsp_one_snapshot";
const withSnapshot = (group: string): Step[] => [
  ...poolFixture("spool"),
  ...volumeFixture(`${group}-p`),
  jobs("fixture: snapshot", `${S}/snapshots`, {
    params: [
      { masterVolumeId: "{volumeId}", poolId: "{poolId}", snapshotGroupName: group, type: "Snapshot" },
    ],
  }),
  {
    ...get("fixture: find it", `${S}/snapshots`, { data: [SNAPSHOT] }, { masterVolumeId: "{volumeId}" }),
    capture: { snapshotId: "data.0.snapshotId" },
  },
];
const snapshotScenarios: Scenario[] = [
  scenario(SN, "create a snapshot and a mapped snapshot", [
    ...poolFixture("spool"),
    ...volumeFixture("pvol"),
    // The module documents type "snapshot" / "mapped_snapshot" (any case) and its spec class
    // sends them as "Snapshot" / "Mapped Snapshot".
    jobs(`${SN} present: POST snapshots (type "snapshot" as sent)`, `${S}/snapshots`, {
      params: [
        { masterVolumeId: "{volumeId}", poolId: "{poolId}", snapshotGroupName: "sg-1", type: "Snapshot" },
      ],
    }),
    jobs(`${SN} present: POST snapshots (mapped)`, `${S}/snapshots`, {
      params: [
        {
          masterVolumeId: "{volumeId}",
          poolId: "{poolId}",
          // A volume has at most one snapshot in a snapshot group.
          snapshotGroupName: "sg-2",
          type: "Mapped Snapshot",
        },
      ],
    }),
    {
      ...get(`${SN}: list`, `${S}/snapshots`, { data: [SNAPSHOT] }, { masterVolumeId: "{volumeId}" }),
      capture: { snapshotId: "data.0.snapshotId" },
    },
    get(`${SN} present: GET snapshots/{pvol},{snap}`, `${S}/snapshots/{volumeId},{snapshotId}`, SNAPSHOT),
  ]),
  scenario(SN, "map a snapshot to a new volume", [
    ...withSnapshot("sg-map"),
    job(`${SN} map: POST map`, "POST", `${S}/snapshots/{volumeId},{snapshotId}/actions/map/invoke`, {
      poolId: "{poolId}",
    }),
    {
      ...get(`${SN} map: GET snapshots/{pvol},{snap}`, `${S}/snapshots/{volumeId},{snapshotId}`, {
        ...SNAPSHOT,
        mappedVolumeId: "integer",
      }),
      capture: { mappedId: "mappedVolumeId" },
    },
    get(`${SN} map: GET volumes/{mapped}`, `${S}/volumes/{mappedId}`, VOLUME),
  ]),
  // In 4.6.1 the module stops before this request (its restore reads a wait_for_final_state that
  // its snapshot spec lacks); these are the requests its snapshot gateway sends for a restore.
  scenario(SN, "restore a snapshot", [
    ...withSnapshot("sg-res"),
    job(
      `${SN} restore: POST restore (no body)`,
      "POST",
      `${S}/snapshots/{volumeId},{snapshotId}/actions/restore/invoke`,
    ),
    get(
      `${SN} restore: GET snapshots/{pvol},{snap} until PSUS`,
      `${S}/snapshots/{volumeId},{snapshotId}`,
      SNAPSHOT,
    ),
  ]),
  scenario(SN, "delete a snapshot and its mapped volume", [
    ...withSnapshot("sg-del"),
    job("fixture: map", "POST", `${S}/snapshots/{volumeId},{snapshotId}/actions/map/invoke`, {
      poolId: "{poolId}",
    }),
    {
      ...get(`${SN} absent: GET snapshots/{pvol},{snap}`, `${S}/snapshots/{volumeId},{snapshotId}`, SNAPSHOT),
      capture: { mappedId: "mappedVolumeId" },
    },
    job(`${SN} absent: DELETE snapshots/{pvol},{snap}`, "DELETE", `${S}/snapshots/{volumeId},{snapshotId}`),
    get(
      `${SN} absent: GET snapshots/{pvol},{snap} (gone)`,
      `${S}/snapshots/{volumeId},{snapshotId}`,
      undefined,
      undefined,
      404,
    ),
    job(`${SN} absent: DELETE volumes/{svol}`, "DELETE", `${S}/volumes/{mappedId}`),
  ]),
];
const SNF = "hv_vsp_one_snapshot_facts";
const SNAPSHOTS: Shape = { data: [SNAPSHOT] };
const snapshotFactsScenarios: Scenario[] = [
  scenario(SNF, "all snapshots", [
    ...withSnapshot("sgf"),
    get(`${SNF}: GET snapshots`, `${S}/snapshots`, SNAPSHOTS),
  ]),
  scenario(SNF, "by master volume", [
    ...withSnapshot("sgf"),
    get(`${SNF}: GET snapshots?masterVolumeId`, `${S}/snapshots`, SNAPSHOTS, {
      masterVolumeId: "{volumeId}",
    }),
  ]),
  scenario(SNF, "by group name", [
    ...withSnapshot("sgf"),
    get(`${SNF}: GET snapshots?snapshotGroupName`, `${S}/snapshots`, SNAPSHOTS, { snapshotGroupName: "sgf" }),
  ]),
  scenario(SNF, "by date range, start id and count", [
    ...withSnapshot("sgf"),
    get(`${SNF}: GET snapshots?dates&startId&count`, `${S}/snapshots`, SNAPSHOTS, {
      masterVolumeId: "{volumeId}",
      // The module documents YYYY-MM-DDThh:mm:ssZ and sends the value as given.
      snapshotDateFrom: "2000-01-01T00:00:00Z",
      snapshotDateTo: "2099-12-31T23:59:59Z",
      startId: "{volumeId},0",
      count: "10",
    }),
  ]),
  scenario(SNF, "one snapshot by master volume and snapshot id", [
    ...withSnapshot("sgf"),
    get(`${SNF}: GET snapshots/{pvol},{snap}`, `${S}/snapshots/{volumeId},{snapshotId}`, SNAPSHOT),
  ]),
];
const SG = "hv_vsp_one_snapshot_group";
const snapshotGroupScenarios: Scenario[] = [
  scenario(SG, "read a group (present)", [
    ...withSnapshot("sgg"),
    get(`${SG}: GET snapshot-groups/{name}?count=1000`, `${S}/snapshot-groups/sgg`, SNAPSHOT_GROUP, {
      count: "1000",
    }),
  ]),
  scenario(SG, "delete a group (absent)", [
    ...withSnapshot("sgg"),
    get(`${SG}: GET snapshot-groups/{name}?count=1000`, `${S}/snapshot-groups/sgg`, SNAPSHOT_GROUP, {
      count: "1000",
    }),
    job(`${SG}: DELETE snapshot-groups/{name}`, "DELETE", `${S}/snapshot-groups/sgg`),
    get(`${SG}: gone`, `${S}/snapshot-groups/sgg`, undefined, { count: "1000" }, 404),
  ]),
];
const SGF = "hv_vsp_one_snapshot_group_facts";
const snapshotGroupFactsScenarios: Scenario[] = [
  scenario(SGF, "all groups", [
    ...withSnapshot("sggf"),
    get(`${SGF}: GET snapshot-groups`, `${S}/snapshot-groups`, { data: [{ name: "string" }] }),
  ]),
  scenario(SGF, "all groups with their snapshots", [
    ...withSnapshot("sggf"),
    get(`${SGF}: GET snapshot-groups`, `${S}/snapshot-groups`, { data: [{ name: "string" }] }),
    get(`${SGF}: GET snapshot-groups/{name}?count=1000`, `${S}/snapshot-groups/sggf`, SNAPSHOT_GROUP, {
      count: "1000",
    }),
  ]),
  scenario(SGF, "one group by name", [
    ...withSnapshot("sggf"),
    get(`${SGF}: GET snapshot-groups/{name}?count=1000`, `${S}/snapshot-groups/sggf`, SNAPSHOT_GROUP, {
      count: "1000",
    }),
  ]),
];

export const SCENARIOS: Scenario[] = [
  ...ddpScenarios,
  ...ddpFactsScenarios,
  ...volumeScenarios,
  ...volumeFactsScenarios,
  ...serverScenarios,
  ...serverFactsScenarios,
  ...hbaFactsScenarios,
  ...portScenarios,
  ...portFactsScenarios,
  ...snapshotScenarios,
  ...snapshotFactsScenarios,
  ...snapshotGroupScenarios,
  ...snapshotGroupFactsScenarios,
];
