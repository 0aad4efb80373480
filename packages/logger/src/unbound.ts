import type { Logger } from './createLogger.js';

/**
 * `fields` without the keys the logger is already bound to with the same value: pino writes a child's bindings and a
 * line's own fields side by side, so a field repeated from the bindings would appear twice in the line's JSON (such as
 * `"chain":"ltc","chain":"ltc"`), which JSON readers resolve differently. A key bound to another value is kept.
 */
export function unbound(log: Logger, fields: Record<string, unknown>): Record<string, unknown> {
  const bound = log.bindings();
  return Object.fromEntries(Object.entries(fields).filter(([key, value]) => !(key in bound) || bound[key] !== value));
}
