import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeLocalhash } from './localhash.js';

const base = {
  id: 'wd_01JD3ZQ0000000000000000000',
  accountId: 'acc_01JD3ZQ0000000000000000000',
  chain: 'eth',
  asset: 'ETH',
  to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  amount: 1500000000000000000n,
  fee: 100000000000000n,
};

describe('computeLocalhash', () => {
  it('is sha256 over the versioned, line-separated canonical encoding', () => {
    const encoding = [
      'wallet-withdrawal-v1',
      base.id,
      base.accountId,
      'eth',
      'ETH',
      base.to,
      '1500000000000000000',
      '100000000000000',
    ].join('\n');
    expect(computeLocalhash(base)).toBe(createHash('sha256').update(encoding).digest('hex'));
  });

  it.each([
    ['id', { id: 'wd_01JD3ZQ0000000000000000001' }],
    ['account', { accountId: 'acc_other' }],
    ['chain', { chain: 'devnet' }],
    ['asset', { asset: 'USDT' }],
    ['destination', { to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAee' }],
    ['amount', { amount: 1500000000000000001n }],
    ['fee', { fee: 0n }],
  ])('changes when the %s changes', (_name, change) => {
    expect(computeLocalhash({ ...base, ...change })).not.toBe(computeLocalhash(base));
  });

  it('tags an internal withdrawal apart and covers the credited account', () => {
    const encoding = [
      'wallet-withdrawal-internal-v1',
      base.id,
      base.accountId,
      'eth',
      'ETH',
      base.to,
      '1500000000000000000',
      '100000000000000',
      'acc_01JD3ZQ0000000000000000009',
    ].join('\n');
    const internal = computeLocalhash({ ...base, internalAccountId: 'acc_01JD3ZQ0000000000000000009' });
    expect(internal).toBe(createHash('sha256').update(encoding).digest('hex'));
    expect(computeLocalhash({ ...base, internalAccountId: null })).toBe(computeLocalhash(base));
    expect(computeLocalhash({ ...base, internalAccountId: 'acc_01JD3ZQ0000000000000000008' })).not.toBe(internal);
  });

  it('cannot be fooled by moving digits between amount and fee (fields are delimited)', () => {
    expect(computeLocalhash({ ...base, amount: 15n, fee: 1n })).not.toBe(computeLocalhash({ ...base, amount: 1n, fee: 51n }));
  });

  it('refuses a field with a line break (the encoding would be ambiguous)', () => {
    expect(() => computeLocalhash({ ...base, to: 'a\nb' })).toThrow();
  });
});
