/**
 * Parsers of command-line values. A value that cannot be right is a usage error (exit 2) before
 * anything is sent; the server still checks every limit itself.
 */
import fs from "node:fs";
import { InvalidArgumentError } from "commander";

export function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("Not a non-negative integer.");
  return Number(value);
}

/** Repeatable integer option: `--volume 1 --volume 2`, or `--volume 1,2`. */
export function integers(value: string, previous: number[] = []): number[] {
  return [...previous, ...value.split(",").map((v) => integer(v.trim()))];
}

/** Repeatable text option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((v) => v.trim())];
}

const UNITS: Record<string, number> = { "": 1, M: 1, MI: 1, G: 1024, GI: 1024, T: 1024 ** 2, TI: 1024 ** 2 };

/** A capacity in MiB: plain MiB, or with a binary unit, "100G" or "2TiB". */
export function capacity(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([MGT]i?)?B?$/i.exec(value.trim());
  const factor = UNITS[(m?.[2] ?? "").toUpperCase()];
  if (!m || factor === undefined) {
    throw new InvalidArgumentError('Not a capacity: give MiB ("1024") or a size with a unit ("100G", "2T").');
  }
  const mib = Number(m[1]) * factor;
  if (!Number.isInteger(mib)) throw new InvalidArgumentError("The capacity is not a whole number of MiB.");
  return mib;
}

export function onOff(value: string): boolean {
  const v = value.toLowerCase();
  if (["on", "true", "yes", "1"].includes(v)) return true;
  if (["off", "false", "no", "0"].includes(v)) return false;
  throw new InvalidArgumentError('Use "on" or "off".');
}

/** A JSON value, or @file for one read from a file. */
export function jsonArgument(value: string): unknown {
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = fs.readFileSync(value.slice(1), "utf8");
    } catch (err) {
      throw new InvalidArgumentError(`Cannot read ${value.slice(1)}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`Not valid JSON: ${(err as Error).message}`);
  }
}

/** "a,b" composite IDs: each part a non-negative integer. */
export function compositeId(what: string) {
  return (value: string): string => {
    if (!/^\d+,\d+$/.test(value)) throw new InvalidArgumentError(`Not a ${what} ID of the form n,m.`);
    return value;
  };
}
