import { WalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { RefusalAlarms } from './RefusalAlarms.js';

function alarms() {
  const raised: { kind: string; withdrawalId: string; details: Record<string, unknown> }[] = [];
  let now = 0;
  const a = new RefusalAlarms(
    async (kind, withdrawalId, details) => {
      raised.push({ kind, withdrawalId, details });
    },
    () => now,
  );
  return { a, raised, at: (ms: number) => (now = ms) };
}

/** A failed eth_estimateGas as EvmAdapter reports it. */
const estimateReverts = new WalletError('VALIDATION_FAILED', 'eth_estimateGas: the call fails (execution_reverted)', {
  details: { method: 'eth_estimateGas', reason: 'execution_reverted', rpcCode: 3, rpcMessage: 'execution reverted' },
});

describe('RefusalAlarms', () => {
  it('raises build_failed with its cause, never the generic code: a failed gas estimate, a hot wallet that cannot pay', () => {
    const { a, raised } = alarms();
    a.buildFailed('wd_1', estimateReverts);
    a.buildFailed(
      'wd_2',
      new WalletError('VALIDATION_FAILED', 'eth_estimateGas: the call fails (insufficient_funds)', {
        details: { reason: 'insufficient_funds', rpcMessage: 'insufficient funds for transfer' },
      }),
    );
    a.buildFailed(
      'wd_3',
      new WalletError('INSUFFICIENT_FUNDS', 'spendable outputs do not cover the payment and its fee', {
        details: { reason: 'insufficient_utxos', chain: 'ltc', available: '10', needed: '20' },
      }),
    );
    expect(raised).toEqual([
      {
        kind: 'build_failed',
        withdrawalId: 'wd_1',
        details: { cause: 'gas_estimate_failed', message: estimateReverts.message, nodeMessage: 'execution reverted' },
      },
      {
        kind: 'build_failed',
        withdrawalId: 'wd_2',
        details: {
          cause: 'insufficient_hot_wallet_funds',
          message: 'eth_estimateGas: the call fails (insufficient_funds)',
          nodeMessage: 'insufficient funds for transfer',
        },
      },
      {
        kind: 'build_failed',
        withdrawalId: 'wd_3',
        details: {
          cause: 'insufficient_hot_wallet_funds',
          message: 'spendable outputs do not cover the payment and its fee',
          available: '10',
          needed: '20',
        },
      },
    ]);
    for (const r of raised) expect(JSON.stringify(r.details)).not.toContain('VALIDATION_FAILED');
  });

  it.each([
    [
      new WalletError('UNAVAILABLE', 'the base fee is above the fee cap: waiting', { details: { baseFeePerGas: '9', cap: '5' } }),
      'fee_above_cap',
    ],
    [new WalletError('UNAVAILABLE', 'eth_estimateGas: node unreachable'), 'node_unavailable'],
    [new WalletError('TIMEOUT', 'eth_feeHistory: node did not answer in time'), 'node_unavailable'],
    [new WalletError('AMOUNT_TOO_SMALL', 'output below the dust limit'), 'amount_below_dust'],
    [new WalletError('UNSUPPORTED_CHAIN', 'signsrv does not pay out on btc'), 'chain_not_served'],
    [new Error('x'.repeat(300)), 'unexpected'],
  ] as const)('gives a build failure its cause: %s -> %s', (error, cause) => {
    const { a, raised } = alarms();
    a.buildFailed('wd_1', error);
    expect(raised[0]?.details['cause']).toBe(cause);
    expect(String(raised[0]?.details['message']).length).toBeLessThanOrEqual(200);
  });

  it('raises send_refused for a signed transaction the node refuses, with its cause and what the caller adds', () => {
    const { a, raised } = alarms();
    a.sendRefused(
      'wd_1',
      new WalletError('VALIDATION_FAILED', 'eth_sendRawTransaction: the node rejected the transaction (insufficient_funds)', {
        details: { reason: 'insufficient_funds', rpcMessage: 'Insufficient funds for gas * price + value' },
      }),
      { txid: '0xab', nonce: 7 },
    );
    a.sendRefused(
      'wd_2',
      new WalletError('VALIDATION_FAILED', 'sendrawtransaction: the node rejected the transaction', {
        details: { reason: 'rejected', rpcMessage: 'bad-txns-in-belowout' },
      }),
    );
    expect(raised.map((r) => [r.kind, r.details['cause'], r.details['nodeMessage']])).toEqual([
      ['send_refused', 'insufficient_hot_wallet_funds', 'Insufficient funds for gas * price + value'],
      ['send_refused', 'node_rejected', 'bad-txns-in-belowout'],
    ]);
    expect(raised[0]?.details).toMatchObject({ txid: '0xab', nonce: 7 });
  });

  it('raises at most one a minute per withdrawal and kind', () => {
    const { a, raised, at } = alarms();
    const error = new WalletError('UNAVAILABLE', 'node down');
    at(1_000_000);
    a.buildFailed('wd_1', error);
    at(1_059_999);
    a.buildFailed('wd_1', error);
    a.buildFailed('wd_2', error);
    a.sendRefused('wd_1', new WalletError('VALIDATION_FAILED', 'refused'));
    at(1_060_000);
    a.buildFailed('wd_1', error);
    expect(raised.map((r) => `${r.kind}:${r.withdrawalId}`)).toEqual([
      'build_failed:wd_1',
      'build_failed:wd_2',
      'send_refused:wd_1',
      'build_failed:wd_1',
    ]);
  });

  it.each(['INTEGRITY_MISMATCH', 'CLIENT_DISABLED', 'INVALID_DESTINATION'] as const)(
    'raises nothing for %s (alarmed where found, or held)',
    (code) => {
      const { a, raised } = alarms();
      a.buildFailed('wd_1', new WalletError(code, 'no'));
      a.sendRefused('wd_1', new WalletError(code, 'no'));
      expect(raised).toEqual([]);
    },
  );

  it('survives an alarm that cannot be written', async () => {
    const a = new RefusalAlarms(() => Promise.reject(new Error('mysql down')));
    expect(() => a.buildFailed('wd_1', new Error('refused'))).not.toThrow();
    await new Promise((r) => setImmediate(r)); // an unhandled rejection would fail the run
  });
});
