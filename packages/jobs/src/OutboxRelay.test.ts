import { createLogger } from '@wallet/logger';
import { describe, expect, it } from 'vitest';
import { groupBySentCount } from './groupBySentCount.js';
import { OutboxRelay, type OutboxRelayOptions } from './OutboxRelay.js';
import { resendDelayMs } from './resendDelayMs.js';

// The relay's pass over an in-memory outbox: which rows are marked done, delivered and rescheduled, and in what order.

type Row = { id: string; sentCount: number; applied: boolean };

const log = createLogger('jobs-test', { level: 'silent' });

function outbox(rows: Row[], overrides: Partial<OutboxRelayOptions<Row>> = {}) {
  const calls: string[] = [];
  const ids = (rs: readonly Row[]) => rs.map((r) => r.id).join(',');
  const relay = new OutboxRelay<Row>({
    name: 'sample-relay',
    log,
    due: async (limit) => {
      calls.push(`due ${limit}`);
      return rows.slice(0, limit);
    },
    settled: (r) => r.applied,
    markDone: async (rs) => void calls.push(`done ${ids(rs)}`),
    deliver: async (rs) => void calls.push(`deliver ${ids(rs)}`),
    reschedule: async (rs) => void calls.push(`reschedule ${ids(rs)}`),
    ...overrides,
  });
  return { relay, calls };
}

describe('OutboxRelay', () => {
  it('stats: the rows found due at the last pass (its backlog, even when delivery fails) and its name', async () => {
    const rows = [
      { id: 'a', sentCount: 0, applied: false },
      { id: 'b', sentCount: 0, applied: false },
    ];
    let down = true;
    const { relay } = outbox(rows, {
      deliver: async () => {
        if (down) throw new Error('redis down');
      },
    });
    expect(relay.stats()).toEqual({ name: 'sample-relay', due: 0, failures: 0 });
    await expect(relay.relayOnce()).rejects.toThrow('redis down');
    expect(relay.stats().due).toBe(2);
    down = false;
    rows.splice(0);
    await relay.relayOnce();
    expect(relay.stats().due).toBe(0);
  });

  it('a pass: rows whose effect shows are marked done, the others delivered, then rescheduled', async () => {
    const { relay, calls } = outbox([
      { id: 'a', sentCount: 1, applied: true },
      { id: 'b', sentCount: 0, applied: false },
      { id: 'c', sentCount: 2, applied: false },
    ]);
    expect(await relay.relayOnce()).toBe(2);
    expect(calls).toEqual(['due 500', 'done a', 'deliver b,c', 'reschedule b,c']);
  });

  it('nothing due, or all settled: nothing delivered', async () => {
    const empty = outbox([]);
    expect(await empty.relay.relayOnce(7)).toBe(0);
    expect(empty.calls).toEqual(['due 7']);
    const settled = outbox([{ id: 'a', sentCount: 1, applied: true }]);
    expect(await settled.relay.relayOnce()).toBe(0);
    expect(settled.calls).toEqual(['due 500', 'done a']);
  });

  it('without settled/markDone or reschedule (an outbox whose delivery is final): every due row is delivered', async () => {
    const calls: string[] = [];
    const relay = new OutboxRelay<Row>({
      name: 'moves',
      log,
      batch: 2,
      due: async (limit) => [{ id: 'a', sentCount: 0, applied: true }].slice(0, limit),
      deliver: async (rs) => void calls.push(rs.map((r) => r.id).join(',')),
    });
    expect(await relay.relayOnce()).toBe(1);
    expect(calls).toEqual(['a']);
  });

  it('a failed delivery reschedules nothing: the rows stay due, and the failure is the pass’s', async () => {
    const { relay, calls } = outbox([{ id: 'b', sentCount: 0, applied: false }], {
      deliver: () => Promise.reject(new Error('Redis is away')),
    });
    await expect(relay.relayOnce()).rejects.toThrow('Redis is away');
    expect(calls).toEqual(['due 500']);
    await relay.kick();
    expect(relay.failures).toBe(1);
  });

  it('kick sends at once; the schedule then runs every intervalMs; stop ends it', async () => {
    const { relay, calls } = outbox([{ id: 'b', sentCount: 0, applied: false }], { intervalMs: 10_000 });
    relay.start();
    await relay.kick();
    expect(calls).toEqual(['due 500', 'deliver b', 'reschedule b']);
    await relay.stop();
    await relay.kick();
    expect(calls).toHaveLength(3);
  });
});

describe('resendDelayMs', () => {
  it('doubles with each send, up to 16 times the first wait', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => resendDelayMs(10_000, n))).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 160_000, 160_000]);
  });
});

describe('groupBySentCount', () => {
  it('groups rows by their send count, in the order met', () => {
    const rows = [
      { id: 'a', n: 1 },
      { id: 'b', n: 0 },
      { id: 'c', n: 1 },
    ];
    expect([...groupBySentCount(rows, (r) => r.n)].map(([n, rs]) => [n, rs.map((r) => r.id)])).toEqual([
      [1, ['a', 'c']],
      [0, ['b']],
    ]);
  });
});
