/** connections list|get|create|delete: volumes presented to servers (LUN paths). */
import type { Command } from "commander";
import type { Connection } from "../../client/index.ts";
import { check, connect, perform, performEach } from "../client.ts";
import type { CliContext } from "../context.ts";
import { integerIn, MAX_CONNECTION_PAGE, rangeText } from "../limits.ts";
import { details, table } from "../output.ts";
import { compositeId, integer, integers } from "../parse.ts";

const PAGE = { min: 1, max: MAX_CONNECTION_PAGE };

import { asChange, moreNote, readAll, SIMPLE, show } from "./common.ts";

const connectionId = compositeId("connection (volumeId,serverId)");
const connectionIds = (value: string, previous: string[] = []) => [...previous, connectionId(value)];

interface ListOptions {
  serverId?: number;
  serverNickname?: string;
  start?: number;
  count?: number;
  all?: boolean;
}

export function connectionsCommands(program: Command, ctx: CliContext): void {
  const connections = program
    .command("connections")
    .description("volume-server connections (a volume's LUN on a server's paths)");
  const base = `${SIMPLE}/volume-server-connections` as const;

  connections
    .command("list")
    .description(`list connections, ${MAX_CONNECTION_PAGE} at most a page`)
    .option("--server-id <id>", "of this server", integer)
    .option("--server-nickname <text>", "of servers whose nickname contains this text")
    .option("--start <volumeId>", "from this volume ID", integer)
    .option("--count <n>", `at most this many (${rangeText(PAGE)})`, integerIn(PAGE))
    .option("--all", "read every page")
    .action(async (options: ListOptions) => {
      const bp = connect(ctx);
      const query = {
        ...(options.serverId !== undefined ? { serverId: options.serverId } : {}),
        ...(options.serverNickname !== undefined ? { serverNickname: options.serverNickname } : {}),
        ...(options.count !== undefined ? { count: options.count } : {}),
      };
      const page = (startVolumeId: number) =>
        bp.GET(base, { params: { query: { ...query, startVolumeId } } }).then(check);
      let list = await page(options.start ?? 0);
      if (options.all) list = await readAll(list, (last: Connection) => page(last.volumeId + 1));
      show(ctx, list, (l) =>
        table(
          ["ID", "VOLUME", "SERVER", "LUNS"],
          l.data.map((c) => [
            c.id,
            String(c.volumeId),
            String(c.serverId),
            c.luns.map((l) => `${l.lun}@${l.portId}`).join(","),
          ]),
        ),
      );
      moreNote(ctx, list.hasNext, `--start ${(list.data.at(-1)?.volumeId ?? 0) + 1}`);
    });

  connections
    .command("get")
    .description("show a connection")
    .argument("<id>", "volumeId,serverId", connectionId)
    .action(async (id: string) => {
      const found = check(await connect(ctx).GET(`${base}/{id}`, { params: { path: { id } } }));
      show(ctx, found, (c) => details(c));
    });

  asChange(connections.command("create").description("connect every volume given to every server given"))
    .requiredOption("--volume <id>", "volume ID, repeatable or comma-separated", integers)
    .requiredOption("--server <id>", "server ID, repeatable or comma-separated", integers)
    .action(async (options: { volume: number[]; server: number[]; wait: boolean }) => {
      await perform(
        ctx,
        connect(ctx).POST(base, { body: { volumeIds: options.volume, serverIds: options.server } }),
        options,
      );
    });

  asChange(connections.command("delete").description("disconnect volumes from servers, one job each"))
    .argument("<ids...>", "volumeId,serverId", connectionIds)
    .action(async (ids: string[], options: { wait: boolean }) => {
      await performEach(
        ctx,
        ids,
        (id) => `connection ${id}`,
        (id) => connect(ctx).DELETE(`${base}/{id}`, { params: { path: { id } } }),
        options,
      );
    });
}
