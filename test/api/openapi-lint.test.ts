/**
 * The OpenAPI document (src/client/openapi.json, kept equal to the served one by sdk.test.ts) is
 * clean under Spectral's spectral:oas rules: operationIds, descriptions, tags, servers, parameter
 * descriptions, all that code generators rely on.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { lintOpenApi } from "../../scripts/lint-openapi.ts";
import { OPENAPI_FILE } from "../../scripts/openapi.ts";

test("Spectral's spectral:oas finds nothing in the OpenAPI document", async () => {
  const text = fs.readFileSync(OPENAPI_FILE, "utf8");
  const findings = await lintOpenApi(text);
  assert.deepEqual(
    findings.map((f) => `${f.code} ${f.path}: ${f.message}`),
    [],
  );
  // Every operation has a unique operationId and no response is left "Default Response".
  const doc = JSON.parse(text);
  const ids = new Set<string>();
  for (const operations of Object.values<Record<string, { operationId: string; responses: object }>>(
    doc.paths,
  )) {
    for (const op of Object.values(operations)) {
      assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
      ids.add(op.operationId);
      for (const r of Object.values<{ description: string }>(
        op.responses as Record<string, { description: string }>,
      ))
        assert.notEqual(r.description, "Default Response", op.operationId);
    }
  }
});
