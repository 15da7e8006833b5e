/**
 * profile list|get|set|unset|delete: the named profiles of the config file (config-file.ts), each a
 * server, a user and defaults, chosen with --profile or $BLOCKPLANE_PROFILE; and which of them
 * has a saved session.
 */
import type { Command } from "commander";
import {
  checkProfileName,
  configFile,
  DEFAULT_PROFILE,
  deleteProfile,
  PROFILE_KEYS,
  type Profile,
  type ProfileKey,
  readProfiles,
  updateProfile,
} from "../config-file.ts";
import type { CliContext } from "../context.ts";
import { checkedUrl, settingsOf } from "../credentials.ts";
import { UsageError } from "../errors.ts";
import { details, FORMATS, table } from "../output.ts";
import { readSession, removeSession } from "../session-file.ts";
import { show } from "./common.ts";

interface ProfileView extends Profile {
  name: string;
  /** The profile the command runs with. */
  current: boolean;
  /** Where its saved session logs in, if it has one. */
  session: { url: string; user: string } | null;
}

function settingKey(key: string): ProfileKey {
  if (!(PROFILE_KEYS as readonly string[]).includes(key)) {
    throw new UsageError(`Unknown setting "${key}": a profile's settings are ${PROFILE_KEYS.join(", ")}.`);
  }
  return key as ProfileKey;
}

/** "url=https://array.example": the setting and its value (which may hold "=" itself). */
function splitAssignment(assignment: string): [ProfileKey, string] {
  const equals = assignment.indexOf("=");
  if (equals < 1)
    throw new UsageError(`"${assignment}" is not setting=value, e.g. url=https://array.example.`);
  return [settingKey(assignment.slice(0, equals)), assignment.slice(equals + 1)];
}

/** A setting's value as the file keeps it, checked as a command would check it. */
function settingValue(key: ProfileKey, value: string): string | boolean {
  switch (key) {
    case "url":
      return checkedUrl(value, "url=");
    case "output":
      if (!(FORMATS as readonly string[]).includes(value)) {
        throw new UsageError(`output=${value}: use one of ${FORMATS.join(", ")}.`);
      }
      return value;
    case "insecure":
      if (value !== "true" && value !== "false")
        throw new UsageError(`insecure=${value}: use true or false.`);
      return value === "true";
    default:
      if (value === "") throw new UsageError(`${key}= needs a value (profile unset removes a setting).`);
      return value;
  }
}

export function profileCommands(program: Command, ctx: CliContext): void {
  const profile = program
    .command("profile")
    .description("named profiles of the config file: a server, a user and defaults (--profile NAME)");

  const view = (name: string, settings: Profile): ProfileView => {
    const saved = readSession(ctx.configDir, name);
    return {
      name,
      ...settings,
      current: name === settingsOf(ctx).profile,
      session: saved ? { url: saved.url, user: saved.user } : null,
    };
  };

  /** Every profile of the file, and the default and the current one even when the file has none. */
  const all = async (): Promise<ProfileView[]> => {
    const profiles = await readProfiles(ctx.configDir);
    const names = new Set([DEFAULT_PROFILE, settingsOf(ctx).profile, ...Object.keys(profiles)]);
    return [...names].map((name) => view(name, profiles[name] ?? {}));
  };

  const showWritten = async (name: string) => {
    const written = view(name, (await readProfiles(ctx.configDir))[name] ?? {});
    show(
      ctx,
      written,
      () => `Profile ${name} written in ${configFile(ctx.configDir)}.\n`,
      () => [],
    );
  };

  profile
    .command("list")
    .description(`list the profiles (of ${configFile("$config")}); * marks the one in use`)
    .action(async () => {
      const data = await all();
      show(
        ctx,
        { data, count: data.length },
        (l) =>
          table(
            ["  NAME", "URL", "USER", "OUTPUT", "LOGGED-IN"],
            l.data.map((p) => [
              `${p.current ? "*" : " "} ${p.name}`,
              p.url ?? "",
              p.user ?? "",
              p.output ?? "",
              p.session ? `${p.session.user} at ${p.session.url}` : "",
            ]),
          ),
        (l) => l.data.map((p) => p.name),
      );
    });

  profile
    .command("get")
    .description("show a profile's settings (the one in use by default)")
    .argument("[name]", "profile name")
    .action(async (given?: string) => {
      const name = checkProfileName(given ?? settingsOf(ctx).profile);
      const profiles = await readProfiles(ctx.configDir);
      if (name !== DEFAULT_PROFILE && !(name in profiles) && !readSession(ctx.configDir, name)) {
        throw new UsageError(`There is no profile "${name}".`);
      }
      const found = view(name, profiles[name] ?? {});
      show(
        ctx,
        found,
        (p) =>
          details({
            name: p.name,
            ...Object.fromEntries(PROFILE_KEYS.map((k) => [k, p[k] ?? ""])),
            session: p.session ? `${p.session.user} at ${p.session.url}` : "none",
          }),
        () => [],
      );
    });

  profile
    .command("set")
    .description("write settings of a profile, creating it if needed: profile set lab url=URL user=NAME")
    .argument("<name>", "profile name")
    .argument("<setting=value...>", `settings: ${PROFILE_KEYS.join(", ")}`)
    .action(async (given: string, assignments: string[]) => {
      const name = checkProfileName(given);
      const changes: Partial<Record<ProfileKey, string | boolean>> = {};
      for (const assignment of assignments) {
        const [key, value] = splitAssignment(assignment);
        changes[key] = settingValue(key, value);
      }
      await updateProfile(ctx.configDir, name, changes);
      await showWritten(name);
    });

  profile
    .command("unset")
    .description("remove settings of a profile")
    .argument("<name>", "profile name")
    .argument("<setting...>", `settings: ${PROFILE_KEYS.join(", ")}`)
    .action(async (given: string, keys: string[]) => {
      const name = checkProfileName(given);
      if (!(name in (await readProfiles(ctx.configDir))))
        throw new UsageError(`There is no profile "${name}".`);
      const changes: Partial<Record<ProfileKey, undefined>> = {};
      for (const key of keys) changes[settingKey(key)] = undefined;
      await updateProfile(ctx.configDir, name, changes);
      await showWritten(name);
    });

  profile
    .command("delete")
    .description("remove a profile from the config file, and forget its saved session")
    .argument("<name>", "profile name")
    .action(async (given: string) => {
      const name = checkProfileName(given);
      const saved = readSession(ctx.configDir, name);
      const removed = await deleteProfile(ctx.configDir, name);
      if (!removed && !saved) throw new UsageError(`There is no profile "${name}".`);
      removeSession(ctx.configDir, name);
      show(
        ctx,
        { name, deleted: true },
        () =>
          `Deleted profile ${name}.${saved ? ` Its session at ${saved.url} was forgotten; it ends on the server after 5 idle minutes.` : ""}\n`,
        () => [],
      );
    });
}
