import { describe, expect, it } from 'vitest';
import { decodeTransferLog, erc20TransferTopic } from './decodeTransferLog.js';
import type { RpcLog } from './evmRpcSchemas.js';

const from = '0x1111111111111111111111111111111111111111';
const to = '0x2222222222222222222222222222222222222222';
const pad = (address: string): string => `0x${address.slice(2).padStart(64, '0')}`;
const word = (value: bigint): string => `0x${value.toString(16).padStart(64, '0')}`;

function log(overrides: Partial<RpcLog> = {}): RpcLog {
  return {
    address: '0x3333333333333333333333333333333333333333',
    topics: [erc20TransferTopic, pad(from), pad(to)],
    data: word(1234n),
    logIndex: 7,
    ...overrides,
  };
}

describe('decodeTransferLog', () => {
  it('decodes a well-formed Transfer', () => {
    expect(decodeTransferLog(log())).toEqual({ from, to, amount: 1234n });
  });

  it('decodes the largest uint256 exactly', () => {
    expect(decodeTransferLog(log({ data: word(2n ** 256n - 1n) }))?.amount).toBe(2n ** 256n - 1n);
  });

  it('refuses 4 topics (ERC721 Transfer: tokenId indexed) and 2 topics', () => {
    expect(decodeTransferLog(log({ topics: [erc20TransferTopic, pad(from), pad(to), word(1n)] }))).toBeNull();
    expect(decodeTransferLog(log({ topics: [erc20TransferTopic, pad(from)] }))).toBeNull();
  });

  it('refuses data that is not exactly 32 bytes', () => {
    expect(decodeTransferLog(log({ data: '0x' }))).toBeNull();
    expect(decodeTransferLog(log({ data: word(5n).slice(0, 64) }))).toBeNull();
    expect(decodeTransferLog(log({ data: `${word(5n)}00` }))).toBeNull();
  });

  it('refuses another event', () => {
    const approval = '0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925';
    expect(decodeTransferLog(log({ topics: [approval, pad(from), pad(to)] }))).toBeNull();
  });

  it('refuses address topics with non-zero padding', () => {
    expect(decodeTransferLog(log({ topics: [erc20TransferTopic, pad(from), `0x01${pad(to).slice(4)}`] }))).toBeNull();
  });
});
