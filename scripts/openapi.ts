/**
 * Regenerates the SDK's inputs from the server itself (`npm run sdk:generate`):
 * - src/client/openapi.json: the OpenAPI document the server serves, from a server assembled
 *   in-process on a throw-away SQLite store with the fault-injection API on (`--faults on`), so the
 *   SDK covers every route there is (a server without it serves the same document less /faults);
 * - src/client/schema.d.ts: its TypeScript types, by openapi-typescript, formatted as the rest of
 *   the code is (biome), so `npm run lint` passes on it.
 * test/api/sdk.test.ts regenerates both from a running server and fails when the committed files
 * differ, so they cannot drift from the routes.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config.ts";
import { OPENAPI_PATH } from "../src/http/app.ts";
import { assemble } from "../src/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
export const OPENAPI_FILE = path.join(ROOT, "src/client/openapi.json");
export const SCHEMA_FILE = path.join(ROOT, "src/client/schema.d.ts");
const BIN = path.join(ROOT, "node_modules/.bin");

/** The document as kept in the repository: two-space JSON with a final newline. */
export function documentText(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Assembles a server on a temporary store and answers the document it serves. */
export async function servedDocument(): Promise<unknown> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-openapi-"));
  try {
    const config = loadConfig([], {
      BLOCKPLANE_DATA_DIR: dataDir,
      BLOCKPLANE_LOG_LEVEL: "silent",
      // The document does not depend on it; a fixed one keeps the start from printing one.
      BLOCKPLANE_ADMIN_PASSWORD: "openapi-document",
      BLOCKPLANE_FAULTS: "on",
    });
    const bp = await assemble(config);
    try {
      const answer = await bp.app.inject({ method: "GET", url: OPENAPI_PATH });
      if (answer.statusCode !== 200) throw new Error(`GET ${OPENAPI_PATH} answered ${answer.statusCode}`);
      return JSON.parse(answer.body);
    } finally {
      await bp.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The TypeScript types of a document, exactly as they are kept in src/client/schema.d.ts. */
export function schemaTypes(document: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-openapi-"));
  try {
    const input = path.join(dir, "openapi.json");
    const output = path.join(dir, "schema.d.ts");
    fs.writeFileSync(input, documentText(document));
    execFileSync(path.join(BIN, "openapi-typescript"), [input, "-o", output], { stdio: "pipe" });
    // Formatted through stdin under its final name, so biome applies the project's settings.
    return execFileSync(path.join(BIN, "biome"), ["format", `--stdin-file-path=${SCHEMA_FILE}`], {
      cwd: ROOT,
      input: fs.readFileSync(output),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const document = await servedDocument();
  fs.writeFileSync(OPENAPI_FILE, documentText(document));
  fs.writeFileSync(SCHEMA_FILE, schemaTypes(document));
  for (const file of [OPENAPI_FILE, SCHEMA_FILE])
    process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
}
