import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SIMPLE, startServer, type TestServer } from "../support/server.ts";

const PORTS = `${SIMPLE}/ports`;

describe("ports", () => {
  let s: TestServer;
  let viewer: string;

  before(async () => {
    s = await startServer();
    viewer = await s.userToken("viewer", ["Storage Administrator (View Only)"]);
  });
  after(() => s.close());

  const patch = (id: string, body: unknown, token?: string) =>
    s.patch(`${PORTS}/${id}`, body, token ? { token } : {});
  const updated = (id: string) => ({
    affectedResources: [`${PORTS}/${id}`],
    operationDetails: [{ operationType: "UPDATE", resourceType: "Port", resourceId: id }],
  });

  describe("reading", () => {
    test("the array has 8 FC and 8 iSCSI ports", async () => {
      const all = await s.get(PORTS);
      assert.equal(all.status, 200);
      assert.equal(all.body.count, 16);
      assert.equal(all.body.data.length, 16);
      const fc = await s.get(`${PORTS}?protocol=FC`);
      assert.equal(fc.body.count, 8);
      assert.ok(fc.body.data.every((p: { protocol: string }) => p.protocol === "FC"));
      const iscsi = await s.get(`${PORTS}?protocol=iSCSI`);
      assert.deepEqual(
        iscsi.body.data.map((p: { id: string }) => p.id),
        ["CL1-C", "CL1-D", "CL2-C", "CL2-D", "CL3-C", "CL3-D", "CL4-C", "CL4-D"],
      );
    });

    test("an unknown protocol or parameter is 400", async () => {
      assert.equal((await s.get(`${PORTS}?protocol=NVMe`)).status, 400);
      assert.equal((await s.get(`${PORTS}?protocol=fc`)).status, 400);
      assert.equal((await s.get(`${PORTS}?speed=1`)).status, 400);
    });

    test("an FC port has a WWN and fcInformation", async () => {
      const r = await s.get(`${PORTS}/CL1-A`);
      assert.equal(r.status, 200);
      assert.match(r.body.portWwn, /^[0-9a-f]{16}$/);
      assert.deepEqual(
        { ...r.body, portWwn: "-" },
        {
          id: "CL1-A",
          protocol: "FC",
          portWwn: "-",
          portSpeed: "NUMBER_0",
          portSecurity: true,
          fcInformation: {
            alPa: "EF",
            fabricSwitchSetting: true,
            connectionType: "Point_To_Point",
            sfpDataTransferRate: "NUMBER_32",
            portMode: "SCSI",
          },
        },
      );
      assert.equal(r.body.iscsiInformation, undefined);
      assert.equal(r.body.portIscsiName, undefined);
    });

    test("an iSCSI port has an iSCSI name and iscsiInformation", async () => {
      const r = await s.get(`${PORTS}/CL2-C`);
      assert.equal(r.status, 200);
      assert.equal(r.body.protocol, "iSCSI");
      assert.match(r.body.portIscsiName, /^iqn\.1994-04\.jp\.co\.hitachi:rsd\.h8m\.t\.\w+\.2c000$/);
      assert.equal(r.body.portSpeed, "NUMBER_10");
      assert.equal(r.body.portWwn, undefined);
      assert.equal(r.body.fcInformation, undefined);
      const i = r.body.iscsiInformation;
      assert.equal(i.vlanUse, false);
      assert.equal(i.vlanId, undefined);
      assert.deepEqual(i.vlanIds, []);
      assert.equal(i.ipMode, "ipv4v6");
      assert.deepEqual(Object.keys(i.ipv4Information), ["address", "subnetMask", "defaultGateway"]);
      assert.equal(i.ipv6Information.linklocal, "Auto");
      assert.equal(i.tcpPort, 3260);
      assert.equal(i.windowSize, "NUMBER_64K");
      assert.equal(i.mtuSize, "NUMBER_9000");
      assert.equal(i.keepAliveTimer, 60);
      assert.equal(i.isnsServerPort, 3205);
      assert.equal(i.virtualPortEnabled, false);
    });

    test("a malformed port ID is 400, an absent one 404", async () => {
      for (const bad of ["CL1A", "cl1-a", "CL10-A", "CL1-AA", "X"]) {
        assert.equal((await s.get(`${PORTS}/${bad}`)).status, 400, bad);
      }
      assert.equal((await s.get(`${PORTS}/CL9-Z`)).status, 404);
      assert.equal((await patch("CL9-Z", { portSecurity: false })).status, 404);
      assert.equal((await patch("CL1A", { portSecurity: false })).status, 400);
    });
  });

  describe("FC settings", () => {
    test("a change answers 200 at once and is applied", async () => {
      const r = await patch("CL2-A", {
        portSecurity: false,
        portSpeed: "NUMBER_16",
        fcInformation: { alPa: "e8", fabricSwitchSetting: false, connectionType: "FC_AL" },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, updated("CL2-A"));
      const p = (await s.get(`${PORTS}/CL2-A`)).body;
      assert.equal(p.portSecurity, false);
      assert.equal(p.portSpeed, "NUMBER_16");
      assert.deepEqual(p.fcInformation, {
        alPa: "E8",
        fabricSwitchSetting: false,
        connectionType: "FC_AL",
        sfpDataTransferRate: "NUMBER_32",
        portMode: "SCSI",
      });
    });

    test("only the given settings change", async () => {
      assert.equal((await patch("CL3-A", { fcInformation: { connectionType: "FC_AL" } })).status, 200);
      const p = (await s.get(`${PORTS}/CL3-A`)).body;
      assert.equal(p.fcInformation.connectionType, "FC_AL");
      assert.equal(p.fcInformation.alPa, "EF");
      assert.equal(p.fcInformation.fabricSwitchSetting, true);
      assert.equal(p.portSecurity, true);
    });

    test("alPa 01 and EF are accepted; 00, F0 and non-hex are 400", async () => {
      assert.equal((await patch("CL4-A", { fcInformation: { alPa: "01" } })).status, 200);
      assert.equal((await patch("CL4-A", { fcInformation: { alPa: "EF" } })).status, 200);
      for (const bad of ["00", "F0", "ZZ", "1", "0EF"]) {
        assert.equal((await patch("CL4-A", { fcInformation: { alPa: bad } })).status, 400, bad);
      }
      assert.equal((await s.get(`${PORTS}/CL4-A`)).body.fcInformation.alPa, "EF");
    });

    test("an Ethernet speed or an unknown connection type is 400", async () => {
      assert.equal((await patch("CL4-A", { portSpeed: "NUMBER_10" })).status, 400);
      assert.equal((await patch("CL4-A", { portSpeed: "NUMBER_64" })).status, 400);
      assert.equal((await patch("CL4-A", { fcInformation: { connectionType: "Loop" } })).status, 400);
    });

    test("iscsiInformation on an FC port is 400", async () => {
      const r = await patch("CL1-B", { iscsiInformation: { tcpPort: 3260 } });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /FC port/);
    });
  });

  describe("iSCSI settings", () => {
    test("network settings change", async () => {
      const r = await patch("CL3-C", {
        iscsiInformation: {
          ipv4Information: { address: "10.0.0.5", subnetMask: "255.255.0.0" },
          ipv6Information: {
            linklocal: "Manual",
            linklocalAddress: "fe80::5",
            global: "Manual",
            globalAddress: "2001:db8::5",
          },
          selectiveAck: false,
          mtuSize: "NUMBER_4500",
          windowSize: "NUMBER_512K",
          keepAliveTimer: 30,
          isnsServerMode: true,
          isnsServerIpAddress: "10.0.0.1",
          isnsServerPort: 3206,
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, updated("CL3-C"));
      const i = (await s.get(`${PORTS}/CL3-C`)).body.iscsiInformation;
      assert.deepEqual(i.ipv4Information, {
        address: "10.0.0.5",
        subnetMask: "255.255.0.0",
        defaultGateway: "0.0.0.0",
      });
      assert.equal(i.ipv6Information.linklocal, "Manual");
      assert.equal(i.ipv6Information.linklocalAddress, "fe80::5");
      assert.equal(i.ipv6Information.globalAddress, "2001:db8::5");
      assert.equal(i.ipv6Information.globalAddressStatus, "VALID");
      assert.equal(i.selectiveAck, false);
      assert.equal(i.mtuSize, "NUMBER_4500");
      assert.equal(i.linkMtuSize, "NUMBER_4500");
      assert.equal(i.windowSize, "NUMBER_512K");
      assert.equal(i.keepAliveTimer, 30);
      assert.equal(i.isnsServerMode, true);
      assert.equal(i.isnsServerIpAddress, "10.0.0.1");
      assert.equal(i.isnsServerPort, 3206);
      assert.equal(i.delayedAck, true);
    });

    test("tcpPort 1 and 65535 are accepted; 0 and 65536 are 400", async () => {
      assert.equal((await patch("CL4-C", { iscsiInformation: { tcpPort: 1 } })).status, 200);
      assert.equal((await patch("CL4-C", { iscsiInformation: { tcpPort: 65535 } })).status, 200);
      assert.equal((await s.get(`${PORTS}/CL4-C`)).body.iscsiInformation.tcpPort, 65535);
      assert.equal((await patch("CL4-C", { iscsiInformation: { tcpPort: 0 } })).status, 400);
      assert.equal((await patch("CL4-C", { iscsiInformation: { tcpPort: 65536 } })).status, 400);
      assert.equal((await patch("CL4-C", { iscsiInformation: { tcpPort: "3260" } })).status, 400);
    });

    test("keepAliveTimer 30–64800", async () => {
      assert.equal((await patch("CL4-C", { iscsiInformation: { keepAliveTimer: 64800 } })).status, 200);
      assert.equal((await patch("CL4-C", { iscsiInformation: { keepAliveTimer: 29 } })).status, 400);
      assert.equal((await patch("CL4-C", { iscsiInformation: { keepAliveTimer: 64801 } })).status, 400);
    });

    test("malformed addresses are 400", async () => {
      const bad = [
        { ipv4Information: { address: "10.0.0.256" } },
        { ipv4Information: { address: "fe80::1" } },
        { ipv4Information: { subnetMask: "255.0.255.0" } },
        { ipv4Information: { defaultGateway: "gateway" } },
        { ipv6Information: { globalAddress: "10.0.0.1" } },
        { isnsServerIpAddress: "isns.example.com" },
        { ipv4Information: {} },
      ];
      for (const iscsiInformation of bad) {
        assert.equal(
          (await patch("CL4-C", { iscsiInformation })).status,
          400,
          JSON.stringify(iscsiInformation),
        );
      }
    });

    test("VLAN IDs are added and deleted", async () => {
      assert.equal(
        (await patch("CL1-D", { iscsiInformation: { vlanUse: true, addVlanId: 200 } })).status,
        200,
      );
      assert.equal((await patch("CL1-D", { iscsiInformation: { addVlanId: 100 } })).status, 200);
      let i = (await s.get(`${PORTS}/CL1-D`)).body.iscsiInformation;
      assert.equal(i.vlanUse, true);
      assert.equal(i.vlanId, 100);
      assert.deepEqual(i.vlanIds, [100, 200]);
      assert.equal((await patch("CL1-D", { iscsiInformation: { deleteVlanId: 100 } })).status, 200);
      i = (await s.get(`${PORTS}/CL1-D`)).body.iscsiInformation;
      assert.deepEqual(i.vlanIds, [200]);
      assert.equal(i.vlanId, 200);
    });

    test("deleting a VLAN ID the port lacks is 400; IDs outside 1–4094 are 400", async () => {
      const r = await patch("CL2-D", { iscsiInformation: { deleteVlanId: 7 } });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.errorCode, { SSB1: "2e11", SSB2: "b302" });
      assert.equal((await patch("CL2-D", { iscsiInformation: { addVlanId: 0 } })).status, 400);
      assert.equal((await patch("CL2-D", { iscsiInformation: { addVlanId: 4095 } })).status, 400);
      assert.equal((await patch("CL2-D", { iscsiInformation: { addVlanId: 4094 } })).status, 200);
    });

    test("the speed of an iSCSI port stays NUMBER_10", async () => {
      assert.equal((await patch("CL3-D", { portSpeed: "NUMBER_16" })).status, 200);
      assert.equal((await s.get(`${PORTS}/CL3-D`)).body.portSpeed, "NUMBER_10");
    });

    test("fcInformation on an iSCSI port is 400", async () => {
      const r = await patch("CL4-D", { fcInformation: { alPa: "01" } });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /iSCSI port/);
    });
  });

  describe("body and permissions", () => {
    test("an empty body, empty sections and unknown fields are 400", async () => {
      assert.equal((await patch("CL1-A", {})).status, 400);
      assert.equal((await patch("CL1-A", { fcInformation: {} })).status, 400);
      assert.equal((await patch("CL1-A", { portWwn: "50060e8000000000" })).status, 400);
      assert.equal((await patch("CL1-A", { fcInformation: { portMode: "NVMe" } })).status, 400);
      assert.equal((await patch("CL1-A", { portSecurity: "true" })).status, 400);
    });

    test("View Only may read ports but not change them", async () => {
      assert.equal((await s.get(PORTS, { token: viewer })).status, 200);
      assert.equal((await s.get(`${PORTS}/CL1-A`, { token: viewer })).status, 200);
      const r = await patch("CL1-A", { portSecurity: false }, viewer);
      assert.equal(r.status, 403);
      assert.equal((await s.get(`${PORTS}/CL1-A`)).body.portSecurity, true);
    });
  });
});
