import { type DestinationStream, pino, type Logger, type LoggerOptions } from 'pino';
import { currentRequestId } from './requestScope.js';

export type { Logger } from 'pino';

/** Fields whose values are never logged: secrets, key material, and the credentials of auditors and clients. */
const secretKeys = [
  'secret',
  'password',
  'passphrase',
  'mnemonic',
  'seed',
  'entropy',
  'privateKey',
  'xprv',
  'kek',
  'auditorToken',
  'bearerToken',
  'accessToken',
  'authorization',
  // a client's proof-of-reserves salt: whoever has it can tell which leaf of a report is the client's
  'salt',
  'reserveSalt',
  'reserve_salt',
];
// Not a bare `token`: the scanners' fencing tokens are logged under that name, and operators need them to follow a
// failover. A credential is always logged, if at all, under one of the names above.

/**
 * Where they are redacted: at the top of a log object, one and two levels down (`{ err: { config: { token } } }`,
 * `{ req: { body: { auditorToken } } }`), and in request headers as fastify and grpc-js log them. pino (fast-redact)
 * matches exact paths with `*` for one level, not any depth: a field nested deeper is not covered.
 */
const redactPaths = [...secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]), 'headers["x-signature"]', '*.headers["x-signature"]'];

/**
 * Creates the structured JSON logger every process uses (one line per event on stdout). A line written while a request
 * is being handled ({@link runWithRequestId}) carries its `requestId`, from this logger and every child of it; a
 * `requestId` the line itself names wins (never bind one in a child: it would be written twice).
 * @param service service name, added to every line as `svc`
 * @param options pino options; `level` @default 'info'
 * @param destination where lines go (tests capture them) @default stdout
 * @returns a pino logger
 */
export function createLogger(service: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    level: 'info',
    base: { svc: service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[Redacted]' },
    mixin: requestIdMixin,
    ...options,
  };
  return destination === undefined ? pino(settings) : pino(settings, destination);
}

/** Adds the current request's id to a line (pino merges the line's own fields over it). */
function requestIdMixin(): object {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}
