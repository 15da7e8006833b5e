/**
 * The settings a command runs with, each from the first place that gives it: a flag, else an
 * environment variable, else the profile (config-file.ts), else the default.
 *
 *   profile   --profile         $BLOCKPLANE_PROFILE   "default"
 *   output    --output, --json  $BLOCKPLANE_OUTPUT    the profile's output   table
 *   quiet     --quiet
 *   url       login --url       $BLOCKPLANE_URL       the saved session's, then the profile's url
 *   user      login --user      $BLOCKPLANE_USER      the saved session's, then the profile's user
 *   password  login --password  $BLOCKPLANE_PASSWORD  the profile's password-command, then asked
 */
import { checkProfileName, DEFAULT_PROFILE, type Profile, readProfiles } from "./config-file.ts";
import { UsageError } from "./errors.ts";
import { FORMATS, type Format, type OutputMode } from "./output.ts";

/** The options every command takes (main.ts declares them on the program). */
export interface GlobalOptions {
  profile?: string;
  output?: Format;
  json?: boolean;
  quiet?: boolean;
}

export interface Settings {
  profile: string;
  /** Chosen by --profile or $BLOCKPLANE_PROFILE: the commands the CLI suggests name it too. */
  profileChosen: boolean;
  /** The profile's settings in the config file; empty when it has none. */
  profileSettings: Profile;
  /** Whether the config file has this profile. */
  inFile: boolean;
  output: OutputMode;
}

export async function resolveSettings(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv,
  configDir: string,
): Promise<Settings> {
  const chosen = options.profile ?? (env.BLOCKPLANE_PROFILE || undefined);
  const profile = checkProfileName(chosen ?? DEFAULT_PROFILE);
  const profiles = await readProfiles(configDir);
  const profileSettings = profiles[profile] ?? {};
  return {
    profile,
    profileChosen: chosen !== undefined && chosen !== DEFAULT_PROFILE,
    profileSettings,
    inFile: profile in profiles,
    output: outputMode(options, env, profileSettings.output),
  };
}

/** The output mode from the flags, the environment and the profile's choice. */
export function outputMode(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv,
  profileFormat?: Format,
): OutputMode {
  if (options.json && options.output !== undefined && options.output !== "json") {
    throw new UsageError(`--json is --output json: it does not go with --output ${options.output}.`);
  }
  const flag = options.json ? "json" : options.output;
  if (options.quiet) {
    if (flag !== undefined)
      throw new UsageError("--quiet prints IDs only: it does not go with --output or --json.");
    return { format: "table", quiet: true };
  }
  const fromEnv = env.BLOCKPLANE_OUTPUT || undefined;
  if (fromEnv !== undefined && !(FORMATS as readonly string[]).includes(fromEnv)) {
    throw new UsageError(`$BLOCKPLANE_OUTPUT is "${fromEnv}": use one of ${FORMATS.join(", ")}.`);
  }
  return { format: flag ?? (fromEnv as Format | undefined) ?? profileFormat ?? "table", quiet: false };
}

/** "blockplane --profile lab jobs wait 12": a command to suggest, with the profile when one was chosen. */
export function commandLine(settings: Settings | undefined, words: string): string {
  const profile = settings?.profileChosen ? ` --profile ${settings.profile}` : "";
  return `blockplane${profile} ${words}`;
}
