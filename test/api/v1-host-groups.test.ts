/**
 * Host groups, host WWNs / iSCSI names and LUN paths on the full API (v1): each port's default
 * group, the steps a host-attach client takes (make a group, set its host mode, register the
 * initiator, give the LDEV a LUN, take it all back), the refusals it branches on, and the same
 * array seen through the simple face's servers and connections.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FULL, type Reply, SIMPLE, startServer, type TestServer } from "../support/server.ts";
import { heldChanges, lastPart, v1Array } from "../support/v1.ts";

describe("v1 host groups, initiators and LUN paths", () => {
  let s: TestServer;
  let scoped: string;
  let poolId: number;
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${process.pid % 1000}-${++seq}`;
  const wwn = () => `10000000${String(++seq).padStart(8, "0")}`;

  const { change, succeeded } = heldChanges(() => s, [200, 202]);

  async function volume(): Promise<number> {
    const r = await s.post(`${SIMPLE}/volumes`, { capacity: 1024, poolId });
    const done = await s.waitJob(r.body);
    return Number(done.operationDetails[0].resourceId);
  }

  before(async () => {
    s = await startServer();
    ({ scoped, poolId } = await v1Array(s, "hg-pool"));
  });
  after(() => s.close());

  test("every FC and iSCSI port has its default host group 0, on both path forms", async () => {
    for (const base of [FULL, scoped]) {
      const r = await s.get(`${base}/host-groups?portId=CL1-A`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.data[0], {
        hostGroupId: "CL1-A,0",
        portId: "CL1-A",
        hostGroupNumber: 0,
        hostGroupName: "1A-G00",
        hostMode: "LINUX/IRIX",
        hostModeOptions: [],
      });
    }
    const iscsi = await s.get(`${FULL}/host-groups/CL1-C,0`);
    assert.equal(iscsi.status, 200, iscsi.text);
    assert.equal(iscsi.body.hostGroupName, "1C-G00");
    assert.match(iscsi.body.iscsiName, /^iqn\./);
  });

  test("FC attach and detach as a host-attach client does it", async () => {
    const initiator = wwn();
    const name = `HBSD-${initiator}`;
    const made = await succeeded("POST", `${scoped}/host-groups`, { portId: "CL2-A", hostGroupName: name });
    const [port, gid] = lastPart(made).split(",");
    assert.equal(port, "CL2-A");
    const group = `${scoped}/host-groups/CL2-A,${gid}`;
    await succeeded("PUT", group, { hostMode: "LINUX/IRIX", hostModeOptions: [91] });
    await succeeded("POST", `${scoped}/host-wwns`, {
      hostWwn: initiator,
      portId: "CL2-A",
      hostGroupNumber: Number(gid),
    });
    const wwns = await s.get(`${scoped}/host-wwns?portId=CL2-A&hostGroupName=${name}`);
    assert.deepEqual(
      wwns.body.data.map((w: { hostWwn: string; hostGroupNumber: number }) => [w.hostWwn, w.hostGroupNumber]),
      [[initiator, Number(gid)]],
    );
    assert.deepEqual((await s.get(group)).body.hostModeOptions, [91]);

    const ldev = await volume();
    const lun = await succeeded("POST", `${scoped}/luns`, {
      portId: "CL2-A",
      hostGroupNumber: Number(gid),
      ldevId: ldev,
    });
    assert.equal(lastPart(lun), `CL2-A,${gid},0`);
    // The same path again: the array answers that it is defined (B958/015A), which clients ignore.
    const again = await change("POST", `${scoped}/luns`, {
      portId: "CL2-A",
      hostGroupNumber: Number(gid),
      ldevId: ldev,
    });
    assert.equal(again.state, "Failed");
    assert.deepEqual([again.error.errorCode.SSB1, again.error.errorCode.SSB2], ["b958", "015a"]);
    // Another LDEV at a LUN taken: B958/0947.
    const other = await volume();
    const taken = await change("POST", `${scoped}/luns`, {
      portId: "CL2-A",
      hostGroupNumber: Number(gid),
      ldevId: other,
      lun: 0,
    });
    assert.deepEqual([taken.error.errorCode.SSB1, taken.error.errorCode.SSB2], ["b958", "0947"]);

    const luns = await s.get(
      `${scoped}/luns?portId=CL2-A&hostGroupNumber=${gid}&isBasicLunInformation=False`,
    );
    assert.equal(luns.status, 200, luns.text);
    assert.deepEqual(
      luns.body.data.map((l: { lun: number; ldevId: number; hostMode: string }) => [
        l.lun,
        l.ldevId,
        l.hostMode,
      ]),
      [[0, ldev, "LINUX/IRIX"]],
    );
    // The volume is presented: the simple face refuses to delete it.
    const del = await s.waitJob((await s.delete(`${SIMPLE}/volumes/${ldev}`)).body);
    assert.equal(del.status, "error");

    await succeeded("DELETE", `${scoped}/luns/CL2-A,${gid},0`);
    assert.deepEqual((await s.get(`${scoped}/luns?portId=CL2-A&hostGroupNumber=${gid}`)).body.data, []);
    await succeeded("DELETE", group);
    assert.equal((await s.get(group)).status, 404);
    assert.deepEqual((await s.get(`${scoped}/host-wwns?portId=CL2-A&hostGroupName=${name}`)).body, {
      data: [],
    });
  });

  test("iSCSI: a group with its own target name and an initiator", async () => {
    const initiator = `iqn.1994-05.com.example:${unique("host")}`;
    const made = await succeeded("POST", `${FULL}/host-groups`, {
      portId: "CL2-C",
      hostGroupName: "HBSD-192.0.2.10",
      iscsiName: `${initiator}.hbsd-target`,
    });
    const gid = Number(lastPart(made).split(",")[1]);
    await succeeded("PUT", `${FULL}/host-groups/CL2-C,${gid}`, {
      hostMode: "LINUX/IRIX",
      hostModeOptions: [83, 91],
    });
    await succeeded("POST", `${FULL}/host-iscsis`, {
      iscsiName: initiator,
      portId: "CL2-C",
      hostGroupNumber: gid,
    });
    const group = (await s.get(`${FULL}/host-groups/CL2-C,${gid}`)).body;
    assert.equal(group.iscsiName, `${initiator}.hbsd-target`);
    assert.deepEqual(group.hostModeOptions, [83, 91]);
    const names = await s.get(`${FULL}/host-iscsis?portId=CL2-C&hostGroupName=HBSD-192.0.2.10`);
    assert.deepEqual(
      names.body.data.map((i: { iscsiName: string; hostIscsiId: string }) => [i.iscsiName, i.hostIscsiId]),
      [[initiator, `CL2-C,${gid},${initiator}`]],
    );
    // A WWN has no place on an iSCSI port, nor the same group name twice on a port.
    const wrong = await change("POST", `${FULL}/host-wwns`, {
      hostWwn: wwn(),
      portId: "CL2-C",
      hostGroupNumber: gid,
    });
    assert.equal(wrong.state, "Failed");
    const twice = await change("POST", `${FULL}/host-groups`, {
      portId: "CL2-C",
      hostGroupName: "HBSD-192.0.2.10",
    });
    assert.equal(twice.state, "Failed");
  });

  test("a server's host groups are host groups, its connections LUN paths, both ways", async () => {
    const nickname = unique("srv");
    const created = await s.waitJob(
      (await s.post(`${SIMPLE}/servers`, { serverNickname: nickname, protocol: "FC", osType: "VMware" }))
        .body,
    );
    const serverId = Number(created.operationDetails[0].resourceId);
    const hba = wwn();
    await s.waitJob((await s.post(`${SIMPLE}/servers/${serverId}/hbas`, { hbas: [{ hbaWwn: hba }] })).body);
    await s.waitJob(
      (await s.post(`${SIMPLE}/servers/${serverId}/paths`, { hbaWwn: hba, portIds: ["CL3-A", "CL4-A"] }))
        .body,
    );
    const groups = (await s.get(`${FULL}/host-groups?portId=CL3-A`)).body.data;
    const mine = groups.find((g: { hostGroupName: string }) => g.hostGroupName === nickname);
    assert.equal(mine.hostMode, "VMWARE_EX");
    const gid = mine.hostGroupNumber;
    assert.deepEqual(
      (await s.get(`${FULL}/host-wwns?portId=CL3-A&hostGroupNumber=${gid}`)).body.data.map(
        (w: { hostWwn: string }) => w.hostWwn,
      ),
      [hba],
    );

    // A LUN path through one of the server's groups is a connection, presented on both ports.
    const ldev = await volume();
    await succeeded("POST", `${FULL}/luns`, { portId: "CL3-A", hostGroupNumber: gid, ldevId: ldev, lun: 7 });
    const conn = (await s.get(`${SIMPLE}/volume-server-connections/${ldev},${serverId}`)).body;
    assert.deepEqual(conn.luns, [
      { lun: 7, portId: "CL3-A" },
      { lun: 7, portId: "CL4-A" },
    ]);
    const onCl4 = (await s.get(`${FULL}/luns?portId=CL4-A`)).body.data.filter(
      (l: { ldevId: number }) => l.ldevId === ldev,
    );
    assert.deepEqual(
      onCl4.map((l: { lun: number }) => l.lun),
      [7],
    );
    // A connection made on the simple face shows as LUN paths in every group of the server.
    const second = await volume();
    await s.waitJob(
      (await s.post(`${SIMPLE}/volume-server-connections`, { volumeIds: [second], serverIds: [serverId] }))
        .body,
    );
    const paths = (await s.get(`${FULL}/luns?ldevId=${second}`)).body.data;
    assert.deepEqual(
      paths.map((l: { portId: string }) => l.portId),
      ["CL3-A", "CL4-A"],
    );
    // A page of LDEVs reads the paths of all its LDEVs at once: each shows them as its own GET does.
    const [low, high] = [Math.min(ldev, second), Math.max(ldev, second)];
    const page = (await s.get(`${FULL}/ldevs?headLdevId=${low}&count=${high - low + 1}`)).body.data;
    for (const listed of page) {
      assert.deepEqual(listed, (await s.get(`${FULL}/ldevs/${listed.ldevId}`)).body);
    }
    for (const id of [ldev, second]) {
      const listed = page.find((l: { ldevId: number }) => l.ldevId === id);
      assert.deepEqual(
        listed?.ports.map((p: { portId: string }) => p.portId),
        ["CL3-A", "CL4-A"],
      );
    }

    // Removing the path through one group removes the server's connection, on every port.
    await succeeded("DELETE", `${FULL}/luns/CL3-A,${gid},7`);
    assert.equal((await s.get(`${SIMPLE}/volume-server-connections/${ldev},${serverId}`)).status, 404);
    assert.deepEqual((await s.get(`${FULL}/luns?ldevId=${ldev}`)).body.data, []);
  });

  test("malformed IDs, queries and bodies are 400; absent objects 404; nothing changes", async () => {
    const before = (await s.get(`${FULL}/host-groups?portId=CL1-B`)).body.data.length;
    const bad: [string, string, unknown?][] = [
      ["GET", `${FULL}/host-groups/CL1-A`],
      ["GET", `${FULL}/host-groups/CL1-A,x`],
      ["GET", `${FULL}/host-groups/CL1-A,255`],
      ["GET", `${FULL}/host-groups/cl1-a,1`],
      ["GET", `${FULL}/host-groups?portId=CL1`],
      ["GET", `${FULL}/host-wwns`],
      ["GET", `${FULL}/host-wwns?portId=CL1-A&hostGroupNumber=1&hostGroupName=a`],
      ["GET", `${FULL}/luns`],
      ["GET", `${FULL}/luns/CL1-A,1`],
      ["GET", `${FULL}/luns/CL1-A,1,2048`],
      ["POST", `${FULL}/host-groups`, { portId: "CL1-B" }],
      ["POST", `${FULL}/host-groups`, { portId: "CL1-B", hostGroupName: "a,b" }],
      ["POST", `${FULL}/host-groups`, { portId: "CL1-B", hostGroupName: "x".repeat(65) }],
      ["POST", `${FULL}/host-groups`, { portId: "CL1-B", hostGroupName: "ok", hostMode: "BOGUS" }],
      ["POST", `${FULL}/host-groups`, { portId: "CL1-B", hostGroupName: "ok", hostModeOptions: [128] }],
      ["POST", `${FULL}/host-groups`, { portId: "CL1-B", hostGroupName: "ok", extra: 1 }],
      ["PUT", `${FULL}/host-groups/CL1-B,0`, {}],
      ["POST", `${FULL}/host-wwns`, { hostWwn: "xyz", portId: "CL1-B", hostGroupNumber: 0 }],
      ["POST", `${FULL}/host-iscsis`, { iscsiName: "not-an-iqn", portId: "CL1-C", hostGroupNumber: 0 }],
      ["POST", `${FULL}/luns`, { portId: "CL1-B", hostGroupNumber: 0 }],
      ["POST", `${FULL}/luns`, { portId: "CL1-B", hostGroupNumber: 0, ldevId: -1 }],
    ];
    for (const [method, url, body] of bad) {
      const r: Reply = await s.request(method, url, body === undefined ? {} : { body });
      assert.equal(r.status, 400, `${method} ${url} ${JSON.stringify(body)}: ${r.status} ${r.text}`);
      assert.equal(typeof r.body.messageId, "string");
    }
    const absent: [string, string, unknown?][] = [
      ["GET", `${FULL}/host-groups/CL1-A,200`],
      ["GET", `${FULL}/host-groups/CL9-Z,1`],
      ["GET", `${FULL}/host-groups?portId=CL9-Z`],
      ["GET", `${FULL}/luns/CL1-A,0,5`],
      ["DELETE", `${FULL}/host-groups/CL1-A,200`],
      ["DELETE", `${FULL}/luns/CL1-A,0,5`],
      ["POST", `${FULL}/luns`, { portId: "CL1-B", hostGroupNumber: 0, ldevId: 60000 }],
      ["POST", `${FULL}/host-wwns`, { hostWwn: wwn(), portId: "CL1-B", hostGroupNumber: 200 }],
    ];
    for (const [method, url, body] of absent) {
      const r: Reply = await s.request(method, url, body === undefined ? {} : { body });
      assert.equal(r.status, 404, `${method} ${url}: ${r.status} ${r.text}`);
    }
    assert.equal((await s.get(`${FULL}/host-groups?portId=CL1-B`)).body.data.length, before);
  });

  test("View Only reads host groups but changes none", async () => {
    const viewer = await s.userToken(unique("viewer"), ["Storage Administrator (View Only)"]);
    assert.equal((await s.get(`${FULL}/host-groups?portId=CL1-A`, { token: viewer })).status, 200);
    const denied = await s.request("POST", `${FULL}/host-groups`, {
      token: viewer,
      body: { portId: "CL1-A", hostGroupName: unique("nope") },
    });
    assert.equal(denied.status, 403, denied.text);
  });
});
