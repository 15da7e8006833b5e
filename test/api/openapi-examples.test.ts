/**
 * The OpenAPI document (src/client/openapi.json, kept equal to the served one by sdk.test.ts) has an
 * example for every request body and every response; each validates against its schema, and an
 * error response's example carries a messageId the API answers with that status.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { OPENAPI_FILE } from "../../scripts/openapi.ts";
import { MESSAGE_IDS } from "../../src/domain/message-ids.ts";
import { CONTRACT } from "../../src/http/contract/errors.ts";

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON walked by key
type Json = any;

const doc: Json = JSON.parse(fs.readFileSync(OPENAPI_FILE, "utf8"));

/** The document's own references resolve in the document, added to Ajv under this id. */
const DOC_ID = "openapi.json";
// Not strict: the document holds more than schemas (paths, examples), which Ajv must not judge.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(doc, DOC_ID);
const compiled = new Map<string, ValidateFunction>();

function validatorOf(schema: Json): ValidateFunction {
  const text = JSON.stringify(schema).replaceAll('"$ref":"#/', `"$ref":"${DOC_ID}#/`);
  let validate = compiled.get(text);
  if (validate === undefined) {
    validate = ajv.compile(JSON.parse(text));
    compiled.set(text, validate);
  }
  return validate;
}

/** The examples of a media type by name: its `example`, or each of its `examples` resolved. */
function examplesOf(media: Json): Map<string, unknown> {
  const found = new Map<string, unknown>();
  if (media.example !== undefined) found.set("example", media.example);
  for (const [name, entry] of Object.entries<Json>(media.examples ?? {})) {
    const ref = entry.$ref as string | undefined;
    const example = ref
      ? ref
          .replace(/^#\//, "")
          .split("/")
          .reduce((n: Json, k: string) => n?.[k], doc)
      : entry;
    assert.ok(example, `${name}: ${ref} resolves`);
    found.set(name, example.value);
  }
  return found;
}

/** The messageIds the API answers with each error status. */
const MESSAGE_IDS_BY_STATUS = new Map<string, Set<string>>();
for (const { status, messageId } of Object.values(CONTRACT)) {
  const ids = MESSAGE_IDS_BY_STATUS.get(String(status)) ?? new Set<string>();
  ids.add(messageId);
  MESSAGE_IDS_BY_STATUS.set(String(status), ids);
}
MESSAGE_IDS_BY_STATUS.get("400")?.add(MESSAGE_IDS.unsupportedParameter.id);
MESSAGE_IDS_BY_STATUS.get("404")?.add(MESSAGE_IDS.urlNotFound.id);
MESSAGE_IDS_BY_STATUS.get("503")?.add(MESSAGE_IDS.storeFull.id);

interface Media {
  where: string;
  status: string | undefined;
  media: Json;
}

/** Every request body and response of every operation, with where it is. */
function everyMedia(): Media[] {
  const all: Media[] = [];
  for (const [path, operations] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(operations)) {
      const name = `${method.toUpperCase()} ${path}`;
      if (op.requestBody) {
        for (const [type, media] of Object.entries<Json>(op.requestBody.content ?? {}))
          all.push({ where: `${name} request body (${type})`, status: undefined, media });
      }
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        const content = Object.entries<Json>(response.content ?? {});
        assert.ok(content.length > 0, `${name} ${status} has a body to give an example of`);
        for (const [type, media] of content)
          all.push({ where: `${name} ${status} (${type})`, status, media });
      }
    }
  }
  return all;
}

test("every request body and every response has an example that validates against its schema", () => {
  const all = everyMedia();
  assert.ok(all.length > 1500, `the document's ${all.length} bodies`);
  const problems: string[] = [];
  for (const { where, media } of all) {
    const examples = examplesOf(media);
    if (examples.size === 0) {
      problems.push(`${where}: no example`);
      continue;
    }
    const validate = validatorOf(media.schema);
    for (const [name, value] of examples) {
      if (!validate(value)) problems.push(`${where} ${name}: ${ajv.errorsText(validate.errors)}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("an error response's examples carry a messageId the API answers with that status", () => {
  const problems: string[] = [];
  for (const { where, status, media } of everyMedia()) {
    if (status === undefined || Number(status) < 400) continue;
    const ids = MESSAGE_IDS_BY_STATUS.get(status);
    assert.ok(ids, `the API answers ${status}`);
    for (const [name, body] of examplesOf(media)) {
      const { messageId, message, errorSource } = body as Json;
      if (!ids.has(messageId)) problems.push(`${where} ${name}: ${messageId} is not an ID of ${status}`);
      if (!message || !errorSource) problems.push(`${where} ${name}: no message or errorSource`);
    }
  }
  assert.deepEqual(problems, []);
  // A 503 shows maintenance only where it may happen: on routes that need the array.
  const health = doc.paths["/healthz"].get.responses["503"].content["application/json"].examples;
  assert.deepEqual(Object.keys(health), ["Busy"]);
  const create =
    doc.paths["/ConfigurationManager/simple/v1/objects/volumes"].post.responses["503"].content[
      "application/json"
    ].examples;
  assert.deepEqual(Object.keys(create), ["Busy", "Maintenance", "StoreFull"]);
});

test("the main resources' examples are the hand-written ones", () => {
  const example = (path: string, method: string, status: string) =>
    doc.paths[path][method].responses[status].content["application/json"].example;
  const pool = example("/ConfigurationManager/simple/v1/objects/pools/{id}", "get", "200");
  assert.equal(pool.freeCapacity, pool.totalCapacity - pool.usedCapacity);
  const status = example("/ConfigurationManager/simple/v1/objects/command-status/{id}", "get", "200");
  assert.equal(status.progress, "completed");
  assert.equal(status.status, "normal");
  assert.ok(status.affectedResources.length > 0);
  // Both path forms of a v1 operation show the same job.
  assert.deepEqual(
    example("/ConfigurationManager/v1/objects/storages/{storageDeviceId}/jobs/{jobId}", "get", "200"),
    example("/ConfigurationManager/v1/objects/jobs/{jobId}", "get", "200"),
  );
});
