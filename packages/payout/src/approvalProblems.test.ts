import { type WithdrawalRow, computeLocalhash } from '@wallet/withdrawal-protocol';
import { describe, expect, it } from 'vitest';
import { approvalProblems } from './approvalProblems.js';

const fields = {
  id: 'wd_01JD3ZQ0000000000000000000',
  accountId: 'acc_1',
  chain: 'eth',
  asset: 'ETH',
  to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  amount: 10n,
  fee: 1n,
};
const localhash = computeLocalhash(fields);
const row = {
  id: fields.id,
  account_id: 'acc_1',
  node_id: 't1',
  chain: 'eth',
  asset: 'ETH',
  to_address: fields.to,
  amount: '10',
  fee: '1',
  localhash,
  internal_account_id: null,
} as WithdrawalRow;

describe('approvalProblems', () => {
  it('finds nothing in an intact row that signsrv approved', () => {
    expect(approvalProblems(row, { localhash, decision: 'approved' })).toEqual([]);
  });

  it.each([null, 'rejected', 'voided'])('finds `decision` when signsrv did not approve it (%s)', (decision) => {
    expect(approvalProblems(row, { localhash, decision })).toEqual(['decision']);
  });

  it('finds a row altered after signsrv received it, and a request signsrv never received', () => {
    expect(approvalProblems({ ...row, amount: '11' }, { localhash, decision: 'approved' })).toEqual(['localhash']);
    expect(approvalProblems(row, { localhash: 'f'.repeat(64), decision: 'approved' })).toEqual(['localhash']);
    expect(approvalProblems(row, undefined)).toEqual(['localhash', 'decision']);
  });
});
