/**
 * jobs list|get|wait|delete: the command-status of asynchronous operations, and storage get|health:
 * the storage system itself.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { type CommandStatus, jobIdOf } from "../../client/index.ts";
import { check, connect, perform } from "../client.ts";
import type { CliContext } from "../context.ts";
import { integerIn, MAX_COMMAND_STATUS_PAGE, rangeText } from "../limits.ts";
import { details, mib, table } from "../output.ts";
import { integer } from "../parse.ts";
import { moreNote, readAll, SIMPLE, show } from "./common.ts";

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
    ...(s.affectedResources?.length ? { affectedResources: s.affectedResources } : {}),
    ...(s.operationDetails?.length ? { operationDetails: s.operationDetails.map(detailText) } : {}),
    ...(s.errorMessage ? { errorMessage: s.errorMessage } : {}),
    ...(s.errorResource ? { errorResource: s.errorResource } : {}),
    ...(s.errorCode ? { errorCode: `SSB1 ${s.errorCode.SSB1}, SSB2 ${s.errorCode.SSB2}` } : {}),
    ...(s.errorResponses
      ? { errorResponses: s.errorResponses.map((e) => `${e.errorSource}: ${e.message}`) }
      : {}),
  });
}

function detailText(d: { operationType: string; resourceType: string; resourceId: string }): string {
  return `${d.operationType} ${d.resourceType} ${d.resourceId}`;
}

/** What a job did, in a table cell: its first change, and how many more. */
function didText(s: CommandStatus): string {
  const done = s.operationDetails ?? [];
  const first = done[0];
  if (!first) return "";
  return done.length === 1 ? detailText(first) : `${detailText(first)} (+${done.length - 1})`;
}

const PROGRESS = ["unexecuted", "processing", "completed"] as const;
const OUTCOMES = ["normal", "error"] as const;
const PAGE = { min: 1, max: MAX_COMMAND_STATUS_PAGE };

interface ListOptions {
  progress?: (typeof PROGRESS)[number];
  status?: (typeof OUTCOMES)[number];
  start?: number;
  count?: number;
  all?: boolean;
}

export function jobsCommands(program: Command, ctx: CliContext): void {
  const jobs = program.command("jobs").description("asynchronous operations (command-status)");
  const one = `${SIMPLE}/command-status/{id}` as const;

  jobs
    .command("list")
    .description(
      `list jobs (yours; everyone's for a Security Administrator), ${MAX_COMMAND_STATUS_PAGE} at most a page`,
    )
    .addOption(new Option("--progress <progress>", "only jobs this far").choices(PROGRESS))
    .addOption(new Option("--status <status>", "only completed jobs that ended so").choices(OUTCOMES))
    .option("--start <id>", "from this job ID", integer)
    .option("--count <n>", `at most this many (${rangeText(PAGE)})`, integerIn(PAGE))
    .option("--all", "read every page")
    .action(async (options: ListOptions) => {
      const bp = connect(ctx);
      const query = {
        ...(options.progress !== undefined ? { progress: options.progress } : {}),
        ...(options.status !== undefined ? { status: options.status } : {}),
        ...(options.count !== undefined ? { count: options.count } : {}),
      };
      const page = (startId: number) =>
        bp.GET(`${SIMPLE}/command-status`, { params: { query: { ...query, startId } } }).then(check);
      let list = await page(options.start ?? 0);
      if (options.all) list = await readAll(list, (last: CommandStatus) => page(last.id + 1));
      show(ctx, list, (l) =>
        table(
          ["ID", "PROGRESS", "STATUS", "DID", "ERROR"],
          l.data.map((s) => [String(s.id), s.progress, s.status ?? "", didText(s), s.errorMessage ?? ""]),
        ),
      );
      moreNote(ctx, list.hasNext, `--start ${(list.data.at(-1)?.id ?? 0) + 1}`);
    });

  jobs
    .command("get")
    .description("show a job's command-status")
    .argument("<job>", "job id or statusResource URL", jobId)
    .action(async (id: number) => {
      const status = check(await connect(ctx).GET(one, { params: { path: { id } } }));
      show(ctx, status, statusText);
    });

  jobs
    .command("wait")
    .description("wait for jobs; exit 1 if they failed, 3 if some failed, 124 on --timeout")
    .argument("<jobs...>", "job ids or statusResource URLs", (value: string, previous: number[] = []) => [
      ...previous,
      jobId(value),
    ])
    .addOption(
      new Option("--timeout <seconds>", "wait for the jobs at most this long (then exit 124; they go on)")
        .argParser(integer)
        .default(600),
    )
    .action(async (ids: number[], options: { timeout: number }) => {
      const refs = ids.map((id) => ({ statusResource: `${SIMPLE}/command-status/${id}` }));
      // Several jobs are waited for as the items of one operation: together, failures reported together.
      const data = refs.length === 1 ? refs[0] : refs;
      await perform(ctx, Promise.resolve({ ok: true, status: 202, data }), options);
    });

  jobs
    .command("delete")
    .description("delete a completed job's command-status")
    .argument("<job>", "job id or statusResource URL", jobId)
    .action(async (id: number) => {
      const done = check(await connect(ctx).DELETE(one, { params: { path: { id } } }));
      show(ctx, done, () => `Deleted job ${id}.\n`);
    });

  const storage = program.command("storage").description("the storage system");

  storage
    .command("get")
    .description("show the storage system")
    .action(async () => {
      const s = check(await connect(ctx).GET(`${SIMPLE}/storage`));
      show(ctx, s, (v) =>
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
    });

  storage
    .command("health")
    .description("show the operating status of pools and snapshots")
    .action(async () => {
      const h = check(await connect(ctx).GET(`${SIMPLE}/health-status`));
      show(ctx, h, (v) => details(v));
    });
}
