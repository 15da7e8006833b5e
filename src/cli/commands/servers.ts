/** servers list|get|create|update|delete, with their hbas and paths. */
import { type Command, Option } from "commander";
import { OS_TYPES, type OsType } from "../../domain/os-types.ts";
import { check, connect, perform } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { integersIn, OS_TYPE_OPTION, rangeText, SERVER_NICKNAME_LENGTH, textIn } from "../limits.ts";
import { details, mib, table } from "../output.ts";
import { collect, integer } from "../parse.ts";

const nickname = textIn(SERVER_NICKNAME_LENGTH);
const osOptions = integersIn(OS_TYPE_OPTION);

import { asChange, SIMPLE, show } from "./common.ts";

/** An HBA named on the command line: a WWN (16 hex digits) or an iSCSI name. */
function hbaName(value: string): { hbaWwn: string } | { iscsiName: string } {
  return /^[0-9a-f]{16}$/i.test(value) ? { hbaWwn: value } : { iscsiName: value };
}

const nameOf = (h: { hbaWwn: string | null; iscsiName: string | null }) => h.hbaWwn ?? h.iscsiName ?? "";

export function serversCommands(program: Command, ctx: CliContext): void {
  const servers = program.command("servers").description("servers (hosts), their HBAs and paths");
  const one = `${SIMPLE}/servers/{id}` as const;

  servers
    .command("list")
    .description("list servers")
    .option("--nickname <name>", "with exactly this nickname")
    .option("--wwn <wwn>", "with this HBA WWN")
    .option("--iscsi-name <name>", "with this iSCSI initiator name")
    .action(async (options: { nickname?: string; wwn?: string; iscsiName?: string }) => {
      const query = {
        ...(options.nickname !== undefined ? { nickname: options.nickname } : {}),
        ...(options.wwn !== undefined ? { hbaWwn: options.wwn } : {}),
        ...(options.iscsiName !== undefined ? { iscsiName: options.iscsiName } : {}),
      };
      const list = check(await connect(ctx).GET(`${SIMPLE}/servers`, { params: { query } }));
      show(ctx, list, (l) =>
        table(
          ["ID", "NICKNAME", "PROTOCOL", "OS", "PATHS", "CAPACITY"],
          l.data.map((s) => [
            String(s.id),
            s.nickname,
            s.protocol,
            s.osType,
            String(s.numberOfPaths),
            mib(s.totalCapacity),
          ]),
        ),
      );
    });

  servers
    .command("get")
    .description("show a server")
    .argument("<id>", "server ID", integer)
    .action(async (id: number) => {
      const server = check(await connect(ctx).GET(one, { params: { path: { id } } }));
      show(ctx, server, (s) =>
        details({
          ...s,
          totalCapacity: mib(s.totalCapacity),
          usedCapacity: mib(s.usedCapacity),
          paths: s.paths.map((p) => `${nameOf(p)} → ${p.portIds.join(",")}`),
        }),
      );
    });

  asChange(servers.command("create").description("register a server"))
    .requiredOption(
      "--nickname <name>",
      `server nickname (${rangeText(SERVER_NICKNAME_LENGTH)} characters)`,
      nickname,
    )
    .addOption(new Option("--protocol <protocol>", "how it connects").choices(["FC", "iSCSI"]))
    .addOption(new Option("--os-type <type>", "host mode").choices(OS_TYPES))
    .option("--os-option <n>", `host mode option (${rangeText(OS_TYPE_OPTION)}), repeatable`, osOptions)
    .option("--reserved", "a reserved server, to which existing host groups are added")
    .action(
      async (options: {
        nickname: string;
        protocol?: "FC" | "iSCSI";
        osType?: OsType;
        osOption?: number[];
        reserved?: boolean;
        wait: boolean;
      }) => {
        if (!options.reserved && options.protocol === undefined) {
          throw new UsageError("Give --protocol FC or iSCSI (or --reserved).");
        }
        const body = {
          serverNickname: options.nickname,
          ...(options.protocol ? { protocol: options.protocol } : {}),
          ...(options.osType ? { osType: options.osType } : {}),
          ...(options.osOption ? { osTypeOptions: options.osOption } : {}),
          ...(options.reserved ? { isReserved: true } : {}),
        };
        await perform(ctx, connect(ctx).POST(`${SIMPLE}/servers`, { body }), options);
      },
    );

  asChange(servers.command("update").description("change a server's nickname, or its OS type and options"))
    .argument("<id>", "server ID", integer)
    .option("--nickname <name>", `new nickname (${rangeText(SERVER_NICKNAME_LENGTH)} characters)`, nickname)
    .addOption(new Option("--os-type <type>", "host mode").choices(OS_TYPES))
    .option(
      "--os-option <n>",
      `host mode option (${rangeText(OS_TYPE_OPTION)}), repeatable; replaces the options`,
      osOptions,
    )
    .action(
      async (
        id: number,
        options: { nickname?: string; osType?: OsType; osOption?: number[]; wait: boolean },
      ) => {
        const os = options.osType !== undefined || options.osOption !== undefined;
        if ((options.nickname !== undefined) === os) {
          throw new UsageError(
            "Give either --nickname, or --os-type/--os-option (the API changes one at a time).",
          );
        }
        const body =
          options.nickname !== undefined
            ? { nickname: options.nickname }
            : {
                ...(options.osType ? { osType: options.osType } : {}),
                ...(options.osOption ? { osTypeOptions: options.osOption } : {}),
              };
        await perform(ctx, connect(ctx).PATCH(one, { params: { path: { id } }, body }), options);
      },
    );

  asChange(servers.command("delete").description("delete a server with its HBAs, paths and connections"))
    .argument("<id>", "server ID", integer)
    .option("--keep-lun-config", "accepted for compatibility")
    .action(async (id: number, options: { keepLunConfig?: boolean; wait: boolean }) => {
      const body = options.keepLunConfig ? { keepLunConfig: true } : {};
      await perform(ctx, connect(ctx).DELETE(one, { params: { path: { id } }, body }), options);
    });

  // HBAs

  const hbas = servers.command("hbas").description("a server's HBAs (WWNs or iSCSI names)");

  hbas
    .command("list")
    .description("list a server's HBAs")
    .argument("<server>", "server ID", integer)
    .action(async (id: number) => {
      const list = check(await connect(ctx).GET(`${one}/hbas`, { params: { path: { id } } }));
      show(
        ctx,
        list,
        (l) =>
          table(
            ["HBA", "PORTS"],
            l.data.map((h) => [nameOf(h), h.portIds.join(",")]),
          ),
        (l) => l.data.map(nameOf),
      );
    });

  hbas
    .command("get")
    .description("show an HBA of a server")
    .argument("<server>", "server ID", integer)
    .argument("<hba>", "WWN or iSCSI name")
    .action(async (id: number, hba: string) => {
      const found = check(await connect(ctx).GET(`${one}/hbas/{hba}`, { params: { path: { id, hba } } }));
      show(ctx, found, (h) => details(h));
    });

  asChange(hbas.command("add").description("add HBAs to a server (each succeeds or fails on its own)"))
    .argument("<server>", "server ID", integer)
    .option("--wwn <wwn>", "an FC HBA's WWN (16 hex digits), repeatable", collect)
    .option("--iscsi-name <name>", "an iSCSI initiator name, repeatable", collect)
    .action(async (id: number, options: { wwn?: string[]; iscsiName?: string[]; wait: boolean }) => {
      const list = [
        ...(options.wwn ?? []).map((hbaWwn) => ({ hbaWwn })),
        ...(options.iscsiName ?? []).map((iscsiName) => ({ iscsiName })),
      ];
      if (list.length === 0) throw new UsageError("Give at least one --wwn or --iscsi-name.");
      await perform(
        ctx,
        connect(ctx).POST(`${one}/hbas`, { params: { path: { id } }, body: { hbas: list } }),
        options,
      );
    });

  asChange(hbas.command("remove").description("remove an HBA and its paths from a server"))
    .argument("<server>", "server ID", integer)
    .argument("<hba>", "WWN or iSCSI name")
    .action(async (id: number, hba: string, options: { wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).DELETE(`${one}/hbas/{hba}`, { params: { path: { id, hba } } }),
        options,
      );
    });

  // Paths

  const paths = servers.command("paths").description("paths from a server's HBAs through the array's ports");

  paths
    .command("list")
    .description("list a server's paths")
    .argument("<server>", "server ID", integer)
    .action(async (id: number) => {
      const server = check(await connect(ctx).GET(one, { params: { path: { id } } }));
      const list = server.paths.flatMap((p) =>
        p.portIds.map((portId) => ({
          id: `${nameOf(p)},${portId}`,
          serverId: id,
          hbaWwn: p.hbaWwn,
          iscsiName: p.iscsiName,
          portId,
        })),
      );
      show(ctx, { data: list, count: list.length }, (l) =>
        table(
          ["HBA", "PORT"],
          l.data.map((p) => [nameOf(p), p.portId]),
        ),
      );
    });

  paths
    .command("get")
    .description("show a path")
    .argument("<server>", "server ID", integer)
    .argument("<hba>", "WWN or iSCSI name")
    .argument("<port>", 'port ID, e.g. "CL1-A"')
    .action(async (id: number, hba: string, port: string) => {
      const path = check(
        await connect(ctx).GET(`${one}/paths/{pathId}`, {
          params: { path: { id, pathId: `${hba},${port}` } },
        }),
      );
      show(ctx, path, (p) => details(p));
    });

  asChange(
    paths.command("add").description("add paths from an HBA through ports (host groups made as needed)"),
  )
    .argument("<server>", "server ID", integer)
    .requiredOption("--hba <name>", "the HBA's WWN or iSCSI name")
    .requiredOption("--port <id>", 'a port ID such as "CL1-A", repeatable', collect)
    .action(async (id: number, options: { hba: string; port: string[]; wait: boolean }) => {
      const body = { ...hbaName(options.hba), portIds: options.port };
      await perform(ctx, connect(ctx).POST(`${one}/paths`, { params: { path: { id } }, body }), options);
    });

  // iSCSI targets and host groups

  const targets = servers.command("targets").description("a server's iSCSI targets (one per host group)");

  targets
    .command("list")
    .description("list a server's iSCSI targets")
    .argument("<server>", "server ID", integer)
    .action(async (id: number) => {
      const list = check(await connect(ctx).GET(`${one}/target-iscsi-ports`, { params: { path: { id } } }));
      show(
        ctx,
        list,
        (l) =>
          table(
            ["PORT", "TARGET"],
            l.data.map((t) => [t.portId, t.targetIscsiName ?? ""]),
          ),
        (l) => l.data.map((t) => t.portId),
      );
    });

  asChange(targets.command("rename").description("rename a server's iSCSI target on a port"))
    .argument("<server>", "server ID", integer)
    .argument("<port>", 'port ID, e.g. "CL1-C"')
    .requiredOption("--name <iqn>", "the new target name (iqn. or eui. format)")
    .action(async (id: number, portId: string, options: { name: string; wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).PATCH(`${one}/target-iscsi-ports/{portId}`, {
          params: { path: { id, portId } },
          body: { targetIscsiName: options.name },
        }),
        options,
      );
    });

  const hostGroups = servers.command("host-groups").description("a server's host groups");

  asChange(
    hostGroups
      .command("add")
      .description("move existing host groups, with their HBAs and paths, into a server"),
  )
    .argument("<server>", "server ID", integer)
    .requiredOption(
      "--group <port:number|port:name>",
      'a host group, e.g. "CL1-A:3" or "CL1-A:esx01", repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (id: number, options: { group: string[]; wait: boolean }) => {
      const hostGroups = options.group.map((g) => {
        const colon = g.indexOf(":");
        if (colon < 1) throw new UsageError(`--group ${g}: give PORT:NUMBER or PORT:NAME, e.g. "CL1-A:3".`);
        const portId = g.slice(0, colon);
        const ref = g.slice(colon + 1);
        return /^\d+$/.test(ref) ? { portId, hostGroupId: Number(ref) } : { portId, hostGroupName: ref };
      });
      await perform(
        ctx,
        connect(ctx).POST(`${one}/actions/add-host-groups/invoke`, {
          params: { path: { id } },
          body: { hostGroups },
        }),
        options,
      );
    });

  asChange(
    hostGroups.command("sync-names").description("rename every host group of a server after its nickname"),
  )
    .argument("<server>", "server ID", integer)
    .action(async (id: number, options: { wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).POST(`${one}/actions/sync-host-group-names/invoke`, {
          params: { path: { id } },
          body: {},
        }),
        options,
      );
    });

  asChange(paths.command("remove").description("remove a path"))
    .argument("<server>", "server ID", integer)
    .argument("<hba>", "WWN or iSCSI name")
    .argument("<port>", 'port ID, e.g. "CL1-A"')
    .action(async (id: number, hba: string, port: string, options: { wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).DELETE(`${one}/paths/{pathId}`, { params: { path: { id, pathId: `${hba},${port}` } } }),
        options,
      );
    });
}
