/** What a command asks its user: a secret, or a confirmation. */
import readline from "node:readline";

/**
 * Asks a yes/no question on a terminal: true only for "y" or "yes". Without a terminal there is
 * nobody to ask, and the answer is undefined: the caller needs another way to be told (--yes),
 * so that a script never confirms by accident nor waits on an input nobody writes to.
 */
export async function confirm(question: string): Promise<boolean | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const lines = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      // Ctrl-C or Ctrl-D answer "no" rather than leave the command waiting for nothing.
      lines.on("SIGINT", () => {
        process.stderr.write("\n");
        resolve("");
      });
      lines.on("close", () => resolve(""));
      lines.question(`${question} [y/N] `, resolve);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    lines.close();
  }
}

/** Reads a secret: hidden typing on a terminal, else the first line of standard input. */
export async function readSecret(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const lines = readline.createInterface({ input, terminal: false });
    for await (const line of lines) {
      lines.close();
      return line;
    }
    return "";
  }
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let secret = "";
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(secret);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new Error("cancelled"));
        if (ch === "\u007f" || ch === "\b") secret = secret.slice(0, -1);
        else secret += ch;
      }
    };
    input.on("data", onData);
  });
}
