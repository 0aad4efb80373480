import { describe, expect, it } from 'vitest';
import { newTx } from './txStore.js';

describe('newTx', () => {
  const withdrawal = { localhash: 'ab'.repeat(32), node_id: 't1' };

  it("stores what any family signed: the shared columns, the nonce, and the family's own columns", () => {
    const tx = newTx(
      'eth',
      { withdrawalId: 'wd_1', txid: '0x01', raw: '0x02', from: '0xF0', nonce: 12, columns: { gas_limit: '21000', max_fee_per_gas: '5' } },
      2,
      withdrawal,
    );
    expect(tx).toMatchObject({
      chain: 'eth',
      txid: '0x01',
      withdrawal_id: 'wd_1',
      attempt: 2,
      from_address: '0xF0',
      nonce: '12',
      raw: '0x02',
      gas_limit: '21000',
      max_fee_per_gas: '5',
      broadcast_at: null,
      last_broadcast_at: null,
      localhash: withdrawal.localhash,
      node_id: 't1',
    });
  });

  it('stores no nonce for a family without one (UTXO), and cannot let a family column overwrite a shared one', () => {
    const tx = newTx(
      'ltc',
      { withdrawalId: 'wd_2', txid: 'aa', raw: '70736274ff', from: 'rltc1q', nonce: null, columns: { fee_rate: '10', attempt: '9' } },
      0,
      withdrawal,
    );
    expect(tx.nonce).toBeNull();
    expect(tx['fee_rate']).toBe('10');
    expect(tx.attempt).toBe(0);
  });
});
