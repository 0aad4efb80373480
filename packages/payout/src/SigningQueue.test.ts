import { describe, expect, it } from 'vitest';
import { type BatchOutcome, SigningQueue } from './SigningQueue.js';

/** A promise and its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A signBatch that records its batches and ends each one when the test says so. */
function recorder(errorsFor: (id: string) => unknown = () => undefined) {
  const batches: string[][] = [];
  const gates: { signed: () => void; sent: () => void }[] = [];
  const signBatch = (ids: readonly string[]): Promise<BatchOutcome> => {
    batches.push([...ids]);
    const signed = deferred();
    const sent = deferred();
    gates.push({ signed: signed.resolve, sent: sent.resolve });
    return signed.promise.then(() => ({
      errors: new Map(ids.filter((id) => errorsFor(id) !== undefined).map((id) => [id, errorsFor(id)])),
      sent: sent.promise,
    }));
  };
  return { batches, gates, signBatch };
}

const settled = (p: Promise<void>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => `rejected:${String(e)}`,
  );
const tick = () => new Promise((r) => setImmediate(r));

describe('SigningQueue', () => {
  it('signs the calls made in one tick as one batch, and those made while it runs together in the next, each id once', async () => {
    const r = recorder();
    const queue = new SigningQueue(r.signBatch);
    const first = [queue.sign('a'), queue.sign('b')];
    await tick();
    expect(r.batches).toEqual([['a', 'b']]);
    const later = [queue.sign('c'), queue.sign('d'), queue.sign('c')];
    await tick();
    expect(r.batches).toEqual([['a', 'b']]); // the first batch is still being signed
    r.gates[0]!.signed();
    await tick();
    expect(r.batches).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    r.gates[0]!.sent();
    r.gates[1]!.signed();
    r.gates[1]!.sent();
    expect(await Promise.all([...first, ...later].map(settled))).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
  });

  it('answers a caller only once its own batch has been sent', async () => {
    const r = recorder();
    const queue = new SigningQueue(r.signBatch);
    let answered = false;
    const call = queue.sign('a').then(() => (answered = true));
    await tick();
    r.gates[0]!.signed();
    await tick();
    expect(answered).toBe(false); // signed, not yet sent
    r.gates[0]!.sent();
    await call;
    expect(answered).toBe(true);
  });

  it('rejects only the callers whose withdrawal failed, each with its own error', async () => {
    const r = recorder((id) => (id === 'b' ? 'b-error' : undefined));
    const queue = new SigningQueue(r.signBatch);
    const blocker = queue.sign('x');
    await tick();
    const calls = [queue.sign('a'), queue.sign('b')];
    r.gates[0]!.signed();
    r.gates[0]!.sent();
    await blocker;
    await tick();
    r.gates[1]!.signed();
    r.gates[1]!.sent();
    expect(await Promise.all(calls.map(settled))).toEqual(['resolved', 'rejected:b-error']);
  });

  it('rejects every caller of a batch that throws, and goes on with the next', async () => {
    const batches: string[][] = [];
    const queue = new SigningQueue(async (ids) => {
      batches.push([...ids]);
      if (ids.includes('boom')) throw new Error('database down');
      return { errors: new Map(), sent: Promise.resolve() };
    });
    const boom = settled(queue.sign('boom'));
    await tick();
    const results = await Promise.all([boom, settled(queue.sign('after'))]);
    expect(results).toEqual(['rejected:Error: database down', 'resolved']);
    expect(batches).toEqual([['boom'], ['after']]);
  });

  it('takes at most maxBatch waiting calls per batch', async () => {
    const batches: string[][] = [];
    const queue = new SigningQueue(async (ids) => {
      batches.push([...ids]);
      return { errors: new Map(), sent: Promise.resolve() };
    }, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => queue.sign(id)));
    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});
