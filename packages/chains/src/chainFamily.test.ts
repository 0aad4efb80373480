import { describe, expect, it } from 'vitest';
import { chainFamily } from './chainFamily.js';

describe('chainFamily', () => {
  it('pays out on EVM chains and refuses their reserved destinations', () => {
    const evm = chainFamily({ kind: 'evm' });
    expect(evm.payouts).toBe(true);
    expect(evm.reservedDestination('0x0000000000000000000000000000000000000000')).toBe('zero_address');
    expect(evm.reservedDestination('0x0000000000000000000000000000000000000100')).toBe('reserved_address');
    expect(evm.reservedDestination('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')).toBeNull();
  });

  it('pays out on UTXO chains, and reserves no UTXO address', () => {
    const utxo = chainFamily({ kind: 'utxo' });
    expect(utxo.payouts).toBe(true);
    expect(utxo.reservedDestination('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080')).toBeNull();
  });
});
