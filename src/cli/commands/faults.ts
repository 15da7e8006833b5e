/**
 * faults list|get|add|delete|clear|reset-array: fault injection for failure rehearsals
 * (docs/faults.md). Security Administrator only, and only against a server started with
 * `--faults on`; elsewhere the fault URLs do not exist, which these commands say in those words.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Answer, ExecutionResult, RequestBody, Result } from "../../client/index.ts";
import { FAULT_ACTIONS } from "../../domain/fault-actions.ts";
import { check, connect, summary } from "../client.ts";
import type { CliContext } from "../context.ts";
import { ApiError, UsageError } from "../errors.ts";
import { details, table } from "../output.ts";
import { integer, jsonArgument } from "../parse.ts";
import { confirm } from "../prompt.ts";
import { show } from "./common.ts";

const FAULTS = "/blockplane/v1/faults";
const RULE = "/blockplane/v1/faults/{id}";
const RESET = "/blockplane/v1/faults/actions/reset-array/invoke";

type RuleSpec = RequestBody<typeof FAULTS, "post">;
type Rule = Answer<typeof RULE, "get">;
type Match = NonNullable<RuleSpec["match"]>;

// The server's list, checked against the SDK's type of a rule's action.
const ACTIONS: readonly RuleSpec["action"][] = FAULT_ACTIONS;

/** "2e11:b0b0" (or "2e11,b0b0"): the SSB1 and SSB2 of a refusal. */
function ssbCode(value: string): { SSB1: string; SSB2: string } {
  const m = /^([0-9a-f]{4})[:,]([0-9a-f]{4})$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('Give SSB1:SSB2, four hexadecimal digits each, e.g. "2e11:b0b0".');
  return { SSB1: m[1] as string, SSB2: m[2] as string };
}

function probability(value: string): number {
  const p = Number(value);
  if (value.trim() === "" || !Number.isFinite(p) || p < 0 || p > 1) {
    throw new InvalidArgumentError("Not a probability: give a number from 0 to 1, e.g. 0.25.");
  }
  return p;
}

function ruleArgument(value: string): Partial<RuleSpec> {
  const rule = jsonArgument(value);
  if (typeof rule !== "object" || rule === null || Array.isArray(rule)) {
    throw new InvalidArgumentError("The rule must be a JSON object.");
  }
  return rule as Partial<RuleSpec>;
}

interface AddOptions {
  rule?: Partial<RuleSpec>;
  id?: string;
  action?: RuleSpec["action"];
  method?: string;
  path?: string;
  resourceType?: string;
  operation?: string;
  item?: number;
  latencyMs?: number;
  retryAfter?: number;
  duration?: number;
  errorCode?: { SSB1: string; SSB2: string };
  message?: string;
  point?: string;
  portId?: string;
  volumeId?: number;
  probability?: number;
  count?: number;
}

/** Drops the fields not given, so that the server applies its defaults. */
function given<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The rule to send: --rule's JSON, with every flag given laid over it (match fields one by one). */
function ruleOf(options: AddOptions): RuleSpec {
  const base = options.rule ?? {};
  const match: Match = {
    ...(base.match ?? {}),
    ...given({
      method: options.method?.toUpperCase(),
      path: options.path,
      resourceType: options.resourceType,
      operation: options.operation,
      item: options.item,
    }),
  };
  const rule = {
    ...base,
    ...given({
      id: options.id,
      action: options.action,
      latencyMs: options.latencyMs,
      retryAfterSeconds: options.retryAfter,
      durationSeconds: options.duration,
      errorCode: options.errorCode,
      message: options.message,
      point: options.point,
      portId: options.portId,
      volumeId: options.volumeId,
      probability: options.probability,
      count: options.count,
    }),
    ...(Object.keys(match).length > 0 ? { match } : {}),
  };
  if (rule.action === undefined) {
    throw new UsageError(`Give --action (${ACTIONS.join(", ")}), or a rule with one in --rule.`);
  }
  return rule as RuleSpec;
}

/** The match as the user would write it: "GET /path operation=listPorts item=2", or "any call". */
function matchText(match: Rule["match"]): string {
  const { method, path, ...rest } = match;
  const words = [method, path, ...Object.entries(rest).map(([k, v]) => `${k}=${v}`)];
  return words.filter((w) => w !== undefined).join(" ") || "any call";
}

/** What the action does beyond its name: its settings, in the API's field names. */
function settingsText(rule: Rule): string {
  const settings = given({
    latencyMs: rule.latencyMs,
    retryAfterSeconds: rule.retryAfterSeconds,
    durationSeconds: rule.durationSeconds,
    errorCode: rule.errorCode && `${rule.errorCode.SSB1}:${rule.errorCode.SSB2}`,
    point: rule.point,
    portId: rule.portId,
    volumeId: rule.volumeId,
    probability: rule.probability === 1 ? undefined : rule.probability,
    message: rule.message && JSON.stringify(rule.message),
  });
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

function firesText(rule: Rule): string {
  return rule.count === undefined ? "unlimited" : `${rule.remaining ?? rule.count} of ${rule.count}`;
}

function ruleText(rule: Rule): string {
  return details({
    id: rule.id,
    action: rule.action,
    scope: rule.scope,
    match: matchText(rule.match),
    ...(settingsText(rule) ? { settings: settingsText(rule) } : {}),
    fires: firesText(rule),
    createdTime: rule.createdTime,
    ...(rule.windowEndTime ? { windowEndTime: rule.windowEndTime } : {}),
  });
}

function deletedText(done: ExecutionResult): string {
  return done.operationDetails.length === 0 ? "There were no fault rules.\n" : summary(done);
}

export function faultsCommands(program: Command, ctx: CliContext): void {
  const notEnabled = () =>
    new ApiError(
      `Fault injection is not enabled on ${connect(ctx).baseUrl}: the server was started without "--faults on".`,
      404,
    );

  /**
   * The data of an answer of the fault API. Its collection URL exists whenever faults are on, so
   * a 404 there means they are off; a 404 of one rule may only mean there is no such rule, which
   * the collection tells apart.
   */
  const checked = async <T>(result: Result<T>, oneRule = false): Promise<T> => {
    if (!result.ok && result.status === 404) {
      const off = !oneRule || (await connect(ctx).GET(FAULTS)).status === 404;
      if (off) throw notEnabled();
    }
    return check(result);
  };

  const faults = program
    .command("faults")
    .description('inject faults for failure rehearsals (Security Administrator; server with "--faults on")');

  faults
    .command("list")
    .description("list the fault rules")
    .action(async () => {
      const list = await checked(await connect(ctx).GET(FAULTS));
      show(ctx, list, (l) =>
        table(
          ["ID", "ACTION", "SCOPE", "MATCH", "SETTINGS", "FIRES"],
          l.data.map((r) => [r.id, r.action, r.scope, matchText(r.match), settingsText(r), firesText(r)]),
        ),
      );
    });

  faults
    .command("get")
    .description("show a fault rule")
    .argument("<id>", "rule id")
    .action(async (id: string) => {
      const rule = await checked(await connect(ctx).GET(RULE, { params: { path: { id } } }), true);
      show(ctx, rule, ruleText);
    });

  faults
    .command("add")
    .description("add a fault rule: flags for its fields, or --rule with the API's JSON (flags win)")
    .option("--rule <json>", "the whole rule as the API's JSON, or @file", ruleArgument)
    .option("--id <id>", "the rule's id (letters, digits, . _ -); generated when absent")
    .addOption(new Option("--action <action>", "what the rule does").choices(ACTIONS))
    .option("--method <method>", "match: HTTP method of the request")
    .option("--path <path>", 'match: request path prefix, or a regular expression starting with "^"')
    .option("--resource-type <type>", 'match: resource type of the device operation, e.g. "Volume"')
    .option("--operation <name>", 'match: device operation, e.g. "createVolumes", "listPorts"')
    .option("--item <n>", "match: the nth item of a batch or job, or the nth call in one request", integer)
    .option("--latency-ms <ms>", "latency: milliseconds added to each matching call", integer)
    .option("--retry-after <seconds>", "busy, maintenance: the Retry-After answered", integer)
    .option("--duration <seconds>", "maintenance: length of the window (default 60)", integer)
    .option("--error-code <ssb1:ssb2>", 'fail-item: the SSB code, e.g. "2e11:b0b0"', ssbCode)
    .option("--message <text>", "fail-item: the refusal's message; busy, maintenance: a detail added")
    .option("--point <point>", 'crash: where the process dies, e.g. "after-item-1-of-createVolumes"')
    .option(
      "--port-id <id>",
      'port-down: the iSCSI port whose portal refuses logins (data plane), e.g. "CL1-B"',
    )
    .option(
      "--volume-id <id>",
      "io-latency: the volume whose I/O is slowed by --latency-ms (data plane)",
      integer,
    )
    .option("--probability <p>", "the chance, 0 to 1, that a matching event fires the rule", probability)
    .option("--count <n>", "how many times the rule fires (default: unlimited)", integer)
    .action(async (options: AddOptions) => {
      const rule = await checked(await connect(ctx).POST(FAULTS, { body: ruleOf(options) }));
      show(
        ctx,
        rule,
        (r) => `Added fault rule ${r.id}.\n${ruleText(r)}`,
        (r) => [r.id],
      );
    });

  faults
    .command("delete")
    .description("delete a fault rule")
    .argument("<id>", "rule id")
    .action(async (id: string) => {
      const done = await checked(await connect(ctx).DELETE(RULE, { params: { path: { id } } }), true);
      show(ctx, done, deletedText);
    });

  faults
    .command("clear")
    .description("delete every fault rule")
    .action(async () => {
      const done = await checked(await connect(ctx).DELETE(FAULTS));
      show(ctx, done, deletedText);
    });

  faults
    .command("reset-array")
    .description(
      "return the array to its factory state: every pool, volume, server, connection and snapshot is removed",
    )
    .option("--yes", "do not ask for confirmation")
    .action(async (options: { yes?: boolean }) => {
      if (!options.yes) {
        const question =
          `Reset the array of ${connect(ctx).baseUrl} to its factory state, removing every pool, ` +
          "volume, server, connection and snapshot?";
        const answer = await confirm(question);
        if (answer === undefined) {
          throw new UsageError("Resetting the array removes all its configuration: confirm with --yes.");
        }
        if (!answer) throw new UsageError("Not confirmed: the array was not reset.");
      }
      const done = await checked(await connect(ctx).POST(RESET));
      show(ctx, done, () => "The array is back to its factory state.\n");
    });
}
