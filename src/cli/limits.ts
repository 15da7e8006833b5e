/**
 * Parsers of values with the limits the commands' help states, taken from the constants the server
 * checks too (domain/limits.ts, device/port/): a value out of range is a usage error (exit 2)
 * naming the range, before any request is sent.
 */
import { InvalidArgumentError } from "commander";
import { capacity, integer } from "./parse.ts";

export { MAX_POOL_ID } from "../device/port/pools.ts";
export { MAX_GROUP_NAME_LENGTH, MAX_SNAPSHOT_POOL_ID } from "../device/port/snapshots.ts";
export {
  MAX_NICKNAME_LENGTH,
  MAX_VOLUME_CAPACITY,
  MAX_VOLUME_ID,
  MIN_VOLUME_CAPACITY,
} from "../device/port/volumes.ts";
export {
  MAINTENANCE_MESSAGE_LENGTH,
  MAINTENANCE_RETRY_AFTER,
  MAX_COMMAND_STATUS_PAGE,
  MAX_CONNECTION_PAGE,
  MAX_SNAPSHOT_PAGE,
  MAX_VOLUME_PAGE,
  MAX_VOLUMES_PER_CREATE,
  OS_TYPE_OPTION,
  PASSWORD_LENGTH,
  POOL_NAME_LENGTH,
  POOL_THRESHOLD,
  SERVER_NICKNAME_LENGTH,
  USER_NAME_LENGTH,
  VOLUME_NUMBER_DIGITS,
} from "../domain/limits.ts";

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** "1-500": a range as the help texts write it. */
export function rangeText(range: Range): string {
  return `${range.min}-${range.max}`;
}

/** A whole number within `range`. */
export function integerIn(range: Range) {
  return (value: string): number => {
    const n = integer(value);
    if (n < range.min || n > range.max) {
      throw new InvalidArgumentError(`Give a whole number from ${range.min} to ${range.max}.`);
    }
    return n;
  };
}

/** A repeatable whole number within `range`: `--os-option 1 --os-option 2`, or `--os-option 1,2`. */
export function integersIn(range: Range) {
  const one = integerIn(range);
  return (value: string, previous: number[] = []): number[] => [
    ...previous,
    ...value.split(",").map((v) => one(v.trim())),
  ];
}

/** A text of `range` characters. */
export function textIn(range: Range) {
  return (value: string): string => {
    if (value.length < range.min || value.length > range.max) {
      const size = range.min === range.max ? `${range.max}` : `${range.min} to ${range.max}`;
      throw new InvalidArgumentError(`Give ${size} characters (this has ${value.length}).`);
    }
    return value;
  };
}

/** A capacity (parse.ts's forms) within `range` MiB. */
export function capacityIn(range: Range, describe: (mib: number) => string) {
  return (value: string): number => {
    const mib = capacity(value);
    if (mib < range.min || mib > range.max) {
      throw new InvalidArgumentError(
        `The capacity must be from ${describe(range.min)} to ${describe(range.max)} (this is ${describe(mib)}).`,
      );
    }
    return mib;
  };
}
