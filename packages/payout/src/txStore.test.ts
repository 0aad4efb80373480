import { describe, expect, it } from 'vitest';
import { newTxs } from './txStore.js';

describe('newTxs', () => {
  const withdrawal = { localhash: 'ab'.repeat(32), node_id: 't1' };
  const one = new Map([['wd_1', withdrawal]]);

  it("stores what any family signed: the shared columns, the nonce, and the family's own columns", () => {
    const [tx, ...rest] = newTxs(
      'eth',
      {
        members: [{ withdrawalId: 'wd_1' }],
        txid: '0x01',
        raw: '0x02',
        from: '0xF0',
        nonce: 12,
        columns: { gas_limit: '21000', max_fee_per_gas: '5' },
      },
      2,
      one,
    );
    expect(rest).toEqual([]);
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
    const [tx] = newTxs(
      'ltc',
      {
        members: [{ withdrawalId: 'wd_1', columns: { withdrawal_id: 'wd_9', vout: '0' } }],
        txid: 'aa',
        raw: '70736274ff',
        from: 'rltc1q',
        nonce: null,
        columns: { fee_rate: '10', attempt: '9' },
      },
      0,
      one,
    );
    expect(tx!.nonce).toBeNull();
    expect(tx!['fee_rate']).toBe('10');
    expect(tx!.attempt).toBe(0);
    expect(tx!.withdrawal_id).toBe('wd_1');
  });

  it("gives each withdrawal of a batch its own row: the same transaction, the member's own columns, localhash and node", () => {
    const other = { localhash: 'cd'.repeat(32), node_id: 't2' };
    const txs = newTxs(
      'ltc',
      {
        members: [
          { withdrawalId: 'wd_1', columns: { vout: '0', network_fee: '70' } },
          { withdrawalId: 'wd_2', columns: { vout: '2', network_fee: '71' } },
        ],
        txid: 'aa',
        raw: '02',
        from: 'rltc1q',
        nonce: null,
        columns: { fee_rate: '10' },
      },
      0,
      new Map([
        ['wd_1', withdrawal],
        ['wd_2', other],
      ]),
    );
    expect(txs.map((t) => [t.withdrawal_id, t.txid, t['vout'], t['network_fee'], t['fee_rate'], t.node_id, t.localhash])).toEqual([
      ['wd_1', 'aa', '0', '70', '10', 't1', withdrawal.localhash],
      ['wd_2', 'aa', '2', '71', '10', 't2', other.localhash],
    ]);
  });

  it('refuses a transaction paying nobody, or a withdrawal that is not being signed', () => {
    const base = { txid: 'aa', raw: '02', from: 'x', nonce: null, columns: {} };
    expect(() => newTxs('ltc', { ...base, members: [] }, 0, one)).toThrow(/pays no withdrawal/);
    expect(() => newTxs('ltc', { ...base, members: [{ withdrawalId: 'wd_7' }] }, 0, one)).toThrow(/not being signed/);
  });
});
