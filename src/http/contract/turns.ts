/**
 * Requests pipelined on one connection are served one at a time, in the order they came.
 *
 * HTTP/1.1 answers a connection's requests in order anyway, but Node hands the server every
 * request of a pipeline as soon as it has parsed them. Served all at once, a few connections each
 * pipelining long lists kept the event loop busy for seconds with work whose answers could only go
 * out one after the other, and every other client waited behind it (the overload protection could
 * not even sample the delay until the burst was over). Served in turn, a connection holds at most
 * one request's work at a time, and between two of its requests the event loop serves other
 * connections first (setImmediate), so a client's latency no longer grows with the depth of
 * someone else's pipeline.
 *
 * Each waiting request holds its parsed headers in memory, so a pipeline may be only so deep:
 * past MAX_WAITING requests waiting on one connection, the next is answered 503 with Retry-After
 * at once (its answer still goes out in its place in the order).
 */
import type { Socket } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Busy, PHRASES } from "../../domain/errors.ts";

/** Requests that may wait behind the one being served on a connection. */
export const MAX_WAITING = 32;

interface Line {
  /** Whether a request of this connection is being served. */
  serving: boolean;
  /** The requests waiting behind it, first come first served. */
  waiting: (() => void)[];
}

export class ConnectionTurns {
  private readonly lines = new WeakMap<Socket, Line>();

  constructor(private readonly retryAfterSeconds: number) {}

  /**
   * Undefined when the request may be served at once (its connection has nothing else under way:
   * the case of every client that does not pipeline), else a promise of its turn. Throws Busy when
   * too many requests already wait on the connection.
   */
  take(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    // The request's socket: a pipelined request's response has none until its turn to write.
    const socket = request.raw.socket;
    let line = this.lines.get(socket);
    if (line === undefined) {
      line = { serving: false, waiting: [] };
      this.lines.set(socket, line);
    }
    if (!line.serving) {
      this.serve(line, reply);
      return undefined;
    }
    if (line.waiting.length >= MAX_WAITING) throw tooDeep(line.waiting.length, this.retryAfterSeconds);
    const queued = line;
    return new Promise<void>((resolve) => {
      queued.waiting.push(() => {
        this.serve(queued, reply);
        resolve();
      });
    });
  }

  /** Whether other requests of the connection wait for their turn behind this one. */
  waitingBehind(request: FastifyRequest): boolean {
    return (this.lines.get(request.raw.socket)?.waiting.length ?? 0) > 0;
  }

  /** Marks the connection busy with this request until its answer is done. */
  private serve(line: Line, reply: FastifyReply): void {
    line.serving = true;
    const done = () => this.next(line);
    // A request whose client went away while it waited has nothing to hold up.
    if (reply.raw.destroyed) setImmediate(done);
    else reply.raw.once("close", done);
  }

  private next(line: Line): void {
    const turn = line.waiting.shift();
    if (turn === undefined) {
      line.serving = false;
      return;
    }
    // Other connections' reads and answers go first, then the next request of this one.
    setImmediate(turn);
  }
}

function tooDeep(waiting: number, retryAfterSeconds: number): Busy {
  return new Busy(
    `Too many requests are pipelined on this connection (${waiting} wait for their turn). ${PHRASES.busy}. Please ${PHRASES.retry}.`,
    retryAfterSeconds,
  );
}
