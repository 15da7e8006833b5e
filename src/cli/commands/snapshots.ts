/** snapshots list|get|create|map|restore|delete, and snapshots groups list|get|delete. */
import { type Command, Option } from "commander";
import type { Snapshot } from "../../client/index.ts";
import { check, connect, perform, performEach } from "../client.ts";
import type { CliContext } from "../context.ts";
import {
  integerIn,
  MAX_GROUP_NAME_LENGTH,
  MAX_POOL_ID,
  MAX_SNAPSHOT_PAGE,
  MAX_SNAPSHOT_POOL_ID,
  rangeText,
  textIn,
} from "../limits.ts";
import { details, table } from "../output.ts";
import { compositeId, integer, integers } from "../parse.ts";

const PAGE = { min: 1, max: MAX_SNAPSHOT_PAGE };
const SNAPSHOT_POOL = { min: 0, max: MAX_SNAPSHOT_POOL_ID };
const GROUP_NAME = { min: 1, max: MAX_GROUP_NAME_LENGTH };

import { asChange, moreNote, readAll, SIMPLE, show } from "./common.ts";

const snapshotId = compositeId("snapshot (masterVolumeId,snapshotId)");
const snapshotIds = (value: string, previous: string[] = []) => [...previous, snapshotId(value)];
const MAX_SNAPSHOT_ID = 1023;
const TYPES = ["Snapshot", "Mapped Snapshot", "Snap Clone"] as const;

/** The first snapshot ID after `s`, where the next page starts. */
function after(s: Snapshot): string {
  return s.snapshotId >= MAX_SNAPSHOT_ID
    ? `${s.masterVolumeId + 1},0`
    : `${s.masterVolumeId},${s.snapshotId + 1}`;
}

interface ListOptions {
  volume?: number;
  group?: string;
  from?: string;
  to?: string;
  start?: string;
  count?: number;
  all?: boolean;
}

export function snapshotsCommands(program: Command, ctx: CliContext): void {
  const snapshots = program.command("snapshots").description("snapshots of volumes, and snapshot groups");
  const base = `${SIMPLE}/snapshots` as const;
  const one = `${SIMPLE}/snapshots/{id}` as const;

  snapshots
    .command("list")
    .description(`list snapshots, ${MAX_SNAPSHOT_PAGE} at most a page`)
    .option("--volume <id>", "of this master volume", integer)
    .option("--group <name>", "in this snapshot group")
    .option("--from <date>", "taken at or after YYYY-MM-DDThh:mm:ssZ")
    .option("--to <date>", "taken at or before YYYY-MM-DDThh:mm:ssZ")
    .option("--start <id>", "from this masterVolumeId,snapshotId", snapshotId)
    .option("--count <n>", `at most this many (${rangeText(PAGE)})`, integerIn(PAGE))
    .option("--all", "read every page")
    .action(async (options: ListOptions) => {
      const bp = connect(ctx);
      const query = {
        ...(options.volume !== undefined ? { masterVolumeId: options.volume } : {}),
        ...(options.group !== undefined ? { snapshotGroupName: options.group } : {}),
        ...(options.from !== undefined ? { snapshotDateFrom: options.from } : {}),
        ...(options.to !== undefined ? { snapshotDateTo: options.to } : {}),
        ...(options.count !== undefined ? { count: options.count } : {}),
      };
      const page = (startId: string) =>
        bp.GET(base, { params: { query: { ...query, startId } } }).then(check);
      let list = await page(options.start ?? "0,0");
      if (options.all) {
        list = await readAll(list, (last: Snapshot) => page(after(last)));
      }
      show(ctx, list, (l) =>
        table(
          ["ID", "VOLUME", "STATUS", "TYPE", "GROUP", "DATE", "POOL", "MAPPED"],
          l.data.map((s) => [
            s.id,
            String(s.masterVolumeId),
            s.status,
            s.type,
            s.snapshotGroupName,
            s.snapshotDate,
            String(s.poolId),
            s.mappedVolumeId === undefined ? "" : String(s.mappedVolumeId),
          ]),
        ),
      );
      const last = list.data.at(-1);
      if (last) moreNote(ctx, list.hasNext, `--start ${after(last)}`);
    });

  snapshots
    .command("get")
    .description("show a snapshot")
    .argument("<id>", "masterVolumeId,snapshotId", snapshotId)
    .action(async (id: string) => {
      const found = check(await connect(ctx).GET(one, { params: { path: { id } } }));
      show(ctx, found, (s) => details(s));
    });

  asChange(
    snapshots
      .command("create")
      .description("snapshot volumes into a group (each volume succeeds or fails alone)"),
  )
    .requiredOption("--volume <id>", "master volume ID, repeatable or comma-separated", integers)
    .requiredOption(
      "--pool-id <id>",
      `pool for the snapshot data (${rangeText(SNAPSHOT_POOL)})`,
      integerIn(SNAPSHOT_POOL),
    )
    .requiredOption(
      "--group <name>",
      `snapshot group name (${rangeText(GROUP_NAME)} characters)`,
      textIn(GROUP_NAME),
    )
    .addOption(new Option("--type <type>", "kind of snapshot").choices(TYPES).default("Snapshot"))
    .action(
      async (options: {
        volume: number[];
        poolId: number;
        group: string;
        type: (typeof TYPES)[number];
        wait: boolean;
      }) => {
        const params = options.volume.map((masterVolumeId) => ({
          masterVolumeId,
          poolId: options.poolId,
          snapshotGroupName: options.group,
          type: options.type,
        }));
        await perform(ctx, connect(ctx).POST(base, { body: { params } }), options);
      },
    );

  asChange(snapshots.command("map").description("map a snapshot to a new volume"))
    .argument("<id>", "masterVolumeId,snapshotId", snapshotId)
    .requiredOption(
      "--pool-id <id>",
      `pool of the new volume (0-${MAX_POOL_ID})`,
      integerIn({ min: 0, max: MAX_POOL_ID }),
    )
    .action(async (id: string, options: { poolId: number; wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).POST(`${one}/actions/map/invoke`, {
          params: { path: { id } },
          body: { poolId: options.poolId },
        }),
        options,
      );
    });

  asChange(snapshots.command("restore").description("restore a master volume from a snapshot"))
    .argument("<id>", "masterVolumeId,snapshotId", snapshotId)
    .action(async (id: string, options: { wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).POST(`${one}/actions/restore/invoke`, { params: { path: { id } }, body: {} }),
        options,
      );
    });

  asChange(snapshots.command("delete").description("delete snapshots, one job each"))
    .argument("<ids...>", "masterVolumeId,snapshotId", snapshotIds)
    .action(async (ids: string[], options: { wait: boolean }) => {
      await performEach(
        ctx,
        ids,
        (id) => `snapshot ${id}`,
        (id) => connect(ctx).DELETE(one, { params: { path: { id } } }),
        options,
      );
    });

  // Groups

  const groups = snapshots.command("groups").description("snapshot groups");
  const group = `${SIMPLE}/snapshot-groups/{name}` as const;

  groups
    .command("list")
    .description("list snapshot groups")
    .action(async () => {
      const list = check(await connect(ctx).GET(`${SIMPLE}/snapshot-groups`));
      show(
        ctx,
        list,
        (l) =>
          table(
            ["NAME"],
            l.data.map((g) => [g.name]),
          ),
        (l) => l.data.map((g) => g.name),
      );
    });

  groups
    .command("get")
    .description("show a snapshot group's members")
    .argument("<name>", "group name")
    .action(async (name: string) => {
      const found = check(await connect(ctx).GET(group, { params: { path: { name } } }));
      show(
        ctx,
        found,
        (g) =>
          table(
            ["MASTER-VOLUME", "SNAPSHOT-ID"],
            g.snapshots.map((s) => [String(s.masterVolumeId), String(s.snapshotId)]),
          ),
        (g) => g.snapshots.map((s) => `${s.masterVolumeId},${s.snapshotId}`),
      );
    });

  asChange(groups.command("delete").description("delete every snapshot of a group"))
    .argument("<name>", "group name")
    .action(async (name: string, options: { wait: boolean }) => {
      await perform(ctx, connect(ctx).DELETE(group, { params: { path: { name } } }), options);
    });
}
