import { computeLocalhash, type WithdrawalRow } from '@wallet/withdrawal-protocol';
import { describe, expect, it } from 'vitest';
import { integrityProblems } from './integrity.js';

const fields = {
  id: 'wd_01JD3ZQ0000000000000000000',
  accountId: 'acc_1',
  chain: 'eth',
  asset: 'ETH',
  to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  amount: 10n,
  fee: 1n,
};
const row = {
  id: fields.id,
  account_id: fields.accountId,
  node_id: 't1',
  chain: 'eth',
  asset: 'ETH',
  to_address: fields.to,
  amount: '10',
  fee: '1',
  localhash: computeLocalhash(fields),
  internal_account_id: null,
} as WithdrawalRow;
const internalRow = {
  ...row,
  internal_account_id: 'acc_2',
  fee: '0',
  localhash: computeLocalhash({ ...fields, fee: 0n, internalAccountId: 'acc_2' }),
} as WithdrawalRow;

describe('integrityProblems', () => {
  it('finds nothing wrong with an intact row and a matching message', () => {
    expect(integrityProblems(row)).toEqual([]);
    expect(
      integrityProblems(row, { withdrawalId: row.id, nodeId: 't1', to: fields.to, amount: 10n, fee: 1n, localhash: row.localhash }),
    ).toEqual([]);
  });

  it('names each field a message changed', () => {
    expect(integrityProblems(row, { amount: 11n, to: '0x0000000000000000000000000000000000000001' }).sort()).toEqual(['amount', 'to']);
    expect(integrityProblems(row, { localhash: 'f'.repeat(64) })).toEqual(['localhash']);
  });

  it('finds a row altered in MySQL (it no longer hashes to its localhash)', () => {
    expect(integrityProblems({ ...row, to_address: '0x0000000000000000000000000000000000000001' })).toEqual(['localhash']);
    expect(integrityProblems({ ...row, amount: '1000' })).toEqual(['localhash']);
  });

  it('checks the credited account of an internal withdrawal, which its localhash covers', () => {
    expect(integrityProblems(internalRow, { internalAccountId: 'acc_2', fee: 0n, localhash: internalRow.localhash })).toEqual([]);
    expect(integrityProblems(internalRow, { internalAccountId: 'acc_3' })).toEqual(['internalAccountId']);
    expect(integrityProblems(row, { internalAccountId: 'acc_2' })).toEqual(['internalAccountId']);
    // Altered in MySQL: another account credited, or made a chain withdrawal.
    expect(integrityProblems({ ...internalRow, internal_account_id: 'acc_3' })).toEqual(['localhash']);
    expect(integrityProblems({ ...internalRow, internal_account_id: null })).toEqual(['localhash']);
  });
});
