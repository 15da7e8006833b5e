/**
 * A client that pipelines: `connections` connections to a server on loopback, each sending
 * `depth` requests of `path` at once, reading every answer, then the next `depth`, for `rounds`
 * rounds or until `maxMs` passed. Run as its own process (node test/support/pipeliner.mjs <json>)
 * so that reading its answers does not load the event loop of the client that measures latency.
 * Prints one JSON line: how long it ran and how many answers of each status it read.
 */
import net from "node:net";

const { port, path, token, connections, depth, rounds, maxMs } = JSON.parse(process.argv[2] ?? "{}");
if (!Number.isInteger(port)) throw new Error('usage: pipeliner.mjs \'{"port":…,"path":…}\'');

const statuses = {};
const started = Date.now();

/** Counts the status lines of the answers read on one connection: resolves at `expected`. */
function reader(socket) {
  let pending = "";
  let seen = 0;
  let waiting;
  socket.on("data", (chunk) => {
    // Answers are long JSON bodies: only status lines matter, and one may span two chunks.
    const text = pending + chunk.toString("latin1");
    let end = 0;
    for (const m of text.matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
      statuses[m[1]] = (statuses[m[1]] ?? 0) + 1;
      seen++;
      end = m.index + m[0].length;
    }
    // A status line is 13 characters: a part of one can only be in the last 12.
    pending = text.slice(Math.max(end, text.length - 12));
    if (waiting && seen >= waiting.expected) waiting.resolve();
  });
  let closed = false;
  socket.on("close", () => {
    closed = true;
    waiting?.fail();
  });
  return (expected) =>
    new Promise((resolve, reject) => {
      const fail = () =>
        seen >= expected ? resolve() : reject(new Error(`connection closed after ${seen} answers`));
      if (seen >= expected) return resolve();
      if (closed) return fail();
      waiting = { expected, resolve, fail };
    });
}

await Promise.all(
  Array.from(
    { length: connections },
    () =>
      new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("error", reject);
        socket.on("connect", async () => {
          const answered = reader(socket);
          const one = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nAuthorization: Session ${token}\r\n\r\n`;
          try {
            for (let r = 0; r < rounds && Date.now() - started < maxMs; r++) {
              socket.write(one.repeat(depth));
              await answered((r + 1) * depth);
            }
            socket.end();
            resolve();
          } catch (err) {
            reject(err);
          }
        });
      }),
  ),
);
process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, statuses })}\n`);
