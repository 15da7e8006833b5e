/**
 * The one table of the message IDs Blockplane answers, on both faces of the API, and of those it
 * must never answer by accident. Clients branch on them: Cinder's Hitachi driver retries for up to
 * two hours on a "locked" ID and never retries "object does not exist", so an ID must mean what it
 * means on a real array. `real` marks the IDs whose meaning a public client or its tests show;
 * the others are Blockplane's own, chosen outside every ID a known client branches on.
 * docs/error-codes.md is this table in prose.
 */

export interface MessageIdEntry {
  id: string;
  /** Whether a public source (a client's code, its tests, its fixtures) shows this meaning. */
  real: boolean;
  meaning: string;
}

export const MESSAGE_IDS = {
  /** 400: a header, query parameter, object ID or body is invalid. */
  invalidRequest: { id: "KART40048-E", real: false, meaning: "the request is invalid" },
  /** 400: the body names a field the operation does not take. */
  unsupportedParameter: {
    id: "KART40038-E",
    real: true,
    meaning: "an unsupported parameter is specified in the request body",
  },
  /** 401. */
  unauthenticated: { id: "KART40046-E", real: false, meaning: "authentication failed" },
  /** 403. */
  forbidden: { id: "KART40049-E", real: false, meaning: "the user's roles lack the permission" },
  /** 404: no resource is served at the URL. */
  urlNotFound: { id: "KART20009-E", real: true, meaning: "no resource exists at the specified URL" },
  /** 404: the URL is served, the object it names does not exist. Clients never retry it. */
  objectNotFound: { id: "KART30013-E", real: true, meaning: "the specified object does not exist" },
  /** 406. */
  notAcceptable: { id: "KART40060-E", real: false, meaning: "Accept admits no JSON" },
  /** 415. */
  unsupportedMediaType: { id: "KART40061-E", real: false, meaning: "the body is not application/json" },
  /** 400/500: the storage system refused or failed the operation; carries its SSB code. */
  commandFailed: { id: "KART30000-E", real: true, meaning: "the command ended abnormally" },
  /** 500: a fault inside this server. */
  internal: { id: "KART30000-E", real: true, meaning: "the command ended abnormally" },
  /** 503: the server or the storage system is busy; clients retry it for hours. */
  serverBusy: { id: "KART00003-E", real: true, meaning: "the REST API server is busy" },
  /** 503: the storage system is under maintenance. */
  maintenance: { id: "KART70001-E", real: false, meaning: "the storage system is under maintenance" },
  /** 503: the disk of the server's store is full; changes are refused until space is freed. */
  storeFull: {
    id: "KART70003-E",
    real: false,
    meaning: "the server's store has no space left; changes are refused",
  },
  /** 504: the storage system missed its deadline. */
  deviceTimeout: { id: "KART70002-E", real: false, meaning: "the storage system did not answer in time" },
} as const satisfies Record<string, MessageIdEntry>;

/**
 * IDs Blockplane never answers: real arrays answer them while a resource group is locked by other
 * software, and Cinder retries on them for its whole lock timeout. Blockplane locks no resource
 * group, so an answer with one of them would be a lie that costs a client hours.
 */
export const NEVER_ANSWERED: readonly MessageIdEntry[] = [
  { id: "KART40050-E", real: true, meaning: "locked by other software (clients retry)" },
  { id: "KART40051-E", real: true, meaning: "locked by other software (clients retry)" },
  { id: "KART40052-E", real: true, meaning: "locked by other software (clients retry)" },
];
