/**
 * HTTP/1.1 over a bare TCP socket (node:net), for the requests an HTTP client would never send:
 * no framing, garbage after a request, several requests in one write, missing headers. The bytes
 * go out exactly as given; what comes back is read until the server closes the connection, and
 * split into the answers it holds.
 */
import assert from "node:assert/strict";
import net from "node:net";

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  body: any;
}

export interface RawExchange {
  answers: RawAnswer[];
  /** Whether the server closed the connection (rather than the wait running out). */
  closed: boolean;
  /** Milliseconds from the first write to the close (or to the end of the wait). */
  elapsedMs: number;
}

export interface RawOptions {
  /** Pause before each write after the first. */
  gapMs?: number;
  /** Before each write after the first, wait until more of the answer has arrived. */
  afterAnswer?: boolean;
  /** How long to wait for the server to close the connection. */
  waitMs?: number;
}

/**
 * Sends `writes` on one connection (one socket write each) and collects everything the server
 * answers until it closes the connection, or `waitMs` passes (then the socket is closed here).
 */
export function rawExchange(
  port: number,
  writes: (string | Buffer)[],
  { gapMs = 0, afterAnswer = false, waitMs = 10_000 }: RawOptions = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    let received = 0;
    let more: (() => void) | undefined;
    const moreData = (seen: number) =>
      new Promise<void>((resolve) => {
        more = () => {
          if (received > seen) resolve();
        };
        more();
      });
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve({ answers: splitAnswers(Buffer.concat(chunks)), closed, elapsedMs: Date.now() - started });
      } catch (err) {
        reject(err);
      }
    };
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      more?.();
    });
    // A reset after the server's last answer still leaves its answers to read.
    socket.on("error", () => {});
    socket.on("close", () => finish(true));
    socket.on("connect", async () => {
      started = Date.now();
      timer = setTimeout(() => finish(false), waitMs);
      for (const [i, data] of writes.entries()) {
        if (i > 0 && afterAnswer) await moreData(received);
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (socket.destroyed) return;
        socket.write(data);
      }
    });
  });
}

/** The answers in a byte stream, framed by Content-Length or chunked; a torn last one throws. */
export function splitAnswers(data: Buffer): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf("\r\n\r\n", at);
    if (end < 0) throw new Error(`a torn answer: ${JSON.stringify(data.subarray(at).toString())}`);
    const [statusLine = "", ...lines] = data.subarray(at, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1]);
    if (!Number.isInteger(status)) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    at = end + 4;
    let body: Buffer;
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf("\r\n", at);
        const size = Number.parseInt(data.subarray(at, lineEnd).toString(), 16);
        at = lineEnd + 2;
        if (size === 0) {
          at += 2;
          break;
        }
        parts.push(data.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers["content-length"] ?? 0);
      body = data.subarray(at, at + length);
      at += length;
    }
    const text = body.toString("utf8");
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    answers.push({ status, headers, text, body: parsed });
  }
  return answers;
}

/** A request's head: the request line, `Host: localhost` unless `host` is false, and `headers`. */
export function head(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  { host = true }: { host?: boolean } = {},
): string {
  const all = { ...(host ? { Host: "localhost" } : {}), ...headers };
  return `${method} ${url} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

/**
 * The complete answers in `data` so far, in order, for a connection still being read: unlike
 * splitAnswers, a torn last answer is left for later (the server's answers here carry
 * Content-Length).
 */
function wholeAnswers(data: Buffer): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf("\r\n\r\n", at);
    if (end < 0) return answers;
    const [statusLine = "", ...lines] = data.subarray(at, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    if (data.length < end + 4 + length) return answers;
    const text = data.subarray(end + 4, end + 4 + length).toString("utf8");
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    answers.push({ status: Number(statusLine.split(" ")[1]), headers, body, text });
    at = end + 4 + length;
  }
}

/**
 * One connection kept open and written to as a test chooses (a request in pieces, several pipelined,
 * none at all), read as it goes, with the time the server closed it.
 */
export class RawConnection {
  private data = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();
  /** performance.now() when the server closed the connection, or undefined while it is open. */
  closedAt: number | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake();
    });
    // A reset is a close too; the test reads what came before it.
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closedAt = performance.now();
      this.wake();
    });
  }

  /** Connects; rejects when the server does not accept (ECONNREFUSED once it stopped listening). */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Everything read so far, as answers. */
  answers(): RawAnswer[] {
    return wholeAnswers(this.data);
  }

  /** Waits until `n` answers are in (or the connection closed, or `timeoutMs` passed). */
  async waitAnswers(n: number, timeoutMs = 10_000): Promise<RawAnswer[]> {
    await this.until(() => this.answers().length >= n || this.closedAt !== undefined, timeoutMs);
    return this.answers();
  }

  /** Waits for the server to close the connection; answers when it did, or undefined after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<number | undefined> {
    await this.until(() => this.closedAt !== undefined, timeoutMs);
    return this.closedAt;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  private until(done: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish();
      };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** A GET as a client sends it, with a session token; `extra` header lines are added as given. */
export function rawGet(path: string, token: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nAuthorization: Session ${token}\r\n${extra}\r\n`;
}

/** An answer with the API's error body, whose requestId is its X-Request-Id header. */
export function assertApiError(a: RawAnswer, status: number, messageId: string, source: string): void {
  assert.equal(a.status, status, a.text);
  assert.match(a.headers["content-type"] ?? "", /^application\/json/);
  assert.equal(a.body.messageId, messageId);
  assert.equal(a.body.errorSource, source);
  assert.equal(typeof a.body.message, "string");
  assert.equal(a.body.requestId, a.headers["x-request-id"], "the body names the request id of the header");
}
