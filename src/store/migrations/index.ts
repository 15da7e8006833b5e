/**
 * Migrations run at start-up, in order, each once. A migration is a TypeScript module kept in this
 * folder and listed below; Kysely's migrator records what ran and holds a lock so two instances
 * starting together on PostgreSQL do not run one twice.
 */
import { type Kysely, type Migration, Migrator } from "kysely";
import * as m001 from "./001_initial.ts";
import * as m002 from "./002_command_statuses.ts";
import * as m003 from "./003_volume_qos.ts";
import * as m004 from "./004_profiles.ts";
import * as m005 from "./005_volume_compression_acceleration.ts";
import * as m006 from "./006_job_requests.ts";
import * as m007 from "./007_lun_paths.ts";
import * as m008 from "./008_snapshot_pairs.ts";
import * as m009 from "./009_volumes_by_pool_capacity.ts";

const MIGRATIONS: Record<string, Migration> = {
  "001_initial": m001,
  "002_command_statuses": m002,
  "003_volume_qos": m003,
  "004_profiles": m004,
  "005_volume_compression_acceleration": m005,
  "006_job_requests": m006,
  "007_lun_paths": m007,
  "008_snapshot_pairs": m008,
  "009_volumes_by_pool_capacity": m009,
};

/**
 * Runs the migrations not yet run, up to `upTo` (a migration's name; the last one by default: a
 * store is only ever opened at the latest, `upTo` serves tests of an upgrade).
 */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrate(db: Kysely<any>, upTo?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    // Names sort by their code units: they begin with a number of three digits. Kysely's default,
    // localeCompare, would load the locale's collation tables, a few milliseconds of every start.
    nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  });
  const { error, results } = await (upTo ? migrator.migrateTo(upTo) : migrator.migrateToLatest());
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${String(error)}`);
  }
}
