/**
 * Capacities as the full API writes them: `byteFormatCapacity` ("<n>M", "<n>G", "<n>T", binary
 * units) and `blockCapacity` (512-byte blocks), translated to and from the MiB the services use.
 */
import { InvalidRequest } from "../../domain/errors.ts";

const MIB_PER_UNIT = { M: 1, G: 1024, T: 1024 * 1024 } as const;
/** Blocks of 512 bytes in one MiB. */
export const BLOCKS_PER_MIB = 2048;

/** "10G", "1.5T", "500M" (case-insensitive, a space before the unit allowed) as MiB. */
export function mibOfByteFormat(text: string, field: string): number {
  const m = /^\s*(\d{1,12}(?:\.\d{1,6})?)\s*([MGT])\s*$/i.exec(text);
  if (!m) {
    throw new InvalidRequest(
      `${field} "${text}" is invalid: give a number and a unit M, G or T, such as "10G".`,
    );
  }
  const unit = (m[2] as string).toUpperCase() as keyof typeof MIB_PER_UNIT;
  const mib = Number(m[1]) * MIB_PER_UNIT[unit];
  if (!Number.isInteger(mib)) {
    throw new InvalidRequest(`${field} "${text}" is not a whole number of MiB.`);
  }
  return mib;
}

/** A count of 512-byte blocks as MiB: volumes are made of whole MiB. */
export function mibOfBlocks(blocks: number, field: string): number {
  if (blocks % BLOCKS_PER_MIB !== 0) {
    throw new InvalidRequest(`${field} ${blocks} is not a whole number of MiB (2048 blocks each).`);
  }
  return blocks / BLOCKS_PER_MIB;
}

/** MiB as the full API shows a capacity: two decimals in the largest unit it fills, "1.00 G". */
export function byteFormatOf(mib: number): string {
  const unit = mib >= MIB_PER_UNIT.T ? "T" : mib >= MIB_PER_UNIT.G ? "G" : "M";
  return `${(mib / MIB_PER_UNIT[unit]).toFixed(2)} ${unit}`;
}

/**
 * The capacity a request gives in one of two forms (byte format, or blocks), as MiB; exactly one
 * of them must be given.
 */
export function mibOfEither(
  byteFormat: string | undefined,
  blocks: number | undefined,
  names: [string, string],
): number {
  if ((byteFormat === undefined) === (blocks === undefined)) {
    throw new InvalidRequest(`Specify either ${names[0]} or ${names[1]}.`);
  }
  return byteFormat !== undefined
    ? mibOfByteFormat(byteFormat, names[0])
    : mibOfBlocks(blocks as number, names[1]);
}
