/**
 * `npm run bench`: Blockplane's speed, measured against the floor of a bare Fastify route.
 *
 * Starts the real server (`src/main.ts`) and the bare server (bench/bare.ts) as child processes, so
 * that the load generator (autocannon, in this process) never shares a thread with either, and
 * measures:
 *   1. GET one volume: requests/s of Blockplane vs the bare route answering a same-sized object;
 *   2. listing 500 of 65,280 volumes: throughput and latency;
 *   3. creating 1000 volumes in one call: POST to command-status "completed" (median of several);
 *   4. GET one volume under 64 concurrent clients: p50/p99 latency;
 *   5. resident memory grown per 10k volumes;
 *   6. start to ready, on an empty store and on the full array, against Azurite's blob service
 *      (bench/start.ts);
 *   7. one CLI command against the full array, against curl.
 * The server runs as installed: dist/main.js, built first when a source is newer.
 * Prints the results and writes them, with the machine's description, to bench/results.md
 * (or the file named by --out).
 *
 * The server logs at "warn": per-request info lines measure pino and the terminal, not the API.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { ensureBuilt } from "../scripts/build.mjs";
import {
  AZURITE_VERSION,
  azuriteBlobMain,
  freePort,
  measureStarts,
  median,
  type Start,
  type Starter,
  timeCommand,
} from "./start.ts";

type Result = Awaited<ReturnType<typeof autocannon>>;

const ROOT = path.resolve(import.meta.dirname, "..");
const SIMPLE = "/ConfigurationManager/simple/v1/objects";
const ADMIN_PASSWORD = "bench-admin-password";
/** The array's limit: 65 calls of 1000 volumes and one of 280. */
const TOTAL_VOLUMES = 65_280;
const TIMED_CREATES = 7;
/** Starts of each kind, alternating: on a shared machine a median of eleven moves less than one of seven. */
const START_ROUNDS = 11;
const CLI_RUNS = 10;
/** The start-up target: a Blockplane start takes at most this share of an Azurite blob service start. */
const START_TARGET = 0.4;
const CLI_TARGET_MS = 150;
const SECONDS = { warmup: 2, round: 4, list: 6, concurrent: 6 };

const { values: flags } = parseArgs({
  options: { out: { type: "string", default: path.join(ROOT, "bench/results.md") } },
});

// ---- processes ----

const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const c of children) c.kill("SIGKILL");
}
process.on("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** Spawns node with `args` and resolves once `ready()` answers true; its output is kept for errors. */
async function startChild(args: string[], ready: () => Promise<boolean>): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(),
  });
  children.add(child);
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited:\n${output}`);
    if (await ready().catch(() => false)) return child;
    await sleep(100);
  }
  throw new Error(`${args.join(" ")} did not start:\n${output}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  child.kill("SIGKILL");
  children.delete(child);
}

/** Resident set size of a process, in MiB. */
function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in µs; from /proc, so Linux only. */
function cpuMicros(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the command name (which may contain spaces).
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS) * 1e6;
}

/** The kernel's clock ticks per second for /proc times (USER_HZ), 100 on Linux. */
const CLOCK_TICKS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the API ----

class Client {
  token = "";
  constructor(readonly base: string) {}

  async call(method: string, url: string, body?: unknown, auth?: string) {
    const res = await fetch(this.base + url, {
      method,
      headers: {
        accept: "application/json",
        authorization: auth ?? `Session ${this.token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: answers of every shape
    const json: any = text === "" ? undefined : JSON.parse(text);
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return json;
  }

  async login(): Promise<void> {
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`;
    this.token = (await this.call("POST", `${SIMPLE}/sessions`, undefined, basic)).token;
  }

  /** Polls a command-status until it completes; answers it. Polls often: its latency is measured. */
  async waitJob(statusResource: string) {
    for (;;) {
      const status = await this.call("GET", statusResource);
      if (status.progress === "completed") {
        if (status.status !== "normal") throw new Error(`job failed: ${JSON.stringify(status)}`);
        return status;
      }
      await sleep(2);
    }
  }
}

// ---- measurements ----

function load(url: string, options: Omit<Parameters<typeof autocannon>[0], "url">): Promise<Result> {
  return autocannon({ url, ...options });
}

function checked(r: Result, what: string): Result {
  if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) {
    throw new Error(`${what}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`);
  }
  return r;
}

function machine(loadAtStart: number[]): Record<string, string> {
  const cpu =
    /model name\s*:\s*(.*)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model;
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
  } catch {}
  return {
    cpu: cpu ?? "unknown",
    nproc: String(os.availableParallelism()),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    // Other work on the machine takes CPU from the server: read the numbers with the load in mind.
    "load average at start (1, 5, 15 min)": loadAtStart.map((l) => l.toFixed(2)).join(", "),
    commit: `${commit} (plus uncommitted changes, if any)`,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

/** The environment of the children: this one's without BLOCKPLANE_* settings. */
const childEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BLOCKPLANE_")));

async function main(): Promise<void> {
  await ensureBuilt();
  const started = Date.now();
  const loadAtStart = os.loadavg();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "blockplane-bench-"));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // -- the real server --
    const port = await freePort();
    const api = new Client(`http://127.0.0.1:${port}`);
    // The model whose drives the pool below is built from, with no seeded pool, as the tests' array.
    const array = ["--array-model", "VSP E1090", "--seed-pool", "off"];
    const serverArgs = ["dist/main.js", "--port", String(port), "--data-dir", dataDir, ...array];
    const server = await startChild(
      [...serverArgs, "--admin-password", ADMIN_PASSWORD, "--log-level", "warn"],
      // Ready: the store and the array answer, and start-up's load no longer counts as overload.
      async () => (await fetch(`${api.base}/readyz`)).ok,
    );
    await api.login();
    const auth = { authorization: `Session ${api.token}`, accept: "application/json" };
    log(`blockplane pid ${server.pid} on ${api.base}; data in ${dataDir}`);

    const pool = await api.call("POST", `${SIMPLE}/pools`, {
      name: "bench",
      drives: [{ driveTypeCode: "SNB5B-R3R8NC", dataDriveCount: 15, raidLevel: "RAID5" }],
    });
    const poolId = Number((await api.waitJob(pool.statusResource)).operationDetails[0].resourceId);
    const createVolumes = async (number: number, i: number) => {
      const accepted: { statusResource: string }[] = await api.call("POST", `${SIMPLE}/volumes`, {
        poolId,
        capacity: 100,
        number,
        nicknameParam: { baseName: `b${i}-`, startNumber: 0, numberOfDigits: 4 },
      });
      if (accepted.length !== number)
        throw new Error(`${accepted.length} statusResources for ${number} volumes`);
      // One statusResource per volume. The items of one job complete in one transaction: once the
      // first and the last have, every one has (each still reports its own volume).
      const first = await api.waitJob((accepted[0] as { statusResource: string }).statusResource);
      return number === 1
        ? first
        : api.waitJob((accepted.at(-1) as { statusResource: string }).statusResource);
    };
    const rssBefore = rssMiB(server.pid as number);

    // -- 3. create 1000 volumes in one call --
    const createMs: number[] = [];
    for (let i = 0; i < TIMED_CREATES; i++) {
      const t0 = performance.now();
      await createVolumes(1000, i);
      createMs.push(performance.now() - t0);
    }
    log(`create 1000: ${createMs.map((t) => t.toFixed(0)).join(", ")} ms`);

    // -- fill the array to its 65,280 volumes --
    const fillStart = performance.now();
    for (let i = TIMED_CREATES; i < 65; i++) await createVolumes(1000, i);
    await createVolumes(TOTAL_VOLUMES - 65_000, 65);
    const fillS = (performance.now() - fillStart) / 1000;
    const listed = await api.call("GET", `${SIMPLE}/volumes?count=1`);
    if (listed.totalCount !== TOTAL_VOLUMES) throw new Error(`expected ${TOTAL_VOLUMES} volumes`);
    log(`filled to ${TOTAL_VOLUMES} volumes in ${fillS.toFixed(1)} s`);

    // -- 2. list 500 of 65,280 --
    const pages = TOTAL_VOLUMES / 500 - 1;
    const listOptions = {
      connections: 4,
      headers: auth,
      requests: [
        {
          setupRequest: (req: { path: string }) => ({
            ...req,
            path: `${SIMPLE}/volumes?startVolumeId=${Math.floor(Math.random() * pages) * 500}`,
          }),
        },
      ],
    };
    await load(`${api.base}${SIMPLE}/volumes`, { ...listOptions, duration: SECONDS.warmup });
    const list = checked(
      await load(`${api.base}${SIMPLE}/volumes`, { ...listOptions, duration: SECONDS.list }),
      "list",
    );
    const rssAfter = rssMiB(server.pid as number);
    const dbMiB =
      fs
        .readdirSync(dataDir)
        .filter((f) => f.startsWith("blockplane.db"))
        .reduce((n, f) => n + fs.statSync(path.join(dataDir, f)).size, 0) /
      2 ** 20;

    // -- 1. GET one volume vs the bare route --
    const oneUrl = `${api.base}${SIMPLE}/volumes/4242`;
    const body = await api.call("GET", `${SIMPLE}/volumes/4242`);
    const bodyFile = path.join(dataDir, "volume.json");
    fs.writeFileSync(bodyFile, JSON.stringify(body));
    const barePort = await freePort();
    const bareUrl = `http://127.0.0.1:${barePort}/volumes/4242`;
    const bare = await startChild(
      ["--import", "tsx", "bench/bare.ts", String(barePort), bodyFile],
      async () => (await fetch(bareUrl)).ok,
    );
    const one = { connections: 10, headers: auth };
    await load(oneUrl, { ...one, duration: SECONDS.warmup });
    await load(bareUrl, { ...one, duration: SECONDS.warmup });
    // Alternating rounds, so that whatever else the machine does weighs on both alike.
    // Each process's CPU time per request tells where the time goes whatever the machine's load:
    // throughput alone also counts the load generator sharing the cores.
    const ours: Result[] = [];
    const floor: Result[] = [];
    const cpu = { ours: 0, floor: 0 };
    const measured = async (pid: number, url: string, what: string, into: Result[]) => {
      const before = cpuMicros(pid);
      into.push(checked(await load(url, { ...one, duration: SECONDS.round }), what));
      return cpuMicros(pid) - before;
    };
    for (let round = 0; round < 2; round++) {
      cpu.ours += await measured(server.pid as number, oneUrl, "GET one volume", ours);
      cpu.floor += await measured(bare.pid as number, bareUrl, "bare route", floor);
    }
    const total = (rs: Result[]) => rs.reduce((n, r) => n + r.requests.total, 0);
    const oursRate = total(ours) / (ours.length * SECONDS.round);
    const floorRate = total(floor) / (floor.length * SECONDS.round);
    const oursCpu = cpu.ours / total(ours);
    const floorCpu = cpu.floor / total(floor);

    // -- 4. 64 concurrent clients --
    const concurrent = checked(
      await load(oneUrl, { connections: 64, headers: auth, duration: SECONDS.concurrent }),
      "64 clients",
    );
    const bareConcurrent = checked(
      await load(bareUrl, { connections: 64, duration: SECONDS.concurrent }),
      "64 clients, bare",
    );
    await stopChild(bare);
    await stopChild(server);

    // -- 6. start to ready: an empty store, the full array, Azurite's blob service --
    const fresh = () => fs.mkdtempSync(path.join(dataDir, "empty-"));
    // The empty store is a first start with the defaults, as `npm start` makes one; the full one
    // is the array filled above.
    const blockplane = (label: string, dir: () => string, flags: string[]): Starter => ({
      label,
      args: (p) => [
        "dist/main.js",
        "--port",
        String(p),
        "--data-dir",
        dir(),
        ...flags,
        "--log-level",
        "warn",
        "--admin-password",
        ADMIN_PASSWORD,
      ],
      readyUrl: (p) => `http://127.0.0.1:${p}/readyz`,
      ready: (status) => status === 200,
    });
    const azuriteMain = azuriteBlobMain(log);
    const azurite: Starter = {
      label: "azurite",
      args: (p) => [
        azuriteMain,
        "--blobPort",
        String(p),
        "--location",
        fresh(),
        "--silent",
        "--skipApiVersionCheck",
        "--disableTelemetry",
      ],
      // Any answer to a blob request: the service is up (without credentials it is a 403).
      readyUrl: (p) => `http://127.0.0.1:${p}/devstoreaccount1?comp=list`,
      ready: (status) => status < 500,
    };
    const starters = [blockplane("empty", fresh, []), blockplane("full", () => dataDir, array), azurite];
    // One start of each first, not counted: the files read come from the disk cache alike.
    await measureStarts(starters, 1, childEnv());
    const starts = await measureStarts(starters, START_ROUNDS, childEnv());
    const startMedian = (label: string, of: keyof Start) =>
      median((starts.get(label) ?? []).map((s) => s[of]));
    const startList = (label: string) =>
      (starts.get(label) ?? []).map((s) => `${s.wallMs.toFixed(0)} (${s.cpuMs})`).join(", ");
    for (const label of starts.keys()) log(`start ${label}, ms (CPU ms): ${startList(label)}`);

    // -- 7. one CLI command, against curl --
    const cliServer = await startChild(
      [...serverArgs, "--log-level", "warn"],
      async () => (await fetch(`${api.base}/readyz`)).ok,
    );
    const cliEnv = { ...childEnv(), BLOCKPLANE_CONFIG_DIR: path.join(dataDir, "cli") };
    const bin = path.join(ROOT, "bin/blockplane.mjs");
    timeCommand(
      process.execPath,
      [bin, "login", "--url", api.base, "--user", "admin", "--password", ADMIN_PASSWORD],
      1,
      cliEnv,
    );
    const cliMs = timeCommand(process.execPath, [bin, "storage", "get"], CLI_RUNS, cliEnv);
    await api.login();
    let curlMs: number[] = [];
    try {
      const curlArgs = [
        "-sf",
        "-o",
        "/dev/null",
        "-H",
        `Authorization: Session ${api.token}`,
        `${api.base}${SIMPLE}/storage`,
      ];
      curlMs = timeCommand("curl", curlArgs, CLI_RUNS, cliEnv);
    } catch (err) {
      log(`curl not measured: ${(err as Error).message}`);
    }
    await stopChild(cliServer);

    // -- report --
    const ratio = oursRate / floorRate;
    const createMedian = median(createMs);
    const perTenK = ((rssAfter - rssBefore) / TOTAL_VOLUMES) * 10_000;
    const m = machine(loadAtStart);
    const lines = [
      "# Benchmark results",
      "",
      "Written by `npm run bench` (bench/run.ts). Blockplane and the bare Fastify route run as child",
      "processes on the SQLite store, logging at `warn`; autocannon runs in the benchmark's process.",
      "The CPU per request of measurement 1 is each server's user and system time during its rounds",
      "divided by the requests it answered: on a machine whose cores the load generator shares, it",
      "says where the time goes more steadily than throughput does.",
      "",
      "## Machine",
      "",
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      "",
      "## Numbers",
      "",
      "| measurement | result | target |",
      "| --- | --- | --- |",
      `| 1. GET one volume, 10 clients | ${oursRate.toFixed(0)} req/s | |`,
      `| 1. bare Fastify route, same-sized body, 10 clients | ${floorRate.toFixed(0)} req/s | |`,
      `| 1. ratio Blockplane / bare | **${ratio.toFixed(2)}×** | ≥ 0.80× ${ratio >= 0.8 ? "✔" : "✘"} |`,
      `| 1. server CPU per request, Blockplane / bare | ${oursCpu.toFixed(1)} µs / ${floorCpu.toFixed(1)} µs = ${(oursCpu / floorCpu).toFixed(2)}× | |`,
      `| 2. list 500 of 65,280 volumes, 4 clients | ${list.requests.average.toFixed(0)} req/s, ${(list.requests.average * 500).toFixed(0)} volumes/s; latency p50 ${list.latency.p50} ms, p99 ${list.latency.p99} ms | |`,
      `| 3. create 1000 volumes, POST → completed | median **${createMedian.toFixed(0)} ms** (${createMs.map((t) => t.toFixed(0)).join(", ")}) | < 1000 ms ${createMedian < 1000 ? "✔" : "✘"} |`,
      `| 4. GET one volume, 64 clients | p50 ${concurrent.latency.p50} ms, p99 ${concurrent.latency.p99} ms, ${concurrent.requests.average.toFixed(0)} req/s | |`,
      `| 4. bare route, 64 clients | p50 ${bareConcurrent.latency.p50} ms, p99 ${bareConcurrent.latency.p99} ms, ${bareConcurrent.requests.average.toFixed(0)} req/s | |`,
      `| 5. resident memory per 10k volumes | ${perTenK.toFixed(1)} MiB (RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MiB for ${TOTAL_VOLUMES} volumes) | |`,
      `| 5. store on disk per 10k volumes | ${((dbMiB / TOTAL_VOLUMES) * 10_000).toFixed(1)} MiB | |`,
      ...(["empty", "full"] as const).map((label) => {
        const [wallOurs, wallTheirs] = [startMedian(label, "wallMs"), startMedian("azurite", "wallMs")];
        const [cpuOurs, cpuTheirs] = [startMedian(label, "cpuMs"), startMedian("azurite", "cpuMs")];
        const [wall, cpu] = [wallOurs / wallTheirs, cpuOurs / cpuTheirs];
        const what =
          label === "empty" ? "an empty store (first start)" : `the full array (${TOTAL_VOLUMES} volumes)`;
        const mark = (r: number) => (r <= START_TARGET ? "✔" : "✘");
        return `| 6. start to ready, ${what}: Blockplane / Azurite blob, medians | elapsed ${wallOurs.toFixed(0)} / ${wallTheirs.toFixed(0)} ms = **${wall.toFixed(2)}×**; CPU ${cpuOurs} / ${cpuTheirs} ms = **${cpu.toFixed(2)}×** | ≤ ${START_TARGET.toFixed(2)}× ${mark(wall)} (CPU ${mark(cpu)}) |`;
      }),
      `| 7. one CLI command (\`blockplane storage get\`) | median **${median(cliMs).toFixed(0)} ms** (curl: ${curlMs.length > 0 ? `${median(curlMs).toFixed(0)} ms` : "not measured"}) | ≤ ${CLI_TARGET_MS} ms ${median(cliMs) <= CLI_TARGET_MS ? "✔" : "✘"} |`,
      "",
      `Filling the array to ${TOTAL_VOLUMES} volumes took ${fillS.toFixed(1)} s; the whole run ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      "",
      `Starts (6), ${START_ROUNDS} of each, alternating, elapsed ms (CPU ms): ${[...starts.keys()].map((label) => `${label === "azurite" ? `Azurite ${AZURITE_VERSION} blob service` : `Blockplane, ${label}`}: ${startList(label)}`).join("; ")}.`,
      "Blockplane is ready when GET /readyz answers 200, Azurite when a blob request gets any answer;",
      "both polled every 5 ms from the spawn. Blockplane runs dist/main.js with its code cache.",
      `CLI (7), ${CLI_RUNS} runs of \`node bin/blockplane.mjs storage get\` from spawn to exit: ${cliMs.map((t) => t.toFixed(0)).join(", ")} ms.`,
      "",
    ];
    fs.writeFileSync(flags.out as string, lines.join("\n"));
    log(`\n${lines.join("\n")}`);
    log(`written to ${path.relative(process.cwd(), flags.out as string)}`);
  } finally {
    killChildren();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
