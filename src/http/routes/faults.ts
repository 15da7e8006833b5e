/**
 * The fault-injection control API (docs/faults.md), for rehearsing failures: rules that make the
 * array slow, silent, busy, in maintenance, refuse the nth item, or kill the process at a named
 * point, and an action that returns the array to its factory state. Security Administrators only,
 * and only on a server started with faults enabled: otherwise these URLs do not exist (404).
 */
import { randomUUID } from "node:crypto";
import type { onRequestAsyncHookHandler } from "fastify";
import { Type } from "typebox";
import { type FaultRule, type FaultRuleSpec, normalizeRule, windowEnd } from "../../device/fault-rules.ts";
import { type FaultInjector, runInRequest } from "../../device/faults.ts";
import { PORT_ID } from "../../device/port/ports.ts";
import { NotFound } from "../../domain/errors.ts";
import type { App } from "../app.ts";
import {
  Body,
  ExecutionResultSchema,
  errorResponses,
  ListOf,
  OWN,
  type RouteModule,
  SIMPLE_OBJECTS,
} from "./common.ts";

export const FAULTS_URL = `${OWN}/faults`;
const RESET_URL = `${FAULTS_URL}/actions/reset-array/invoke`;

const RULE_ID = "^[A-Za-z0-9._-]{1,64}$";
const Hex4 = Type.String({ pattern: "^[0-9A-Fa-f]{4}$" });

const MatchSchema = Type.Object(
  {
    method: Type.Optional(Type.String({ pattern: "^[A-Za-z]{1,16}$", description: "HTTP method" })),
    path: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'request path: a prefix, or a regular expression when it starts with "^"',
      }),
    ),
    resourceType: Type.Optional(Type.String({ description: 'e.g. "Volume", "Port", "Pool"' })),
    operation: Type.Optional(Type.String({ description: 'device operation, e.g. "createVolumes"' })),
    item: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65_536,
        description:
          "the nth item of a multi-resource operation, or the nth call of the operation in one request",
      }),
    ),
  },
  { additionalProperties: false },
);

const RuleFields = {
  match: Type.Optional(MatchSchema),
  action: Type.Union([
    Type.Literal("latency"),
    Type.Literal("timeout"),
    Type.Literal("busy"),
    Type.Literal("maintenance"),
    Type.Literal("fail-item"),
    Type.Literal("crash"),
    Type.Literal("port-down"),
    Type.Literal("io-latency"),
  ]),
  latencyMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
  retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  durationSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  errorCode: Type.Optional(Type.Object({ SSB1: Hex4, SSB2: Hex4 }, { additionalProperties: false })),
  message: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  point: Type.Optional(
    Type.String({
      maxLength: 128,
      description:
        "before-<operation> | after-<operation> | after-item-<N>-of-<operation> | before-job-complete",
    }),
  ),
  portId: Type.Optional(
    Type.String({
      pattern: PORT_ID.source,
      description: "port-down: the iSCSI port whose portal refuses logins (with --data-plane iscsi)",
    }),
  ),
  volumeId: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65_279,
      description: "io-latency: the volume whose I/O is slowed by latencyMs (with --data-plane iscsi)",
    }),
  ),
  probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
};

const RuleBody = Body({ id: Type.Optional(Type.String({ pattern: RULE_ID })), ...RuleFields });

const RuleSchema = Type.Object({
  id: Type.String(),
  ...RuleFields,
  match: MatchSchema,
  probability: Type.Number(),
  scope: Type.String({ description: "request, device, job or data (the data plane): what the rule acts on" }),
  remaining: Type.Optional(Type.Integer({ description: "times it still fires (rules with a count)" })),
  createdTime: Type.String(),
  windowEndTime: Type.Optional(Type.String({ description: "maintenance: when the window ends" })),
});

const RuleParams = Type.Object({ id: Type.String({ pattern: RULE_ID }) }, { additionalProperties: false });

function render(rule: FaultRule) {
  const { createdAt, ...rest } = rule;
  return {
    ...rest,
    createdTime: new Date(createdAt).toISOString(),
    ...(rule.action === "maintenance" ? { windowEndTime: new Date(windowEnd(rule)).toISOString() } : {}),
  };
}

function deleted(rules: FaultRule[]) {
  return {
    affectedResources: rules.map((r) => `${FAULTS_URL}/${r.id}`),
    operationDetails: rules.map((r) => ({
      operationType: "DELETE",
      resourceType: "FaultRule",
      resourceId: r.id,
    })),
  };
}

/**
 * Request-level rules act before a request's handler; device-level rules see, through the request
 * context, which request a device call serves. The fault API itself is never faulted, so that a
 * rehearsal can always take its faults back.
 */
export function registerFaultHooks(app: App, faults: FaultInjector): void {
  const pathOf = (url: string) => url.split("?")[0] ?? url;
  // After the gate's own hook (gate.ts): a caller who may not use a route meets no fault there.
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith(FAULTS_URL)) return;
    const hook: onRequestAsyncHookHandler = (request) =>
      faults.onRequest(request.method, pathOf(request.url));
    route.onRequest = [...(route.onRequest === undefined ? [] : [route.onRequest].flat()), hook];
  });
  app.addHook("preHandler", (request, _reply, done) => {
    runInRequest(request.method, pathOf(request.url), done);
  });
}

export const faultRoutes: RouteModule = (app, { faults }) => {
  if (!faults) return;
  const tags = ["faults"];
  const config = { permission: "security" } as const;

  app.get(
    FAULTS_URL,
    {
      config,
      schema: {
        tags,
        summary: "List fault rules",
        response: { 200: ListOf(RuleSchema), ...errorResponses() },
      },
    },
    async () => {
      const data = (await faults.rules.list()).map(render);
      return { data, count: data.length };
    },
  );

  app.get(
    `${FAULTS_URL}/:id`,
    {
      config,
      schema: {
        tags,
        summary: "Get a fault rule",
        params: RuleParams,
        response: { 200: RuleSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const rule = (await faults.rules.list()).find((r) => r.id === request.params.id);
      if (!rule) throw new NotFound(`The fault rule ${request.params.id} does not exist.`);
      return render(rule);
    },
  );

  app.post(
    FAULTS_URL,
    {
      config,
      schema: {
        tags,
        summary: "Add a fault rule",
        description:
          "Answers the rule as recorded, with its id (generated unless given) and scope. Every " +
          "instance sharing the database applies it within a second; this one at once.",
        body: RuleBody,
        response: { 200: RuleSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const spec = request.body as FaultRuleSpec;
      const id = spec.id ?? randomUUID().slice(0, 8);
      const rule = normalizeRule(spec, faults.operations, id);
      return render(await faults.rules.add(rule));
    },
  );

  app.delete(
    `${FAULTS_URL}/:id`,
    {
      config,
      schema: {
        tags,
        summary: "Delete a fault rule",
        params: RuleParams,
        response: { 200: ExecutionResultSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const rule = (await faults.rules.list()).find((r) => r.id === request.params.id);
      if (!rule || !(await faults.rules.remove(rule.id))) {
        throw new NotFound(`The fault rule ${request.params.id} does not exist.`);
      }
      return deleted([rule]);
    },
  );

  app.delete(
    FAULTS_URL,
    {
      config,
      schema: {
        tags,
        summary: "Delete every fault rule",
        response: { 200: ExecutionResultSchema, ...errorResponses() },
      },
    },
    async () => {
      const rules = await faults.rules.list();
      await faults.rules.clear();
      return deleted(rules);
    },
  );

  app.post(
    RESET_URL,
    {
      config,
      schema: {
        tags,
        summary: "Return the array to its factory state",
        description:
          "Removes every pool, volume, server, connection, snapshot and host group and the array's " +
          "idempotency records, frees every drive and sets every port to its defaults. Users, " +
          "sessions, command statuses, fault rules and maintenance stay.",
        response: { 200: ExecutionResultSchema, ...errorResponses() },
      },
    },
    async () => {
      await faults.resetArray();
      return {
        affectedResources: [`${SIMPLE_OBJECTS}/storage`],
        operationDetails: [{ operationType: "UPDATE", resourceType: "Storage", resourceId: "instance" }],
      };
    },
  );
};
