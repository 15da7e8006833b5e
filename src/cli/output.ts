/**
 * How results are printed: tables and "field  value" lines for people, the API's JSON or YAML for
 * programs, or only IDs with --quiet. The mode is settled once per command run (settings.ts), before
 * its action runs; the YAML library is loaded only when YAML is asked for.
 */

export const FORMATS = ["table", "json", "yaml"] as const;
export type Format = (typeof FORMATS)[number];

export interface OutputMode {
  format: Format;
  /** Print only IDs (of a list's items, of what a change created, of a job not waited for), or nothing. */
  quiet: boolean;
}

type YamlModule = typeof import("yaml");
let yamlModule: YamlModule | undefined;

/** Loads the YAML library once; called before a command that prints or reads YAML runs. */
export async function loadYaml(): Promise<YamlModule> {
  // The package is CommonJS: imported, its exports are named only where Node's loader finds them,
  // and not at all once bundled (dist/cli.js), where only `default`, the exports object, is there.
  const imported = (await import("yaml")) as YamlModule & { default?: YamlModule };
  yamlModule ??= imported.default ?? imported;
  return yamlModule;
}

/** Serialises a value in a machine format: JSON as the API sends it, or the same as YAML. */
export function serialise(value: unknown, format: "json" | "yaml"): string {
  if (format === "json") return json(value);
  if (!yamlModule) throw new Error("the YAML library is not loaded");
  // Long strings stay on one line, so that a URL or a message reads as the API sent it.
  return yamlModule.stringify(value, { lineWidth: 0 });
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The width tables are fitted to: $COLUMNS when set, else the terminal's width, else none (output
 * piped to a program is never cut). One command runs per process, so it is set once at start.
 */
let tableWidth = Number.POSITIVE_INFINITY;

export function terminalWidth(env: NodeJS.ProcessEnv, stream: NodeJS.WriteStream): number {
  const columns = Number(env.COLUMNS);
  if (Number.isInteger(columns) && columns > 0) return columns;
  return stream.isTTY && stream.columns > 0 ? stream.columns : Number.POSITIVE_INFINITY;
}

export function setTableWidth(width: number): void {
  tableWidth = width;
}

const GAP = 2;
/** The narrowest a cut column gets: its header, or this many characters if the header is shorter. */
const MIN_CUT = 6;
const ELLIPSIS = "…";

/**
 * Left-aligned columns under a header. When the rows are wider than `width`, the widest columns
 * are cut first (never below their header), and cut cells end in "…"; the first column, the ID
 * a reader copies into the next command, is never cut. Rows stay one line each, for grep.
 */
export function table(header: string[], rows: string[][], width = tableWidth): string {
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const widths = fitted(natural, header, width);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const cut = c.length > w ? `${c.slice(0, Math.max(0, w - 1))}${ELLIPSIS}` : c;
        return i === cells.length - 1 ? cut : cut.padEnd(w);
      })
      .join(" ".repeat(GAP))
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

function fitted(natural: number[], header: string[], width: number): number[] {
  const widths = [...natural];
  let excess = widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1) - width;
  if (excess <= 0) return widths;
  const floor = widths.map((w, i) => (i === 0 ? w : Math.min(w, Math.max(header[i]?.length ?? 0, MIN_CUT))));
  while (excess > 0) {
    let widest = -1;
    for (let i = 1; i < widths.length; i++) {
      if ((widths[i] ?? 0) > (floor[i] ?? 0) && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0)))
        widest = i;
    }
    // Every column is as narrow as it gets: the lines overflow rather than lose their headers.
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess--;
  }
  return widths;
}

/** A capacity given in MiB, for people: "512 MiB", "1.5 GiB", "3.4 TiB". */
export function mib(value: number | undefined): string {
  if (value === undefined) return "";
  if (value < 1024) return `${value} MiB`;
  if (value < 1024 ** 2) return `${trim(value / 1024)} GiB`;
  return `${trim(value / 1024 ** 2)} TiB`;
}

function trim(n: number): string {
  return n.toFixed(1).replace(/\.0$/, "");
}

/**
 * One object as "field  value" lines. A list is one item a line, aligned under the first; other
 * nested values are compact JSON.
 */
export function details(object: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(object).map((k) => k.length));
  const text = (v: unknown) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  return Object.entries(object)
    .map(([k, v]) => {
      const items = Array.isArray(v) ? v.map(text) : [text(v)];
      const indent = " ".repeat(width + GAP);
      return `${k.padEnd(width)}${" ".repeat(GAP)}${items.join(`\n${indent}`)}`.trimEnd();
    })
    .join("\n")
    .concat("\n");
}

/** Lists longer than this print one ID a line rather than in a sentence. */
export const LONG_LIST = 10;

/** "Volume" → "Volumes", "CommandStatus" → "CommandStatuses". */
export function plural(word: string, n: number): string {
  if (n === 1) return word;
  return /(s|x|sh|ch)$/.test(word) ? `${word}es` : `${word}s`;
}

/** IDs one a line, for --quiet. */
export function idLines(ids: readonly (string | number)[]): string {
  return ids.map((id) => `${id}\n`).join("");
}
