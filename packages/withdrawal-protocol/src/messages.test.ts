import { describe, expect, it } from 'vitest';
import { BlockoutRequest, BlockoutResponse, encodeMessage } from './messages.js';

const request = {
  v: 1,
  withdrawalId: 'wd_01JD3ZQ0000000000000000000',
  nodeId: 't1',
  accountId: 'acc_01JD3ZQ0000000000000000000',
  chain: 'eth',
  asset: 'ETH',
  to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  amount: 10n,
  fee: 1n,
  localhash: 'a'.repeat(64),
} as const;

describe('blockout messages', () => {
  it('round-trip through their JSON encoding', () => {
    expect(BlockoutRequest.parse(JSON.parse(encodeMessage(request)))).toEqual(request);
    const rsp = { v: 1, type: 'signed', withdrawalId: request.withdrawalId, nodeId: 't1', txid: `0x${'b'.repeat(64)}` } as const;
    expect(BlockoutResponse.parse(JSON.parse(encodeMessage(rsp)))).toEqual(rsp);
  });

  it.each([
    ['an unknown field', { ...request, status: 'approved' }],
    ['a negative amount', { ...request, amount: '-1' }],
    ['a numeric amount', { ...request, amount: 10 }],
    ['a short localhash', { ...request, localhash: 'abc' }],
    ['another version', { ...request, v: 2 }],
    ['a bad node id', { ...request, nodeId: 'T 1' }],
  ])('a request with %s is refused', (_what, input) => {
    const encoded = JSON.parse(JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown;
    expect(BlockoutRequest.safeParse(encoded).success).toBe(false);
  });

  it('a response of an unknown type or with a malformed txid is refused', () => {
    const base = { v: 1, withdrawalId: request.withdrawalId, nodeId: 't1' };
    expect(BlockoutResponse.safeParse({ ...base, type: 'confirmed' }).success).toBe(false);
    expect(BlockoutResponse.safeParse({ ...base, type: 'signed', txid: '0x12' }).success).toBe(false);
    expect(BlockoutResponse.safeParse({ ...base, type: 'signed', txid: 'AB'.repeat(32) }).success).toBe(false);
    expect(BlockoutResponse.safeParse({ ...base, type: 'signed', txid: `0x${'ab'.repeat(31)}` }).success).toBe(false);
  });

  it('a response names an EVM transaction hash (0x) or a UTXO txid (64 hex)', () => {
    const base = { v: 1, withdrawalId: request.withdrawalId, nodeId: 't1', type: 'signed' };
    expect(BlockoutResponse.safeParse({ ...base, txid: `0x${'ab'.repeat(32)}` }).success).toBe(true);
    expect(BlockoutResponse.safeParse({ ...base, txid: 'ab'.repeat(32) }).success).toBe(true);
  });
});
