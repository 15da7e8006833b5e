/** Plain-text output: left-aligned columns under a header, for people; --json is for programs. */

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
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

/** One object as "field  value" lines; nested values as compact JSON. */
export function details(object: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(object).map((k) => k.length));
  return Object.entries(object)
    .map(
      ([k, v]) =>
        `${k.padEnd(width)}  ${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`,
    )
    .join("\n")
    .concat("\n");
}
