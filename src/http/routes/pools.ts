/**
 * Pools (thin-provisioning pools built from drives) and the drives themselves. Reads are
 * synchronous; creating, changing, expanding and deleting a pool are asynchronous (202).
 */
import { Type } from "typebox";
import {
  MAX_DATA_DRIVE_COUNT,
  MAX_POOL_ID,
  type PoolDriveSpec,
  RAID_LEVELS,
  raidLayoutProblem,
} from "../../device/port/pools.ts";
import type { ArrayProfile } from "../../device/simulator/profiles.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import { POOL_NAME_LENGTH, POOL_THRESHOLD } from "../../domain/limits.ts";
import { POOL_JOBS } from "../../services/pools.ts";
import { principalOf } from "../contract/auth.ts";
import {
  accepted,
  Body,
  call,
  errorResponses,
  IntId,
  idParams,
  ListOf,
  Query,
  type RouteModule,
  SIMPLE_OBJECTS,
  StatusResourceSchema,
} from "./common.ts";

/** Alphanumerics, space and , - . / : @ \ _ ; case-sensitive. */
const PoolName = Type.String({
  minLength: POOL_NAME_LENGTH.min,
  maxLength: POOL_NAME_LENGTH.max,
  pattern: "^[A-Za-z0-9 ,./:@\\\\_-]+$",
});
const Threshold = Type.Integer({ minimum: POOL_THRESHOLD.min, maximum: POOL_THRESHOLD.max });

const DriveSpec = Body({
  driveTypeCode: Type.String({ pattern: "^[A-Za-z0-9-]{12}$", description: 'e.g. "SNR5A-R960NC"' }),
  dataDriveCount: Type.Integer({
    minimum: 1,
    maximum: MAX_DATA_DRIVE_COUNT,
    description: "drives to take, parity included",
  }),
  raidLevel: Type.Optional(
    Type.Union([...RAID_LEVELS.map((r) => Type.Literal(r)), Type.Null()], {
      description: "required for a fixed layout; a distributed-parity spec without one is RAID6",
    }),
  ),
  parityGroupType: Type.Optional(
    Type.Literal("DDP", { description: "distributed parity (VSP One); leave out for a fixed RAID layout" }),
  ),
});
const DriveSpecs = Type.Array(DriveSpec, { minItems: 1, maxItems: 16 });

export const SavingEffectsSchema = Type.Object({
  efficiencyDataReduction: Type.Number(),
  preCapacityDataReduction: Type.Number(),
  postCapacityDataReduction: Type.Number(),
  efficiencyFmdSaving: Type.Number(),
  preCapacityFmdSaving: Type.Number(),
  postCapacityFmdSaving: Type.Number(),
  isTotalEfficiencySupport: Type.Boolean(),
  totalEfficiencyStatus: Type.String(),
  dataReductionWithoutSystemDataStatus: Type.String(),
  softwareSavingWithoutSystemDataStatus: Type.String(),
  totalEfficiency: Type.Number(),
  dataReductionWithoutSystemData: Type.Number(),
  preCapacityDataReductionWithoutSystemData: Type.Number(),
  postCapacityDataReductionWithoutSystemData: Type.Number(),
  softwareSavingWithoutSystemData: Type.Number(),
  calculationStartTime: Type.String(),
  calculationEndTime: Type.String(),
});

const PoolSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  status: Type.String({ description: "Normal, ExceededThreshold or Error (full)" }),
  encryption: Type.String(),
  totalCapacity: Type.Integer({ description: "MiB" }),
  effectiveCapacity: Type.Integer(),
  usedCapacity: Type.Integer({ description: "MiB: the provisioned capacity of the pool's volumes" }),
  freeCapacity: Type.Integer(),
  capacityManage: Type.Object({
    usedCapacityRate: Type.Integer(),
    thresholdWarning: Type.Integer(),
    thresholdDepletion: Type.Integer(),
  }),
  savingEffects: SavingEffectsSchema,
  configStatus: Type.Array(Type.String()),
  numberOfVolumes: Type.Integer(),
  numberOfTiers: Type.Integer(),
  tiers: Type.Array(Type.Unknown()),
  numberOfDriveTypes: Type.Integer(),
  drives: Type.Array(
    Type.Object({
      driveType: Type.String(),
      driveInterface: Type.String(),
      driveRpm: Type.String(),
      driveCapacity: Type.Integer(),
      displayDriveCapacity: Type.String(),
      totalCapacity: Type.Integer(),
      numberOfDrives: Type.Integer(),
      locations: Type.Array(Type.String()),
      raidLevel: Type.String(),
      parityGroupType: Type.String(),
    }),
  ),
  subscriptionLimit: Type.Object({ isEnabled: Type.Boolean(), currentRate: Type.Integer() }),
  containsCapacitySavingVolume: Type.Boolean(),
});

const DriveSchema = Type.Object({
  driveLocationId: Type.String(),
  driveTypeCode: Type.String(),
  driveType: Type.String(),
  driveInterface: Type.String(),
  driveRpm: Type.String(),
  driveCapacity: Type.Integer(),
  displayDriveCapacity: Type.String(),
  totalCapacity: Type.Integer(),
  status: Type.String(),
  usageType: Type.String({ description: "DATA (in a pool) or FREE" }),
  poolId: Type.Optional(Type.Integer()),
});

const poolParams = idParams(MAX_POOL_ID);
const provisioning = { permission: "provisioning" } as const;
const acceptedResponse = { 202: StatusResourceSchema, ...errorResponses() };

type DriveSpecBody = Omit<PoolDriveSpec, "raidLevel"> & { raidLevel?: PoolDriveSpec["raidLevel"] | null };

/**
 * Gives each spec its RAID level. A client that takes its drives from the array's recommendations
 * sends a distributed-parity spec with none (null): that is the level the array recommends, RAID6,
 * or, when a distributed-parity pool grows, the pool's own.
 * A fixed layout has no default: without a level it is a 400.
 */
function withRaidLevels(
  specs: DriveSpecBody[],
  ddpLevel: PoolDriveSpec["raidLevel"] = "RAID6",
): PoolDriveSpec[] {
  return specs.map(({ raidLevel, ...s }) => {
    if (raidLevel !== undefined && raidLevel !== null) return { ...s, raidLevel };
    if (s.parityGroupType !== "DDP") {
      throw new InvalidRequest(`The drive configuration of ${s.driveTypeCode} needs a raidLevel.`);
    }
    return { ...s, raidLevel: ddpLevel };
  });
}

/**
 * The RAID layout of every drive spec must be possible, and distributed parity needs a model that
 * has it: the first impossible spec is a 400. An expansion of a distributed-parity pool may add any
 * number of drives.
 */
function checkLayouts(profile: ArrayProfile, specs: PoolDriveSpec[], expandingDdp?: boolean): void {
  for (const s of specs) {
    const ddp = s.parityGroupType === "DDP";
    if (ddp && !profile.features.ddp) {
      throw new InvalidRequest(
        `The ${profile.model} has no distributed-parity (DDP) pools: leave parityGroupType out.`,
      );
    }
    const problem = raidLayoutProblem(s.raidLevel, s.dataDriveCount, {
      ddp,
      expanding: expandingDdp === true && ddp,
    });
    if (problem)
      throw new InvalidRequest(`The drive configuration of ${s.driveTypeCode} is invalid: ${problem}`);
  }
}

const PoolConfigurationSchema = Type.Object({
  driveTypeCode: Type.String(),
  raidLevel: Type.String(),
  parityGroupType: Type.String({ description: "DDP, or DEFAULT for a fixed RAID layout" }),
  numberOfCurrentDataDrives: Type.Integer(),
  numberOfCurrentFreeDrives: Type.Integer(),
  numberOfRecommendedAddDataDrives: Type.Integer(),
  numberOfRecommendedRemainedFreeDrives: Type.Integer(),
  currentPoolCapacity: Type.Integer({ description: "MiB" }),
  afterOperationPoolCapacity: Type.Integer({ description: "MiB, once the recommended drives are added" }),
});

export const poolRoutes: RouteModule = (app, { device, jobs, config }) => {
  const { profile } = config.array;
  const tags = ["pools"];
  const base = `${SIMPLE_OBJECTS}/pools`;

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "List pools",
        querystring: Query({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "partial match" })),
          status: Type.Optional(
            Type.Union([Type.Literal("Normal"), Type.Literal("ExceededThreshold"), Type.Literal("Error")]),
          ),
          configStatus: Type.Optional(Type.Literal("PartiallyBlocked")),
        }),
        response: { 200: ListOf(PoolSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const data = await device.listPools(request.query, call());
      return { data, count: data.length };
    },
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: "Get a pool",
        params: poolParams,
        response: { 200: PoolSchema, ...errorResponses() },
      },
    },
    async (request) => device.getPool(request.params.id, call()),
  );

  app.post(
    base,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Create a pool from free drives (asynchronous)",
        body: Body({
          name: PoolName,
          isEncryptionEnabled: Type.Optional(Type.Boolean()),
          drives: DriveSpecs,
        }),
        response: acceptedResponse,
      },
    },
    async (request, reply) => {
      const { name, isEncryptionEnabled = false } = request.body;
      const drives = withRaidLevels(request.body.drives);
      checkLayouts(profile, drives);
      const id = await jobs.enqueue(
        POOL_JOBS.create,
        { spec: { name, isEncryptionEnabled, drives } },
        principalOf(request).user.id,
      );
      return accepted(reply, id);
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Change a pool's name or capacity thresholds (asynchronous)",
        params: poolParams,
        body: Body(
          {
            name: Type.Optional(PoolName),
            thresholdWarning: Type.Optional(Threshold),
            thresholdDepletion: Type.Optional(Threshold),
          },
          { minProperties: 1 },
        ),
        response: acceptedResponse,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const change = request.body;
      // The thresholds given are checked against the ones kept: depletion must stay above warning.
      const pool = await device.getPool(id, call());
      const warning = change.thresholdWarning ?? pool.capacityManage.thresholdWarning;
      const depletion = change.thresholdDepletion ?? pool.capacityManage.thresholdDepletion;
      if (depletion <= warning) {
        throw new InvalidRequest(
          `thresholdDepletion (${depletion}) must be greater than thresholdWarning (${warning}).`,
        );
      }
      const jobId = await jobs.enqueue(POOL_JOBS.update, { id, change }, principalOf(request).user.id);
      return accepted(reply, jobId);
    },
  );

  app.post(
    `${base}/:id/actions/expand/invoke`,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Add drives to a pool (asynchronous)",
        params: poolParams,
        body: Body({ additionalDrives: DriveSpecs }),
        response: acceptedResponse,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const pool = await device.getPool(id, call());
      // A distributed-parity pool's drives: they give the level of specs without one.
      const ddp = pool.drives.find((d) => d.parityGroupType === "DDP");
      const additionalDrives = withRaidLevels(request.body.additionalDrives, ddp?.raidLevel);
      checkLayouts(profile, additionalDrives, ddp !== undefined);
      const jobId = await jobs.enqueue(
        POOL_JOBS.expand,
        { id, additionalDrives },
        principalOf(request).user.id,
      );
      return accepted(reply, jobId);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: provisioning,
      schema: {
        tags,
        summary: "Delete an empty pool (asynchronous)",
        params: poolParams,
        response: acceptedResponse,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await device.getPool(id, call());
      const jobId = await jobs.enqueue(POOL_JOBS.delete, { id }, principalOf(request).user.id);
      return accepted(reply, jobId);
    },
  );

  app.get(
    `${SIMPLE_OBJECTS}/recommended-pool-configurations`,
    {
      schema: {
        tags,
        summary: "Recommended drive counts for a new pool, or for expanding one (VSP One)",
        description:
          "Without poolId: for each drive type, each distributed-parity layout a new pool of its free " +
          "drives can make. With poolId: what adding the free drives of the pool's type would give. " +
          "Models without the feature (VSP E) answer 404.",
        querystring: Query({ poolId: Type.Optional(IntId(0, MAX_POOL_ID)) }),
        response: { 200: ListOf(PoolConfigurationSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const data = await device.recommendedPoolConfigurations(request.query.poolId, call());
      return { data, count: data.length };
    },
  );

  const drives = `${SIMPLE_OBJECTS}/drives`;
  app.get(
    drives,
    {
      schema: {
        tags: ["drives"],
        summary: "List drives",
        querystring: Query({
          driveTypeCode: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
          usageType: Type.Optional(Type.Union([Type.Literal("DATA"), Type.Literal("FREE")])),
        }),
        response: { 200: ListOf(DriveSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const data = await device.listDrives(request.query, call());
      return { data, count: data.length };
    },
  );

  app.get(
    `${drives}/:location`,
    {
      schema: {
        tags: ["drives"],
        summary: "Get a drive",
        params: Type.Object(
          { location: Type.String({ pattern: "^\\d{1,3}-\\d{1,3}$", description: 'box-slot, e.g. "0-3"' }) },
          { additionalProperties: false },
        ),
        response: { 200: DriveSchema, ...errorResponses() },
      },
    },
    async (request) => device.getDrive(request.params.location, call()),
  );
};
