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
          actualPortSpeed: "NUMBER_32",
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

    test("every port reports the speed its link runs at", async () => {
      const ports = (await s.get(PORTS)).body.data as {
        id: string;
        protocol: string;
        portSpeed: string;
        actualPortSpeed: string;
      }[];
      assert.equal(ports.length, 16);
      for (const p of ports) {
        // Auto-negotiating FC links come up at their SFP's rate: 32 Gbps on A ports, 64 on B ports.
        const expected =
          p.protocol === "iSCSI" ? "NUMBER_10" : p.id.endsWith("-B") ? "NUMBER_64" : "NUMBER_32";
        assert.equal(p.actualPortSpeed, expected, p.id);
      }
      const b = (await s.get(`${PORTS}/CL4-B`)).body;
      assert.equal(b.fcInformation.sfpDataTransferRate, "NUMBER_64");
      assert.equal(b.actualPortSpeed, "NUMBER_64");
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

  describe("speeds the clients send", () => {
    // Both clients offer NUMBER_0 (auto) and 1, 4, 8, 10, 16, 25, 32, 64 and 100 Gbps.
    const CLIENT_SPEEDS = ["NUMBER_0", "NUMBER_1", "NUMBER_4", "NUMBER_8", "NUMBER_10"].concat([
      "NUMBER_16",
      "NUMBER_25",
      "NUMBER_32",
      "NUMBER_64",
      "NUMBER_100",
    ]);

    const speedsTaken = async (id: string) => {
      const taken: string[] = [];
      for (const portSpeed of CLIENT_SPEEDS) {
        const before = (await s.get(`${PORTS}/${id}`)).body;
        const r = await patch(id, { portSpeed });
        const after = (await s.get(`${PORTS}/${id}`)).body;
        if (r.status === 200) {
          taken.push(portSpeed);
          assert.equal(after.portSpeed, portSpeed);
          assert.equal(
            after.actualPortSpeed,
            portSpeed === "NUMBER_0" ? after.fcInformation.sfpDataTransferRate : portSpeed,
          );
        } else {
          assert.equal(r.status, 400, `${id} ${portSpeed}: ${r.text}`);
          assert.match(
            r.body.message,
            new RegExp(`${portSpeed} is not available on port ${id}.*give one of NUMBER_0`),
          );
          assert.deepEqual(after, before, `${id} ${portSpeed} changed nothing`);
        }
      }
      return taken;
    };

    test("a 32 Gbps FC port takes auto, 8, 16 and 32 Gbps and refuses the rest", async () => {
      assert.deepEqual(await speedsTaken("CL4-A"), ["NUMBER_0", "NUMBER_8", "NUMBER_16", "NUMBER_32"]);
    });

    test("a 64 Gbps FC port takes auto, 16, 32 and 64 Gbps and refuses the rest", async () => {
      assert.deepEqual(await speedsTaken("CL3-B"), ["NUMBER_0", "NUMBER_16", "NUMBER_32", "NUMBER_64"]);
    });

    test("an iSCSI port accepts every speed a client sends and stays at 10 Gbps", async () => {
      for (const portSpeed of CLIENT_SPEEDS) {
        assert.equal((await patch("CL1-C", { portSpeed })).status, 200, portSpeed);
        const p = (await s.get(`${PORTS}/CL1-C`)).body;
        assert.equal(p.portSpeed, "NUMBER_10");
        assert.equal(p.actualPortSpeed, "NUMBER_10");
      }
    });

    test("a speed the API does not name is 400 on any port", async () => {
      for (const portSpeed of ["NUMBER_3", "NUMBER_128", "32", 32, "number_32", null]) {
        assert.equal((await patch("CL4-A", { portSpeed })).status, 400, String(portSpeed));
        assert.equal((await patch("CL1-C", { portSpeed })).status, 400, String(portSpeed));
      }
    });
  });

  describe("FC values the clients send", () => {
    test("alPa with a 0x prefix is 400 and says so", async () => {
      const r = await patch("CL2-B", { fcInformation: { alPa: "0x01" } });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /without a 0x prefix/);
      assert.equal((await s.get(`${PORTS}/CL2-B`)).body.fcInformation.alPa, "EF");
    });

    test("the Ansible FC change (speed, security, every fcInformation field) is applied", async () => {
      const r = await patch("CL2-B", {
        portSpeed: "NUMBER_16",
        portSecurity: false,
        fcInformation: { alPa: "01", fabricSwitchSetting: true, connectionType: "Point_To_Point" },
      });
      assert.equal(r.status, 200, r.text);
      const p = (await s.get(`${PORTS}/CL2-B`)).body;
      assert.equal(p.portSpeed, "NUMBER_16");
      assert.equal(p.actualPortSpeed, "NUMBER_16");
      assert.equal(p.fcInformation.alPa, "01");
    });

    test("a refused change leaves every setting of the body unchanged", async () => {
      const before = (await s.get(`${PORTS}/CL4-B`)).body;
      const r = await patch("CL4-B", {
        portSecurity: false,
        portSpeed: "NUMBER_8",
        fcInformation: { connectionType: "FC_AL" },
      });
      assert.equal(r.status, 400);
      assert.deepEqual((await s.get(`${PORTS}/CL4-B`)).body, before);
    });
  });

  describe("iSCSI bodies the clients send", () => {
    const iscsi = async (id: string) => (await s.get(`${PORTS}/${id}`)).body.iscsiInformation;

    test("the Ansible iSCSI change, with addresses given as linklocal and global, is applied", async () => {
      const r = await patch("CL2-C", {
        portSpeed: "NUMBER_25",
        portSecurity: true,
        iscsiInformation: {
          vlanUse: true,
          addVlanId: 100,
          ipMode: "ipv4v6",
          ipv4Information: {
            address: "192.168.1.100",
            subnetMask: "255.255.255.0",
            defaultGateway: "192.168.1.1",
          },
          ipv6Information: { linklocal: "fe80::1", global: "2001:db8::100", defaultGateway: "2001:db8::1" },
          tcpPort: 3260,
          selectiveAck: true,
          delayedAck: false,
          windowSize: "NUMBER_256K",
          mtuSize: "NUMBER_9000",
          keepAliveTimer: 300,
          isnsServerMode: true,
          isnsServerIpAddress: "192.168.1.200",
          isnsServerPort: 3205,
          virtualPortEnabled: false,
        },
      });
      assert.equal(r.status, 200, r.text);
      const p = (await s.get(`${PORTS}/CL2-C`)).body;
      assert.equal(p.portSpeed, "NUMBER_10");
      const i = p.iscsiInformation;
      assert.deepEqual(i.vlanIds, [100]);
      assert.deepEqual(i.ipv4Information, {
        address: "192.168.1.100",
        subnetMask: "255.255.255.0",
        defaultGateway: "192.168.1.1",
      });
      assert.deepEqual(i.ipv6Information, {
        linklocal: "Manual",
        linklocalAddress: "fe80::1",
        linklocalAddressStatus: "VALID",
        global: "Manual",
        globalAddress: "2001:db8::100",
        globalAddressStatus: "VALID",
        defaultGateway: "2001:db8::1",
      });
      assert.equal(i.delayedAck, false);
      assert.equal(i.windowSize, "NUMBER_256K");
      assert.equal(i.keepAliveTimer, 300);
      assert.equal(i.isnsServerIpAddress, "192.168.1.200");
      assert.equal(i.virtualPortEnabled, false);
    });

    test("virtualPortEnabled is a setting", async () => {
      assert.equal((await patch("CL2-C", { iscsiInformation: { virtualPortEnabled: true } })).status, 200);
      assert.equal((await iscsi("CL2-C")).virtualPortEnabled, true);
      assert.equal((await patch("CL2-C", { iscsiInformation: { virtualPortEnabled: "yes" } })).status, 400);
    });

    test("window sizes 16K to 1024K are accepted; others are 400", async () => {
      for (const windowSize of ["NUMBER_16K", "NUMBER_32K", "NUMBER_64K", "NUMBER_1024K"]) {
        assert.equal((await patch("CL2-C", { iscsiInformation: { windowSize } })).status, 200, windowSize);
        assert.equal((await iscsi("CL2-C")).windowSize, windowSize);
      }
      for (const windowSize of ["NUMBER_2048K", "NUMBER_8K", "number_64k", "64K"]) {
        assert.equal((await patch("CL2-C", { iscsiInformation: { windowSize } })).status, 400, windowSize);
      }
      assert.equal((await iscsi("CL2-C")).windowSize, "NUMBER_1024K");
    });

    test("the Terraform ipv4Information: empty strings leave settings as they are", async () => {
      const before = await iscsi("CL1-C");
      const r = await patch("CL1-C", {
        iscsiInformation: { ipv4Information: { address: "10.20.0.7", subnetMask: "", defaultGateway: "" } },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual((await iscsi("CL1-C")).ipv4Information, {
        ...before.ipv4Information,
        address: "10.20.0.7",
      });
      const none = { address: "", subnetMask: "", defaultGateway: "" };
      assert.equal((await patch("CL1-C", { iscsiInformation: { ipv4Information: none } })).status, 200);
      assert.equal((await iscsi("CL1-C")).ipv4Information.address, "10.20.0.7");
    });

    test("the Terraform ipv6Information: all seven fields, empty ones left as they are", async () => {
      const empty = {
        linklocal: "",
        linklocalAddress: "",
        linklocalAddressStatus: "",
        global: "",
        globalAddress: "",
        globalAddressStatus: "",
        defaultGateway: "",
      };
      const before = await iscsi("CL1-C");
      const r = await patch("CL1-C", {
        iscsiInformation: {
          ipv6Information: { ...empty, global: "2001:db8:7::7", defaultGateway: "2001:db8:7::1" },
        },
      });
      assert.equal(r.status, 200, r.text);
      const v6 = (await iscsi("CL1-C")).ipv6Information;
      assert.deepEqual(v6, {
        ...before.ipv6Information,
        global: "Manual",
        globalAddress: "2001:db8:7::7",
        globalAddressStatus: "VALID",
        defaultGateway: "2001:db8:7::1",
      });
      assert.equal((await patch("CL1-C", { iscsiInformation: { ipv6Information: empty } })).status, 200);
      assert.deepEqual((await iscsi("CL1-C")).ipv6Information, v6);
    });

    test("the IPv6 statuses and an automatic address sent back as reported are accepted and ignored", async () => {
      const before = await iscsi("CL3-D");
      assert.equal(before.ipv6Information.linklocal, "Auto");
      const r = await patch("CL3-D", { iscsiInformation: { ipv6Information: before.ipv6Information } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(await iscsi("CL3-D"), before);
    });

    test("a changed status is 400 and the whole change is refused", async () => {
      const before = await iscsi("CL3-D");
      const r = await patch("CL3-D", {
        iscsiInformation: {
          tcpPort: 3261,
          ipv6Information: { globalAddressStatus: "VALID", defaultGateway: "2001:db8::9" },
        },
      });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /globalAddressStatus" is reported by the array.*reports "INVALID"/);
      assert.deepEqual(await iscsi("CL3-D"), before);
    });

    test("a status sent with a manual address may be the one the change brings about", async () => {
      const r = await patch("CL4-D", {
        iscsiInformation: {
          ipv6Information: { global: "Manual", globalAddress: "2001:db8:4::4", globalAddressStatus: "VALID" },
        },
      });
      assert.equal(r.status, 200, r.text);
      const v6 = (await iscsi("CL4-D")).ipv6Information;
      assert.equal(v6.globalAddress, "2001:db8:4::4");
      assert.equal(v6.globalAddressStatus, "VALID");
      const back = await patch("CL4-D", {
        iscsiInformation: { ipv6Information: { globalAddressStatus: "INVALID" } },
      });
      assert.equal(back.status, 400);
      assert.equal((await iscsi("CL4-D")).ipv6Information.globalAddressStatus, "VALID");
    });

    test("an address given with Auto must be the one the port has", async () => {
      const before = await iscsi("CL3-D");
      const r = await patch("CL3-D", {
        iscsiInformation: { ipv6Information: { linklocal: "Auto", linklocalAddress: "fe80::99" } },
      });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /assigned automatically/);
      assert.deepEqual(await iscsi("CL3-D"), before);
    });

    test("malformed or conflicting IPv6 settings are 400", async () => {
      const bad = [
        { linklocal: "2001:db8::1" },
        { linklocal: "auto" },
        { linklocalAddress: "2001:db8::1" },
        { global: "fe80::1" },
        { globalAddress: "fe80::1" },
        { defaultGateway: "10.0.0.1" },
        { linklocal: "fe80::1", linklocalAddress: "fe80::2" },
        { linklocalAddressStatus: 1 },
      ];
      const before = await iscsi("CL4-D");
      for (const ipv6Information of bad) {
        const r = await patch("CL4-D", { iscsiInformation: { ipv6Information } });
        assert.equal(r.status, 400, JSON.stringify(ipv6Information));
        assert.match(r.body.message, /ipv6Information/, JSON.stringify(ipv6Information));
      }
      assert.deepEqual(await iscsi("CL4-D"), before);
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
