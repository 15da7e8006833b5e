/**
 * Limits of the API's requests that the server checks and the CLI checks again before sending (so
 * that a value out of range is a usage error, exit 2, with the limit named). The array's own
 * limits (IDs, capacities, names of its objects) are in device/port/.
 */

/** Most volumes one list page answers. */
export const MAX_VOLUME_PAGE = 500;
/** Most volumes one create request makes. */
export const MAX_VOLUMES_PER_CREATE = 1000;
/** Digits a numbered volume nickname is padded to. */
export const VOLUME_NUMBER_DIGITS = { min: 1, max: 5 } as const;
/** Most volume-server connections one list page answers. */
export const MAX_CONNECTION_PAGE = 2048;
/** Most snapshots one list page answers, and one create request makes. */
export const MAX_SNAPSHOT_PAGE = 1000;
/** Most command-statuses one list page answers (each may hold thousands of operationDetails). */
export const MAX_COMMAND_STATUS_PAGE = 100;
/** A pool's name. */
export const POOL_NAME_LENGTH = { min: 1, max: 32 } as const;
/** A pool's capacity thresholds, in percent. */
export const POOL_THRESHOLD = { min: 1, max: 100 } as const;
/** A server's nickname. */
export const SERVER_NICKNAME_LENGTH = { min: 1, max: 229 } as const;
/** A host mode option. */
export const OS_TYPE_OPTION = { min: 0, max: 255 } as const;
/** A user's name and password. */
export const USER_NAME_LENGTH = { min: 1, max: 256 } as const;
export const PASSWORD_LENGTH = { min: 8, max: 256 } as const;
/** The Retry-After and message of maintenance mode. */
export const MAINTENANCE_RETRY_AFTER = { min: 1, max: 86_400 } as const;
export const MAINTENANCE_MESSAGE_LENGTH = { min: 1, max: 512 } as const;
