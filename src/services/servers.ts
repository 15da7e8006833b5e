/**
 * Servers: the rules of names the API accepts, and the asynchronous operations on servers, their
 * HBAs, paths, iSCSI targets and host groups, run as jobs. Each job calls the device once per item
 * with its own idempotency key, so a job re-run after a crash does not act twice.
 */

import type { HbaId, HostGroupRef, ServerChange, ServerCreate } from "../device/port/servers.ts";
import { InvalidRequest } from "../domain/errors.ts";
import { SERVER_NICKNAME_LENGTH } from "../domain/limits.ts";
import { eachItem, type JobsService, oneItem, SIMPLE_OBJECTS, succeeded } from "./jobs.ts";

export const SERVERS_URL = `${SIMPLE_OBJECTS}/servers`;

export const serverUrl = (id: number) => `${SERVERS_URL}/${id}`;
export const hbaUrl = (id: number, name: string) => `${serverUrl(id)}/hbas/${name}`;
export const pathUrl = (id: number, name: string, portId: string) =>
  `${serverUrl(id)}/paths/${name},${portId}`;
export const targetUrl = (id: number, portId: string) => `${serverUrl(id)}/target-iscsi-ports/${portId}`;

/** Server nicknames: 1–229 of these characters, no space at either end, no leading hyphen. */
const NICKNAME = new RegExp(
  `^[A-Za-z0-9 ,\\-./:@\\\\_]{${SERVER_NICKNAME_LENGTH.min},${SERVER_NICKNAME_LENGTH.max}}$`,
);
/** Characters an iSCSI server's nickname may not hold: its host group names cannot. */
const NOT_FOR_ISCSI = /[,/\\]/;

/** Answers why a nickname is not acceptable, or undefined when it is. */
export function nicknameProblem(nickname: string, protocol: string): string | undefined {
  if (!NICKNAME.test(nickname)) {
    return `it must be ${SERVER_NICKNAME_LENGTH.min} to ${SERVER_NICKNAME_LENGTH.max} characters: letters, digits, spaces and , - . / : @ \\ _`;
  }
  if (nickname.startsWith(" ") || nickname.endsWith(" ")) return "it cannot begin or end with a space";
  if (nickname.startsWith("-")) return "it cannot begin with a hyphen";
  if (protocol === "iSCSI" && NOT_FOR_ISCSI.test(nickname))
    return "an iSCSI server's nickname cannot contain , / or \\";
  return undefined;
}

export function checkNickname(nickname: string, protocol: string): void {
  const problem = nicknameProblem(nickname, protocol);
  if (problem) throw new InvalidRequest(`The server nickname "${nickname}" is invalid: ${problem}.`);
}

const WWN = /^[0-9A-Fa-f]{16}$/;
/** iqn format: "iqn." then up to 223 characters in all of letters, digits, "-", "." and ":". */
const IQN = /^iqn\.[A-Za-z0-9.:-]+$/;
/** eui format: "eui." then 16 hex digits. */
const EUI = /^eui\.[0-9A-Fa-f]{16}$/;
const ISCSI_NAME_MAX = 223;

export function isWwn(text: string): boolean {
  return WWN.test(text);
}

export function isIscsiName(text: string): boolean {
  return text.length <= ISCSI_NAME_MAX && (IQN.test(text) || EUI.test(text));
}

/** A WWN as the array keeps it (16 lowercase hex), or a 400. */
export function parseWwn(text: string, field = "hbaWwn"): string {
  if (!isWwn(text))
    throw new InvalidRequest(`The ${field} "${text}" is invalid: a WWN is 16 hexadecimal characters.`);
  return text.toLowerCase();
}

export function parseIscsiName(text: string, field = "iscsiName"): string {
  if (!isIscsiName(text)) {
    throw new InvalidRequest(
      `The ${field} "${text}" is invalid: use the iqn format ("iqn." and letters, digits, - . :, at most 223 characters) or the eui format ("eui." and 16 hexadecimal digits).`,
    );
  }
  return text;
}

/** An HBA named in a URL: a WWN or an iSCSI name, told apart by form; anything else is a 400. */
export function parseHbaName(text: string): HbaId {
  if (isWwn(text)) return { kind: "wwn", name: text.toLowerCase() };
  if (isIscsiName(text)) return { kind: "iscsi", name: text };
  throw new InvalidRequest(
    `The HBA "${text}" is invalid: give a WWN (16 hexadecimal characters) or an iSCSI name.`,
  );
}

/** The one HBA name of a body holding `hbaWwn` or `iscsiName`, never both. */
export function hbaFromBody(
  body: { hbaWwn?: string; iscsiName?: string },
  where = "The request body",
): HbaId {
  if ((body.hbaWwn === undefined) === (body.iscsiName === undefined)) {
    throw new InvalidRequest(`${where} must give exactly one of hbaWwn and iscsiName.`);
  }
  return body.hbaWwn !== undefined
    ? { kind: "wwn", name: parseWwn(body.hbaWwn) }
    : { kind: "iscsi", name: parseIscsiName(body.iscsiName as string) };
}

/** The HBA kind a server of `protocol` takes; a 400 for any other. */
export function checkHbaFits(hba: HbaId, serverId: number, protocol: string): void {
  const wanted = protocol === "FC" ? "wwn" : protocol === "iSCSI" ? "iscsi" : undefined;
  if (wanted === undefined) {
    throw new InvalidRequest(
      `Server ${serverId} is reserved and has no protocol yet: add host groups to it first.`,
    );
  }
  if (hba.kind !== wanted) {
    throw new InvalidRequest(
      `Server ${serverId} connects by ${protocol}: give ${wanted === "wwn" ? "hbaWwn" : "iscsiName"}, not ${hba.kind === "wwn" ? "hbaWwn" : "iscsiName"}.`,
    );
  }
}

/** Job kinds of this area. */
export const SERVER_JOBS = {
  create: "servers.create",
  update: "servers.update",
  delete: "servers.delete",
  addHbas: "servers.hbas.add",
  deleteHba: "servers.hbas.delete",
  addPaths: "servers.paths.add",
  deletePath: "servers.paths.delete",
  setTargetName: "servers.target-iscsi-ports.update",
  addHostGroups: "servers.host-groups.add",
  syncHostGroupNames: "servers.host-groups.sync-names",
} as const;

export interface CreateServerParams extends ServerCreate {}
export interface UpdateServerParams {
  id: number;
  change: ServerChange;
}
export interface DeleteServerParams {
  id: number;
  /** Leave the server's host groups, with their initiators and LUN paths, as groups of no server. */
  keepLunConfig?: boolean;
}

export interface ServerIdParams {
  id: number;
}
export interface AddHbasParams {
  id: number;
  hbas: HbaId[];
}
export interface HbaParams {
  id: number;
  hba: HbaId;
}
export interface AddPathsParams extends HbaParams {
  portIds: string[];
}
export interface PathParams {
  id: number;
  hbaName: string;
  portId: string;
}
export interface TargetNameParams {
  id: number;
  portId: string;
  targetIscsiName: string;
}
export interface AddHostGroupsParams {
  id: number;
  hostGroups: HostGroupRef[];
}

export function registerServerJobs(jobs: JobsService): void {
  jobs.register<CreateServerParams>(SERVER_JOBS.create, (p, ctx) =>
    oneItem(ctx, SERVERS_URL, async (opts) => {
      const id = await ctx.device.createServer(p, opts);
      return succeeded("CREATE", "Server", id, serverUrl(id));
    }),
  );

  jobs.register<UpdateServerParams>(SERVER_JOBS.update, (p, ctx) =>
    oneItem(ctx, serverUrl(p.id), async (opts) => {
      await ctx.device.updateServer(p.id, p.change, opts);
      return succeeded("UPDATE", "Server", p.id, serverUrl(p.id));
    }),
  );

  jobs.register<DeleteServerParams>(SERVER_JOBS.delete, (p, ctx) =>
    oneItem(ctx, serverUrl(p.id), async (opts) => {
      await ctx.device.deleteServer(p.id, p.keepLunConfig === true, opts);
      return succeeded("DELETE", "Server", p.id, serverUrl(p.id));
    }),
  );

  // Multi-resource: each HBA is added or refused on its own.
  jobs.register<AddHbasParams>(SERVER_JOBS.addHbas, (p, ctx) =>
    eachItem(
      ctx,
      p.hbas,
      (hba) => hbaUrl(p.id, hba.name),
      async (hba, opts) => {
        await ctx.device.addHba(p.id, hba, opts);
        return succeeded("CREATE", "Hba", hba.name, hbaUrl(p.id, hba.name));
      },
    ),
  );

  jobs.register<HbaParams>(SERVER_JOBS.deleteHba, (p, ctx) =>
    oneItem(ctx, hbaUrl(p.id, p.hba.name), async (opts) => {
      await ctx.device.deleteHba(p.id, p.hba.name, opts);
      return succeeded("DELETE", "Hba", p.hba.name, hbaUrl(p.id, p.hba.name));
    }),
  );

  // All paths of the request are added together or not at all.
  jobs.register<AddPathsParams>(SERVER_JOBS.addPaths, (p, ctx) =>
    oneItem(ctx, `${serverUrl(p.id)}/paths`, async (opts) => {
      const paths = await ctx.device.addServerPaths(p.id, p.hba, p.portIds, opts);
      return {
        affectedResources: paths.map((path) => pathUrl(p.id, p.hba.name, path.portId)),
        operationDetails: paths.map((path) => ({
          operationType: "CREATE" as const,
          resourceType: "Path",
          resourceId: path.id,
        })),
      };
    }),
  );

  jobs.register<PathParams>(SERVER_JOBS.deletePath, (p, ctx) =>
    oneItem(ctx, pathUrl(p.id, p.hbaName, p.portId), async (opts) => {
      await ctx.device.deleteServerPath(p.id, p.hbaName, p.portId, opts);
      return succeeded("DELETE", "Path", `${p.hbaName},${p.portId}`, pathUrl(p.id, p.hbaName, p.portId));
    }),
  );

  jobs.register<TargetNameParams>(SERVER_JOBS.setTargetName, (p, ctx) =>
    oneItem(ctx, targetUrl(p.id, p.portId), async (opts) => {
      await ctx.device.setTargetIscsiName(p.id, p.portId, p.targetIscsiName, opts);
      return succeeded("UPDATE", "TargetIscsiPort", p.portId, targetUrl(p.id, p.portId));
    }),
  );

  jobs.register<AddHostGroupsParams>(SERVER_JOBS.addHostGroups, (p, ctx) =>
    oneItem(ctx, serverUrl(p.id), async (opts) => {
      await ctx.device.addHostGroups(p.id, p.hostGroups, opts);
      return succeeded("UPDATE", "Server", p.id, serverUrl(p.id));
    }),
  );

  jobs.register<ServerIdParams>(SERVER_JOBS.syncHostGroupNames, (p, ctx) =>
    oneItem(ctx, serverUrl(p.id), async (opts) => {
      await ctx.device.syncHostGroupNames(p.id, opts);
      return succeeded("UPDATE", "Server", p.id, serverUrl(p.id));
    }),
  );
}
