import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are never written to logs, wherever they appear in a log object. */
const redactPaths = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'mnemonic',
  '*.mnemonic',
  'seed',
  '*.seed',
  'privateKey',
  '*.privateKey',
  'xprv',
  '*.xprv',
  'headers["x-signature"]',
  'req.headers["x-signature"]',
];

/**
 * Creates the structured JSON logger every process uses (one line per event on stdout).
 * @param service service name, added to every line as `svc`
 * @param options pino options; `level` @default 'info'
 * @returns a pino logger
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino({
    level: 'info',
    base: { svc: service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...options,
  });
}
