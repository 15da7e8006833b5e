/** The storage system: its identity and totals, its health, and the full API's view of it. */
import { Type } from "typebox";
import { call, errorResponses, FULL_OBJECTS, type RouteModule, SIMPLE_OBJECTS } from "./common.ts";

const ok = { 200: Type.Unknown(), ...errorResponses() };

export const storageRoutes: RouteModule = (app, { device }) => {
  const tags = ["storage"];
  app.get(`${SIMPLE_OBJECTS}/storage`, { schema: { tags, summary: "Get the storage system", response: ok } }, async () =>
    device.storage(call()),
  );

  app.get(`${SIMPLE_OBJECTS}/health-status`, { schema: { tags, summary: "Get the status of pools and snapshots", response: ok } }, async () =>
    device.health(call()),
  );

  // The full Configuration Manager API's storage instance, which clients read before the simple API.
  app.get(`${FULL_OBJECTS}/storages/instance`, { schema: { tags, summary: "Get the storage system (full API form)", response: ok } }, async () => {
    const s = await device.storage(call());
    return {
      storageDeviceId: `${s.serial.padStart(12, "0")}`.replace(/^0{6}/, "900000"),
      model: s.modelName,
      serialNumber: Number(s.serial),
      ctl1Ip: s.ipAddressIpv4Ctl1,
      ctl2Ip: s.ipAddressIpv4Ctl2,
      dkcMicroVersion: s.dkcMicroVersion,
      communicationModes: [{ communicationMode: "lanConnectionMode" }],
      isSecure: true,
    };
  });
};
