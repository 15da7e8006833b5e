import { type Static, Type } from "typebox";
import {
  MAX_SNAPSHOT_ID,
  MAX_SNAPSHOT_POOL_ID,
  type PairCreate,
  type Snapshot,
  type SnapshotFilter,
  type SnapshotKey,
} from "../../device/port/snapshots.ts";
import { MAX_VOLUME_ID } from "../../device/port/volumes.ts";
import { InvalidRequest } from "../../domain/errors.ts";
import { SNAPSHOT_JOBS } from "../../services/snapshots.ts";
import type { AppDeps } from "../app.ts";
import { Body, call, errorResponses, IntId, Query, type RouteModule } from "../routes/common.ts";
import { GroupName, parseSnapshotId } from "../routes/snapshots.ts";
import { v1Forms } from "./contract.ts";
import { JobSchema, type V1Jobs } from "./jobs.ts";

const LdevId = IntId(0, MAX_VOLUME_ID);
const SnapshotPoolId = IntId(0, MAX_SNAPSHOT_POOL_ID);
const CopySpeed = Type.Union([Type.Literal("slower"), Type.Literal("medium"), Type.Literal("faster")], {
  description: "accepted; a copy is instant on the simulated array",
});
/** Pairs read from the device per call while a list is gathered. */
const LIST_PAGE = 1000;

/** The `parameters` of a pair action's body whose fields are `P`. */
type ActionParameters<P extends Parameters<typeof Body>[0]> = Partial<Static<ReturnType<typeof Body<P>>>>;

const PairSchema = Type.Object({
  snapshotId: Type.String({ description: "<pvolLdevId>,<muNumber>" }),
  snapshotGroupName: Type.String(),
  snapshotPoolId: Type.Integer(),
  primaryOrSecondary: Type.Union([Type.Literal("P-VOL"), Type.Literal("S-VOL")], {
    description: "the role of the LDEV the list was asked for (S-VOL with svolLdevId)",
  }),
  status: Type.String({ description: "PAIR until split, PSUS once split, PSUE when broken" }),
  pvolLdevId: Type.Integer(),
  muNumber: Type.Integer(),
  svolLdevId: Type.Optional(Type.Integer({ description: "absent while the pair has no S-VOL" })),
  isConsistencyGroup: Type.Boolean(),
  isWrittenInSvol: Type.Boolean(),
  isClone: Type.Boolean(),
  canCascade: Type.Boolean(),
  isRedirectOnWrite: Type.Boolean(),
  snapshotDataReadOnly: Type.Boolean(),
  splitTime: Type.Optional(Type.String({ description: "YYYY-MM-DDThh:mm:ss, once split" })),
  pvolProcessingStatus: Type.Optional(Type.String({ description: "P-VOL view: N (no expansion running)" })),
  svolProcessingStatus: Type.Optional(Type.String({ description: "S-VOL view: N (no expansion running)" })),
});
type Pair = Static<typeof PairSchema>;

/** A snapshot of the array as a Thin Image pair, seen from its P-VOL or its S-VOL. */
function pairOf(s: Snapshot, role: "P-VOL" | "S-VOL"): Pair {
  return {
    snapshotId: `${s.masterVolumeId},${s.snapshotId}`,
    snapshotGroupName: s.snapshotGroupName,
    snapshotPoolId: s.poolId,
    primaryOrSecondary: role,
    status: s.status,
    pvolLdevId: s.masterVolumeId,
    muNumber: s.snapshotId,
    ...(s.mappedVolumeId !== undefined ? { svolLdevId: s.mappedVolumeId } : {}),
    isConsistencyGroup: false,
    isWrittenInSvol: false,
    isClone: s.type === "Snap Clone",
    canCascade: s.canCascade,
    isRedirectOnWrite: false,
    snapshotDataReadOnly: false,
    ...(s.status === "PAIR" ? {} : { splitTime: s.snapshotDate.replace(/Z$/, "") }),
    ...(role === "P-VOL" ? { pvolProcessingStatus: "N" } : { svolProcessingStatus: "N" }),
  };
}

const CreateBody = Body({
  snapshotGroupName: GroupName,
  snapshotPoolId: SnapshotPoolId,
  pvolLdevId: LdevId,
  svolLdevId: Type.Optional(LdevId),
  isConsistencyGroup: Type.Optional(
    Type.Boolean({ description: "accepted; pairs are not in consistency groups here" }),
  ),
  autoSplit: Type.Optional(Type.Boolean({ description: "true: fix the snapshot data at once (PSUS)" })),
  isClone: Type.Optional(Type.Boolean()),
  clonesAutomation: Type.Optional(
    Type.Boolean({ description: "with isClone: end the pair once the data is copied" }),
  ),
  copySpeed: Type.Optional(CopySpeed),
  canCascade: Type.Optional(Type.Boolean()),
  isDataReductionForceCopy: Type.Optional(Type.Boolean({ description: "accepted" })),
});

/** What POST snapshots asks of the array, checked for the combinations the array refuses. */
function pairCreateOf(b: Static<typeof CreateBody>): PairCreate {
  if (b.clonesAutomation !== undefined && b.isClone !== true)
    throw new InvalidRequest("clonesAutomation applies only to a clone (isClone true).");
  if (b.isClone === true && b.svolLdevId === undefined)
    throw new InvalidRequest("A clone needs svolLdevId: the volume the data is copied to.");
  if (b.isClone === true && b.autoSplit === true)
    throw new InvalidRequest("autoSplit does not apply to a clone.");
  if (b.copySpeed !== undefined && b.isClone !== true)
    throw new InvalidRequest("copySpeed applies only to a clone (isClone true).");
  return {
    pvolId: b.pvolLdevId,
    ...(b.svolLdevId !== undefined ? { svolId: b.svolLdevId } : {}),
    poolId: b.snapshotPoolId,
    snapshotGroupName: b.snapshotGroupName,
    // A clone is fixed when its copy starts.
    autoSplit: b.autoSplit === true || b.isClone === true,
    // A clone's S-VOL is an ordinary volume afterwards, which may be the base of anything.
    canCascade: b.canCascade === true || b.isClone === true,
    ...(b.isClone === true ? { clone: { automatic: b.clonesAutomation === true } } : {}),
  };
}

const ListQuery = Query({
  pvolLdevId: Type.Optional(LdevId),
  svolLdevId: Type.Optional(LdevId),
  muNumber: Type.Optional(IntId(0, MAX_SNAPSHOT_ID)),
  snapshotGroupName: Type.Optional(GroupName),
  detailInfoType: Type.Optional(Type.Literal("retention")),
});

/** The device filter of a list query, without the page. */
function filterOf(q: Static<typeof ListQuery>): Omit<SnapshotFilter, "startId" | "count"> {
  if (q.muNumber !== undefined && q.pvolLdevId === undefined)
    throw new InvalidRequest("muNumber needs pvolLdevId: an MU number is one of a P-VOL's.");
  if (q.pvolLdevId !== undefined && q.svolLdevId !== undefined)
    throw new InvalidRequest("Specify either pvolLdevId or svolLdevId, not both.");
  return {
    ...(q.pvolLdevId !== undefined ? { masterVolumeId: q.pvolLdevId } : {}),
    ...(q.svolLdevId !== undefined ? { mappedVolumeId: q.svolLdevId } : {}),
    ...(q.snapshotGroupName !== undefined ? { snapshotGroupName: q.snapshotGroupName } : {}),
  };
}

/** A body the client may leave out, or send as {} or {"parameters": {...}}. */
const ActionBody = <P extends Parameters<typeof Body>[0]>(parameters: P) =>
  Type.Optional(Type.Union([Body({ parameters: Type.Optional(Body(parameters)) }), Type.Null()]));

export function snapshotRoutes(v1Jobs: V1Jobs): RouteModule {
  return (app, { device }: AppDeps) => {
    const tags = ["v1 snapshots"];
    const provisioning = { permission: "provisioning" } as const;
    const accepted202 = { 202: JobSchema, ...errorResponses() };

    /** Every pair matching `filter`, read page by page (each page starts after the last key). */
    const listAll = async (filter: Omit<SnapshotFilter, "startId" | "count">) => {
      const all: Snapshot[] = [];
      let startId: SnapshotKey = [0, 0];
      for (;;) {
        const page = await device.listSnapshots({ ...filter, startId, count: LIST_PAGE }, call());
        all.push(...page.data);
        const last = page.data.at(-1);
        if (!page.hasNext || last === undefined) return all;
        startId = [last.masterVolumeId, last.snapshotId + 1];
      }
    };

    /** The pair an action names; 404 before anything is queued. */
    const pairAt = async (raw: string) => {
      const [masterVolumeId, snapshotId] = parseSnapshotId(raw);
      await device.getSnapshot(masterVolumeId, snapshotId, call());
      return { masterVolumeId, snapshotId };
    };

    for (const { url, params } of v1Forms("/snapshots")) {
      app.get(
        url,
        {
          schema: {
            tags,
            summary:
              "List Thin Image pairs: of a P-VOL (with muNumber: one), of an S-VOL, of a group, or all",
            params,
            querystring: ListQuery,
            response: { 200: Type.Object({ data: Type.Array(PairSchema) }), ...errorResponses() },
          },
        },
        async (request) => {
          const q = request.query;
          const role = q.svolLdevId !== undefined ? "S-VOL" : "P-VOL";
          const pairs = await listAll(filterOf(q));
          const data = pairs
            .filter((s) => q.muNumber === undefined || s.snapshotId === q.muNumber)
            .map((s) => pairOf(s, role));
          return { data };
        },
      );

      app.post(
        url,
        {
          config: provisioning,
          schema: {
            tags,
            summary: "Make a Thin Image pair of a P-VOL onto an S-VOL: a snapshot, or a clone",
            params,
            body: CreateBody,
            response: accepted202,
          },
        },
        async (request, reply) => {
          const spec = pairCreateOf(request.body);
          return v1Jobs.start(request, reply, SNAPSHOT_JOBS.createPair, spec);
        },
      );
    }

    const pairParams = { snapshotId: Type.String({ description: "<pvolLdevId>,<muNumber>" }) };
    for (const { url, params } of v1Forms("/snapshots/:snapshotId", pairParams)) {
      app.get(
        url,
        {
          schema: {
            tags,
            summary: "Get a Thin Image pair",
            params,
            response: { 200: PairSchema, ...errorResponses() },
          },
        },
        async (request) => {
          const [masterVolumeId, snapshotId] = parseSnapshotId(request.params.snapshotId);
          return pairOf(await device.getSnapshot(masterVolumeId, snapshotId, call()), "P-VOL");
        },
      );

      app.delete(
        url,
        {
          config: provisioning,
          schema: {
            tags,
            summary: "Delete a Thin Image pair (its S-VOL stays, as an ordinary volume)",
            params,
            body: Type.Optional(Type.Union([Body({}), Type.Null()])),
            response: accepted202,
          },
        },
        async (request, reply) => {
          const pair = await pairAt(request.params.snapshotId);
          return v1Jobs.start(request, reply, SNAPSHOT_JOBS.delete, pair);
        },
      );
    }

    /** A pair action: `PUT snapshots/{id}/actions/{name}/invoke`, a job of one pair. */
    const action = <P extends Parameters<typeof Body>[0]>(
      name: string,
      summary: string,
      parameters: P,
      paramsOf: (
        pair: { masterVolumeId: number; snapshotId: number },
        p: ActionParameters<P>,
      ) => {
        kind: string;
        params: unknown;
      },
    ) => {
      for (const { url, params } of v1Forms(`/snapshots/:snapshotId/actions/${name}/invoke`, pairParams)) {
        app.put(
          url,
          {
            config: provisioning,
            schema: { tags, summary, params, body: ActionBody(parameters), response: accepted202 },
          },
          async (request, reply) => {
            const pair = await pairAt(request.params.snapshotId);
            // The body was validated against ActionBody(parameters): its parameters are of that shape.
            const body = request.body as { parameters?: ActionParameters<P> } | null | undefined;
            const { kind, params: jobParams } = paramsOf(pair, body?.parameters ?? {});
            return v1Jobs.start(request, reply, kind, jobParams);
          },
        );
      }
    };

    action("split", "Fix a pair's snapshot data (PAIR to PSUS)", {}, (pair) => ({
      kind: SNAPSHOT_JOBS.split,
      params: pair,
    }));
    action(
      "restore",
      "Write a pair's snapshot data back to its P-VOL (ends in PSUS, or PAIR with autoSplit false)",
      { autoSplit: Type.Optional(Type.Boolean()) },
      (pair, p) => ({
        kind: SNAPSHOT_JOBS.restore,
        params: { ...pair, ...(p.autoSplit !== undefined ? { autoSplit: p.autoSplit } : {}) },
      }),
    );
    action(
      "assign-volume",
      "Make an LDEV the S-VOL of a pair that has none",
      { svolLdevId: LdevId },
      (pair, p) => {
        if (p.svolLdevId === undefined) throw new InvalidRequest("parameters.svolLdevId is required.");
        return { kind: SNAPSHOT_JOBS.assignVolume, params: { ...pair, volumeId: p.svolLdevId } };
      },
    );
    action("unassign-volume", "Release a pair's S-VOL (it stays, as an ordinary volume)", {}, (pair) => ({
      kind: SNAPSHOT_JOBS.unassignVolume,
      params: pair,
    }));
    action(
      "clone",
      "Copy a clone pair's data to its S-VOL and end the pair",
      { copySpeed: Type.Optional(CopySpeed) },
      (pair) => ({ kind: SNAPSHOT_JOBS.clone, params: pair }),
    );
  };
}
