/** ports list|get|update: the array's front-end FC and iSCSI ports (changes are synchronous). */
import { type Command, Option } from "commander";
import type { RequestBody } from "../../client/index.ts";
import { check, connect, perform } from "../client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { details, table } from "../output.ts";
import { jsonArgument, onOff } from "../parse.ts";
import { asChange, SIMPLE, show } from "./common.ts";

type PortChange = RequestBody<`${typeof SIMPLE}/ports/{portId}`, "patch">;

interface UpdateOptions {
  speed?: string;
  security?: boolean;
  alPa?: string;
  fabric?: boolean;
  connectionType?: "FC_AL" | "Point_To_Point";
  body?: PortChange;
  wait: boolean;
}

export function portsCommands(program: Command, ctx: CliContext): void {
  const ports = program.command("ports").description("the array's front-end ports");
  const one = `${SIMPLE}/ports/{portId}` as const;

  ports
    .command("list")
    .description("list ports")
    .addOption(new Option("--protocol <protocol>", "FC or iSCSI ports only").choices(["FC", "iSCSI"]))
    .action(async (options: { protocol?: "FC" | "iSCSI" }) => {
      const query = options.protocol ? { protocol: options.protocol } : {};
      const list = check(await connect(ctx).GET(`${SIMPLE}/ports`, { params: { query } }));
      show(ctx, list, (l) =>
        table(
          ["ID", "PROTOCOL", "SPEED", "SECURITY", "WWN/ISCSI-NAME"],
          l.data.map((p) => [
            p.id,
            p.protocol,
            p.portSpeed,
            p.portSecurity ? "on" : "off",
            p.portWwn ?? p.portIscsiName ?? "",
          ]),
        ),
      );
    });

  ports
    .command("get")
    .description("show a port")
    .argument("<port>", 'port ID, e.g. "CL1-A"')
    .action(async (portId: string) => {
      const port = check(await connect(ctx).GET(one, { params: { path: { portId } } }));
      show(ctx, port, (p) => details(p));
    });

  asChange(ports.command("update").description("change port settings (only those given change)"))
    .argument("<port>", 'port ID, e.g. "CL1-A"')
    .option("--speed <speed>", 'port speed, e.g. "NUMBER_0" (auto), "NUMBER_32"')
    .option("--security <on|off>", "LUN security", onOff)
    .option("--al-pa <hex>", "FC: arbitrated loop physical address, 01-EF")
    .option("--fabric <on|off>", "FC: fabric switch setting", onOff)
    .addOption(new Option("--connection-type <type>", "FC: topology").choices(["FC_AL", "Point_To_Point"]))
    .option(
      "--body <json>",
      "the whole change as the API's JSON (or @file), e.g. for iscsiInformation",
      jsonArgument,
    )
    .action(async (portId: string, options: UpdateOptions) => {
      const fc = {
        ...(options.alPa !== undefined ? { alPa: options.alPa } : {}),
        ...(options.fabric !== undefined ? { fabricSwitchSetting: options.fabric } : {}),
        ...(options.connectionType !== undefined ? { connectionType: options.connectionType } : {}),
      };
      const body: PortChange = {
        ...(options.speed !== undefined ? { portSpeed: options.speed as PortChange["portSpeed"] } : {}),
        ...(options.security !== undefined ? { portSecurity: options.security } : {}),
        ...(Object.keys(fc).length > 0 ? { fcInformation: fc } : {}),
        ...(options.body ?? {}),
      };
      if (Object.keys(body).length === 0)
        throw new UsageError("Nothing to change: give a setting, or --body.");
      await perform(ctx, connect(ctx).PATCH(one, { params: { path: { portId } }, body }), options);
    });
}
