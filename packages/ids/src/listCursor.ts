import { WalletError } from '@wallet/errors';
import { decodeCursor, encodeCursor } from './cursor.js';

/** The order of a client-wide list: by creation time, newest (`desc`) or oldest (`asc`) first. */
export const ListOrder = { desc: 'desc', asc: 'asc' } as const;
export type ListOrder = (typeof ListOrder)[keyof typeof ListOrder];

/** A row's place in a list ordered by (createdAt, id): ids break ties between rows of one millisecond. */
export type ListPosition = { readonly createdAt: Date; readonly id: string };

// position: <kind>:<order>:<createdAt, ms since the epoch>:<id>
const POSITION = /^([a-z]{1,8}):(desc|asc):([0-9]{1,15}):([A-Za-z0-9_-]{1,64})$/;

/**
 * The cursor after `position` in a list of `kind` read in `order`: opaque to clients, and only valid for the same
 * list and order (a page read oldest first cannot continue newest first).
 * @param kind the list's kind (`dep`, `wd`, `tr`): a cursor of one list is refused by another
 */
export function encodeListCursor(kind: string, order: ListOrder, position: ListPosition): string {
  return encodeCursor(`${kind}:${order}:${position.createdAt.getTime()}:${position.id}`);
}

/**
 * The position a cursor of {@link encodeListCursor} names.
 * @throws WalletError VALIDATION_FAILED (field `cursor`) for a cursor this list did not make, or made in the other order
 */
export function decodeListCursor(kind: string, order: ListOrder, cursor: string): ListPosition {
  const [, cursorKind, cursorOrder, ms, id] = POSITION.exec(decodeCursor(cursor, POSITION)) ?? [];
  if (cursorKind !== kind) throw new WalletError('VALIDATION_FAILED', 'invalid cursor', { details: { field: 'cursor' } });
  if (cursorOrder !== order) {
    throw new WalletError('VALIDATION_FAILED', `this cursor continues a list in ${cursorOrder} order`, { details: { field: 'cursor' } });
  }
  // At most 15 digits: always inside the Date range (8.64e15 ms).
  return { createdAt: new Date(Number(ms)), id: id! };
}
