/**
 * The array as a whole: its export (GET /blockplane/v1/array/export), a new store started from it
 * (--seed), and the reset that is there without fault injection. The round trip: state built
 * through both faces of the API, exported, loaded into a new server, exported again — the same
 * document, and the API reads the same. Then the seed's refusals (a store that holds an array, a
 * file that is not an export, an identity that disagrees), each one line, and the reset.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { assemble } from "../../src/server.ts";
import { SeedRefused } from "../../src/services/array-state.ts";
import { killAllServers, spawnServer, tempDir } from "../support/process.ts";
import {
  ADMIN_PASSWORD,
  basic,
  FULL,
  freshDatabase,
  SIMPLE,
  startServer,
  type TestServer,
} from "../support/server.ts";
import { heldChanges, v1Array } from "../support/v1.ts";

const EXPORT = "/blockplane/v1/array/export";
const RESET = "/blockplane/v1/array/actions/reset/invoke";
const FAULT_RESET = "/blockplane/v1/faults/actions/reset-array/invoke";
const SECURITY = "Security Administrator (View & Modify)";
const VIEW = "Storage Administrator (View Only)";

/** The reads whose answers a seeded server must repeat. */
const READS = [
  `${SIMPLE}/storage`,
  `${SIMPLE}/pools`,
  `${SIMPLE}/drives`,
  `${SIMPLE}/volumes`,
  `${SIMPLE}/volumes/0/qos-setting`,
  `${SIMPLE}/servers`,
  `${SIMPLE}/servers/0/hbas`,
  `${SIMPLE}/servers/0/paths/10000090fa0000a1,CL1-A`,
  `${SIMPLE}/volume-server-connections`,
  `${SIMPLE}/snapshots`,
  `${SIMPLE}/snapshot-groups`,
  `${SIMPLE}/ports`,
  `${FULL}/storages`,
  `${FULL}/ldevs?ldevOption=defined&count=100`,
  `${FULL}/host-groups`,
  `${FULL}/luns?portId=CL1-A`,
  "/blockplane/v1/users",
];

/** Builds an array with something in every section, through the API. */
async function buildState(s: TestServer): Promise<void> {
  const ok = async (r: { status: number; body: unknown; text: string }) => {
    assert.ok(r.status === 200 || r.status === 202, r.text);
    if (r.status === 202) {
      const job = await s.waitJob(r.body as never);
      assert.equal(job.status, "normal", JSON.stringify(job));
    }
  };
  const { poolId } = await v1Array(s, "fixture-pool");
  await ok(
    await s.post(`${SIMPLE}/volumes`, {
      poolId,
      capacity: 1024,
      number: 3,
      nicknameParam: { baseName: "fx" },
    }),
  );
  await ok(
    await s.patch(`${SIMPLE}/volumes/1/qos-setting`, {
      threshold: { isUpperIopsEnabled: true, upperIops: 5000 },
    }),
  );
  await ok(
    await s.post(`${SIMPLE}/servers`, { serverNickname: "fc-host", protocol: "FC", osType: "VMware" }),
  );
  await ok(await s.post(`${SIMPLE}/servers`, { serverNickname: "iscsi-host", protocol: "iSCSI" }));
  await ok(await s.post(`${SIMPLE}/servers/0/hbas`, { hbas: [{ hbaWwn: "10000090fa0000a1" }] }));
  await ok(
    await s.post(`${SIMPLE}/servers/0/paths`, { hbaWwn: "10000090fa0000a1", portIds: ["CL1-A", "CL2-A"] }),
  );
  await ok(
    await s.post(`${SIMPLE}/servers/1/hbas`, { hbas: [{ iscsiName: "iqn.2000-01.com.example:host1" }] }),
  );
  await ok(
    await s.post(`${SIMPLE}/servers/1/paths`, {
      iscsiName: "iqn.2000-01.com.example:host1",
      portIds: ["CL1-C"],
    }),
  );
  await ok(await s.post(`${SIMPLE}/volume-server-connections`, { volumeIds: [0, 1], serverIds: [0, 1] }));
  await ok(
    await s.post(`${SIMPLE}/snapshots`, {
      params: [
        { masterVolumeId: 0, poolId, snapshotGroupName: "nightly" },
        { masterVolumeId: 1, poolId, snapshotGroupName: "nightly" },
      ],
    }),
  );
  await ok(await s.patch(`${SIMPLE}/ports/CL4-A`, { portSecurity: false }));
  await heldChanges(() => s).succeeded("POST", `${FULL}/host-groups`, {
    portId: "CL3-A",
    hostGroupName: "of-no-server",
  });
  await s.userToken("fixture-viewer", [VIEW]);
}

describe("array export, seed and reset", { timeout: 300_000 }, () => {
  let source: TestServer;
  let seeded: TestServer;
  const dir = tempDir("blockplane-array-state-");
  const seedFile = path.join(dir, "fixture.json");
  // biome-ignore lint/suspicious/noExplicitAny: the export document, read by the tests
  let exported: any;

  before(async () => {
    source = await startServer();
    await buildState(source);
  });
  after(async () => {
    await source?.close();
    await seeded?.close();
    await killAllServers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the export holds every section, in the format's order, without password hashes", async () => {
    const r = await source.get(EXPORT);
    assert.equal(r.status, 200, r.text);
    exported = r.body;
    assert.equal(exported.format, "blockplane-array/1");
    assert.deepEqual(exported.array, {
      model: "VSP E1090",
      serial: "700001",
      nickname: "blockplane",
      gumVersion: source.config.array.gumVersion,
      dkcMicroVersion: source.config.array.dkcMicroVersion,
    });
    for (const section of ["pools", "volumes", "volumeQos", "servers", "hbas", "connections", "snapshots"]) {
      assert.ok(exported[section].length > 0, section);
    }
    assert.equal(exported.volumes.length, 3);
    assert.deepEqual(
      exported.hbas.map((h: { name: string; kind: string }) => [h.name, h.kind]),
      [
        ["10000090fa0000a1", "wwn"],
        ["iqn.2000-01.com.example:host1", "iscsi"],
      ],
    );
    assert.ok(exported.hostGroups.some((g: { hostGroupName: string }) => g.hostGroupName === "of-no-server"));
    assert.ok(exported.lunPaths.length >= 6, "two volumes in each of the servers' three groups");
    assert.equal(exported.ports.find((p: { id: string }) => p.id === "CL4-A").portSecurity, false);
    assert.deepEqual(
      exported.snapshots.map((x: { snapshotGroupName: string }) => x.snapshotGroupName),
      ["nightly", "nightly"],
    );
    // Drives in their natural order, times as ISO text.
    assert.deepEqual(
      exported.drives.slice(0, 3).map((d: { location: string }) => d.location),
      ["0-0", "0-1", "0-2"],
    );
    assert.match(exported.pools[0].createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      exported.users.map((u: { name: string }) => u.name),
      ["admin", "fixture-viewer"],
    );
    assert.ok(exported.users.every((u: object) => !("passwordHash" in u)));
    // A second export of the unchanged array is the same text.
    assert.equal((await source.get(EXPORT)).text, r.text);
  });

  test("password hashes only when asked for", async () => {
    const r = await source.get(`${EXPORT}?passwordHashes=true`);
    assert.equal(r.status, 200, r.text);
    for (const u of r.body.users) assert.match(u.passwordHash, /^\$argon2id\$/);
    assert.equal((await source.get(`${EXPORT}?passwordHashes=maybe`)).status, 400);
  });

  test("only a Security Administrator exports or resets", async () => {
    const viewer = await source.userToken("array-provisioner", ["Storage Administrator (Provisioning)"]);
    assert.equal((await source.get(EXPORT, { token: viewer })).status, 403);
    assert.equal((await source.post(RESET, undefined, { token: viewer })).status, 403);
    assert.equal((await source.get(EXPORT, { token: null })).status, 401);
    const r = await source.delete(
      `/blockplane/v1/users/${(await source.get("/blockplane/v1/users")).body.data.at(-1).id}`,
    );
    assert.equal(r.status, 200, r.text);
  });

  test("a new server seeded from the export exports the same document and reads the same", async () => {
    fs.writeFileSync(seedFile, JSON.stringify(exported, null, 2));
    seeded = await startServer({ BLOCKPLANE_SEED: seedFile, BLOCKPLANE_ARRAY_MODEL: "" });
    const again = await seeded.get(EXPORT);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, exported);
    for (const url of READS) {
      const [a, b] = [await source.get(url), await seeded.get(url)];
      assert.equal(b.status, a.status, `${url}: ${b.text}`);
      assert.deepEqual(b.body, a.body, url);
    }
    // The seeded array goes on as an array: a new volume takes the next free ID.
    const made = await seeded.post(`${SIMPLE}/volumes`, { poolId: exported.pools[0].id, capacity: 1024 });
    const job = await seeded.waitJob(made.body[0].statusResource);
    assert.equal(job.operationDetails[0].resourceId, "3");
  });

  test("a seeded user without a hash cannot log in until given a password; with the hashes it can", async () => {
    const login = (s: TestServer, password: string) =>
      s.post(`${SIMPLE}/sessions`, undefined, {
        token: null,
        headers: { authorization: basic("fixture-viewer", password) },
      });
    assert.equal((await login(seeded, "fixture-viewer-password")).status, 401);
    const id = exported.users.find((u: { name: string }) => u.name === "fixture-viewer").id;
    const set = await seeded.patch(`/blockplane/v1/users/${id}`, { password: "a-new-password" });
    assert.equal(set.status, 200, set.text);
    assert.equal((await login(seeded, "a-new-password")).status, 200);

    const withHashes = (await source.get(`${EXPORT}?passwordHashes=true`)).body;
    const file = path.join(dir, "with-hashes.json");
    fs.writeFileSync(file, JSON.stringify(withHashes));
    // No --admin-password: the file's admin hash stands.
    const other = await startServer({ BLOCKPLANE_SEED: file, BLOCKPLANE_ADMIN_PASSWORD: "" });
    try {
      assert.equal(other.adminToken.length, 32, "the admin logged in with the source's password");
      assert.equal(other.bp.initialAdmin?.password, undefined, "no password was generated");
      assert.equal((await login(other, "fixture-viewer-password")).status, 200);
    } finally {
      await other.close();
    }
  });

  test("a hand-written seed: users with plain passwords, and the admin made when it is absent", async () => {
    const file = path.join(dir, "hand.json");
    const t = "2025-01-02T03:04:05.000Z";
    const ci = { id: 7, name: "ci", roles: [SECURITY], createdAt: t, updatedAt: t, password: "ci-password" };
    fs.writeFileSync(file, JSON.stringify({ ...exported, users: [ci] }));
    const s = await startServer({ BLOCKPLANE_SEED: file });
    try {
      const users = (await s.get("/blockplane/v1/users")).body.data;
      assert.deepEqual(
        users.map((u: { id: number; name: string }) => [u.id, u.name]),
        [
          [7, "ci"],
          [8, "admin"],
        ],
      );
      const r = await s.post(`${SIMPLE}/sessions`, undefined, {
        token: null,
        headers: { authorization: basic("ci", "ci-password") },
      });
      assert.equal(r.status, 200, r.text);
      const made = await s.post("/blockplane/v1/users", {
        name: "later",
        password: "later-password",
        roles: [VIEW],
      });
      assert.equal(made.body.id, 9);
    } finally {
      await s.close();
    }
  });

  /** Assembles a server on `env`, answering the refusal it meets (or failing if it starts). */
  async function refusal(env: Record<string, string>): Promise<string> {
    const config = loadConfig([], {
      BLOCKPLANE_LOG_LEVEL: "silent",
      BLOCKPLANE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      BLOCKPLANE_OVERLOAD_EVENT_LOOP_DELAY_MS: "0",
      ...env,
    });
    try {
      const bp = await assemble(config);
      await bp.close();
    } catch (err) {
      assert.ok(err instanceof SeedRefused, String(err));
      assert.doesNotMatch(err.message, /\n/);
      return err.message;
    }
    assert.fail("the server started");
  }
  const storeOf = (s: TestServer): Record<string, string> =>
    s.config.databaseUrl
      ? { BLOCKPLANE_DATABASE_URL: s.config.databaseUrl }
      : { BLOCKPLANE_DATA_DIR: s.dataDir };

  test("a store that holds an array is refused, unless it was seeded from the same file", async () => {
    assert.match(
      await refusal({ ...storeOf(source), BLOCKPLANE_SEED: seedFile, BLOCKPLANE_ARRAY_MODEL: "VSP E1090" }),
      /^the store already holds an array, and --seed loads only a new one: .*--store memory/,
    );
    const other = path.join(dir, "other.json");
    fs.writeFileSync(other, JSON.stringify(exported).replace(/"fx/g, '"fy'));
    assert.match(
      await refusal({ ...storeOf(seeded), BLOCKPLANE_SEED: other }),
      /^the store already holds an array seeded from another file/,
    );
    // The seeded store with its own file again: a restart keeps it as it is now.
    const restart = await assemble(
      loadConfig([], { ...storeOf(seeded), BLOCKPLANE_SEED: seedFile, BLOCKPLANE_LOG_LEVEL: "silent" }),
    );
    try {
      assert.equal(restart.initialAdmin, undefined);
      const doc = await restart.arrayState.export();
      assert.equal(doc.volumes.length, 4, "the volume made after seeding is still there");
    } finally {
      await restart.close();
    }
  });

  test("a file that is not an export, or not a consistent one, is refused before the store is touched", async () => {
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };
    const doc = (change: (d: typeof exported) => void) => {
      const copy = structuredClone(exported);
      change(copy);
      return JSON.stringify(copy);
    };
    const cases: [string, string, RegExp][] = [
      ["missing.json", "", /^the seed file .*missing-for-real\.json cannot be read \(ENOENT\)\.$/],
      ["not-json.json", "{ pools: [", /is not JSON/],
      ["array.json", "[1, 2]", /is not an array export of Blockplane: it is not a JSON object\.$/],
      ["foreign.json", '{"name": "terraform state"}', /it has no "format"/],
      [
        "newer.json",
        doc((d) => (d.format = "blockplane-array/2")),
        /its format is "blockplane-array\/2", which this Blockplane does not read/,
      ],
      [
        "bad-type.json",
        doc((d) => (d.volumes[0].totalCapacity = "1 GiB")),
        /is not a valid array export: \/volumes\/0\/totalCapacity must be integer\.$/,
      ],
      [
        "extra.json",
        doc((d) => (d.pools[0].colour = "blue")),
        /\/pools\/0 has a field it does not know, "colour"/,
      ],
      [
        "dangling.json",
        doc((d) => (d.connections[0].serverId = 99)),
        /\/connections\/0 names serverId 99, which is not in "servers"/,
      ],
      [
        "twice.json",
        doc((d) => d.volumes.push(d.volumes[0])),
        /"volumes" does not fit the array: .*(UNIQUE|duplicate key)/,
      ],
      [
        "model.json",
        doc((d) => (d.array.model = "VSP Z9")),
        /holds a VSP Z9, which is not a model Blockplane simulates/,
      ],
      [
        "no-security.json",
        doc((d) => (d.users = [{ ...d.users[0], roles: [VIEW] }])),
        /gives no user the role "Security Administrator \(View & Modify\)"/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      const file = name === "missing.json" ? path.join(dir, "missing-for-real.json") : write(name, text);
      const env: Record<string, string> = { BLOCKPLANE_SEED: file };
      if (process.env.BLOCKPLANE_TEST_DATABASE_URL) {
        env.BLOCKPLANE_DATABASE_URL = await freshDatabase(process.env.BLOCKPLANE_TEST_DATABASE_URL);
      } else env.BLOCKPLANE_DATA_DIR = tempDir("blockplane-seed-refused-");
      const message = await refusal(env);
      assert.match(message, expected, name);
      if (env.BLOCKPLANE_DATA_DIR && !/does not fit|gives no user/.test(message)) {
        assert.equal(fs.existsSync(path.join(env.BLOCKPLANE_DATA_DIR, "blockplane.db")), false, name);
      }
    }
  });

  test("the seed names the array's identity; a flag that disagrees is refused", async () => {
    const file = path.join(dir, "identity.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ ...exported, array: { ...exported.array, serial: "812345", nickname: "lab" } }),
    );
    assert.match(
      await refusal({
        BLOCKPLANE_DATA_DIR: tempDir(),
        BLOCKPLANE_SEED: file,
        BLOCKPLANE_ARRAY_SERIAL: "700001",
      }),
      /holds an array whose serial is "812345", but --array-serial says "700001"/,
    );
    assert.match(
      await refusal({
        BLOCKPLANE_DATA_DIR: tempDir(),
        BLOCKPLANE_SEED: file,
        BLOCKPLANE_ARRAY_MODEL: "VSP One B28",
      }),
      /whose model is "VSP E1090", but --array-model says "VSP One B28"/,
    );
    const s = await startServer({ BLOCKPLANE_SEED: file, BLOCKPLANE_ARRAY_MODEL: "" });
    try {
      const storage = (await s.get(`${SIMPLE}/storage`)).body;
      assert.equal(storage.serial, "812345");
      assert.equal(storage.nickname, "lab");
      assert.equal((await s.get(`${FULL}/storages`)).body.data[0].storageDeviceId, "900000812345");
    } finally {
      await s.close();
    }
  });

  test("the server process says a refused seed in one line and exits 1", async () => {
    const file = path.join(dir, "broken.json");
    fs.writeFileSync(file, '{"format": "blockplane-array/1"}');
    const p = await spawnServer({ args: ["--seed", file] });
    const exit = await p.exited;
    assert.equal(exit.code, 1);
    assert.match(
      p.stderr(),
      /^blockplane: cannot start: the seed file .*broken\.json is not a valid array export: \/ lacks "array"\.\n$/,
    );
  });

  test("reset returns the array to its factory state without fault injection; the fault API's reset stays away", async () => {
    const fresh = await startServer();
    try {
      assert.equal((await seeded.post(FAULT_RESET)).status, 404);
      const r = await seeded.post(RESET);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.operationDetails, [
        { operationType: "UPDATE", resourceType: "Storage", resourceId: "instance" },
      ]);
      const [reset, factory] = [(await seeded.get(EXPORT)).body, (await fresh.get(EXPORT)).body];
      for (const section of Object.keys(factory).filter((k) => k !== "users")) {
        assert.deepEqual(reset[section], factory[section], section);
      }
      assert.deepEqual(reset.volumes, []);
      // Users stay.
      assert.equal(reset.users.length, exported.users.length);
    } finally {
      await fresh.close();
    }
  });

  test("with faults on, both resets are there and do the same", async () => {
    const s = await startServer({ BLOCKPLANE_FAULTS: "on" });
    try {
      await v1Array(s, "to-remove");
      assert.equal((await s.post(FAULT_RESET)).status, 200);
      assert.deepEqual((await s.get(EXPORT)).body.pools, []);
      await v1Array(s, "to-remove-too");
      assert.equal((await s.post(RESET)).status, 200);
      assert.deepEqual((await s.get(EXPORT)).body.pools, []);
    } finally {
      await s.close();
    }
  });
});
