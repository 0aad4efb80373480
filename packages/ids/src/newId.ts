import { monotonicFactory } from 'ulidx';

const ulid = monotonicFactory();

/**
 * A new opaque, time-ordered id: `<prefix>_<ULID>` (e.g. `acc_01JD3...`). Monotonic within a process,
 * so ids created in one millisecond still sort in creation order.
 * @param prefix 2-4 lower-case letters naming the kind of object
 */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
