import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WalletError } from '@wallet/errors';
import { type Logger, requestIdPattern, runWithRequestId } from '@wallet/logger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { securityHeaders } from './securityHeaders.js';
import { toEdgeError } from './toEdgeError.js';

export type EdgeAppOptions = {
  readonly log: Logger;
  /** Largest accepted body. */
  readonly bodyLimitBytes: number;
  /** Longest accepted request target (path and query) in bytes; longer gets 414. @default 2048 */
  readonly maxUrlLength?: number;
  /** Seconds to suggest in Retry-After when a dependency is unavailable. @default 5 */
  readonly retryAfterUnavailableSeconds?: number;
  /**
   * One `access` line per request (method, route pattern, status, ms, request id) at info, plus what `fields` adds
   * (never secrets or bodies: the line is for operators). @default no access log
   */
  readonly accessLog?: { readonly fields?: (request: FastifyRequest) => Record<string, unknown> };
  /**
   * Addresses or CIDRs of proxies in front of the app whose `X-Forwarded-For` is believed: `request.ip` is then the
   * nearest address in that header not in this list. Empty: `request.ip` is the socket's peer, and X-Forwarded-For
   * is ignored (anyone can send it). @default []
   */
  readonly trustedProxies?: readonly string[];
};

/**
 * A fastify instance with the edge rules every HTTP service of the wallet shares (gatesrv, signsrv, the console):
 * - every answer, including the framework's own (bad URL, 404, 413, 414, 415, 431, 5xx) and the HTTP parser's
 *   (bad request line, bad Content-Length, oversized headers), is the `{"error": {code, message, details}}` envelope
 *   of the error registry, and never echoes the request;
 * - bodies stay raw bytes (a signature may cover them): routes read them with `readJsonBody`;
 * - `X-Content-Type-Options: nosniff` and `Cache-Control: no-store` on every answer;
 * - `X-Request-Id` on every answer: the request's `X-Request-Id` if well-formed (`requestIdPattern`), else a fresh one
 *   (a malformed one is never echoed or logged); the request is handled under that id (runWithRequestId), so every
 *   log line and every gRPC call it makes carries it;
 * - paths are matched exactly as sent (no trailing-slash rewriting: they are signed as sent).
 * @param options logger, body limit, URL limit, access log, trusted proxies
 * @returns the app, not listening (tests use `inject()`)
 */
export function createEdgeApp(options: EdgeAppOptions): FastifyInstance {
  const maxUrlLength = options.maxUrlLength ?? 2048;
  const retryAfterUnavailable = String(options.retryAfterUnavailableSeconds ?? 5);
  const log = options.log.child({ component: 'http' });
  // Seen as fastify's base logger, so routes and plugins get the plain FastifyInstance type.
  const fastifyLog: FastifyBaseLogger = log;

  const sendError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const e = toEdgeError(error);
    // Named here: a framework error (a bad URL) is answered before the request's scope is entered.
    // A retryable 5xx (a node or store away, a timeout) is the expected answer during a fault and is logged as a
    // warning; an error line is for what should never happen (INTERNAL), so a partition does not flood the errors.
    if (e.httpStatus >= 500) {
      const fields = { err: error, code: e.code, requestId: request.id };
      if (e.retryable) request.log.warn(fields, 'request failed');
      else request.log.error(fields, 'request failed');
    }
    reply.header('x-request-id', request.id);
    if (e.code === 'RATE_LIMITED') {
      const seconds = e.details['retryAfterSeconds'];
      reply.header('retry-after', String(typeof seconds === 'number' ? Math.max(1, Math.ceil(seconds)) : 1));
    }
    if (e.code === 'SHARD_UNAVAILABLE' || e.code === 'UNAVAILABLE') reply.header('retry-after', retryAfterUnavailable);
    return reply.code(e.httpStatus).headers(securityHeaders).type('application/json; charset=utf-8').send(e.toJSON());
  };

  const app = Fastify({
    loggerInstance: fastifyLog,
    bodyLimit: options.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // The id is chosen by genReqId (validated), never taken from the header as is.
    requestIdHeader: false,
    genReqId: requestIdFor,
    // No `reqId` binding: the request's lines get `requestId` from its scope (a binding would write it twice).
    childLoggerFactory: (logger, _bindings, childOptions) => logger.child({}, childOptions),
    ...(options.trustedProxies !== undefined && options.trustedProxies.length > 0 ? { trustProxy: [...options.trustedProxies] } : {}),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    frameworkErrors: (error, request, reply) => {
      void sendError(error, request, reply);
    },
    clientErrorHandler: (error: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket) => {
      clientError(error, socket, log);
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Callback hooks, so that everything after them runs inside the request's scope; preValidation enters it again
  // because reading the body continues from the socket's events, outside it.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
    runWithRequestId(request.id, () => done(request.url.length > maxUrlLength ? new WalletError('URI_TOO_LONG') : undefined));
  });
  app.addHook('preValidation', (request, _reply, done) => runWithRequestId(request.id, () => done()));
  const accessLog = options.accessLog;
  if (accessLog !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      log.info(
        {
          requestId: request.id,
          method: request.method,
          // The pattern (`/v1/accounts/:id`), never the path: ids and queries stay out of the access log.
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          ...accessLog.fields?.(request),
        },
        'access',
      );
    });
  }
  closeConnectionsWhenDone(app);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendError(new WalletError('NOT_FOUND', 'no such route'), request, reply));
  return app;
}

/**
 * Keeps `app.close()` from leaving keep-alive connections behind. fastify stops accepting and closes the connections
 * idle at that moment, but one whose request is still in flight stays open after its answer, idle until
 * keepAliveTimeout (72 s): close() waits that long, and a load balancer may send another request on it, which fastify
 * refuses with 503. So while closing, every answer says `Connection: close` (the peer does not reuse the connection and
 * Node ends it after the answer), and connections that become idle otherwise (a hijacked answer: an event stream) are
 * closed as they do, until the server has none left. Node never closes a connection whose answer is unfinished.
 */
function closeConnectionsWhenDone(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    if (app.server.listening) {
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100).unref();
      app.server.once('close', () => clearInterval(sweep));
    }
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** The client's X-Request-Id when well-formed (one value, 1-128 of `[A-Za-z0-9._:-]`), else a fresh UUID. */
function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
}

/**
 * Answers what Node's HTTP parser refused before fastify saw a request (a bad request line, an invalid
 * Content-Length, headers over the size limit, a request not finished in time) with the same envelope.
 */
function clientError(error: NodeJS.ErrnoException, socket: Socket, log: Logger): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const e =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new WalletError('HEADERS_TOO_LARGE')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new WalletError('REQUEST_TIMEOUT')
        : new WalletError('VALIDATION_FAILED', 'malformed HTTP request', {
            details: { issues: [{ field: 'request', message: 'malformed HTTP request' }] },
          });
  log.debug({ parserError: error.code }, 'refused a malformed HTTP request');
  const body = JSON.stringify(e.toJSON());
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[e.httpStatus] ?? 'Error';
  const head = [
    `HTTP/1.1 ${e.httpStatus} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(securityHeaders).map(([k, v]) => `${k}: ${v}`),
    // Nothing of the request can be trusted here (it did not parse): always a fresh id.
    `X-Request-Id: ${randomUUID()}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`);
}
