import { afterAll, describe, expect, it } from 'vitest';
import { type EventWakeups, eventRoutes } from './events.js';
import { CLIENT_ID, codeOf, routeTestApp } from './routeTestApp.js';

type Ev = {
  seq: string;
  id: string;
  type: string;
  resourceType: string;
  resourceId: string;
  version: number;
  dataJson: string;
  occurredAt: string;
};

/** A feed the fake node serves; `append` adds to it and wakes the waiting readers, as a sequencer's announcement does. */
const feed: Ev[] = [];
const waiting = new Set<() => void>();
const wakeups: EventWakeups = {
  wait: (_clientId, _after, maxMs, signal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    }),
};
function append(type: string): void {
  const seq = feed.length + 1;
  feed.push({
    seq: String(seq),
    id: `ev_${seq}`,
    type,
    resourceType: 'deposit',
    resourceId: 'dep_1',
    version: seq,
    dataJson: JSON.stringify({ id: 'dep_1', amount: '5' }),
    occurredAt: '2026-12-06T00:00:00.000Z',
  });
  for (const wake of [...waiting]) wake();
}

describe('event routes', async () => {
  const { app, calls } = await routeTestApp((api, deps) => eventRoutes(api, { ...deps, events: wakeups }), {
    nodes: {
      t1: {
        listEvents: async (req: { clientId: string; after: string; limit: number }) => ({
          events: feed.filter((e) => Number(e.seq) > Number(req.after)).slice(0, req.limit),
          lastSeq: String(feed.length),
        }),
      },
    },
  });
  afterAll(() => app.close());

  it('pages the feed after a sequence, for the signed client only', async () => {
    append('deposit.seen');
    append('deposit.credited');
    const r = await app.inject({ method: 'GET', url: '/v1/events?after=0&limit=1' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      data: [
        {
          seq: 1,
          id: 'ev_1',
          type: 'deposit.seen',
          resourceType: 'deposit',
          resourceId: 'dep_1',
          version: 1,
          occurredAt: '2026-12-06T00:00:00.000Z',
          data: { id: 'dep_1', amount: '5' },
        },
      ],
      next: 1,
      lastSeq: 2,
    });
    expect(calls.at(-1)).toMatchObject({ method: 'listEvents', args: { clientId: CLIENT_ID, after: '0', limit: 1 } });
    const rest = await app.inject({ method: 'GET', url: '/v1/events?after=1' });
    expect(rest.json<{ data: { seq: number }[]; next: number }>()).toMatchObject({ data: [{ seq: 2 }], next: 2 });
    const none = await app.inject({ method: 'GET', url: '/v1/events?after=2' });
    expect(none.json()).toEqual({ data: [], next: 2, lastSeq: 2 });
  });

  it('a long poll answers as soon as an event follows `after`', async () => {
    const asked = app.inject({ method: 'GET', url: `/v1/events?after=${feed.length}&wait=30` });
    await new Promise((r) => setTimeout(r, 100));
    append('deposit.orphaned');
    const r = await asked;
    expect(r.json<{ data: { type: string }[] }>().data.map((e) => e.type)).toEqual(['deposit.orphaned']);
  });

  it('a long poll with nothing to say answers empty after `wait`', async () => {
    const started = Date.now();
    const r = await app.inject({ method: 'GET', url: `/v1/events?after=${feed.length}&wait=1` });
    expect(r.json()).toMatchObject({ data: [], next: feed.length });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it.each([
    ['a negative after', 'after=-1'],
    ['a fractional after', 'after=1.5'],
    ['a limit of 0', 'limit=0'],
    ['a limit over 1000', 'limit=1001'],
    ['a wait over 30 s', 'wait=31'],
    ['an unknown parameter', 'since=2026-01-01'],
  ])('refuses %s with VALIDATION_FAILED, asking no node', async (_name, q) => {
    const before = calls.length;
    const r = await app.inject({ method: 'GET', url: `/v1/events?${q}` });
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
    expect(calls.length).toBe(before);
  });
});
