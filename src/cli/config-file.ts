/**
 * The profiles file: config.yaml in the config directory (session-file.ts says where), one entry a
 * profile under `profiles:`, each with the settings a command would otherwise be given:
 *
 *   profiles:
 *     default:
 *       url: https://array.example:8443
 *       user: admin
 *     lab:
 *       url: http://127.0.0.1:8080
 *       user: admin
 *       output: json
 *       password-command: pass show blockplane/lab
 *
 * It holds no secret (a password comes from password-command, the environment or a prompt), but is
 * written readable by its owner only all the same. Changing a setting keeps the rest of the file,
 * comments included.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "./errors.ts";
import { FORMATS, type Format, loadYaml } from "./output.ts";
import { normaliseUrl } from "./server-url.ts";

export interface Profile {
  url?: string;
  user?: string;
  output?: Format;
  insecure?: boolean;
  /** A shell command whose first line of output is the password, to log in again unasked. */
  "password-command"?: string;
}

export const PROFILE_KEYS = ["url", "user", "output", "insecure", "password-command"] as const;
export type ProfileKey = (typeof PROFILE_KEYS)[number];

export const DEFAULT_PROFILE = "default";
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A profile name is also a file name (its saved session): letters, digits, "_", "." and "-". */
export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `"${name}" is not a profile name: use up to 64 letters, digits, "_", "." or "-", starting with a letter or digit.`,
    );
  }
  return name;
}

export function configFile(dir: string): string {
  return path.join(dir, "config.yaml");
}

/** Every profile of the file; none when there is no file (reading it then loads nothing). */
export async function readProfiles(dir: string): Promise<Record<string, Profile>> {
  const file = configFile(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  const { parse } = await loadYaml();
  let parsed: unknown;
  try {
    parsed = parse(text) ?? {};
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  const profiles = (parsed as { profiles?: unknown }).profiles ?? {};
  if (!isObject(parsed) || !isObject(profiles)) {
    throw new UsageError(`${file}: expected "profiles:" with one entry a profile.`);
  }
  const checked: Record<string, Profile> = {};
  for (const [name, entry] of Object.entries(profiles)) {
    checked[name] = checkProfile(file, name, entry ?? {});
  }
  return checked;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A profile's settings, refused whole when one is unknown or of the wrong kind (a typo must not pass). */
function checkProfile(file: string, name: string, entry: unknown): Profile {
  const where = `${file}: profile "${name}"`;
  if (!isObject(entry)) throw new UsageError(`${where} is not a mapping of settings.`);
  for (const [key, value] of Object.entries(entry)) {
    if (!(PROFILE_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`${where}: unknown setting "${key}" (known: ${PROFILE_KEYS.join(", ")}).`);
    }
    const expected = key === "insecure" ? "boolean" : "string";
    if (typeof value !== expected) throw new UsageError(`${where}: "${key}" must be a ${expected}.`);
  }
  const profile = entry as Profile;
  if (profile.output !== undefined && !FORMATS.includes(profile.output)) {
    throw new UsageError(`${where}: "output" must be one of ${FORMATS.join(", ")}.`);
  }
  if (profile.url !== undefined) {
    try {
      normaliseUrl(profile.url);
    } catch (err) {
      throw new UsageError(`${where}: "url" is not a valid http(s) URL: ${(err as Error).message}`);
    }
  }
  return profile;
}

/**
 * Sets (a defined value) or removes (undefined) settings of one profile, creating the file or the
 * profile as needed, and keeping everything else in the file as it was.
 */
export async function updateProfile(
  dir: string,
  name: string,
  changes: Partial<Record<ProfileKey, string | boolean | undefined>>,
): Promise<void> {
  const file = configFile(dir);
  const { parseDocument } = await loadYaml();
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  // Checked first, so that a broken file is reported rather than rewritten.
  await readProfiles(dir);
  const doc = parseDocument(text);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) doc.deleteIn(["profiles", name, key]);
    else doc.setIn(["profiles", name, key], value);
  }
  // A profile left with no setting stays listed, as an empty mapping.
  if (!doc.hasIn(["profiles", name])) doc.setIn(["profiles", name], doc.createNode({}));
  writePrivately(dir, file, doc.toString());
}

/** Removes a profile from the file; false when it was not there. */
export async function deleteProfile(dir: string, name: string): Promise<boolean> {
  const file = configFile(dir);
  if (!(name in (await readProfiles(dir)))) return false;
  const { parseDocument } = await loadYaml();
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  doc.deleteIn(["profiles", name]);
  writePrivately(dir, file, doc.toString());
  return true;
}

function writePrivately(dir: string, file: string, text: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text, { mode: 0o600 });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}
