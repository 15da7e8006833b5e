/** What every command is given: where the saved session lives, the environment, and output. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  configDir: string;
  out(text: string): void;
  err(text: string): void;
}
