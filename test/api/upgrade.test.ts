/**
 * A store made by an earlier version opens in this one with its state carried over: the schema
 * is brought up to date by the migrations, on whichever backend the suite runs on.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "kysely";
import { openStore } from "../../src/store/db.ts";
import { tempDir } from "../support/process.ts";
import { freshDatabase } from "../support/server.ts";

test("host groups, paths and connections of a store before 007 become host groups, initiators and LUN paths", async () => {
  const pgUrl = process.env.BLOCKPLANE_TEST_DATABASE_URL || undefined;
  const place = {
    dataDir: tempDir("bp-upgrade-"),
    databaseUrl: pgUrl === undefined ? undefined : await freshDatabase(pgUrl),
  };
  const old = await openStore({ ...place, schemaUpTo: "006_job_requests" });
  try {
    // The rows an earlier version wrote for: FC ports CL1-A and CL2-A, server 3 with HBA w1 seen
    // through both (host groups 1 and 2), volume 7 connected at LUN 5, and iSCSI port CL1-B.
    const db = old.db;
    await sql`insert into ports (id, protocol, wwn, iscsi_name, port_speed, port_security, settings) values
      ('CL1-A', 'FC', '50060e8000000000', null, 'NUMBER_0', 1, '{}'),
      ('CL2-A', 'FC', '50060e8000000001', null, 'NUMBER_0', 1, '{}'),
      ('CL1-B', 'iSCSI', null, 'iqn.1994-04.jp.co.hitachi:rsd.h8m.t.00001.1b000', 'NUMBER_10', 1, '{}')`.execute(
      db,
    );
    await sql`insert into pools (id, name, raid_level, drive_type_code, total_capacity, threshold_warning,
      threshold_depletion, is_encryption_enabled, created_at) values (0, 'p', 'RAID5', 'X', 100000, 70, 80, 0, 1)`.execute(
      db,
    );
    await sql`insert into volumes (id, nickname, pool_id, total_capacity, used_capacity, saving_setting,
      is_data_reduction_share_enabled, created_at) values (7, 'v', 0, 1024, 0, 'DISABLE', 0, 1)`.execute(db);
    await sql`insert into servers (id, nickname, protocol, os_type, os_type_options, is_reserved, created_at)
      values (3, 'esx-1', 'FC', 'VMware', '[2,22]', 0, 1)`.execute(db);
    await sql`insert into hbas (name, server_id, kind) values ('1000000000000001', 3, 'wwn')`.execute(db);
    await sql`insert into host_groups (server_id, port_id, host_group_number, host_group_name, target_iscsi_name)
      values (3, 'CL1-A', 1, 'esx-1', null), (3, 'CL2-A', 2, 'esx-1', null)`.execute(db);
    await sql`insert into paths (server_id, hba_name, port_id) values
      (3, '1000000000000001', 'CL1-A'), (3, '1000000000000001', 'CL2-A')`.execute(db);
    await sql`insert into connections (volume_id, server_id, lun) values (7, 3, 5)`.execute(db);
  } finally {
    await old.close();
  }

  const store = await openStore(place);
  try {
    const groups = await store.db
      .selectFrom("host_groups")
      .selectAll()
      .orderBy("port_id")
      .orderBy("host_group_number")
      .execute();
    assert.deepEqual(
      groups.map((g) => [
        g.port_id,
        Number(g.host_group_number),
        g.host_group_name,
        g.host_mode,
        g.host_mode_options,
        g.server_id === null ? null : Number(g.server_id),
        g.target_iscsi_name,
      ]),
      [
        ["CL1-A", 0, "1A-G00", "LINUX/IRIX", "[]", null, null],
        ["CL1-A", 1, "esx-1", "VMWARE_EX", "[2,22]", 3, null],
        ["CL1-B", 0, "1B-G00", "LINUX/IRIX", "[]", null, "iqn.1994-04.jp.co.hitachi:rsd.h8m.t.00001.1b000"],
        ["CL2-A", 0, "2A-G00", "LINUX/IRIX", "[]", null, null],
        ["CL2-A", 2, "esx-1", "VMWARE_EX", "[2,22]", 3, null],
      ],
    );
    const initiators = await store.db
      .selectFrom("host_group_initiators")
      .selectAll()
      .orderBy("port_id")
      .execute();
    assert.deepEqual(
      initiators.map((i) => [i.port_id, Number(i.host_group_number), i.name, i.kind]),
      [
        ["CL1-A", 1, "1000000000000001", "wwn"],
        ["CL2-A", 2, "1000000000000001", "wwn"],
      ],
    );
    const luns = await store.db.selectFrom("lun_paths").selectAll().orderBy("port_id").execute();
    assert.deepEqual(
      luns.map((l) => [l.port_id, Number(l.host_group_number), Number(l.lun), Number(l.volume_id)]),
      [
        ["CL1-A", 1, 5, 7],
        ["CL2-A", 2, 5, 7],
      ],
    );
    const connections = await store.db.selectFrom("connections").selectAll().execute();
    assert.deepEqual(
      connections.map((c) => [Number(c.volume_id), Number(c.server_id), Number(c.lun)]),
      [[7, 3, 5]],
    );
  } finally {
    await store.close();
  }
});
