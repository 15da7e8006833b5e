/**
 * Host groups, their initiators and their LUN paths, changed as the full API changes them: each
 * change is a job of one item that calls the device once under its idempotency key. The resources
 * are named by their v1 URLs (`host-groups/{port},{n}`, `host-wwns/{port},{n},{wwn}`,
 * `host-iscsis/{port},{n},{name}`, `luns/{port},{n},{lun}`).
 */
import type { HostGroupChange, HostGroupCreate } from "../device/port/host-groups.ts";
import { type JobsService, oneItem, succeeded, FULL_OBJECTS as V1_OBJECTS } from "./jobs.ts";

export const hostGroupUrl = (portId: string, n: number) => `${V1_OBJECTS}/host-groups/${portId},${n}`;
export const initiatorUrl = (kind: "wwn" | "iscsi", portId: string, n: number, name: string) =>
  `${V1_OBJECTS}/${kind === "wwn" ? "host-wwns" : "host-iscsis"}/${portId},${n},${name}`;
export const lunPathUrl = (portId: string, n: number, lun: number) =>
  `${V1_OBJECTS}/luns/${portId},${n},${lun}`;

export const HOST_GROUP_JOBS = {
  create: "hostGroup.create",
  update: "hostGroup.update",
  delete: "hostGroup.delete",
  addInitiator: "hostGroup.addInitiator",
  removeInitiator: "hostGroup.removeInitiator",
  createLunPath: "lunPath.create",
  deleteLunPath: "lunPath.delete",
} as const;

export interface HostGroupParams {
  portId: string;
  hostGroupNumber: number;
}
export interface UpdateHostGroupParams extends HostGroupParams {
  change: HostGroupChange;
}
export interface InitiatorParams extends HostGroupParams {
  kind: "wwn" | "iscsi";
  name: string;
}
export interface CreateLunPathParams extends HostGroupParams {
  volumeId: number;
  lun?: number;
}
export interface LunPathParams extends HostGroupParams {
  lun: number;
}

const id = (portId: string, n: number) => `${portId},${n}`;

export function registerHostGroupJobs(jobs: JobsService): void {
  jobs.register<HostGroupCreate>(HOST_GROUP_JOBS.create, (p, ctx) =>
    oneItem(ctx, `${V1_OBJECTS}/host-groups`, async (opts) => {
      const n = await ctx.device.createHostGroup(p, opts);
      return succeeded("CREATE", "HostGroup", id(p.portId, n), hostGroupUrl(p.portId, n));
    }),
  );
  jobs.register<UpdateHostGroupParams>(HOST_GROUP_JOBS.update, (p, ctx) =>
    oneItem(ctx, hostGroupUrl(p.portId, p.hostGroupNumber), async (opts) => {
      await ctx.device.updateHostGroup(p.portId, p.hostGroupNumber, p.change, opts);
      return succeeded(
        "UPDATE",
        "HostGroup",
        id(p.portId, p.hostGroupNumber),
        hostGroupUrl(p.portId, p.hostGroupNumber),
      );
    }),
  );
  jobs.register<HostGroupParams>(HOST_GROUP_JOBS.delete, (p, ctx) =>
    oneItem(ctx, hostGroupUrl(p.portId, p.hostGroupNumber), async (opts) => {
      await ctx.device.deleteHostGroup(p.portId, p.hostGroupNumber, opts);
      return succeeded(
        "DELETE",
        "HostGroup",
        id(p.portId, p.hostGroupNumber),
        hostGroupUrl(p.portId, p.hostGroupNumber),
      );
    }),
  );
  jobs.register<InitiatorParams>(HOST_GROUP_JOBS.addInitiator, (p, ctx) => {
    const url = initiatorUrl(p.kind, p.portId, p.hostGroupNumber, p.name);
    return oneItem(ctx, url, async (opts) => {
      await ctx.device.addInitiator(p.portId, p.hostGroupNumber, p.kind, p.name, opts);
      return succeeded(
        "CREATE",
        p.kind === "wwn" ? "HostWwn" : "HostIscsi",
        `${id(p.portId, p.hostGroupNumber)},${p.name}`,
        url,
      );
    });
  });
  jobs.register<InitiatorParams>(HOST_GROUP_JOBS.removeInitiator, (p, ctx) => {
    const url = initiatorUrl(p.kind, p.portId, p.hostGroupNumber, p.name);
    return oneItem(ctx, url, async (opts) => {
      await ctx.device.removeInitiator(p.portId, p.hostGroupNumber, p.name, opts);
      return succeeded(
        "DELETE",
        p.kind === "wwn" ? "HostWwn" : "HostIscsi",
        `${id(p.portId, p.hostGroupNumber)},${p.name}`,
        url,
      );
    });
  });
  jobs.register<CreateLunPathParams>(HOST_GROUP_JOBS.createLunPath, (p, ctx) =>
    oneItem(ctx, `${V1_OBJECTS}/luns`, async (opts) => {
      const lun = await ctx.device.createLunPath(p.portId, p.hostGroupNumber, p.volumeId, p.lun, opts);
      return succeeded(
        "CREATE",
        "Lun",
        `${id(p.portId, p.hostGroupNumber)},${lun}`,
        lunPathUrl(p.portId, p.hostGroupNumber, lun),
      );
    }),
  );
  jobs.register<LunPathParams>(HOST_GROUP_JOBS.deleteLunPath, (p, ctx) =>
    oneItem(ctx, lunPathUrl(p.portId, p.hostGroupNumber, p.lun), async (opts) => {
      await ctx.device.deleteLunPath(p.portId, p.hostGroupNumber, p.lun, opts);
      return succeeded(
        "DELETE",
        "Lun",
        `${id(p.portId, p.hostGroupNumber)},${p.lun}`,
        lunPathUrl(p.portId, p.hostGroupNumber, p.lun),
      );
    }),
  );
}
