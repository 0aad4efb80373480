import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey, requestHash, shouldStoreResponse } from './index.js';

describe('requestHash', () => {
  const base = { method: 'POST', route: '/v1/accounts/acc_1/withdrawals', body: '{"asset":"ETH","to":"0xab","amount":"1"}' };

  it('is sha256 of the length-prefixed method and route followed by the body bytes', () => {
    const expected = createHash('sha256').update(`4:POST30:/v1/accounts/acc_1/withdrawals${base.body}`).digest('hex');
    expect(requestHash(base)).toBe(expected);
  });

  it('is the same for the same bytes as string or Buffer, and any method case', () => {
    expect(requestHash({ ...base, method: 'post', body: Buffer.from(base.body) })).toBe(requestHash(base));
  });

  it('changes with the body, the route or the method', () => {
    const hashes = new Set([
      requestHash(base),
      requestHash({ ...base, body: base.body.replace('"1"', '"2"') }),
      requestHash({ ...base, route: '/v1/accounts/acc_2/withdrawals' }),
      requestHash({ ...base, method: 'PUT' }),
      requestHash({ ...base, body: undefined }),
    ]);
    expect(hashes.size).toBe(5);
  });

  it('cannot be made to collide by moving bytes between route and body', () => {
    expect(requestHash({ method: 'POST', route: '/a', body: 'b' })).not.toBe(requestHash({ method: 'POST', route: '/ab', body: '' }));
  });
});

describe('parseIdempotencyKey', () => {
  it.each(['k', 'a'.repeat(64), 'order-2024:01/x~!', '~'])('accepts %s', (key) => {
    expect(parseIdempotencyKey(key)).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['65 chars', 'a'.repeat(65)],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['non-ASCII', 'clé'],
    ['a newline', 'a\n'],
    ['absent', undefined],
    ['repeated', ['a', 'b']],
  ] as const)('refuses %s with VALIDATION_FAILED', (_name, key) => {
    expect(() => parseIdempotencyKey(key)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('shouldStoreResponse', () => {
  it.each([
    [201, undefined, true],
    [200, undefined, true],
    [400, 'VALIDATION_FAILED', true],
    [422, 'INSUFFICIENT_FUNDS', true],
    [409, 'WITHDRAWAL_NOT_CANCELLABLE', true],
    [409, 'CONFLICT', false],
    [429, 'RATE_LIMITED', false],
    [429, undefined, false],
    [500, 'INTERNAL', false],
    [503, 'SHARD_UNAVAILABLE', false],
    [503, 'UNAVAILABLE', false],
  ] as const)('status %i %s -> %s', (status, code, expected) => {
    expect(shouldStoreResponse(status, code)).toBe(expected);
  });
});
