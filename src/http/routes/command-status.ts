/** command-status: the progress and outcome of asynchronous operations, kept until deleted or pruned. */
import { type Static, Type } from "typebox";
import { MAX_COMMAND_STATUS_PAGE } from "../../domain/limits.ts";
import { hasPermission } from "../../domain/roles.ts";
import type { JobStatus } from "../../services/jobs.ts";
import { principalOf } from "../contract/auth.ts";
import { errorBody } from "../contract/errors.ts";
import {
  ErrorBodySchema,
  ExecutionResultSchema,
  errorResponses,
  IntId,
  idParams,
  ListOf,
  Query,
  type RouteModule,
  SIMPLE_OBJECTS,
} from "./common.ts";

const MAX_ID = Number.MAX_SAFE_INTEGER;

const Progress = Type.Union([
  Type.Literal("unexecuted"),
  Type.Literal("processing"),
  Type.Literal("completed"),
]);
const Outcome = Type.Union([Type.Literal("normal"), Type.Literal("error")]);

const ListQuery = Query({
  startId: Type.Optional(IntId(0, MAX_ID)),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_COMMAND_STATUS_PAGE })),
  progress: Type.Optional(Progress),
  status: Type.Optional(Outcome),
});

const SsbCodeSchema = Type.Object(
  { SSB1: Type.String(), SSB2: Type.String() },
  { description: "The storage system's own code for the error (hex strings)." },
);

const OperationDetailSchema = Type.Object({
  operationType: Type.Union([Type.Literal("CREATE"), Type.Literal("UPDATE"), Type.Literal("DELETE")]),
  resourceType: Type.String({ description: 'e.g. "Volume", "Pool", "Server", "Snapshot", "CommandStatus"' }),
  resourceId: Type.String(),
});

/** The commandStatus object of the API. */
export const CommandStatusSchema = Type.Object(
  {
    id: Type.Integer(),
    progress: Progress,
    status: Type.Optional(
      Type.Union([Type.Literal("normal"), Type.Literal("error")], { description: "Present once completed." }),
    ),
    affectedResources: Type.Optional(
      Type.Array(Type.String(), {
        description: "URLs of the resources the operation changed; on failure only those confirmed done.",
      }),
    ),
    operationDetails: Type.Optional(Type.Array(OperationDetailSchema, { maxItems: 65280 })),
    errorResource: Type.Optional(
      Type.String({ description: "On failure: URL of the resource that failed." }),
    ),
    errorCode: Type.Optional(SsbCodeSchema),
    errorMessage: Type.Optional(Type.String({ description: "On failure: the most severe error's message." })),
    errorResponses: Type.Optional(
      Type.Array(ErrorBodySchema, {
        description: "When an operation over several resources failed: every failure, most severe first.",
      }),
    ),
    partialSuccessResponses: Type.Optional(
      Type.Array(ExecutionResultSchema, {
        description: "When an operation over several resources failed: what each item done did.",
      }),
    ),
  },
  {
    description:
      "The progress of an asynchronous operation; `status` and the results once `progress` is completed.",
  },
);

export type CommandStatus = Static<typeof CommandStatusSchema>;

/** The commandStatus object of a job: its results, and its failures as the API's error objects. */
export function toCommandStatus(job: JobStatus): CommandStatus {
  if (job.progress !== "completed") return { id: job.id, progress: job.progress };
  const body: CommandStatus = {
    id: job.id,
    progress: "completed",
    status: job.status ?? "error",
    affectedResources: job.done.flatMap((d) => d.affectedResources),
    operationDetails: job.done.flatMap((d) => d.operationDetails),
  };
  const lead = job.failures[0];
  if (!lead) return body;
  body.errorResource = lead.resource;
  if (lead.error.detail.errorCode) body.errorCode = lead.error.detail.errorCode;
  body.errorMessage = lead.error.message;
  // Several items: name every failure and what did succeed, as a multi-resource error answer does.
  if (job.failures.length + job.done.length > 1) {
    body.errorResponses = job.failures.map((f) => errorBody(f.error, f.resource));
    body.partialSuccessResponses = job.done;
  }
  return body;
}

export const commandStatusRoutes: RouteModule = (app, { jobs }) => {
  const tags = ["command-status"];
  // Each user sees the statuses of their own operations; a Security Administrator sees all.
  const scope = (request: Parameters<typeof principalOf>[0]) => {
    const { user } = principalOf(request);
    return hasPermission(user.roles, "security") ? undefined : user.id;
  };

  app.get(
    `${SIMPLE_OBJECTS}/command-status`,
    {
      schema: {
        tags,
        summary: `List the statuses of asynchronous operations, at most ${MAX_COMMAND_STATUS_PAGE} from startId`,
        description:
          "Your own operations' statuses (everyone's for a Security Administrator), in id order, as `GET command-status/{id}` answers each.",
        querystring: ListQuery,
        response: { 200: ListOf(CommandStatusSchema, true), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const filter = {
        ...(scope(request) !== undefined ? { userId: scope(request) } : {}),
        ...(q.progress !== undefined ? { progress: q.progress } : {}),
        ...(q.status !== undefined ? { status: q.status } : {}),
      };
      const page = await jobs.list(filter, q.startId ?? 0, q.count ?? MAX_COMMAND_STATUS_PAGE);
      const data = page.data.map(toCommandStatus);
      return { data, count: data.length, totalCount: page.totalCount, hasNext: page.hasNext };
    },
  );

  app.get(
    `${SIMPLE_OBJECTS}/command-status/:id`,
    {
      schema: {
        tags,
        summary: "Get the status of an asynchronous operation",
        params: idParams(MAX_ID),
        response: { 200: CommandStatusSchema, ...errorResponses() },
      },
    },
    async (request) => toCommandStatus(await jobs.status(request.params.id, scope(request))),
  );

  app.delete(
    `${SIMPLE_OBJECTS}/command-status/:id`,
    {
      schema: {
        tags,
        summary: "Delete the status of a completed asynchronous operation",
        params: idParams(MAX_ID),
        response: { 200: ExecutionResultSchema, ...errorResponses() },
      },
    },
    async (request) => jobs.delete(request.params.id, scope(request)),
  );
};
