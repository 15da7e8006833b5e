/**
 * Lints the OpenAPI document the server serves (src/client/openapi.json, kept equal to it by
 * test/api/sdk.test.ts) with Spectral's `spectral:oas` ruleset, the checks code generators rely on.
 *
 *   node --import tsx scripts/lint-openapi.ts     prints every finding; exits 1 when there is any
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import spectralCore from "@stoplight/spectral-core";
import spectralParsers from "@stoplight/spectral-parsers";
import spectralRulesets from "@stoplight/spectral-rulesets";
import { OPENAPI_FILE } from "./openapi.ts";

const { Document, Spectral } = spectralCore;

export interface Finding {
  code: string;
  message: string;
  path: string;
  severity: number;
}

/** Spectral's findings on the document text: every error, warning, information and hint. */
export async function lintOpenApi(text: string): Promise<Finding[]> {
  const spectral = new Spectral();
  // `spectral:oas` as `spectral lint` applies it: its recommended rules.
  spectral.setRuleset({ extends: [[spectralRulesets.oas as never, "recommended"]] });
  const results = await spectral.run(new Document(text, spectralParsers.Json, OPENAPI_FILE));
  return results.map((r) => ({
    code: String(r.code),
    message: r.message,
    path: r.path.join("."),
    severity: r.severity,
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const findings = await lintOpenApi(fs.readFileSync(OPENAPI_FILE, "utf8"));
  for (const f of findings) console.log(`${f.severity} ${f.code} ${f.path}: ${f.message}`);
  console.log(`${findings.length} finding(s)`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}
