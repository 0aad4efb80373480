import { describe, expect, it } from 'vitest';
import { decodeListCursor, encodeCursor, encodeListCursor } from './index.js';

const position = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: 'dep_01JD3Q7Z8X9V2M4N6P8R0T2W4Y' };

describe('list cursors', () => {
  it('round-trips a position, to the millisecond', () => {
    expect(decodeListCursor('dep', 'desc', encodeListCursor('dep', 'desc', position))).toEqual(position);
    expect(decodeListCursor('tr', 'asc', encodeListCursor('tr', 'asc', { ...position, id: 'tr_1' }))).toEqual({ ...position, id: 'tr_1' });
  });

  it('refuses a cursor of the other order', () => {
    expect(() => decodeListCursor('dep', 'asc', encodeListCursor('dep', 'desc', position))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field: 'cursor' } }),
    );
  });

  it("refuses another list's cursor", () => {
    expect(() => decodeListCursor('wd', 'desc', encodeListCursor('dep', 'desc', position))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it.each([
    ['an id cursor of the per-account lists', encodeCursor('dep_01JD3Q7Z8X9V2M4N6P8R0T2W4Y')],
    ['garbage', 'not a cursor'],
    ['an empty string', ''],
    ['a SQL fragment', encodeCursor("dep:desc:1:x' OR 1=1 --")],
    ['a time of 16 digits', encodeCursor('dep:desc:1234567890123456:dep_1')],
    ['an unknown order', encodeCursor('dep:newest:1:dep_1')],
  ])('refuses %s', (_what, cursor) => {
    expect(() => decodeListCursor('dep', 'desc', cursor)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
