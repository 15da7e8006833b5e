/**
 * What the user sees while a job runs: on a terminal, a bar sweeping back and forth on stderr with
 * the job's progress and the time waited (the API reports no percentage); elsewhere nothing, so
 * that scripts and logs get only the result.
 */
import type { CommandStatus } from "../client/index.ts";

export interface Progress {
  update(status: CommandStatus): void;
  /** Of an operation with one command-status per resource: how many have completed, of how many. */
  items(completed: number, total: number): void;
  /** Clears the line, leaving the terminal as it was. */
  stop(): void;
}

const WIDTH = 24;
const BLOCK = 6;

export function progressBar(stream: NodeJS.WriteStream, label: string): Progress {
  if (!stream.isTTY) return { update() {}, items() {}, stop() {} };
  const started = Date.now();
  let state = "unexecuted";
  let counted = "";
  let frame = 0;
  const draw = () => {
    const span = WIDTH - BLOCK;
    const offset = span - Math.abs((frame % (2 * span)) - span);
    const bar = `${" ".repeat(offset)}${"=".repeat(BLOCK)}`.padEnd(WIDTH);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`\r\u001b[2K${label} [${bar}] ${state}${counted} ${seconds}s`);
    frame++;
  };
  draw();
  const timer = setInterval(draw, 100);
  return {
    update(status) {
      state = status.progress;
    },
    items(completed, total) {
      counted = ` ${completed}/${total}`;
    },
    stop() {
      clearInterval(timer);
      stream.write("\r\u001b[2K");
    },
  };
}
