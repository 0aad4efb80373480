import { WalletError } from '@wallet/errors';

/**
 * Opaque list cursors: the position after which the next page starts, base64url-encoded so clients
 * treat it as opaque. Tampered or foreign cursors are VALIDATION_FAILED, never a SQL error.
 */
export function encodeCursor(position: string): string {
  return Buffer.from(`c1:${position}`, 'utf8').toString('base64url');
}

/** @throws WalletError VALIDATION_FAILED for a cursor this service did not make */
export function decodeCursor(cursor: string, pattern: RegExp = /^[0-9]{1,20}$/): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = text.startsWith('c1:') ? text.slice(3) : '';
  if (!pattern.test(position)) throw new WalletError('VALIDATION_FAILED', 'invalid cursor', { details: { field: 'cursor' } });
  return position;
}

/** Page size from a request: 1..200, 0/absent means 50. */
export function pageLimit(requested: number | undefined): number {
  if (requested === undefined || requested === 0) return 50;
  if (!Number.isInteger(requested) || requested < 1 || requested > 200) {
    throw new WalletError('VALIDATION_FAILED', 'limit must be 1..200', { details: { field: 'limit' } });
  }
  return requested;
}
