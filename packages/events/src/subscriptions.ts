import { WalletError } from '@wallet/errors';
import { eventTypes } from './eventTypes.js';

/**
 * The event types a subscriber (a webhook, an email address) asks for: known types or `*`, at least one, duplicates
 * dropped, `*` alone when given. @throws WalletError VALIDATION_FAILED (field `body.events`)
 */
export function checkEventTypes(events: readonly string[]): string[] {
  const invalid = (message: string): WalletError =>
    new WalletError('VALIDATION_FAILED', message, { details: { issues: [{ field: 'body.events', message }] } });
  if (events.length === 0) throw invalid('events must name at least one event type (or "*")');
  const known = new Set<string>([...eventTypes, '*']);
  for (const e of events) if (!known.has(e)) throw invalid(`unknown event type: ${e.slice(0, 60)}`);
  const unique = [...new Set(events)];
  return unique.includes('*') ? ['*'] : unique.sort();
}

/** Whether a subscriber to `events` wants an event of `type`. */
export function wants(events: readonly string[], type: string): boolean {
  return events.includes('*') || events.includes(type);
}
