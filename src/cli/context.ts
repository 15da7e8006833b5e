import type { OutputMode } from "./output.ts";
import type { Settings } from "./settings.ts";

/** What every command is given: where the saved sessions live, the environment, and output. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  configDir: string;
  out(text: string): void;
  err(text: string): void;
  /** How results are printed: settled before the command's action runs. */
  output: OutputMode;
  /** The profile and its settings: settled before the command's action runs. */
  settings?: Settings;
}
