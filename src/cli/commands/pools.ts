/** pools list|get|create|update|expand|delete, and drives list|get (what pools are built from). */
import { type Command, InvalidArgumentError } from "commander";
import type { RequestBody } from "../../client/index.ts";
import { check, connect, perform } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { integerIn, POOL_NAME_LENGTH, POOL_THRESHOLD, rangeText, textIn } from "../limits.ts";
import { details, mib, table } from "../output.ts";
import { integer } from "../parse.ts";
import { asChange, SIMPLE, show } from "./common.ts";

type DriveSpec = RequestBody<`${typeof SIMPLE}/pools`, "post">["drives"][number];

/** "SNB5A-R1R9NC:5:RAID5", or with ":DDP" for a distributed parity group. */
function driveSpec(value: string): DriveSpec {
  const [driveTypeCode, count, raidLevel, parityGroupType, ...rest] = value.split(":");
  if (!driveTypeCode || !count || !/^\d+$/.test(count) || !raidLevel || rest.length > 0) {
    throw new InvalidArgumentError('Give TYPECODE:COUNT:RAID[:DDP], e.g. "SNB5A-R1R9NC:5:RAID5".');
  }
  return {
    driveTypeCode,
    dataDriveCount: Number(count),
    raidLevel: raidLevel.toUpperCase() as DriveSpec["raidLevel"],
    ...(parityGroupType ? { parityGroupType: parityGroupType.toUpperCase() as "DDP" } : {}),
  };
}

const driveSpecs = (value: string, previous: DriveSpec[] = []) => [...previous, driveSpec(value)];

export function poolsCommands(program: Command, ctx: CliContext): void {
  const pools = program.command("pools").description("storage pools built from drives");
  const path = { id: `${SIMPLE}/pools/{id}` } as const;

  pools
    .command("list")
    .description("list pools")
    .option("--name <text>", "names containing this text")
    .option("--status <status>", "Normal, ExceededThreshold or Error")
    .action(async (options: { name?: string; status?: string }) => {
      const query = {
        ...(options.name ? { name: options.name } : {}),
        ...(options.status ? { status: options.status as "Normal" } : {}),
      };
      const list = check(await connect(ctx).GET(`${SIMPLE}/pools`, { params: { query } }));
      show(ctx, list, (l) =>
        table(
          ["ID", "NAME", "STATUS", "TOTAL", "USED", "FREE", "USED%", "VOLUMES"],
          l.data.map((p) => [
            String(p.id),
            p.name,
            p.status,
            mib(p.totalCapacity),
            mib(p.usedCapacity),
            mib(p.freeCapacity),
            `${p.capacityManage.usedCapacityRate}%`,
            String(p.numberOfVolumes),
          ]),
        ),
      );
    });

  pools
    .command("get")
    .description("show a pool")
    .argument("<id>", "pool ID", integer)
    .action(async (id: number) => {
      const pool = check(await connect(ctx).GET(path.id, { params: { path: { id } } }));
      show(ctx, pool, (p) =>
        details({
          id: p.id,
          name: p.name,
          status: p.status,
          totalCapacity: mib(p.totalCapacity),
          usedCapacity: mib(p.usedCapacity),
          freeCapacity: mib(p.freeCapacity),
          thresholds: `warning ${p.capacityManage.thresholdWarning}%, depletion ${p.capacityManage.thresholdDepletion}%`,
          encryption: p.encryption,
          numberOfVolumes: p.numberOfVolumes,
          drives: p.drives.map(
            (d) => `${d.numberOfDrives} × ${d.driveType} ${d.displayDriveCapacity} ${d.raidLevel}`,
          ),
        }),
      );
    });

  asChange(pools.command("create").description("create a pool from free drives"))
    .requiredOption(
      "--name <name>",
      `pool name (${rangeText(POOL_NAME_LENGTH)} characters)`,
      textIn(POOL_NAME_LENGTH),
    )
    .requiredOption(
      "--drive <spec>",
      "TYPECODE:COUNT:RAID[:DDP], repeatable (see: blockplane drives list)",
      driveSpecs,
    )
    .option("--encryption", "encrypt the pool")
    .action(async (options: { name: string; drive: DriveSpec[]; encryption?: boolean; wait: boolean }) => {
      const body = {
        name: options.name,
        drives: options.drive,
        ...(options.encryption ? { isEncryptionEnabled: true } : {}),
      };
      await perform(ctx, connect(ctx).POST(`${SIMPLE}/pools`, { body }), options);
    });

  asChange(pools.command("update").description("rename a pool or change its capacity thresholds"))
    .argument("<id>", "pool ID", integer)
    .option("--name <name>", `new name (${rangeText(POOL_NAME_LENGTH)} characters)`, textIn(POOL_NAME_LENGTH))
    .option(
      "--warning <percent>",
      `warning threshold, ${rangeText(POOL_THRESHOLD)}`,
      integerIn(POOL_THRESHOLD),
    )
    .option(
      "--depletion <percent>",
      `depletion threshold, ${rangeText(POOL_THRESHOLD)}, above the warning one`,
      integerIn(POOL_THRESHOLD),
    )
    .action(
      async (id: number, options: { name?: string; warning?: number; depletion?: number; wait: boolean }) => {
        const body = {
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.warning !== undefined ? { thresholdWarning: options.warning } : {}),
          ...(options.depletion !== undefined ? { thresholdDepletion: options.depletion } : {}),
        };
        if (Object.keys(body).length === 0)
          throw new UsageError("Nothing to change: give --name, --warning or --depletion.");
        if (
          options.warning !== undefined &&
          options.depletion !== undefined &&
          options.depletion <= options.warning
        )
          throw new UsageError("--depletion must be above --warning.");
        await perform(ctx, connect(ctx).PATCH(path.id, { params: { path: { id } }, body }), options);
      },
    );

  asChange(pools.command("expand").description("add drives to a pool"))
    .argument("<id>", "pool ID", integer)
    .requiredOption("--drive <spec>", "TYPECODE:COUNT:RAID[:DDP], repeatable", driveSpecs)
    .action(async (id: number, options: { drive: DriveSpec[]; wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).POST(`${SIMPLE}/pools/{id}/actions/expand/invoke`, {
          params: { path: { id } },
          body: { additionalDrives: options.drive },
        }),
        options,
      );
    });

  asChange(pools.command("delete").description("delete an empty pool"))
    .argument("<id>", "pool ID", integer)
    .action(async (id: number, options: { wait: boolean }) => {
      await perform(ctx, connect(ctx).DELETE(path.id, { params: { path: { id } } }), options);
    });

  const drives = program.command("drives").description("the array's drives (free ones build pools)");

  drives
    .command("list")
    .description("list drives")
    .option("--type-code <code>", "drives of this type code")
    .option("--free", "free drives only")
    .option("--summary", "one line per drive type: how many are free")
    .action(async (options: { typeCode?: string; free?: boolean; summary?: boolean }) => {
      const query = {
        ...(options.typeCode ? { driveTypeCode: options.typeCode } : {}),
        ...(options.free ? { usageType: "FREE" as const } : {}),
      };
      const list = check(await connect(ctx).GET(`${SIMPLE}/drives`, { params: { query } }));
      if (options.summary && ctx.output.format === "table" && !ctx.output.quiet) {
        const types = new Map<string, { type: string; capacity: string; free: number; total: number }>();
        for (const d of list.data) {
          const t = types.get(d.driveTypeCode) ?? {
            type: d.driveType,
            capacity: d.displayDriveCapacity,
            free: 0,
            total: 0,
          };
          t.total++;
          if (d.usageType === "FREE") t.free++;
          types.set(d.driveTypeCode, t);
        }
        ctx.out(
          table(
            ["TYPE-CODE", "TYPE", "CAPACITY", "FREE", "TOTAL"],
            [...types].map(([code, t]) => [code, t.type, t.capacity, String(t.free), String(t.total)]),
          ),
        );
        return;
      }
      show(
        ctx,
        list,
        (l) =>
          table(
            ["LOCATION", "TYPE-CODE", "TYPE", "CAPACITY", "USAGE", "POOL"],
            l.data.map((d) => [
              d.driveLocationId,
              d.driveTypeCode,
              d.driveType,
              d.displayDriveCapacity,
              d.usageType,
              d.poolId === undefined ? "" : String(d.poolId),
            ]),
          ),
        (l) => l.data.map((d) => d.driveLocationId),
      );
    });

  drives
    .command("get")
    .description("show a drive")
    .argument("<location>", 'box-slot, e.g. "0-3"')
    .action(async (location: string) => {
      const drive = check(
        await connect(ctx).GET(`${SIMPLE}/drives/{location}`, { params: { path: { location } } }),
      );
      show(ctx, drive, (d) => details(d));
    });
}
