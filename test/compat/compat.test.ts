/**
 * Replays every scenario of every test/compat/*.scenarios.ts against a fresh server: one test per
 * scenario, failing with the scenario, the step and the JSON path of each mismatch.
 *
 * Each scenario gets its own server: scenarios create pools, servers and volumes, and what one
 * leaves (drives used, IDs taken, names) would change what the next one sees. A server starts in
 * about a second, which a corpus of a few dozen scenarios can afford.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ADMIN_PASSWORD, basic, type Reply, startServer, type TestServer } from "../support/server.ts";
import {
  at,
  type Captures,
  checkShape,
  fill,
  fillString,
  type Scenario,
  type Shape,
  type Step,
  scenarioTitle,
  statusResources,
  unexpectedKeys,
} from "./corpus.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = fs
  .readdirSync(here)
  .filter((f) => f.endsWith(".scenarios.ts"))
  .sort();

const JOB_DEADLINE_MS = 60_000;

/** A step that cannot go on: later steps would only report its consequences. */
class Stop extends Error {}

async function send(
  server: TestServer,
  step: Step,
  captures: Captures,
  token: string,
): Promise<{ reply: Reply; url: string }> {
  let url = fillString(step.path, captures);
  if (step.query && Object.keys(step.query).length > 0) {
    const q = new URLSearchParams(
      Object.entries(step.query).map(([k, v]) => [k, fillString(v, captures)] as [string, string]),
    );
    url += (url.includes("?") ? "&" : "?") + q.toString();
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.headers ?? {})) headers[k.toLowerCase()] = fillString(v, captures);
  const auth = step.auth ?? "session";
  if (auth === "basic") headers.authorization = basic("admin", ADMIN_PASSWORD);
  const reply = await server.request(step.method, url, {
    headers,
    token: auth === "session" ? token : null,
    ...(step.body !== undefined ? { body: fill(step.body, captures) } : {}),
  });
  return { reply, url };
}

/** Polls one command-status the way a client does: the same session, until completed. */
async function poll(
  server: TestServer,
  url: string,
  step: Step,
  captures: Captures,
  token: string,
): Promise<Reply> {
  const deadline = Date.now() + JOB_DEADLINE_MS;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.headers ?? {})) headers[k.toLowerCase()] = fillString(v, captures);
  for (;;) {
    const r = await server.request("GET", url, { headers, token });
    if (r.status !== 200) return r;
    if (r.body?.progress === "completed") return r;
    if (Date.now() > deadline) throw new Stop(`job ${url} did not complete within ${JOB_DEADLINE_MS} ms`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function replay(server: TestServer, scenario: Scenario): Promise<string[]> {
  const problems: string[] = [];
  const captures: Captures = {};
  let token = server.adminToken;
  for (const [index, step] of scenario.steps.entries()) {
    const where = `step ${index + 1} "${step.name}"`;
    const report = (msgs: string[]) => problems.push(...msgs.map((m) => `${where}: ${m}`));
    try {
      const { reply, url } = await send(server, step, captures, token);
      if (reply.status !== step.status) {
        throw new Stop(
          `${step.method} ${url}: expected status ${step.status}, got ${reply.status}: ${reply.text.slice(0, 400)}`,
        );
      }
      if (step.reads !== undefined) {
        report(checkShape(reply.body, step.reads));
        if (step.exact) report(unexpectedKeys(reply.body, step.reads));
      }
      for (const [name, dotted] of Object.entries(step.capture ?? {})) {
        const v = at(reply.body, dotted);
        if (v === undefined || v === null)
          throw new Stop(`capture ${name}: the answer has nothing at "${dotted}"`);
        captures[name] = v;
      }
      if (step.session !== undefined) {
        const v = at(reply.body, step.session);
        // A token of the wrong type is already a mismatch of `reads`; the scenario goes on with
        // the session it had, so that the later steps still say what they would answer.
        if (typeof v === "string" && v !== "") token = v;
        else if (step.reads === undefined)
          report([`$.${step.session}: expected string, got ${JSON.stringify(v)}`]);
      }
      if (step.jobs) {
        const urls = statusResources(reply.body);
        if (typeof urls === "string") throw new Stop(urls);
        const statuses: unknown[] = [];
        for (const [i, statusUrl] of urls.entries()) {
          const done = await poll(server, statusUrl, step, captures, token);
          const jp = `job ${i} (${statusUrl})`;
          if (done.status !== 200)
            throw new Stop(`${jp}: polling answered ${done.status}: ${done.text.slice(0, 300)}`);
          if (done.body?.status !== "normal") {
            throw new Stop(
              `${jp}: completed with status ${JSON.stringify(done.body?.status)}: ${done.text.slice(0, 400)}`,
            );
          }
          if (step.jobs.reads !== undefined)
            report(checkShape(done.body, step.jobs.reads).map((m) => `${jp}: ${m}`));
          statuses.push(done.body);
        }
        for (const [name, dotted] of Object.entries(step.jobs.capture ?? {})) {
          const v = at(statuses, dotted);
          if (v === undefined || v === null) {
            throw new Stop(`capture ${name}: the completed statuses have nothing at "${dotted}"`);
          }
          captures[name] = v;
        }
      }
    } catch (err) {
      if (err instanceof Stop) {
        problems.push(`${where}: ${err.message}`);
        problems.push(`(steps after ${index + 1} of ${scenario.steps.length} not run)`);
        break;
      }
      throw err;
    }
  }
  return problems;
}

for (const file of modules) {
  const mod = (await import(path.join(here, file))) as { SCENARIOS?: Scenario[] };
  assert.ok(Array.isArray(mod.SCENARIOS), `${file} exports no SCENARIOS array`);
  for (const scenario of mod.SCENARIOS) {
    const options = scenario.knownGap ? { todo: scenario.knownGap } : {};
    test(`${file}: ${scenarioTitle(scenario)}`, options, async () => {
      // The array `npm start` brings up: the default model with its seeded pool, as a user meets it.
      const server = await startServer({ BLOCKPLANE_ARRAY_MODEL: "", BLOCKPLANE_SEED_POOL: "" });
      try {
        const problems = await replay(server, scenario);
        if (problems.length > 0) {
          assert.fail(`${scenarioTitle(scenario)}:\n  ${problems.join("\n  ")}`);
        }
      } finally {
        await server.close();
      }
    });
  }
}

// The replay's own checks, on answers made up here: a corpus whose checker passed everything would
// prove nothing.
test("the shape check names the JSON path of each mismatch", () => {
  const shape: Shape = {
    id: "integer",
    name: "string?",
    "luns?": [{ lun: "integer", portId: "string?" }],
    data: [{ sessionId: "string" }],
  };
  assert.deepEqual(checkShape({ id: 1, data: [] }, shape), []);
  assert.deepEqual(checkShape({ id: 1.5, name: 3, luns: [{ lun: "1" }], data: [{ sessionId: 2 }] }, shape), [
    "$.id: expected integer, got a non-integer number (1.5)",
    "$.name: expected string, got a number (3)",
    '$.luns[0].lun: expected integer, got a string ("1")',
    "$.data[0].sessionId: expected string, got a number (2)",
  ]);
  assert.deepEqual(checkShape({ data: {} }, shape), [
    "$.id: expected integer, got absent",
    "$.data: expected an array, got an object ({})",
  ]);
  assert.deepEqual(unexpectedKeys({ id: 1, extra: true }, shape), [
    "$.extra: unexpected key (the client refuses keys it does not know)",
  ]);
  assert.deepEqual(statusResources([{ statusResource: "/x/1" }, { statusResource: "/x/2" }]), [
    "/x/1",
    "/x/2",
  ]);
  assert.equal(statusResources({}), "$.statusResource: expected string, got absent");
  assert.deepEqual(fill({ poolId: "{poolId}", name: "v{n}", ids: ["{n}"] }, { poolId: 3, n: 7 }), {
    poolId: 3,
    name: "v7",
    ids: [7],
  });
});
