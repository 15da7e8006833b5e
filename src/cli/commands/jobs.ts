/**
 * jobs get|wait|delete: the command-status of asynchronous operations, and storage get|health:
 * the storage system itself.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { type CommandStatus, jobIdOf } from "../../client/index.ts";
import { check, connect, perform } from "../client.ts";
import type { CliContext } from "../context.ts";
import { details, mib } from "../output.ts";
import { integer } from "../parse.ts";
import { type OutputOptions, SIMPLE, show, withJson } from "./common.ts";

/** A job given by id or by its statusResource URL. */
function jobId(value: string): number {
  try {
    return jobIdOf(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function statusText(s: CommandStatus): string {
  return details({
    id: s.id,
    progress: s.progress,
    ...(s.status ? { status: s.status } : {}),
    ...(s.affectedResources?.length ? { affectedResources: s.affectedResources.join(" ") } : {}),
    ...(s.operationDetails?.length
      ? {
          operationDetails: s.operationDetails
            .map((d) => `${d.operationType} ${d.resourceType} ${d.resourceId}`)
            .join(", "),
        }
      : {}),
    ...(s.errorMessage ? { errorMessage: s.errorMessage } : {}),
    ...(s.errorResource ? { errorResource: s.errorResource } : {}),
    ...(s.errorCode ? { errorCode: `SSB1 ${s.errorCode.SSB1}, SSB2 ${s.errorCode.SSB2}` } : {}),
    ...(s.errorResponses
      ? { errorResponses: s.errorResponses.map((e) => `${e.errorSource}: ${e.message}`) }
      : {}),
  });
}

export function jobsCommands(program: Command, ctx: CliContext): void {
  const jobs = program.command("jobs").description("asynchronous operations (command-status)");
  const one = `${SIMPLE}/command-status/{id}` as const;

  withJson(jobs.command("get").description("show a job's command-status"))
    .argument("<job>", "job id or statusResource URL", jobId)
    .action(async (id: number, options: OutputOptions) => {
      const status = check(await connect(ctx).GET(one, { params: { path: { id } } }));
      show(ctx, options, status, statusText);
    });

  withJson(jobs.command("wait").description("wait for a job; exit 1 if it failed, 3 if it partly failed"))
    .argument("<job>", "job id or statusResource URL", jobId)
    .addOption(
      new Option("--timeout <seconds>", "wait for the job at most this long").argParser(integer).default(600),
    )
    .action(async (id: number, options: OutputOptions & { timeout: number }) => {
      const ref = { statusResource: `${SIMPLE}/command-status/${id}` };
      await perform(ctx, Promise.resolve({ ok: true, status: 202, data: ref }), options);
    });

  withJson(jobs.command("delete").description("delete a completed job's command-status"))
    .argument("<job>", "job id or statusResource URL", jobId)
    .action(async (id: number, options: OutputOptions) => {
      const done = check(await connect(ctx).DELETE(one, { params: { path: { id } } }));
      show(ctx, options, done, () => `Deleted job ${id}.\n`);
    });

  const storage = program.command("storage").description("the storage system");

  withJson(storage.command("get").description("show the storage system")).action(
    async (options: OutputOptions) => {
      const s = check(await connect(ctx).GET(`${SIMPLE}/storage`));
      show(ctx, options, s, (v) =>
        details({
          modelName: v.modelName,
          serial: v.serial,
          nickname: v.nickname,
          gumVersion: v.gumVersion,
          dkcMicroVersion: v.dkcMicroVersion,
          numberOfTotalVolumes: v.numberOfTotalVolumes,
          numberOfTotalServers: v.numberOfTotalServers,
          numberOfFreeDrives: v.numberOfFreeDrives,
          totalPoolCapacity: mib(v.totalPoolCapacity),
          usedPoolCapacity: mib(v.usedPoolCapacity),
          freePoolCapacity: mib(v.freePoolCapacity),
        }),
      );
    },
  );

  withJson(storage.command("health").description("show the operating status of pools and snapshots")).action(
    async (options: OutputOptions) => {
      const h = check(await connect(ctx).GET(`${SIMPLE}/health-status`));
      show(ctx, options, h, (v) => details(v));
    },
  );
}
