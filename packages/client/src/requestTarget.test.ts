import { describe, expect, it } from 'vitest';
import { requestTarget } from './requestTarget.js';

describe('requestTarget', () => {
  it('fills path parameters, percent-encoded', () => {
    expect(requestTarget('/v1/accounts/{id}/deposits', { id: 'acc_1' })).toBe('/v1/accounts/acc_1/deposits');
    expect(requestTarget('/v1/withdrawals/{id}', { id: 'a/b c' })).toBe('/v1/withdrawals/a%2Fb%20c');
    expect(() => requestTarget('/v1/withdrawals/{id}', {})).toThrow(TypeError);
    expect(() => requestTarget('/v1/withdrawals/{id}', { id: '' })).toThrow(TypeError);
  });

  it('sends no "?" without a query, and leaves out absent values', () => {
    expect(requestTarget('/v1/assets')).toBe('/v1/assets');
    expect(requestTarget('/v1/assets', {}, { cursor: undefined, limit: null })).toBe('/v1/assets');
  });

  it('keeps the parameters in the order given and encodes every value', () => {
    expect(requestTarget('/v1/accounts/{id}/ledger', { id: 'a' }, { asset: 'ETH', limit: 2 })).toBe(
      '/v1/accounts/a/ledger?asset=ETH&limit=2',
    );
    expect(requestTarget('/v1/x', {}, { limit: 2, asset: 'ETH' })).toBe('/v1/x?limit=2&asset=ETH');
    expect(requestTarget('/v1/accounts', {}, { externalId: 'user 42&x=1/é' })).toBe('/v1/accounts?externalId=user%2042%26x%3D1%2F%C3%A9');
    expect(requestTarget('/v1/x', {}, { since: new Date('2024-12-04T12:00:00Z'), n: 10n, b: true })).toBe(
      '/v1/x?since=2024-12-04T12%3A00%3A00.000Z&n=10&b=true',
    );
  });
});
