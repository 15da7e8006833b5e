import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Reply, SIMPLE, startServer, type TestServer } from "../support/server.ts";

const SERVERS = `${SIMPLE}/servers`;
const PROVISIONING = "Storage Administrator (Provisioning)";
const VIEW_ONLY = "Storage Administrator (View Only)";

describe("servers", () => {
  let s: TestServer;
  let viewer: string;
  let names = 0;
  let wwns = 0;

  before(async () => {
    s = await startServer();
    viewer = await s.userToken("viewer", [VIEW_ONLY]);
  });
  after(() => s.close());

  /** A nickname no other test uses. */
  const nick = (base = "host") => `${base}-${++names}`;
  /** A WWN no other test uses, lowercase. */
  const wwn = () => `10000000c9${(++wwns).toString(16).padStart(6, "0")}`;

  async function job(r: Reply) {
    assert.equal(r.status, 202, r.text);
    // Multi-resource operations answer an array, one statusResource per resource; the others one.
    for (const { statusResource } of [r.body].flat()) {
      assert.match(statusResource, /^\/ConfigurationManager\/simple\/v1\/objects\/command-status\/\d+$/);
    }
    return s.waitJob(r.body);
  }
  async function ok(r: Reply) {
    const j = await job(r);
    assert.equal(j.status, "normal", JSON.stringify(j));
    return j;
  }
  async function refused(r: Reply, ssb2: string) {
    const j = await job(r);
    assert.equal(j.status, "error", JSON.stringify(j));
    assert.deepEqual(j.errorCode, { SSB1: "2e11", SSB2: ssb2 }, JSON.stringify(j));
    return j;
  }
  async function createServer(body: Record<string, unknown>): Promise<number> {
    const j = await ok(await s.post(SERVERS, body));
    assert.equal(j.operationDetails[0].operationType, "CREATE");
    assert.equal(j.operationDetails[0].resourceType, "Server");
    return Number(j.operationDetails[0].resourceId);
  }
  const fcServer = (extra: Record<string, unknown> = {}) =>
    createServer({ serverNickname: nick(), protocol: "FC", ...extra });
  const iscsiServer = () => createServer({ serverNickname: nick(), protocol: "iSCSI" });
  async function fcServerWithHba(): Promise<{ id: number; hba: string }> {
    const id = await fcServer();
    const hba = wwn();
    await ok(await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: hba }] }));
    return { id, hba };
  }

  describe("registration", () => {
    test("an FC server is registered asynchronously and listed with every field", async () => {
      const nickname = nick("alpha");
      const r = await s.post(SERVERS, {
        serverNickname: nickname,
        protocol: "FC",
        osType: "VMware",
        osTypeOptions: [40, 2],
      });
      const j = await ok(r);
      const id = Number(j.operationDetails[0].resourceId);
      assert.deepEqual(j.affectedResources, [`${SERVERS}/${id}`]);

      const list = await s.get(`${SERVERS}?nickname=${nickname}`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, {
        data: [
          {
            id,
            nickname,
            protocol: "FC",
            osType: "VMware",
            totalCapacity: 0,
            usedCapacity: 0,
            numberOfPaths: 0,
            isInconsistent: false,
            modificationInProgress: false,
            compatibility: "DKCMAIN_8802010000",
            isReserved: false,
            hasUnalignedOsTypes: false,
          },
        ],
        count: 1,
      });

      const one = await s.get(`${SERVERS}/${id}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, {
        id,
        nickname,
        protocol: "FC",
        osType: "VMware",
        osTypeOptions: [2, 40],
        totalCapacity: 0,
        usedCapacity: 0,
        numberOfVolumes: 0,
        numberOfPaths: 0,
        paths: [],
        isInconsistent: false,
        modificationInProgress: false,
        compatibility: "DKCMAIN_8802010000",
        isReserved: false,
        hasUnalignedOsTypes: false,
        hasNonFullmeshLuPaths: false,
        hasUnalignedOsTypeOptions: false,
      });
    });

    test("the OS type defaults to Linux", async () => {
      const id = await iscsiServer();
      const r = await s.get(`${SERVERS}/${id}`);
      assert.equal(r.body.osType, "Linux");
      assert.equal(r.body.protocol, "iSCSI");
      assert.deepEqual(r.body.osTypeOptions, []);
    });

    test("a reserved server ignores protocol and OS type", async () => {
      const id = await createServer({
        serverNickname: nick("shell"),
        isReserved: true,
        protocol: "FC",
        osType: "AIX",
      });
      const r = await s.get(`${SERVERS}/${id}`);
      assert.equal(r.body.protocol, "Undefined");
      assert.equal(r.body.osType, "Undefined");
      assert.equal(r.body.isReserved, true);
    });

    test("protocol is required unless the server is reserved", async () => {
      const r = await s.post(SERVERS, { serverNickname: nick() });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /protocol/);
      assert.equal((await s.post(SERVERS, { serverNickname: nick(), isReserved: false })).status, 400);
    });

    test("IDs are handed out lowest free first", async () => {
      const a = await fcServer();
      const b = await fcServer();
      await ok(await s.delete(`${SERVERS}/${a}`));
      const c = await fcServer();
      assert.equal(c, a);
      assert.ok(b > a);
    });

    test("a nickname of 229 characters is accepted", async () => {
      const nickname = `n${"x".repeat(228)}`;
      const id = await createServer({ serverNickname: nickname, protocol: "FC" });
      assert.equal((await s.get(`${SERVERS}/${id}`)).body.nickname, nickname);
    });

    test("a nickname of 230 characters is 400", async () => {
      const r = await s.post(SERVERS, { serverNickname: `m${"x".repeat(229)}`, protocol: "FC" });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /229/);
    });

    test("an empty nickname is 400", async () => {
      assert.equal((await s.post(SERVERS, { serverNickname: "", protocol: "FC" })).status, 400);
    });

    test("a leading or trailing space is 400, an inner one is fine", async () => {
      assert.equal((await s.post(SERVERS, { serverNickname: " lead", protocol: "FC" })).status, 400);
      assert.equal((await s.post(SERVERS, { serverNickname: "trail ", protocol: "FC" })).status, 400);
      await createServer({ serverNickname: `in ner ${nick()}`, protocol: "FC" });
    });

    test("a leading hyphen is 400", async () => {
      const r = await s.post(SERVERS, { serverNickname: "-dash", protocol: "FC" });
      assert.equal(r.status, 400);
      assert.match(r.body.message, /hyphen/);
    });

    test("characters outside the allowed set are 400", async () => {
      for (const bad of ["a#b", "a*b", "a\tb", "é"]) {
        assert.equal((await s.post(SERVERS, { serverNickname: bad, protocol: "FC" })).status, 400, bad);
      }
    });

    test("every allowed symbol is accepted for FC", async () => {
      await createServer({ serverNickname: `a,b-c.d/e:f@g\\h_i ${nick()}`, protocol: "FC" });
    });

    test("an iSCSI nickname with , / or \\ is 400", async () => {
      for (const bad of ["a,b", "a/b", "a\\b"]) {
        assert.equal((await s.post(SERVERS, { serverNickname: bad, protocol: "iSCSI" })).status, 400, bad);
      }
    });

    test("OS type and options are validated", async () => {
      assert.equal(
        (await s.post(SERVERS, { serverNickname: nick(), protocol: "FC", osType: "BeOS" })).status,
        400,
      );
      assert.equal(
        (await s.post(SERVERS, { serverNickname: nick(), protocol: "FC", osTypeOptions: [256] })).status,
        400,
      );
      assert.equal(
        (await s.post(SERVERS, { serverNickname: nick(), protocol: "FC", osTypeOptions: [-1] })).status,
        400,
      );
      assert.equal(
        (await s.post(SERVERS, { serverNickname: nick(), protocol: "FC", osTypeOptions: [1, 1] })).status,
        400,
      );
      assert.equal((await s.post(SERVERS, { serverNickname: nick(), protocol: "NVMe" })).status, 400);
      const id = await fcServer({ osTypeOptions: [0, 255] });
      assert.deepEqual((await s.get(`${SERVERS}/${id}`)).body.osTypeOptions, [0, 255]);
    });

    test("unknown body fields are 400", async () => {
      assert.equal(
        (await s.post(SERVERS, { serverNickname: nick(), protocol: "FC", color: "red" })).status,
        400,
      );
    });

    test("a duplicate nickname is refused by the array", async () => {
      const nickname = nick("dup");
      await createServer({ serverNickname: nickname, protocol: "FC" });
      const j = await refused(await s.post(SERVERS, { serverNickname: nickname, protocol: "iSCSI" }), "a002");
      assert.equal(j.errorResource, SERVERS);
      assert.match(j.errorMessage, /already used/);
      assert.equal((await s.get(`${SERVERS}?nickname=${nickname}`)).body.count, 1);
    });
  });

  describe("reading", () => {
    test("an absent server is 404, a malformed ID 400", async () => {
      assert.equal((await s.get(`${SERVERS}/4095`)).status, 404);
      assert.equal((await s.get(`${SERVERS}/4096`)).status, 400);
      assert.equal((await s.get(`${SERVERS}/-1`)).status, 400);
      assert.equal((await s.get(`${SERVERS}/abc`)).status, 400);
    });

    test("list filters match exactly", async () => {
      const nickname = nick("filter");
      const { id, hba } = await fcServerWithHba();
      await ok(await s.patch(`${SERVERS}/${id}`, { nickname }));
      assert.deepEqual(
        (await s.get(`${SERVERS}?nickname=${nickname}`)).body.data.map((d: { id: number }) => d.id),
        [id],
      );
      assert.equal((await s.get(`${SERVERS}?nickname=${nickname.slice(0, -1)}`)).body.count, 0);
      const byWwn = await s.get(`${SERVERS}?hbaWwn=${hba.toUpperCase()}`);
      assert.deepEqual(
        byWwn.body.data.map((d: { id: number }) => d.id),
        [id],
      );
      assert.equal((await s.get(`${SERVERS}?hbaWwn=${hba}&nickname=other`)).body.count, 0);

      const iscsi = await iscsiServer();
      const iqn = `iqn.1991-05.com.example:${nick()}`;
      await ok(await s.post(`${SERVERS}/${iscsi}/hbas`, { hbas: [{ iscsiName: iqn }] }));
      assert.deepEqual(
        (await s.get(`${SERVERS}?iscsiName=${iqn}`)).body.data.map((d: { id: number }) => d.id),
        [iscsi],
      );
    });

    test("malformed filters and unknown parameters are 400", async () => {
      assert.equal((await s.get(`${SERVERS}?hbaWwn=123`)).status, 400);
      assert.equal((await s.get(`${SERVERS}?iscsiName=nope`)).status, 400);
      assert.equal((await s.get(`${SERVERS}?color=red`)).status, 400);
    });
  });

  describe("changes", () => {
    test("the nickname changes asynchronously", async () => {
      const id = await fcServer();
      const nickname = nick("renamed");
      const j = await ok(await s.patch(`${SERVERS}/${id}`, { nickname }));
      assert.deepEqual(j.operationDetails, [
        { operationType: "UPDATE", resourceType: "Server", resourceId: String(id) },
      ]);
      assert.equal((await s.get(`${SERVERS}/${id}`)).body.nickname, nickname);
    });

    test("OS type and options change together", async () => {
      const id = await fcServer();
      await ok(await s.patch(`${SERVERS}/${id}`, { osType: "Windows", osTypeOptions: [7] }));
      const r = await s.get(`${SERVERS}/${id}`);
      assert.equal(r.body.osType, "Windows");
      assert.deepEqual(r.body.osTypeOptions, [7]);
    });

    test("nickname with OS settings is one change, as clients send it; an empty body is 400", async () => {
      const id = await fcServer();
      const nickname = nick();
      await ok(await s.patch(`${SERVERS}/${id}`, { nickname, osType: "AIX", osTypeOptions: [1] }));
      const r = await s.get(`${SERVERS}/${id}`);
      assert.equal(r.body.nickname, nickname);
      assert.equal(r.body.osType, "AIX");
      assert.deepEqual(r.body.osTypeOptions, [1]);
      assert.equal((await s.patch(`${SERVERS}/${id}`, {})).status, 400);
    });

    test("the new nickname follows the nickname rules of the server's protocol", async () => {
      const id = await iscsiServer();
      assert.equal((await s.patch(`${SERVERS}/${id}`, { nickname: "a,b" })).status, 400);
      assert.equal((await s.patch(`${SERVERS}/${id}`, { nickname: " x" })).status, 400);
    });

    test("renaming to a taken nickname is refused", async () => {
      const taken = nick("taken");
      await createServer({ serverNickname: taken, protocol: "FC" });
      const id = await fcServer();
      await refused(await s.patch(`${SERVERS}/${id}`, { nickname: taken }), "a002");
    });

    test("the OS type of a reserved server without host groups is refused", async () => {
      const id = await createServer({ serverNickname: nick(), isReserved: true });
      await refused(await s.patch(`${SERVERS}/${id}`, { osType: "AIX" }), "a00d");
    });

    test("changing or deleting an absent server is 404", async () => {
      assert.equal((await s.patch(`${SERVERS}/4000`, { nickname: nick() })).status, 404);
      assert.equal((await s.delete(`${SERVERS}/4000`)).status, 404);
    });
  });

  describe("HBAs", () => {
    test("WWNs are added in any case, kept lowercase, and read back", async () => {
      const id = await fcServer();
      const hba = wwn();
      const j = await ok(await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: hba.toUpperCase() }] }));
      assert.deepEqual(j.affectedResources, [`${SERVERS}/${id}/hbas/${hba}`]);
      const list = await s.get(`${SERVERS}/${id}/hbas`);
      assert.deepEqual(list.body, {
        data: [{ serverId: id, hbaWwn: hba, iscsiName: null, portIds: [] }],
        count: 1,
      });
      const one = await s.get(`${SERVERS}/${id}/hbas/${hba.toUpperCase()}`);
      assert.deepEqual(one.body, { serverId: id, hbaWwn: hba, iscsiName: null, portIds: [] });
      assert.deepEqual((await s.get(`${SERVERS}/${id}`)).body.paths, [
        { hbaWwn: hba, iscsiName: null, portIds: [] },
      ]);
    });

    test("a WWN of 15 or 17 characters, or not hex, is 400", async () => {
      const id = await fcServer();
      for (const bad of ["10000000c9000ab", "10000000c9000abcd", "10000000c9000abg", ""]) {
        assert.equal((await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: bad }] })).status, 400, bad);
      }
      assert.equal((await s.get(`${SERVERS}/${id}/hbas/10000000c9000ab`)).status, 400);
      assert.equal((await s.get(`${SERVERS}/${id}/hbas/10000000c9000abcd`)).status, 400);
      assert.equal((await s.get(`${SERVERS}/${id}/hbas/zz000000c9000abc`)).status, 400);
    });

    test("an absent HBA is 404", async () => {
      const id = await fcServer();
      assert.equal((await s.get(`${SERVERS}/${id}/hbas/${wwn()}`)).status, 404);
      assert.equal((await s.delete(`${SERVERS}/${id}/hbas/${wwn()}`)).status, 404);
      assert.equal((await s.get(`${SERVERS}/4001/hbas`)).status, 404);
      assert.equal((await s.post(`${SERVERS}/4001/hbas`, { hbas: [{ hbaWwn: wwn() }] })).status, 404);
    });

    test("the HBA kind must fit the server's protocol", async () => {
      const fc = await fcServer();
      const iscsi = await iscsiServer();
      const reserved = await createServer({ serverNickname: nick(), isReserved: true });
      assert.equal(
        (await s.post(`${SERVERS}/${fc}/hbas`, { hbas: [{ iscsiName: "iqn.1991-05.com.x:a" }] })).status,
        400,
      );
      assert.equal((await s.post(`${SERVERS}/${iscsi}/hbas`, { hbas: [{ hbaWwn: wwn() }] })).status, 400);
      assert.equal((await s.post(`${SERVERS}/${reserved}/hbas`, { hbas: [{ hbaWwn: wwn() }] })).status, 400);
    });

    test("each item names exactly one of hbaWwn and iscsiName", async () => {
      const id = await fcServer();
      assert.equal((await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{}] })).status, 400);
      assert.equal(
        (await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: wwn(), iscsiName: "iqn.2000-01.a:b" }] }))
          .status,
        400,
      );
      assert.equal((await s.post(`${SERVERS}/${id}/hbas`, { hbas: [] })).status, 400);
    });

    test("iSCSI names in iqn and eui format are accepted; others are 400", async () => {
      const id = await iscsiServer();
      const iqn = `iqn.1991-05.com.microsoft:${nick()}`;
      await ok(
        await s.post(`${SERVERS}/${id}/hbas`, {
          hbas: [{ iscsiName: iqn }, { iscsiName: "eui.0900ABDC32598D26" }],
        }),
      );
      const r = await s.get(`${SERVERS}/${id}/hbas/${iqn}`);
      assert.deepEqual(r.body, { serverId: id, hbaWwn: null, iscsiName: iqn, portIds: [] });
      for (const bad of ["naa.123", "iqn.", "eui.0900ABDC32598D2", `iqn.${"a".repeat(220)}`, "iqn.a b"]) {
        assert.equal(
          (await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ iscsiName: bad }] })).status,
          400,
          bad,
        );
      }
      await ok(await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ iscsiName: `iqn.${"a".repeat(219)}` }] }));
    });

    test("one duplicate WWN among three: the others are added and the job reports each outcome", async () => {
      const other = await fcServerWithHba();
      const id = await fcServer();
      const [a, b] = [wwn(), wwn()];
      const r = await s.post(`${SERVERS}/${id}/hbas`, {
        hbas: [{ hbaWwn: a }, { hbaWwn: other.hba }, { hbaWwn: b }],
      });
      const j = await job(r);
      const url = (name: string) => `${SERVERS}/${id}/hbas/${name}`;
      const detail = (name: string) => ({ operationType: "CREATE", resourceType: "Hba", resourceId: name });
      const message = `The HBA ${other.hba} is already registered to server ${other.id}.`;
      assert.equal(r.body.length, 3, "one statusResource per HBA");
      const ids = j.statuses.map((st: { id: number }) => st.id);
      const added = (n: number, name: string) => ({
        id: ids[n],
        progress: "completed",
        status: "normal",
        affectedResources: [url(name)],
        operationDetails: [detail(name)],
      });
      assert.deepEqual(j.statuses, [
        added(0, a),
        {
          id: ids[1],
          progress: "completed",
          status: "error",
          affectedResources: [],
          operationDetails: [],
          errorResource: url(other.hba),
          errorCode: { SSB1: "2e11", SSB2: "a003" },
          errorMessage: message,
        },
        added(2, b),
      ]);
      const hbas = (await s.get(`${SERVERS}/${id}/hbas`)).body.data.map((h: { hbaWwn: string }) => h.hbaWwn);
      assert.deepEqual(hbas, [a, b].sort());
      assert.equal((await s.get(`${SERVERS}/${other.id}/hbas/${other.hba}`)).status, 200);
    });

    test("the same WWN twice in one request: the second is refused", async () => {
      const id = await fcServer();
      const a = wwn();
      const j = await job(
        await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: a }, { hbaWwn: a.toUpperCase() }] }),
      );
      assert.equal(j.status, "error");
      assert.deepEqual(
        j.statuses.map((st: { status: string }) => st.status),
        ["normal", "error"],
      );
    });

    test("deleting an HBA removes its paths and the host groups they leave empty", async () => {
      const { id, hba } = await fcServerWithHba();
      const keep = wwn();
      await ok(await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: keep }] }));
      await ok(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL1-A", "CL2-A"] }));
      await ok(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: keep, portIds: ["CL2-A"] }));
      const j = await ok(await s.delete(`${SERVERS}/${id}/hbas/${hba}`));
      assert.deepEqual(j.operationDetails, [
        { operationType: "DELETE", resourceType: "Hba", resourceId: hba },
      ]);
      assert.equal((await s.get(`${SERVERS}/${id}/hbas/${hba}`)).status, 404);
      const server = (await s.get(`${SERVERS}/${id}`)).body;
      assert.equal(server.numberOfPaths, 1);
      const targets = (await s.get(`${SERVERS}/${id}/target-iscsi-ports`)).body.data;
      assert.deepEqual(
        targets.map((t: { portId: string }) => t.portId),
        ["CL2-A"],
      );
      // The WWN is free again for another server.
      const other = await fcServer();
      await ok(await s.post(`${SERVERS}/${other}/hbas`, { hbas: [{ hbaWwn: hba }] }));
    });
  });

  describe("paths", () => {
    test("a path creates the host group and shows on the server, the HBA and the path", async () => {
      const { id, hba } = await fcServerWithHba();
      const j = await ok(
        await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba.toUpperCase(), portIds: ["CL3-A", "CL1-B"] }),
      );
      assert.deepEqual(j.affectedResources, [
        `${SERVERS}/${id}/paths/${hba},CL3-A`,
        `${SERVERS}/${id}/paths/${hba},CL1-B`,
      ]);
      assert.deepEqual(
        j.operationDetails.map((d: { resourceId: string }) => d.resourceId),
        [`${hba},CL3-A`, `${hba},CL1-B`],
      );
      const path = await s.get(`${SERVERS}/${id}/paths/${hba},CL3-A`);
      assert.deepEqual(path.body, {
        id: `${hba},CL3-A`,
        serverId: id,
        hbaWwn: hba,
        iscsiName: null,
        portId: "CL3-A",
      });
      const server = (await s.get(`${SERVERS}/${id}`)).body;
      assert.equal(server.numberOfPaths, 2);
      assert.deepEqual(server.paths, [{ hbaWwn: hba, iscsiName: null, portIds: ["CL1-B", "CL3-A"] }]);
      assert.deepEqual((await s.get(`${SERVERS}/${id}/hbas/${hba}`)).body.portIds, ["CL1-B", "CL3-A"]);
      assert.equal((await s.get(`${SERVERS}?nickname=${server.nickname}`)).body.data[0].numberOfPaths, 2);
      assert.deepEqual((await s.get(`${SERVERS}/${id}/target-iscsi-ports`)).body, {
        data: [
          { portId: "CL1-B", targetIscsiName: null },
          { portId: "CL3-A", targetIscsiName: null },
        ],
        count: 2,
      });
    });

    test("a path through a port of the other protocol is refused", async () => {
      const { id, hba } = await fcServerWithHba();
      const j = await refused(
        await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL1-A", "CL1-C"] }),
        "a005",
      );
      assert.match(j.errorMessage, /CL1-C/);
      // All or nothing: the FC port was not added either.
      assert.equal((await s.get(`${SERVERS}/${id}`)).body.numberOfPaths, 0);
    });

    test("a path through a port the array lacks is refused; a malformed port ID is 400", async () => {
      const { id, hba } = await fcServerWithHba();
      await refused(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL9-Z"] }), "a006");
      assert.equal((await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL1A"] })).status, 400);
      assert.equal((await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: [] })).status, 400);
      assert.equal(
        (await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL1-A", "CL1-A"] })).status,
        400,
      );
    });

    test("an HBA of another server, or of none, is refused", async () => {
      const other = await fcServerWithHba();
      const id = await fcServer();
      await refused(
        await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: other.hba, portIds: ["CL1-A"] }),
        "a007",
      );
      await refused(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: wwn(), portIds: ["CL1-A"] }), "a007");
    });

    test("an existing path is refused", async () => {
      const { id, hba } = await fcServerWithHba();
      await ok(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL4-A"] }));
      await refused(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL4-A"] }), "a008");
    });

    test("the body names exactly one HBA of the server's kind", async () => {
      const { id, hba } = await fcServerWithHba();
      assert.equal((await s.post(`${SERVERS}/${id}/paths`, { portIds: ["CL1-A"] })).status, 400);
      assert.equal(
        (
          await s.post(`${SERVERS}/${id}/paths`, {
            hbaWwn: hba,
            iscsiName: "iqn.2000-01.a:b",
            portIds: ["CL1-A"],
          })
        ).status,
        400,
      );
      assert.equal(
        (await s.post(`${SERVERS}/${id}/paths`, { iscsiName: "iqn.2000-01.a:b", portIds: ["CL1-C"] })).status,
        400,
      );
    });

    test("path IDs: malformed is 400, absent is 404", async () => {
      const { id, hba } = await fcServerWithHba();
      assert.equal((await s.get(`${SERVERS}/${id}/paths/${hba}`)).status, 400);
      assert.equal((await s.get(`${SERVERS}/${id}/paths/${hba},CL1A`)).status, 400);
      assert.equal((await s.get(`${SERVERS}/${id}/paths/123,CL1-A`)).status, 400);
      assert.equal((await s.get(`${SERVERS}/${id}/paths/${hba},CL1-A`)).status, 404);
      assert.equal((await s.delete(`${SERVERS}/${id}/paths/${hba},CL1-A`)).status, 404);
    });

    test("deleting the last path of a host group removes the host group", async () => {
      const { id, hba } = await fcServerWithHba();
      const second = wwn();
      await ok(await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: second }] }));
      await ok(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL2-B"] }));
      await ok(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: second, portIds: ["CL2-B"] }));
      const j = await ok(await s.delete(`${SERVERS}/${id}/paths/${hba},CL2-B`));
      assert.deepEqual(j.operationDetails, [
        { operationType: "DELETE", resourceType: "Path", resourceId: `${hba},CL2-B` },
      ]);
      assert.equal((await s.get(`${SERVERS}/${id}/target-iscsi-ports`)).body.count, 1);
      await ok(await s.delete(`${SERVERS}/${id}/paths/${second},CL2-B`));
      assert.equal((await s.get(`${SERVERS}/${id}/target-iscsi-ports`)).body.count, 0);
      assert.equal((await s.get(`${SERVERS}/${id}/target-iscsi-ports/CL2-B`)).status, 404);
      assert.equal((await s.get(`${SERVERS}/${id}`)).body.numberOfPaths, 0);
    });
  });

  describe("iSCSI targets", () => {
    async function iscsiServerWithPath(portId: string) {
      const id = await iscsiServer();
      const iqn = `iqn.1991-05.com.example:${nick("init")}`;
      await ok(await s.post(`${SERVERS}/${id}/hbas`, { hbas: [{ iscsiName: iqn }] }));
      await ok(await s.post(`${SERVERS}/${id}/paths`, { iscsiName: iqn, portIds: [portId] }));
      return { id, iqn };
    }

    test("each host group has a target named after its port and number", async () => {
      const { id, iqn } = await iscsiServerWithPath("CL4-D");
      const port = (await s.get(`${SIMPLE}/ports/CL4-D`)).body.portIscsiName as string;
      assert.match(port, /000$/);
      const expected = `${port.slice(0, -3)}001`;
      assert.deepEqual((await s.get(`${SERVERS}/${id}/target-iscsi-ports`)).body, {
        data: [{ portId: "CL4-D", targetIscsiName: expected }],
        count: 1,
      });
      assert.deepEqual((await s.get(`${SERVERS}/${id}/target-iscsi-ports/CL4-D`)).body, {
        portId: "CL4-D",
        targetIscsiName: expected,
      });
      const path = (await s.get(`${SERVERS}/${id}/paths/${iqn},CL4-D`)).body;
      assert.deepEqual(path, {
        id: `${iqn},CL4-D`,
        serverId: id,
        hbaWwn: null,
        iscsiName: iqn,
        portId: "CL4-D",
      });
      // A second server on the same port gets the next host group number.
      const second = await iscsiServerWithPath("CL4-D");
      assert.equal(
        (await s.get(`${SERVERS}/${second.id}/target-iscsi-ports/CL4-D`)).body.targetIscsiName,
        `${port.slice(0, -3)}002`,
      );
    });

    test("the target name changes asynchronously", async () => {
      const { id } = await iscsiServerWithPath("CL3-D");
      const name = `iqn.rest.example.of.iqn.${nick("tgt")}`;
      const j = await ok(
        await s.patch(`${SERVERS}/${id}/target-iscsi-ports/CL3-D`, { targetIscsiName: name }),
      );
      assert.deepEqual(j.affectedResources, [`${SERVERS}/${id}/target-iscsi-ports/CL3-D`]);
      assert.equal((await s.get(`${SERVERS}/${id}/target-iscsi-ports/CL3-D`)).body.targetIscsiName, name);
      await ok(
        await s.patch(`${SERVERS}/${id}/target-iscsi-ports/CL3-D`, {
          targetIscsiName: "eui.0900ABDC32598D27",
        }),
      );
    });

    test("a target name used elsewhere in the array is refused", async () => {
      const a = await iscsiServerWithPath("CL2-D");
      const b = await iscsiServerWithPath("CL2-D");
      const name = `iqn.2020-01.com.example:${nick("shared")}`;
      await ok(await s.patch(`${SERVERS}/${a.id}/target-iscsi-ports/CL2-D`, { targetIscsiName: name }));
      await refused(
        await s.patch(`${SERVERS}/${b.id}/target-iscsi-ports/CL2-D`, { targetIscsiName: name }),
        "a00a",
      );
      const portName = (await s.get(`${SIMPLE}/ports/CL1-C`)).body.portIscsiName;
      await refused(
        await s.patch(`${SERVERS}/${b.id}/target-iscsi-ports/CL2-D`, { targetIscsiName: portName }),
        "a00a",
      );
    });

    test("malformed names, FC servers, malformed and absent ports", async () => {
      const { id } = await iscsiServerWithPath("CL1-D");
      for (const bad of ["target", "iqn.", "eui.12", "iqn.a_b"]) {
        assert.equal(
          (await s.patch(`${SERVERS}/${id}/target-iscsi-ports/CL1-D`, { targetIscsiName: bad })).status,
          400,
          bad,
        );
      }
      assert.equal((await s.patch(`${SERVERS}/${id}/target-iscsi-ports/CL1-D`, {})).status, 400);
      assert.equal(
        (await s.patch(`${SERVERS}/${id}/target-iscsi-ports/CL1D`, { targetIscsiName: "iqn.a.b" })).status,
        400,
      );
      assert.equal(
        (await s.patch(`${SERVERS}/${id}/target-iscsi-ports/CL3-C`, { targetIscsiName: "iqn.a.b" })).status,
        404,
      );
      assert.equal((await s.get(`${SERVERS}/${id}/target-iscsi-ports/CL3-C`)).status, 404);
      const fc = await fcServerWithHba();
      await ok(await s.post(`${SERVERS}/${fc.id}/paths`, { hbaWwn: fc.hba, portIds: ["CL1-A"] }));
      assert.equal(
        (await s.patch(`${SERVERS}/${fc.id}/target-iscsi-ports/CL1-A`, { targetIscsiName: "iqn.a.b" }))
          .status,
        400,
      );
    });
  });

  describe("host groups", () => {
    test("host groups move into a reserved server with their HBAs and paths", async () => {
      const source = await fcServerWithHba();
      await ok(await s.post(`${SERVERS}/${source.id}/paths`, { hbaWwn: source.hba, portIds: ["CL4-B"] }));
      const sourceName = (await s.get(`${SERVERS}/${source.id}`)).body.nickname;
      const target = await createServer({ serverNickname: nick("adopter"), isReserved: true });
      const j = await ok(
        await s.post(`${SERVERS}/${target}/actions/add-host-groups/invoke`, {
          hostGroups: [{ portId: "CL4-B", hostGroupName: sourceName }],
        }),
      );
      assert.deepEqual(j.operationDetails, [
        { operationType: "UPDATE", resourceType: "Server", resourceId: String(target) },
      ]);
      const adopted = (await s.get(`${SERVERS}/${target}`)).body;
      assert.equal(adopted.protocol, "FC");
      assert.equal(adopted.osType, "Linux");
      assert.equal(adopted.isReserved, false);
      assert.deepEqual(adopted.paths, [{ hbaWwn: source.hba, iscsiName: null, portIds: ["CL4-B"] }]);
      const left = (await s.get(`${SERVERS}/${source.id}`)).body;
      assert.equal(left.numberOfPaths, 0);
      assert.deepEqual(left.paths, []);
      assert.deepEqual(
        (await s.get(`${SERVERS}?hbaWwn=${source.hba}`)).body.data.map((d: { id: number }) => d.id),
        [target],
      );
    });

    test("by number; sync-host-group-names renames the host groups after the nickname", async () => {
      const source = await fcServerWithHba();
      await ok(await s.post(`${SERVERS}/${source.id}/paths`, { hbaWwn: source.hba, portIds: ["CL3-B"] }));
      const renamed = nick("synced");
      await ok(await s.patch(`${SERVERS}/${source.id}`, { nickname: renamed }));
      const target = await createServer({ serverNickname: nick(), isReserved: true });
      const byName = { hostGroups: [{ portId: "CL3-B", hostGroupName: renamed }] };
      // A nickname change leaves the host group names as they were, until they are synchronised.
      await refused(await s.post(`${SERVERS}/${target}/actions/add-host-groups/invoke`, byName), "a00b");
      const j = await ok(await s.post(`${SERVERS}/${source.id}/actions/sync-host-group-names/invoke`));
      assert.deepEqual(j.affectedResources, [`${SERVERS}/${source.id}`]);
      await ok(await s.post(`${SERVERS}/${target}/actions/add-host-groups/invoke`, byName));
      assert.equal((await s.get(`${SERVERS}/${target}`)).body.numberOfPaths, 1);
    });

    test("adopting: absent, own and split host groups are refused", async () => {
      const source = await fcServerWithHba();
      await ok(
        await s.post(`${SERVERS}/${source.id}/paths`, { hbaWwn: source.hba, portIds: ["CL1-A", "CL2-A"] }),
      );
      const target = await createServer({ serverNickname: nick(), isReserved: true });
      const invoke = (id: number, hostGroups: unknown[]) =>
        s.post(`${SERVERS}/${id}/actions/add-host-groups/invoke`, { hostGroups });
      await refused(await invoke(target, [{ portId: "CL1-A", hostGroupId: 254 }]), "a00b");
      // Host group 0 is every port's default group, of no server: another reserved server takes it.
      const other = await createServer({ serverNickname: nick(), isReserved: true });
      await ok(await invoke(other, [{ portId: "CL4-B", hostGroupId: 0 }]));
      const adopted = (await s.get(`${SERVERS}/${other}`)).body;
      assert.deepEqual([adopted.protocol, adopted.isReserved, adopted.numberOfPaths], ["FC", false, 0]);
      await refused(await invoke(target, [{ portId: "CL9-A", hostGroupId: 1 }]), "a006");
      const name = (await s.get(`${SERVERS}/${source.id}`)).body.nickname;
      // The HBA also reaches the array through CL2-A: taking CL1-A alone would split it.
      await refused(await invoke(target, [{ portId: "CL1-A", hostGroupName: name }]), "a00c");
      await refused(await invoke(source.id, [{ portId: "CL1-A", hostGroupName: name }]), "a00c");
      await ok(
        await invoke(target, [
          { portId: "CL1-A", hostGroupName: name },
          { portId: "CL2-A", hostGroupName: name },
        ]),
      );
      assert.equal((await s.get(`${SERVERS}/${target}`)).body.numberOfPaths, 2);
    });

    test("adopting host groups of the other protocol is refused", async () => {
      const fc = await fcServerWithHba();
      await ok(await s.post(`${SERVERS}/${fc.id}/paths`, { hbaWwn: fc.hba, portIds: ["CL3-A"] }));
      const iscsi = await iscsiServer();
      const name = (await s.get(`${SERVERS}/${fc.id}`)).body.nickname;
      await refused(
        await s.post(`${SERVERS}/${iscsi}/actions/add-host-groups/invoke`, {
          hostGroups: [{ portId: "CL3-A", hostGroupName: name }],
        }),
        "a005",
      );
    });

    test("each host group names exactly one of number and name; absent servers are 404", async () => {
      const id = await createServer({ serverNickname: nick(), isReserved: true });
      const invoke = (hostGroups: unknown) =>
        s.post(`${SERVERS}/${id}/actions/add-host-groups/invoke`, { hostGroups });
      assert.equal((await invoke([{ portId: "CL1-A" }])).status, 400);
      assert.equal((await invoke([{ portId: "CL1-A", hostGroupId: 1, hostGroupName: "x" }])).status, 400);
      assert.equal((await invoke([{ portId: "CL1-A", hostGroupId: 255 }])).status, 400);
      assert.equal((await invoke([{ portId: "CL1-A", hostGroupId: -1 }])).status, 400);
      assert.equal((await invoke([])).status, 400);
      assert.equal(
        (
          await s.post(`${SERVERS}/4002/actions/add-host-groups/invoke`, {
            hostGroups: [{ portId: "CL1-A", hostGroupId: 1 }],
          })
        ).status,
        404,
      );
      assert.equal((await s.post(`${SERVERS}/4002/actions/sync-host-group-names/invoke`)).status, 404);
      assert.equal(
        (await s.post(`${SERVERS}/${id}/actions/sync-host-group-names/invoke`, { x: 1 })).status,
        400,
      );
    });
  });

  describe("deletion", () => {
    test("deleting a server removes its HBAs, paths and host groups", async () => {
      const { id, hba } = await fcServerWithHba();
      await ok(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL4-A"] }));
      const j = await ok(await s.delete(`${SERVERS}/${id}`, { body: { keepLunConfig: false } }));
      assert.deepEqual(j.operationDetails, [
        { operationType: "DELETE", resourceType: "Server", resourceId: String(id) },
      ]);
      assert.equal((await s.get(`${SERVERS}/${id}`)).status, 404);
      assert.equal((await s.get(`${SERVERS}?hbaWwn=${hba}`)).body.count, 0);
      // Nothing is left behind: the same WWN and the same port serve a new server.
      const again = await fcServer();
      await ok(await s.post(`${SERVERS}/${again}/hbas`, { hbas: [{ hbaWwn: hba }] }));
      await ok(await s.post(`${SERVERS}/${again}/paths`, { hbaWwn: hba, portIds: ["CL4-A"] }));
    });

    test("DELETE takes no body, or keepLunConfig only", async () => {
      const id = await fcServer();
      assert.equal((await s.delete(`${SERVERS}/${id}`, { body: { other: true } })).status, 400);
      assert.equal((await s.delete(`${SERVERS}/${id}`, { body: { keepLunConfig: "yes" } })).status, 400);
      await ok(await s.delete(`${SERVERS}/${id}`, { body: { keepLunConfig: true } }));
    });

    test("keepLunConfig leaves the host groups, with their HBAs and LUNs, for another server to take", async () => {
      const pool = await ok(
        await s.post(`${SIMPLE}/pools`, {
          name: nick("pool"),
          drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
        }),
      );
      const poolId = Number(pool.operationDetails[0].resourceId);
      const volumes = await ok(await s.post(`${SIMPLE}/volumes`, { capacity: 1024, number: 2, poolId }));
      const volumeIds = volumes.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId));
      const source = await fcServerWithHba();
      await ok(
        await s.post(`${SERVERS}/${source.id}/paths`, { hbaWwn: source.hba, portIds: ["CL3-A", "CL4-A"] }),
      );
      await ok(await s.post(`${SIMPLE}/volume-server-connections`, { volumeIds, serverIds: [source.id] }));
      const name = (await s.get(`${SERVERS}/${source.id}`)).body.nickname;
      await ok(await s.delete(`${SERVERS}/${source.id}`, { body: { keepLunConfig: true } }));
      assert.equal((await s.get(`${SERVERS}/${source.id}`)).status, 404);
      assert.equal((await s.get(`${SERVERS}?hbaWwn=${source.hba}`)).body.count, 0);
      // The volumes are still presented through the groups left behind: they cannot be deleted.
      const kept = await job(await s.delete(`${SIMPLE}/volumes/${volumeIds[0]}`));
      assert.deepEqual(kept.errorCode, { SSB1: "2e30", SSB2: "0005" }, JSON.stringify(kept));

      const target = await createServer({ serverNickname: nick(), isReserved: true });
      await ok(
        await s.post(`${SERVERS}/${target}/actions/add-host-groups/invoke`, {
          hostGroups: [
            { portId: "CL3-A", hostGroupName: name },
            { portId: "CL4-A", hostGroupName: name },
          ],
        }),
      );
      const taken = (await s.get(`${SERVERS}/${target}`)).body;
      assert.deepEqual(
        [taken.protocol, taken.isReserved, taken.numberOfPaths, taken.numberOfVolumes],
        ["FC", false, 2, 2],
      );
      assert.deepEqual(taken.paths, [{ hbaWwn: source.hba, iscsiName: null, portIds: ["CL3-A", "CL4-A"] }]);
      const conns = (await s.get(`${SIMPLE}/volume-server-connections?serverId=${target}`)).body.data;
      assert.deepEqual(
        conns.map((c: { volumeId: number; luns: unknown[] }) => [c.volumeId, c.luns]),
        volumeIds.map((v: number, i: number) => [
          v,
          [
            { lun: i, portId: "CL3-A" },
            { lun: i, portId: "CL4-A" },
          ],
        ]),
      );
    });

    test("a server's volumes count in its capacities and go with it", async () => {
      const pool = await ok(
        await s.post(`${SIMPLE}/pools`, {
          name: nick("pool"),
          drives: [{ driveTypeCode: "SNR5A-R960NC", dataDriveCount: 5, raidLevel: "RAID5" }],
        }),
      );
      const poolId = Number(pool.operationDetails[0].resourceId);
      const volumes = await ok(await s.post(`${SIMPLE}/volumes`, { capacity: 1024, number: 2, poolId }));
      const volumeIds = volumes.operationDetails.map((d: { resourceId: string }) => Number(d.resourceId));
      const { id } = await fcServerWithHba();
      await ok(await s.post(`${SIMPLE}/volume-server-connections`, { volumeIds, serverIds: [id] }));
      const server = (await s.get(`${SERVERS}/${id}`)).body;
      assert.equal(server.numberOfVolumes, 2);
      assert.equal(server.totalCapacity, 2048);
      await ok(await s.delete(`${SERVERS}/${id}`));
      const conns = await s.get(`${SIMPLE}/volume-server-connections?serverId=${id}`);
      assert.equal(conns.body.count, 0);
      const volume = (await s.get(`${SIMPLE}/volumes/${volumeIds[0]}`)).body;
      assert.equal(volume.numberOfConnectingServers, 0);
    });
  });

  describe("permissions", () => {
    test("View Only may read but not change", async () => {
      const { id, hba } = await fcServerWithHba();
      await ok(await s.post(`${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL1-B"] }));
      const as = { token: viewer };
      assert.equal((await s.get(SERVERS, as)).status, 200);
      assert.equal((await s.get(`${SERVERS}/${id}`, as)).status, 200);
      assert.equal((await s.get(`${SERVERS}/${id}/hbas`, as)).status, 200);
      assert.equal((await s.get(`${SERVERS}/${id}/paths/${hba},CL1-B`, as)).status, 200);
      const denied: [string, string, unknown][] = [
        ["POST", SERVERS, { serverNickname: nick(), protocol: "FC" }],
        ["PATCH", `${SERVERS}/${id}`, { nickname: nick() }],
        ["DELETE", `${SERVERS}/${id}`, undefined],
        ["POST", `${SERVERS}/${id}/hbas`, { hbas: [{ hbaWwn: wwn() }] }],
        ["DELETE", `${SERVERS}/${id}/hbas/${hba}`, undefined],
        ["POST", `${SERVERS}/${id}/paths`, { hbaWwn: hba, portIds: ["CL2-B"] }],
        ["DELETE", `${SERVERS}/${id}/paths/${hba},CL1-B`, undefined],
        ["PATCH", `${SERVERS}/${id}/target-iscsi-ports/CL1-B`, { targetIscsiName: "iqn.a.b" }],
        [
          "POST",
          `${SERVERS}/${id}/actions/add-host-groups/invoke`,
          { hostGroups: [{ portId: "CL1-A", hostGroupId: 1 }] },
        ],
        ["POST", `${SERVERS}/${id}/actions/sync-host-group-names/invoke`, undefined],
      ];
      for (const [method, url, body] of denied) {
        const r = await s.request(method, url, { ...as, ...(body !== undefined ? { body } : {}) });
        assert.equal(r.status, 403, `${method} ${url}`);
      }
      assert.equal((await s.get(`${SERVERS}/${id}`)).body.numberOfPaths, 1);
    });

    test("a Provisioning user may change", async () => {
      const token = await s.userToken("provisioner", [PROVISIONING]);
      const r = await s.post(SERVERS, { serverNickname: nick(), protocol: "FC" }, { token });
      const j = await s.waitJob(r.body, token);
      assert.equal(j.status, "normal");
    });
  });
});
