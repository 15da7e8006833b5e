/**
 * What is answered below the router, where Node's HTTP server holds the connection: a request the
 * parser cannot read (400), headers over Node's size limit (431), a request not received within
 * --request-timeout-ms (408), and CONNECT (404, like every method no route serves). Each answer
 * carries the API's error body and X-Request-Id, like the routes' answers, and closes the
 * connection; and it comes after the answers of the whole requests received before it on that
 * connection (pipelined), which are executed and answered as usual, never dropped.
 *
 * A request without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3): bytes after its
 * headers begin the next request. When a request of a method that may carry a body (POST, PUT,
 * PATCH, DELETE) is followed by bytes that do not even begin with a method, those bytes were meant
 * as its body: the request is refused with 400 and not executed, since running it without the body
 * its client sent (a DELETE server's `keepLunConfig`, say) would not be what was asked. Such a
 * request waits one turn of the event loop before validation and its handler, so that the bytes
 * read with it have been parsed; bytes that arrive later, after it ran, are answered 400 as the
 * next request.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyBaseLogger, preValidationHookHandler } from "fastify";
import { type BlockplaneError, InvalidRequest } from "../../domain/errors.ts";
import type { App } from "../app.ts";
import { errorBody, statusOf, urlNotFound } from "./errors.ts";
import { freshRequestId, requestIdOf } from "./request-id.ts";

/** Methods whose requests may carry a body in this API. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

/** The last two requests of a connection: at most the last one can be incomplete. */
interface Connection {
  previous: Exchange | undefined;
  last: Exchange | undefined;
  /** Set once the connection is being answered and closed: later parser errors change nothing. */
  closing: boolean;
}

/** Where a request that may carry an unframed body stands. */
const FRAMING = Symbol("framing");
type Framing = "unchecked" | "whole" | "unframed-body";
type Marked = IncomingMessage & { [FRAMING]?: Framing };

function unframed(req: IncomingMessage): boolean {
  return req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined;
}

/** One answer written on the socket itself, then the connection is closed once it is sent. */
function answerOnSocket(socket: Socket, err: BlockplaneError, status: number, source: string, id: string) {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(err, source, id));
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${id}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
  socket.destroySoon();
}

/** Runs `then` once the answer of the whole request before the failure (if any) has been sent. */
function afterWholeRequests(connection: Connection, then: () => void): void {
  const { last, previous } = connection;
  const whole = last?.req.complete ? last : previous;
  const res = whole?.res;
  if (res === undefined || res.writableFinished || res.destroyed) then();
  else res.once("close", then);
}

interface ClientFailure {
  err: BlockplaneError;
  status: number;
  what: string;
}

function failureOf(error: NodeJS.ErrnoException, requestTimeoutMs: number): ClientFailure {
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        what: "request not received in time",
        err: new InvalidRequest(`The request was not received in full within ${requestTimeoutMs} ms.`, {
          solution: "Send the whole request without pausing, and then try again.",
        }),
      };
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        what: "request headers too large",
        err: new InvalidRequest("The request's headers are larger than the server accepts.", {
          solution: "Send smaller headers, and then try again.",
        }),
      };
    default:
      return {
        status: 400,
        what: "request not readable as HTTP",
        err: new InvalidRequest(`The request is not valid HTTP/1.1 (${error.code ?? error.message}).`, {
          cause: error.message,
        }),
      };
  }
}

/**
 * The connection-level answers of one server. Made before Fastify (whose `clientErrorHandler` it
 * gives), attached to the server once Fastify has made it.
 */
export class ConnectionAnswers {
  private readonly connections = new WeakMap<Socket, Connection>();
  private log: FastifyBaseLogger | undefined;

  constructor(private readonly requestTimeoutMs: number) {}

  private connectionOf(socket: Socket): Connection {
    let connection = this.connections.get(socket);
    if (connection === undefined) {
      connection = { previous: undefined, last: undefined, closing: false };
      this.connections.set(socket, connection);
    }
    return connection;
  }

  /** Fastify's `clientErrorHandler`: the parser failed, the request is late, or its headers too large. */
  readonly clientError = (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const connection = this.connectionOf(socket);
    // The parser stays failed: every later read of the connection reports it again.
    if (connection.closing) return;
    connection.closing = true;
    const last = connection.last?.req as Marked | undefined;
    // The bytes after a whole request of a body method without framing do not begin with a method:
    // they were its body, and it must not run without it. Its own answer (400) ends the connection.
    if (error.code === "HPE_INVALID_METHOD" && last?.complete && last[FRAMING] === "unchecked") {
      last[FRAMING] = "unframed-body";
      afterWholeRequests(connection, () => socket.destroySoon());
      return;
    }
    const failure = failureOf(error, this.requestTimeoutMs);
    const id = freshRequestId();
    this.log?.info(
      { reqId: id, code: error.code, statusCode: failure.status, remoteAddress: socket.remoteAddress },
      `refused a ${failure.what}`,
    );
    afterWholeRequests(connection, () => answerOnSocket(socket, failure.err, failure.status, "", id));
  };

  register(app: App): void {
    this.log = app.log;
    // Before Fastify's own listener, which may run a route's hooks at once.
    app.server.prependListener("request", (req: Marked, res: ServerResponse) => {
      const connection = this.connectionOf(req.socket);
      connection.previous = connection.last;
      connection.last = { req, res };
      if (BODY_METHODS.has(req.method ?? "") && unframed(req)) req[FRAMING] = "unchecked";
    });

    app.server.on("connect", (req: IncomingMessage, socket: Socket) => {
      const id = requestIdOf(req);
      app.log.info({ reqId: id, method: req.method, url: req.url }, "refused CONNECT: no route serves it");
      const err = urlNotFound(`The requested URL ${req.url} was not found: this server does not tunnel.`);
      answerOnSocket(socket, err, statusOf(err), req.url ?? "", id);
    });

    app.addHook("onRoute", (route) => {
      if (![route.method].flat().some((m) => BODY_METHODS.has(m))) return;
      // Before validation too, so that the answer says what is wrong: the body was not framed.
      const own = route.preValidation === undefined ? [] : [route.preValidation].flat();
      route.preValidation = [awaitFraming, ...own];
    });
  }
}

/**
 * A request of a body method without framing waits one turn of the event loop before validation
 * and its handler: by then the bytes read with it have been parsed, and the parser has said
 * whether they were a body it did not frame.
 */
const awaitFraming: preValidationHookHandler = (request, reply, done) => {
  const req = request.raw as Marked;
  if (req[FRAMING] === undefined) {
    done();
    return;
  }
  setImmediate(() => {
    if (req[FRAMING] === "unframed-body") {
      request.log.info("refused a request whose body had no Content-Length");
      reply.header("Connection", "close");
      done(
        new InvalidRequest(
          "The request carries a body without Content-Length or Transfer-Encoding; nothing was done.",
          { solution: "Send the body with a Content-Length header, and then try again." },
        ),
      );
      return;
    }
    req[FRAMING] = "whole";
    done();
  });
};
