import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type Deposit, type DepositAddress, WithdrawalRecord } from '@wallet/proto';
import { describe, expect, it } from 'vitest';
import { addressView, canonicalAddress, depositView, withdrawalView } from './views.js';

const registry = AssetRegistry.parse(devRegistryInput);
const at = '2026-01-01T00:00:00.000Z';
// EIP-55's own test case, and the form a node's JSON-RPC (and so a deposit row) has it in.
const EIP55 = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const LOWER = EIP55.toLowerCase();
const BECH32 = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

const deposit = (chain: string, address: string): Deposit => ({
  id: 'dep_1',
  asset: chain.toUpperCase(),
  chain,
  address,
  txid: '0x01',
  outputIndex: -1,
  amount: '1',
  blockNumber: '1',
  blockHash: '0x02',
  confirmations: 1,
  status: 'pending',
  createdAt: at,
  creditedAt: '',
  internal: false,
});
const depositAddress = (chain: string, address: string): DepositAddress => ({
  chain,
  address,
  index: 0,
  accountId: 'acc_1',
  createdAt: at,
  path: "m/44'/60'/0'/0/0",
});
// Every field at its proto default (an empty message), then this withdrawal's.
const withdrawal = (chain: string, to: string): WithdrawalRecord => ({
  ...WithdrawalRecord.decode(new Uint8Array()),
  id: 'wd_1',
  clientId: 'cl_1',
  accountId: 'acc_1',
  chain,
  asset: chain.toUpperCase(),
  to,
  amount: '1',
  fee: '0',
  status: 'pending_review',
  txid: '',
  confirmations: -1,
  reason: '',
  networkFee: '',
  createdAt: at,
  updatedAt: at,
  internal: false,
});

describe('one canonical address form in every answer', () => {
  it('EVM: the deposits list, the address answers and withdrawals show EIP-55 whatever the stored case', () => {
    for (const stored of [LOWER, EIP55, `0x${EIP55.slice(2).toUpperCase()}`]) {
      expect(depositView(deposit('eth', stored), registry).address).toBe(EIP55);
      expect(addressView(depositAddress('eth', stored), registry).address).toBe(EIP55);
      expect(withdrawalView(withdrawal('eth', stored), registry).to).toBe(EIP55);
    }
  });

  it('UTXO: lower-case bech32 and base58check as they are', () => {
    expect(depositView(deposit('btc', BECH32), registry).address).toBe(BECH32);
    expect(depositView(deposit('btc', BECH32.toUpperCase()), registry).address).toBe(BECH32);
    expect(withdrawalView(withdrawal('ltc', 'mkHS9ne12qx9pS9VojpwU5xtRd4T7X7ZUt'), registry).to).toBe('mkHS9ne12qx9pS9VojpwU5xtRd4T7X7ZUt');
  });

  it('a chain that left the registry keeps the stored form', () => {
    expect(canonicalAddress(registry, 'gone', LOWER)).toBe(LOWER);
  });
});
