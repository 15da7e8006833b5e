/** volumes list|get|create|update|expand|delete. */
import { type Command, Option } from "commander";
import type { RequestBody, Volume } from "../../client/index.ts";
import { check, connect, perform, performEach } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import {
  capacityIn,
  integerIn,
  MAX_NICKNAME_LENGTH,
  MAX_POOL_ID,
  MAX_VOLUME_CAPACITY,
  MAX_VOLUME_ID,
  MAX_VOLUME_PAGE,
  MAX_VOLUMES_PER_CREATE,
  MIN_VOLUME_CAPACITY,
  rangeText,
  textIn,
  VOLUME_NUMBER_DIGITS,
} from "../limits.ts";
import { details, mib, table } from "../output.ts";
import { capacity, integer, integers } from "../parse.ts";

const PAGE = { min: 1, max: MAX_VOLUME_PAGE };
const CAPACITY = { min: MIN_VOLUME_CAPACITY, max: MAX_VOLUME_CAPACITY };
const NUMBER = { min: 1, max: MAX_VOLUMES_PER_CREATE };
const NICKNAME = { min: 0, max: MAX_NICKNAME_LENGTH };
const POOL_ID = { min: 0, max: MAX_POOL_ID };

import { asChange, moreNote, readAll, SIMPLE, show } from "./common.ts";

const SAVING = ["DEDUPLICATION_AND_COMPRESSION", "COMPRESSION", "DISABLE"] as const;
type Saving = (typeof SAVING)[number];

interface ListOptions {
  poolId?: number;
  poolName?: string;
  serverId?: number;
  serverNickname?: string;
  nickname?: string;
  start?: number;
  count?: number;
  all?: boolean;
}

export function volumesCommands(program: Command, ctx: CliContext): void {
  const volumes = program.command("volumes").description("volumes (LDEVs) in pools");
  const one = `${SIMPLE}/volumes/{id}` as const;

  volumes
    .command("list")
    .description(`list volumes, ${MAX_VOLUME_PAGE} at most a page`)
    .option("--pool-id <id>", "in this pool", integer)
    .option("--pool-name <text>", "in pools whose name contains this text")
    .option("--server-id <id>", "connected to this server", integer)
    .option("--server-nickname <text>", "connected to servers whose nickname contains this text")
    .option("--nickname <text>", "nicknames containing this text")
    .option("--start <id>", "from this volume ID", integer)
    .option("--count <n>", `at most this many (${rangeText(PAGE)})`, integerIn(PAGE))
    .option("--all", "read every page")
    .action(async (options: ListOptions) => {
      const bp = connect(ctx);
      const query = {
        ...(options.poolId !== undefined ? { poolId: options.poolId } : {}),
        ...(options.poolName !== undefined ? { poolName: options.poolName } : {}),
        ...(options.serverId !== undefined ? { serverId: options.serverId } : {}),
        ...(options.serverNickname !== undefined ? { serverNickname: options.serverNickname } : {}),
        ...(options.nickname !== undefined ? { nickname: options.nickname } : {}),
        ...(options.count !== undefined ? { count: options.count } : {}),
      };
      const page = (startVolumeId: number) =>
        bp.GET(`${SIMPLE}/volumes`, { params: { query: { ...query, startVolumeId } } }).then(check);
      let list = await page(options.start ?? 0);
      if (options.all) list = await readAll(list, (last: Volume) => page(last.id + 1));
      show(ctx, list, (l) =>
        table(
          ["ID", "NICKNAME", "POOL", "CAPACITY", "USED", "SAVING", "SERVERS", "SNAPSHOTS"],
          l.data.map((v) => [
            String(v.id),
            v.nickname,
            String(v.poolId),
            mib(v.totalCapacity),
            mib(v.usedCapacity),
            v.savingSetting,
            String(v.numberOfConnectingServers),
            String(v.numberOfSnapshots),
          ]),
        ),
      );
      moreNote(ctx, list.hasNext, `--start ${(list.data.at(-1)?.id ?? 0) + 1}`);
    });

  volumes
    .command("get")
    .description("show a volume")
    .argument("<id>", "volume ID", integer)
    .action(async (id: number) => {
      const volume = check(await connect(ctx).GET(one, { params: { path: { id } } }));
      show(ctx, volume, (v) =>
        details({
          ...v,
          totalCapacity: mib(v.totalCapacity),
          usedCapacity: mib(v.usedCapacity),
          freeCapacity: mib(v.freeCapacity),
          reservedCapacity: mib(v.reservedCapacity),
        }),
      );
    });

  asChange(volumes.command("create").description(`create 1 to ${MAX_VOLUMES_PER_CREATE} volumes in a pool`))
    .requiredOption("--pool-id <id>", `the pool (${rangeText(POOL_ID)})`, integerIn(POOL_ID))
    .requiredOption(
      "--capacity <size>",
      `each volume's size: MiB, or "100G", "2T" (${mib(CAPACITY.min)} to ${mib(CAPACITY.max)})`,
      capacityIn(CAPACITY, mib),
    )
    .option("--number <n>", `how many volumes (${rangeText(NUMBER)})`, integerIn(NUMBER))
    .option(
      "--nickname <base>",
      `nickname, or base name numbered from --start-number (at most ${MAX_NICKNAME_LENGTH} characters)`,
      textIn(NICKNAME),
    )
    .option(
      "--start-number <n>",
      `first number appended to the base name (0-${MAX_VOLUME_ID})`,
      integerIn({ min: 0, max: MAX_VOLUME_ID }),
    )
    .option(
      "--digits <n>",
      `zero-pad the number to this many digits (${rangeText(VOLUME_NUMBER_DIGITS)})`,
      integerIn(VOLUME_NUMBER_DIGITS),
    )
    .addOption(new Option("--saving <setting>", "capacity saving").choices(SAVING))
    .option("--data-reduction-share", "make the volumes data-reduction-shared")
    .action(
      async (options: {
        poolId: number;
        capacity: number;
        number?: number;
        nickname?: string;
        startNumber?: number;
        digits?: number;
        saving?: Saving;
        dataReductionShare?: boolean;
        wait: boolean;
      }) => {
        if (options.nickname === undefined && (options.startNumber ?? options.digits) !== undefined) {
          throw new UsageError(
            "--start-number and --digits number the --nickname base name: give --nickname.",
          );
        }
        const body: RequestBody<`${typeof SIMPLE}/volumes`, "post"> = {
          poolId: options.poolId,
          capacity: options.capacity,
          ...(options.number !== undefined ? { number: options.number } : {}),
          ...(options.nickname !== undefined
            ? {
                nicknameParam: {
                  baseName: options.nickname,
                  ...(options.startNumber !== undefined ? { startNumber: options.startNumber } : {}),
                  ...(options.digits !== undefined ? { numberOfDigits: options.digits } : {}),
                },
              }
            : {}),
          ...(options.saving ? { savingSetting: options.saving } : {}),
          ...(options.dataReductionShare ? { isDataReductionShareEnabled: true } : {}),
        };
        await perform(ctx, connect(ctx).POST(`${SIMPLE}/volumes`, { body }), options);
      },
    );

  asChange(volumes.command("update").description("change a volume's nickname, or its capacity saving"))
    .argument("<id>", "volume ID", integer)
    .option(
      "--nickname <name>",
      `new nickname, at most ${MAX_NICKNAME_LENGTH} characters ("" for none)`,
      textIn(NICKNAME),
    )
    .addOption(new Option("--saving <setting>", "capacity saving").choices(SAVING))
    .action(async (id: number, options: { nickname?: string; saving?: Saving; wait: boolean }) => {
      if ((options.nickname === undefined) === (options.saving === undefined)) {
        throw new UsageError("Give either --nickname or --saving (the API changes one at a time).");
      }
      const body =
        options.nickname !== undefined
          ? { nickname: options.nickname }
          : { savingSetting: options.saving as Saving };
      await perform(ctx, connect(ctx).PATCH(one, { params: { path: { id } }, body }), options);
    });

  asChange(volumes.command("expand").description("add capacity to a volume"))
    .argument("<id>", "volume ID", integer)
    .requiredOption("--capacity <size>", 'capacity to add: MiB, or "10G"', capacity)
    .action(async (id: number, options: { capacity: number; wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).POST(`${SIMPLE}/volumes/{id}/actions/expand/invoke`, {
          params: { path: { id } },
          body: { capacity: options.capacity },
        }),
        options,
      );
    });

  asChange(volumes.command("delete").description("delete volumes, one job each"))
    .argument("<ids...>", "volume IDs", integers)
    .action(async (ids: number[], options: { wait: boolean }) => {
      await performEach(
        ctx,
        ids,
        (id) => `volume ${id}`,
        (id) => connect(ctx).DELETE(one, { params: { path: { id } } }),
        options,
      );
    });
}
