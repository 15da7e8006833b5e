/**
 * The Terraform provider's hitachi_vsp_one_* resources and data sources over the simple API: the
 * requests each operation sends, in order, and the types its Go model decodes from each answer.
 *
 * What the provider does, in brief:
 * - every request carries `Accept: application/json` and `Content-Type: application/json`, also a
 *   GET or a DELETE without a body;
 * - it makes its session with `POST …/objects/sessions/` (trailing slash, Basic credentials, no
 *   body) and sends the string `sessionId` of the answer as `Authorization: Session <sessionId>`;
 * - a change answers one `{statusResource}` or an array of them; it polls
 *   `GET …/command-status/{id}` (the id is the last segment, parsed as an integer) until `progress`
 *   is `completed` and requires `status` `normal`; the IDs of what was made come from
 *   `operationDetails[].resourceId` (strings), which volume creation and volume-server connection
 *   need: without them the provider stops;
 * - a port change and a volume nickname change are synchronous: the answer itself is decoded as a
 *   command-status;
 * - a request without a body parameter sends the JSON text `null` (POST) or nothing (DELETE);
 * - `json.Unmarshal` fails on a field whose JSON type differs from the Go type (a string for an
 *   int, a number for a string, a fraction for an int, an object for a slice); an absent or null
 *   field leaves the zero value, so a field is marked optional unless the provider's logic uses it.
 *
 * Go `int`/`int64` is "integer", `float64` "number", `interface{}` "any".
 */
import type { Scenario, Shape, Step } from "./corpus.ts";

const S = "/ConfigurationManager/simple/v1/objects";
const CLIENT = "terraform" as const;
/** Sent on every request. */
const HEADERS = { Accept: "application/json", "Content-Type": "application/json" };

// ---- the Go model types, as shapes ----

const GATEWAY_ERROR: Shape = {
  errorSource: "string?",
  message: "string?",
  cause: "string?",
  solution: "string?",
  solutionType: "string?",
  messageId: "string?",
  "errorCode?": { SSB2: "string?", SSB1: "string?" },
  detailCode: "string?",
};

/** model.JobResponse, as polled from command-status. */
const JOB: Shape = {
  id: "integer?",
  progress: "string",
  status: "string",
  "affectedResources?": ["string"],
  errorResource: "string?",
  "errorCode?": { SSB1: "string?", SSB2: "string?" },
  errorMessage: "string?",
  "operationDetails?": [{ operationType: "string?", resourceType: "string?", resourceId: "string?" }],
  "error?": GATEWAY_ERROR,
  "multipleJobs?": ["integer"],
};

/** A command-status whose operationDetails give the IDs the provider goes on with. */
const JOB_WITH_IDS: Shape = {
  ...JOB,
  operationDetails: [{ operationType: "string?", resourceType: "string?", resourceId: "string" }],
};

/** model.JobResponse decoded from the answer of a synchronous PATCH. */
const SYNC_CHANGE: Shape = { ...JOB, progress: "string?", status: "string?" };

const STORAGE: Shape = {
  modelName: "string?",
  serial: "string?",
  nickname: "string?",
  numberOfTotalVolumes: "integer?",
  numberOfFreeDrives: "integer?",
  numberOfTotalServers: "integer?",
  totalPhysicalCapacity: "integer?",
  totalPoolCapacity: "integer?",
  totalPoolPhysicalCapacity: "integer?",
  usedPoolCapacity: "integer?",
  freePoolCapacity: "integer?",
  totalPoolCapacityWithTiPool: "integer?",
  totalPoolPhysicalCapacityWithTiPool: "integer?",
  usedPoolCapacityWithTiPool: "integer?",
  freePoolCapacityWithTiPool: "integer?",
  estimatedConfigurablePoolCapacity: "integer?",
  estimatedConfigurableVolumeCapacity: "integer?",
  "savingEffects?": {
    efficiencyDataReduction: "integer?",
    preCapacityDataReduction: "integer?",
    postCapacityDataReduction: "integer?",
    efficiencyFmdSaving: "integer?",
    preCapacityFmdSaving: "integer?",
    postCapacityFmdSaving: "integer?",
    isTotalEfficiencySupport: "boolean?",
    totalEfficiencyStatus: "string?",
    dataReductionWithoutSystemDataStatus: "string?",
    softwareSavingWithoutSystemDataStatus: "string?",
    totalEfficiency: "integer?",
    dataReductionWithoutSystemData: "integer?",
    preCapacityDataReductionWithoutSystemData: "integer?",
    postCapacityDataReductionWithoutSystemData: "integer?",
    softwareSavingWithoutSystemData: "integer?",
    calculationStartTime: "string?",
    calculationEndTime: "string?",
  },
  gumVersion: "string?",
  esmOsVersion: "string?",
  dkcMicroVersion: "string?",
  warningLedStatus: "string?",
  esmStatus: "string?",
  ipAddressIpv4Service: "string?",
  ipAddressIpv4Ctl1: "string?",
  ipAddressIpv4Ctl2: "string?",
  ipAddressIpv6Service: "string?",
  ipAddressIpv6Ctl1: "string?",
  ipAddressIpv6Ctl2: "string?",
};

/** model.AdminPool (calculationStartTime/EndTime are *time.Time: RFC 3339 strings). */
const POOL: Shape = {
  id: "integer?",
  name: "string?",
  status: "string?",
  encryption: "string?",
  totalCapacity: "integer?",
  effectiveCapacity: "integer?",
  usedCapacity: "integer?",
  freeCapacity: "integer?",
  "capacityManage?": {
    usedCapacityRate: "integer?",
    thresholdWarning: "integer?",
    thresholdDepletion: "integer?",
  },
  "savingEffects?": {
    efficiencyDataReduction: "integer?",
    efficiencyFmdSaving: "integer?",
    preCapacityFmdSaving: "integer?",
    postCapacityFmdSaving: "integer?",
    isTotalEfficiencySupport: "boolean?",
    totalEfficiencyStatus: "string?",
    dataReductionWithoutSystemDataStatus: "string?",
    softwareSavingWithoutSystemDataStatus: "string?",
    totalEfficiency: "integer?",
    dataReductionWithoutSystemData: "integer?",
    softwareSavingWithoutSystemData: "integer?",
    calculationStartTime: "string?",
    calculationEndTime: "string?",
  },
  "configStatus?": ["string"],
  numberOfVolumes: "integer?",
  numberOfTiers: "integer?",
  numberOfDriveTypes: "integer?",
  tiers: "any?",
  "drives?": [
    {
      driveType: "string?",
      driveInterface: "string?",
      driveRpm: "string?",
      driveCapacity: "integer?",
      displayDriveCapacity: "string?",
      totalCapacity: "integer?",
      numberOfDrives: "integer?",
      "locations?": ["string"],
      raidLevel: "string?",
      parityGroupType: "string?",
    },
  ],
  subscriptionLimit: "any?",
  containsCapacitySavingVolume: "boolean?",
};
/** The provider finds a pool it made by name and takes data[0].id. */
const POOL_LIST: Shape = { data: [{ ...POOL, id: "integer" }], count: "integer?" };

const IPV4: Shape = { address: "string?", subnetMask: "string?", defaultGateway: "string?" };
const IPV6: Shape = {
  linklocal: "string?",
  linklocalAddress: "string?",
  linklocalAddressStatus: "string?",
  global: "string?",
  globalAddress: "string?",
  globalAddressStatus: "string?",
  defaultGateway: "string?",
};
const PORT: Shape = {
  id: "string?",
  protocol: "string?",
  portWwn: "string?",
  portIscsiName: "string?",
  portSpeed: "string?",
  actualPortSpeed: "string?",
  portSecurity: "boolean?",
  "fcInformation?": {
    alPa: "string?",
    fabricSwitchSetting: "boolean?",
    connectionType: "string?",
    sfpDataTransferRate: "string?",
    portMode: "string?",
  },
  "iscsiInformation?": {
    vlanUse: "boolean?",
    vlanId: "integer?",
    ipMode: "string?",
    "ipv4Information?": IPV4,
    "ipv6Information?": IPV6,
    isIpv6Updating: "boolean?",
    selectiveAck: "boolean?",
    delayedAck: "boolean?",
    mtuSize: "string?",
    linkMtuSize: "string?",
    virtualPortEnabled: "boolean?",
    tcpPort: "integer?",
    windowSize: "string?",
    keepAliveTimer: "integer?",
    isnsServerMode: "boolean?",
    isnsServerIpAddress: "string?",
    isnsServerPort: "integer?",
  },
  "nvmeTcpInformation?": {
    vlanUse: "boolean?",
    vlanId: "integer?",
    ipMode: "string?",
    "ipv4Information?": IPV4,
    "ipv6Information?": IPV6,
    isIpv6Updating: "boolean?",
    selectiveAck: "boolean?",
    delayedAck: "boolean?",
    mtuSize: "string?",
    linkMtuSize: "string?",
    virtualPortEnabled: "boolean?",
    tcpPort: "integer?",
    discoveryTcpPort: "integer?",
    windowSize: "string?",
  },
};
const PORT_LIST: Shape = { data: [PORT], count: "integer?" };

const SERVER_ITEM: Shape = {
  id: "integer",
  nickname: "string?",
  protocol: "string?",
  osType: "string?",
  totalCapacity: "integer?",
  usedCapacity: "integer?",
  numberOfPaths: "integer?",
  isInconsistent: "boolean?",
  modificationInProgress: "boolean?",
  isReserved: "boolean?",
  hasUnalignedOsTypes: "boolean?",
};
const SERVER_LIST: Shape = { data: [SERVER_ITEM], count: "integer?" };
/** model.AdminServerInfo; the provider removes a server's paths from `paths` before deleting it. */
const SERVER: Shape = {
  id: "integer?",
  nickname: "string?",
  protocol: "string?",
  osType: "string?",
  "osTypeOptions?": ["integer"],
  totalCapacity: "integer?",
  usedCapacity: "integer?",
  numberOfVolumes: "integer?",
  numberOfPaths: "integer?",
  "paths?": [{ hbaWwn: "string?", iscsiName: "string?", "portIds?": ["string"] }],
  isInconsistent: "boolean?",
  isReserved: "boolean?",
  hasNonFullmeshLuPaths: "boolean?",
  hasUnalignedOsTypes: "boolean?",
  hasUnalignedOsTypeOptions: "boolean?",
};
const SERVER_PATH: Shape = {
  id: "string?",
  serverId: "integer?",
  hbaWwn: "string?",
  iscsiName: "string?",
  portId: "string?",
};
const HBA: Shape = { serverId: "integer?", hbaWwn: "string?", iscsiName: "string?", "portIds?": ["string"] };
const HBA_LIST: Shape = { data: [HBA], count: "integer?" };
const ISCSI_TARGET: Shape = { portId: "string?", targetIscsiName: "string?" };
const ISCSI_TARGET_LIST: Shape = { data: [ISCSI_TARGET], count: "integer?" };

const VOLUME_BASE = {
  id: "integer",
  nickname: "string?",
  poolId: "integer?",
  poolName: "string?",
  // compared with the requested capacity on update, to expand by the difference
  totalCapacity: "integer",
  usedCapacity: "integer?",
  savingSetting: "string?",
  isDataReductionShareEnabled: "boolean?",
  compressionAcceleration: "boolean?",
  capacitySavingStatus: "string?",
  numberOfConnectingServers: "integer?",
  numberOfSnapshots: "integer?",
  "volumeTypes?": ["string"],
} satisfies Record<string, Shape>;
const VOLUME: Shape = {
  ...VOLUME_BASE,
  freeCapacity: "integer?",
  reservedCapacity: "integer?",
  compressionAccelerationStatus: "string?",
  capacitySavingProgress: "integer?",
  "luns?": [{ lun: "integer?", serverId: "integer?", portId: "string?" }],
};
const VOLUME_LIST: Shape = {
  data: [VOLUME_BASE],
  count: "integer?",
  totalCount: "integer?",
  hasNext: "boolean?",
};

const QOS: Shape = {
  volumeId: "integer?",
  "threshold?": {
    isUpperIopsEnabled: "boolean?",
    upperIops: "integer?",
    isUpperTransferRateEnabled: "boolean?",
    upperTransferRate: "integer?",
    isLowerIopsEnabled: "boolean?",
    lowerIops: "integer?",
    isLowerTransferRateEnabled: "boolean?",
    lowerTransferRate: "integer?",
    isResponsePriorityEnabled: "boolean?",
    responsePriority: "integer?",
    targetResponseTime: "integer?",
  },
  "alertSetting?": {
    isUpperAlertEnabled: "boolean?",
    upperAlertAllowableTime: "integer?",
    isLowerAlertEnabled: "boolean?",
    lowerAlertAllowableTime: "integer?",
    isResponseAlertEnabled: "boolean?",
    responseAlertAllowableTime: "integer?",
  },
  "alertTime?": { upperAlertTime: "string?", lowerAlertTime: "string?", responseAlertTime: "string?" },
};

const CONNECTION: Shape = {
  id: "string?",
  volumeId: "integer?",
  serverId: "integer?",
  "luns?": [{ lun: "integer?", portId: "string?" }],
};
const CONNECTION_LIST: Shape = {
  data: [CONNECTION],
  count: "integer?",
  totalCount: "integer?",
  hasNext: "boolean?",
};

// ---- steps ----

type Method = Step["method"];

function step(
  name: string,
  method: Method,
  path: string,
  rest: Omit<Step, "name" | "method" | "path" | "status"> & { status?: number } = {},
): Step {
  return { name, method, path: `${S}/${path}`, headers: HEADERS, status: 200, ...rest };
}

/** GET and decode. */
function get(name: string, path: string, reads: Shape, rest: Partial<Step> = {}): Step {
  return step(name, "GET", path, { reads, ...rest });
}

/** An asynchronous change: 202, poll every command-status. */
function change(
  name: string,
  method: Method,
  path: string,
  body: unknown,
  jobs: NonNullable<Step["jobs"]> = { reads: JOB },
): Step {
  return step(name, method, path, { status: 202, ...(body !== undefined ? { body } : {}), jobs });
}

/** The provider's session: Basic on objects/sessions/ (with the trailing slash), token = sessionId. */
const SESSION: Step = {
  name: "provider session: POST sessions/ with Basic, sessionId is the token",
  method: "POST",
  path: `${S}/sessions/`,
  headers: HEADERS,
  auth: "basic",
  status: 200,
  reads: { sessionId: "string" },
  session: "sessionId",
};

/** Provider configuration: the storage is read once (with estimates) when the provider starts. */
const REGISTER: Step = get(
  "provider configuration: GET storage with estimated configurable capacities",
  "storage",
  STORAGE,
  { query: { withEstimatedConfigurableCapacities: "true" } },
);

function scenario(module: string, operation: string, steps: Step[]): Scenario {
  return { client: CLIENT, module, operation, steps: [SESSION, REGISTER, ...steps] };
}

/**
 * The drives of the pools the scenarios make: a drive type of the default array (VSP One B28) that
 * its seeded pool 0 leaves wholly free (24 drives), enough for a pool and one expansion.
 */
const DRIVE = {
  driveTypeCode: "SNB5C-R3R8NC",
  dataDriveCount: 5,
  raidLevel: "RAID5",
  parityGroupType: "DDP",
};

/** hitachi_vsp_one_pool create: POST pools, find it by name, read it. Captures poolId. */
function createPool(name: string, m = "hitachi_vsp_one_pool create"): Step[] {
  return [
    change(`${m}: POST pools`, "POST", "pools", { name, isEncryptionEnabled: false, drives: [DRIVE] }),
    get(`${m}: GET pools?name= (the answer gives no ID)`, "pools", POOL_LIST, {
      query: { name },
      capture: { poolId: "data.0.id" },
    }),
    get(`${m}: GET pools/{id}`, "pools/{poolId}", POOL),
  ];
}

/** hitachi_vsp_one_volume create of `number` volumes; captures volumeId (integer) of the first. */
function createVolumes(number = 1, baseName = "tfvol", m = "hitachi_vsp_one_volume create"): Step[] {
  return [
    change(
      `${m}: POST volumes`,
      "POST",
      "volumes",
      {
        capacity: 1024,
        number,
        nicknameParam: { baseName, startNumber: 1, numberOfDigits: 2 },
        poolId: "{poolId}",
      },
      { reads: JOB_WITH_IDS, capture: { newVolume: "0.operationDetails.0.resourceId" } },
    ),
    get(`${m}: GET volumes/{id} of each new volume`, "volumes/{newVolume}", VOLUME, {
      capture: { volumeId: "id" },
    }),
  ];
}

/** hitachi_vsp_one_server create (no host groups): POST servers, find it by nickname, read it. */
function createServer(
  nickname: string,
  protocol: "FC" | "iSCSI",
  m = "hitachi_vsp_one_server create",
): Step[] {
  return [
    change(`${m}: POST servers`, "POST", "servers", {
      serverNickname: nickname,
      protocol,
      osType: "Linux",
      isReserved: false,
    }),
    // the provider builds "servers?" + the query, even an empty one
    get(`${m}: GET servers?nickname= (the answer gives no ID)`, "servers?", SERVER_LIST, {
      query: { nickname },
      capture: { serverId: "data.0.id" },
    }),
    get(`${m}: GET servers/{id}`, "servers/{serverId}", SERVER),
  ];
}

const WWN = "100000109b583b2d";
const INITIATOR = "iqn.1991-05.com.example:tf-host01";

/** hitachi_vsp_one_server_hba create of one FC HBA, then the list the provider reads back. */
function createHba(m = "hitachi_vsp_one_server_hba create"): Step[] {
  return [
    change(`${m}: POST servers/{id}/hbas`, "POST", "servers/{serverId}/hbas", { hbas: [{ hbaWwn: WWN }] }),
    get(`${m}: GET servers/{id}/hbas`, "servers/{serverId}/hbas", HBA_LIST),
  ];
}

/** hitachi_vsp_one_server_path create: POST paths, then the server read back. */
function createPath(initiator: { hbaWwn: string } | { iscsiName: string }, portIds: string[]): Step[] {
  const m = "hitachi_vsp_one_server_path create";
  return [
    change(`${m}: POST servers/{id}/paths`, "POST", "servers/{serverId}/paths", { ...initiator, portIds }),
    get(`${m}: GET servers/{id}`, "servers/{serverId}", SERVER),
  ];
}

/** FC ports of the default array (VSP One B28: FC CL1-A…CL8-A, iSCSI CL1-B…CL4-B, NVMe/TCP CL1-C…). */
const FC_PORT_1 = "CL1-A";
const FC_PORT_2 = "CL2-A";
/** An iSCSI port of the default array. */
const ISCSI_PORT = "CL1-B";

/** A ready FC server with an HBA and paths (through two FC ports unless told). */
function fcServerWithPaths(nickname = "tf-fc-server", portIds = [FC_PORT_1, FC_PORT_2]): Step[] {
  return [...createServer(nickname, "FC"), ...createHba(), ...createPath({ hbaWwn: WWN }, portIds)];
}

// ---- the scenarios ----

const storage: Scenario[] = [
  scenario("hitachi_vsp_one_storage (data source)", "read without estimated capacities", [
    get("hitachi_vsp_one_storage read: GET storage", "storage", STORAGE, {
      query: { withEstimatedConfigurableCapacities: "false" },
    }),
  ]),
];

const pools: Scenario[] = [
  scenario("hitachi_vsp_one_pool", "create (found again by name) and read", createPool("tf-pool")),
  scenario("hitachi_vsp_one_pool", "update name and thresholds", [
    ...createPool("tf-pool"),
    change("hitachi_vsp_one_pool update: PATCH pools/{id}", "PATCH", "pools/{poolId}", {
      name: "tf-pool-renamed",
      thresholdWarning: 70,
      thresholdDepletion: 80,
    }),
    get("hitachi_vsp_one_pool read: GET pools/{id}", "pools/{poolId}", POOL),
  ]),
  scenario("hitachi_vsp_one_pool", "expand with drives", [
    ...createPool("tf-pool"),
    change(
      "hitachi_vsp_one_pool update: POST pools/{id}/actions/expand/invoke",
      "POST",
      "pools/{poolId}/actions/expand/invoke",
      { additionalDrives: [DRIVE] },
    ),
    get("hitachi_vsp_one_pool read: GET pools/{id}", "pools/{poolId}", POOL),
  ]),
  scenario("hitachi_vsp_one_pool", "delete", [
    ...createPool("tf-pool"),
    change("hitachi_vsp_one_pool delete: DELETE pools/{id}", "DELETE", "pools/{poolId}", undefined),
  ]),
  scenario("hitachi_vsp_one_pools (data source)", "list all, one by name, one by ID", [
    ...createPool("tf-pool"),
    get("hitachi_vsp_one_pools read: GET pools", "pools", POOL_LIST),
    get("hitachi_vsp_one_pools read: GET pools?name=", "pools", POOL_LIST, { query: { name: "tf-pool" } }),
    get("hitachi_vsp_one_pool read: GET pools/{id}", "pools/{poolId}", POOL),
  ]),
];

const volumes: Scenario[] = [
  scenario("hitachi_vsp_one_volume", "create 3 volumes with a nickname base", [
    ...createPool("tf-pool"),
    ...createVolumes(3),
  ]),
  scenario("hitachi_vsp_one_volume", "update: expand, capacity saving, nickname", [
    ...createPool("tf-pool"),
    ...createVolumes(1),
    get("hitachi_vsp_one_volume update: GET volumes/{id}", "volumes/{volumeId}", VOLUME),
    change(
      "hitachi_vsp_one_volume update: POST volumes/{id}/actions/expand/invoke (the increment in MiB)",
      "POST",
      "volumes/{volumeId}/actions/expand/invoke",
      { capacity: 1024 },
    ),
    change("hitachi_vsp_one_volume update: PATCH volumes/{id} savingSetting", "PATCH", "volumes/{volumeId}", {
      savingSetting: "COMPRESSION",
    }),
    step(
      "hitachi_vsp_one_volume update: PATCH volumes/{id} nickname (synchronous)",
      "PATCH",
      "volumes/{volumeId}",
      {
        body: { nickname: "tfvol-renamed" },
        reads: SYNC_CHANGE,
      },
    ),
    get("hitachi_vsp_one_volume read: GET volumes/{id}", "volumes/{volumeId}", VOLUME),
  ]),
  scenario("hitachi_vsp_one_volume", "delete", [
    ...createPool("tf-pool"),
    ...createVolumes(1),
    change("hitachi_vsp_one_volume delete: DELETE volumes/{id}", "DELETE", "volumes/{volumeId}", undefined),
  ]),
  scenario("hitachi_vsp_one_volumes (data source)", "list by pool from a start volume; one by ID", [
    ...createPool("tf-pool"),
    ...createVolumes(2),
    get("hitachi_vsp_one_volumes read: GET volumes?count&poolId&startVolumeId", "volumes?", VOLUME_LIST, {
      query: { count: "100", poolId: "{poolId}", startVolumeId: "0" },
    }),
    get("hitachi_vsp_one_volumes read: GET volumes?nickname&startVolumeId", "volumes?", VOLUME_LIST, {
      query: { nickname: "tfvol01", startVolumeId: "0" },
    }),
    get("hitachi_vsp_one_volume read: GET volumes/{id}", "volumes/{volumeId}", VOLUME),
  ]),
];

const qosThreshold = {
  isUpperIopsEnabled: true,
  upperIops: 1000,
  isUpperTransferRateEnabled: true,
  upperTransferRate: 100,
  isLowerIopsEnabled: false,
  isLowerTransferRateEnabled: false,
  isResponsePriorityEnabled: false,
};
const qosAlert = {
  isUpperAlertEnabled: true,
  upperAlertAllowableTime: 10,
  isLowerAlertEnabled: false,
  isResponseAlertEnabled: false,
};
const qos: Scenario[] = [
  scenario("hitachi_vsp_one_volume_qos", "create: threshold, then alert setting, then read", [
    ...createPool("tf-pool"),
    ...createVolumes(1),
    change(
      "hitachi_vsp_one_volume_qos create: PATCH volumes/{id}/qos-setting threshold",
      "PATCH",
      "volumes/{volumeId}/qos-setting",
      { threshold: qosThreshold },
    ),
    change(
      "hitachi_vsp_one_volume_qos create: PATCH volumes/{id}/qos-setting alertSetting",
      "PATCH",
      "volumes/{volumeId}/qos-setting",
      { alertSetting: qosAlert },
    ),
    get(
      "hitachi_vsp_one_volume_qos read: GET volumes/{id}/qos-setting",
      "volumes/{volumeId}/qos-setting",
      QOS,
    ),
  ]),
  scenario("hitachi_vsp_one_volume_qos (data source)", "read a new volume's QoS", [
    ...createPool("tf-pool"),
    ...createVolumes(1),
    get(
      "hitachi_vsp_one_volume_qos read: GET volumes/{id}/qos-setting",
      "volumes/{volumeId}/qos-setting",
      QOS,
    ),
  ]),
];

const servers: Scenario[] = [
  scenario(
    "hitachi_vsp_one_server",
    "create an FC server (found again by nickname)",
    createServer("tf-server", "FC"),
  ),
  scenario("hitachi_vsp_one_server", "create with host groups: add-host-groups, sync-host-group-names", [
    // a host group to take over: the one the first server's only path made on the first FC port
    ...fcServerWithPaths("tf-owner", [FC_PORT_1]),
    ...createServer("tf-server", "FC"),
    change(
      "hitachi_vsp_one_server create: POST servers/{id}/actions/add-host-groups/invoke",
      "POST",
      "servers/{serverId}/actions/add-host-groups/invoke",
      { hostGroups: [{ portId: FC_PORT_1, hostGroupId: 1 }] },
    ),
    // the provider sends no body parameter here: json.Marshal(nil) is the text "null"
    change(
      "hitachi_vsp_one_server create: POST servers/{id}/actions/sync-host-group-names/invoke (body null)",
      "POST",
      "servers/{serverId}/actions/sync-host-group-names/invoke",
      null,
    ),
    get("hitachi_vsp_one_server read: GET servers/{id}", "servers/{serverId}", SERVER),
  ]),
  // UpdateAdminServerParams carries nickname, osType and osTypeOptions (each omitted when empty):
  // one PATCH holds whatever changed
  scenario("hitachi_vsp_one_server", "update the nickname", [
    ...createServer("tf-server", "FC"),
    change("hitachi_vsp_one_server update: PATCH servers/{id} nickname", "PATCH", "servers/{serverId}", {
      nickname: "tf-server-renamed",
    }),
    get("hitachi_vsp_one_server read: GET servers/{id}", "servers/{serverId}", SERVER),
  ]),
  scenario("hitachi_vsp_one_server", "update the OS type and options", [
    ...createServer("tf-server", "FC"),
    change(
      "hitachi_vsp_one_server update: PATCH servers/{id} osType, osTypeOptions",
      "PATCH",
      "servers/{serverId}",
      {
        osType: "VMware",
        osTypeOptions: [54, 63],
      },
    ),
    get("hitachi_vsp_one_server read: GET servers/{id}", "servers/{serverId}", SERVER),
  ]),
  // a plan changing server_nickname and os_type at once: both fields in the one PATCH
  scenario("hitachi_vsp_one_server", "update the nickname and the OS type together", [
    ...createServer("tf-server", "FC"),
    change(
      "hitachi_vsp_one_server update: PATCH servers/{id} nickname, osType",
      "PATCH",
      "servers/{serverId}",
      { nickname: "tf-server-renamed", osType: "VMware" },
    ),
    get("hitachi_vsp_one_server read: GET servers/{id}", "servers/{serverId}", SERVER),
  ]),
  scenario("hitachi_vsp_one_server", "delete: its paths first, then the server", [
    ...fcServerWithPaths(),
    get("hitachi_vsp_one_server delete: GET servers/{id} (paths to remove)", "servers/{serverId}", SERVER),
    change(
      `hitachi_vsp_one_server delete: DELETE servers/{id}/paths/{wwn},${FC_PORT_1}`,
      "DELETE",
      `servers/{serverId}/paths/${WWN},${FC_PORT_1}`,
      undefined,
    ),
    change(
      `hitachi_vsp_one_server delete: DELETE servers/{id}/paths/{wwn},${FC_PORT_2}`,
      "DELETE",
      `servers/{serverId}/paths/${WWN},${FC_PORT_2}`,
      undefined,
    ),
    change(
      "hitachi_vsp_one_server delete: DELETE servers/{id} keepLunConfig",
      "DELETE",
      "servers/{serverId}",
      {
        keepLunConfig: false,
      },
    ),
  ]),
  scenario("hitachi_vsp_one_servers (data source)", "list all, by nickname, one by ID", [
    ...createServer("tf-server", "FC"),
    get("hitachi_vsp_one_servers read: GET servers? (empty query)", "servers?", SERVER_LIST),
    get("hitachi_vsp_one_servers read: GET servers?nickname=", "servers?", SERVER_LIST, {
      query: { nickname: "tf-server" },
    }),
    get("hitachi_vsp_one_servers read: GET servers?hbaWwn=", "servers?", SERVER_LIST, {
      query: { hbaWwn: WWN },
    }),
    get("hitachi_vsp_one_server read: GET servers/{id}", "servers/{serverId}", SERVER),
  ]),
];

const hbas: Scenario[] = [
  scenario("hitachi_vsp_one_server_hba", "create an FC HBA and read it", [
    ...createServer("tf-server", "FC"),
    ...createHba(),
    get("hitachi_vsp_one_server_hba read: GET servers/{id}/hbas", "servers/{serverId}/hbas", HBA_LIST),
  ]),
  scenario("hitachi_vsp_one_server_hba", "create an iSCSI initiator", [
    ...createServer("tf-iscsi-server", "iSCSI"),
    change("hitachi_vsp_one_server_hba create: POST servers/{id}/hbas", "POST", "servers/{serverId}/hbas", {
      hbas: [{ iscsiName: INITIATOR }],
    }),
    get("hitachi_vsp_one_server_hba create: GET servers/{id}/hbas", "servers/{serverId}/hbas", HBA_LIST),
  ]),
  scenario("hitachi_vsp_one_server_hba", "delete", [
    ...createServer("tf-server", "FC"),
    ...createHba(),
    change(
      "hitachi_vsp_one_server_hba delete: DELETE servers/{id}/hbas/{wwn}",
      "DELETE",
      `servers/{serverId}/hbas/${WWN}`,
      undefined,
    ),
    get("hitachi_vsp_one_server_hba delete: GET servers/{id}/hbas", "servers/{serverId}/hbas", HBA_LIST),
  ]),
  scenario("hitachi_vsp_one_server_hbas (data source)", "list, and one by WWN", [
    ...createServer("tf-server", "FC"),
    ...createHba(),
    get("hitachi_vsp_one_server_hbas read: GET servers/{id}/hbas", "servers/{serverId}/hbas", HBA_LIST),
    get(
      "hitachi_vsp_one_server_hba read: GET servers/{id}/hbas/{wwn}",
      `servers/{serverId}/hbas/${WWN}`,
      HBA,
    ),
  ]),
];

const paths: Scenario[] = [
  scenario("hitachi_vsp_one_server_path", "create FC paths and read them", [
    ...fcServerWithPaths(),
    get("hitachi_vsp_one_server_path read: GET servers/{id}", "servers/{serverId}", SERVER),
  ]),
  scenario("hitachi_vsp_one_server_path", "update: remove one port", [
    ...fcServerWithPaths(),
    change(
      `hitachi_vsp_one_server_path update: DELETE servers/{id}/paths/{wwn},${FC_PORT_2}`,
      "DELETE",
      `servers/{serverId}/paths/${WWN},${FC_PORT_2}`,
      undefined,
    ),
    get("hitachi_vsp_one_server_path read: GET servers/{id}", "servers/{serverId}", SERVER),
  ]),
  scenario("hitachi_vsp_one_server_path (data source)", "read one path", [
    ...fcServerWithPaths(),
    get(
      "hitachi_vsp_one_server_path read: GET servers/{id}/paths/{wwn},{portId}",
      `servers/{serverId}/paths/${WWN},${FC_PORT_1}`,
      SERVER_PATH,
    ),
  ]),
];

/** An iSCSI server with an initiator and a path through an iSCSI port. */
const iscsiServer: Step[] = [
  ...createServer("tf-iscsi-server", "iSCSI"),
  change("hitachi_vsp_one_server_hba create: POST servers/{id}/hbas", "POST", "servers/{serverId}/hbas", {
    hbas: [{ iscsiName: INITIATOR }],
  }),
  ...createPath({ iscsiName: INITIATOR }, [ISCSI_PORT]),
];
const iscsiTargets: Scenario[] = [
  scenario("hitachi_vsp_one_iscsi_target", "rename the target of a server on a port", [
    ...iscsiServer,
    change(
      "hitachi_vsp_one_iscsi_target create: PATCH servers/{id}/target-iscsi-ports/{portId}",
      "PATCH",
      `servers/{serverId}/target-iscsi-ports/${ISCSI_PORT}`,
      { targetIscsiName: "iqn.1994-04.jp.co.hitachi:rsd.h8m.t.700001.tf-target" },
    ),
    get(
      "hitachi_vsp_one_iscsi_target read: GET servers/{id}/target-iscsi-ports/{portId}",
      `servers/{serverId}/target-iscsi-ports/${ISCSI_PORT}`,
      ISCSI_TARGET,
    ),
  ]),
  scenario("hitachi_vsp_one_iscsi_targets (data source)", "list a server's targets, and one by port", [
    ...iscsiServer,
    get(
      "hitachi_vsp_one_iscsi_targets read: GET servers/{id}/target-iscsi-ports",
      "servers/{serverId}/target-iscsi-ports",
      ISCSI_TARGET_LIST,
    ),
    get(
      "hitachi_vsp_one_iscsi_target read: GET servers/{id}/target-iscsi-ports/{portId}",
      `servers/{serverId}/target-iscsi-ports/${ISCSI_PORT}`,
      ISCSI_TARGET,
    ),
  ]),
];

const ports: Scenario[] = [
  scenario("hitachi_vsp_one_ports (data source)", "list all, by protocol, one by ID", [
    get("hitachi_vsp_one_ports read: GET ports", "ports", PORT_LIST),
    get("hitachi_vsp_one_ports read: GET ports?protocol=FC", "ports", PORT_LIST, {
      query: { protocol: "FC" },
    }),
    get("hitachi_vsp_one_ports read: GET ports?protocol=iSCSI", "ports", PORT_LIST, {
      query: { protocol: "iSCSI" },
    }),
    get("hitachi_vsp_one_port read: GET ports/{id}", `ports/${FC_PORT_1}`, PORT),
  ]),
  scenario("hitachi_vsp_one_port", "update an FC port: speed, security, FC settings", [
    get("hitachi_vsp_one_port read: GET ports/{id}", `ports/${FC_PORT_1}`, PORT),
    step("hitachi_vsp_one_port update: PATCH ports/{id} (synchronous)", "PATCH", `ports/${FC_PORT_1}`, {
      body: {
        portSpeed: "NUMBER_16",
        portSecurity: true,
        fcInformation: { alPa: "EF", fabricSwitchSetting: true, connectionType: "Point_To_Point" },
      },
      reads: SYNC_CHANGE,
    }),
    get("hitachi_vsp_one_port read: GET ports/{id}", `ports/${FC_PORT_1}`, PORT),
  ]),
  scenario("hitachi_vsp_one_port", "update an iSCSI port: TCP settings", [
    get("hitachi_vsp_one_port read: GET ports/{id}", `ports/${ISCSI_PORT}`, PORT),
    step("hitachi_vsp_one_port update: PATCH ports/{id} (synchronous)", "PATCH", `ports/${ISCSI_PORT}`, {
      body: {
        portSecurity: true,
        iscsiInformation: {
          tcpPort: 3260,
          selectiveAck: true,
          delayedAck: false,
          windowSize: "NUMBER_128K",
          mtuSize: "NUMBER_1500",
          keepAliveTimer: 30,
        },
      },
      reads: SYNC_CHANGE,
    }),
    get("hitachi_vsp_one_port read: GET ports/{id}", `ports/${ISCSI_PORT}`, PORT),
  ]),
];

/** A volume and an FC server with paths, ready to connect. */
const connectable: Step[] = [...createPool("tf-pool"), ...createVolumes(1), ...fcServerWithPaths()];
const attach: Step = change(
  "hitachi_vsp_one_volume_server_connection create: POST volume-server-connections",
  "POST",
  "volume-server-connections",
  { volumeIds: ["{volumeId}"], serverIds: ["{serverId}"] },
  { reads: JOB_WITH_IDS },
);
const connections: Scenario[] = [
  scenario("hitachi_vsp_one_volume_server_connection", "connect a volume to a server and read it", [
    ...connectable,
    attach,
    get(
      "hitachi_vsp_one_volume_server_connection read: GET volume-server-connections/{volumeId},{serverId}",
      "volume-server-connections/{volumeId},{serverId}",
      CONNECTION,
    ),
  ]),
  scenario("hitachi_vsp_one_volume_server_connection", "disconnect", [
    ...connectable,
    attach,
    change(
      "hitachi_vsp_one_volume_server_connection delete: DELETE volume-server-connections/{volumeId},{serverId}",
      "DELETE",
      "volume-server-connections/{volumeId},{serverId}",
      undefined,
    ),
  ]),
  scenario("hitachi_vsp_one_volume_server_connections (data source)", "list by server, and one", [
    ...connectable,
    attach,
    get(
      "hitachi_vsp_one_volume_server_connections read: GET volume-server-connections?serverId=",
      "volume-server-connections?",
      CONNECTION_LIST,
      { query: { serverId: "{serverId}" } },
    ),
    get(
      "hitachi_vsp_one_volume_server_connections read: GET volume-server-connections?count&startVolumeId",
      "volume-server-connections?",
      CONNECTION_LIST,
      { query: { count: "100", startVolumeId: "0" } },
    ),
    get(
      "hitachi_vsp_one_volume_server_connection read: GET volume-server-connections/{volumeId},{serverId}",
      "volume-server-connections/{volumeId},{serverId}",
      CONNECTION,
    ),
  ]),
];

export const SCENARIOS: Scenario[] = [
  ...storage,
  ...pools,
  ...volumes,
  ...qos,
  ...servers,
  ...hbas,
  ...paths,
  ...iscsiTargets,
  ...ports,
  ...connections,
];
