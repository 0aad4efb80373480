import { WalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { RefusalAlarms } from './RefusalAlarms.js';

function alarms() {
  const raised: { withdrawalId: string; details: Record<string, unknown> }[] = [];
  let now = 0;
  const a = new RefusalAlarms(
    async (withdrawalId, details) => {
      raised.push({ withdrawalId, details });
    },
    () => now,
  );
  return { a, raised, at: (ms: number) => (now = ms) };
}

describe('RefusalAlarms', () => {
  it('raises send_refused details: the code, the reason, the message and what the caller adds', () => {
    const { a, raised } = alarms();
    a.refused('wd_1', new WalletError('VALIDATION_FAILED', 'insufficient funds', { details: { reason: 'insufficient_funds' } }), {
      txid: '0xab',
      nonce: 7,
    });
    a.refused('wd_2', new Error('x'.repeat(300)));
    expect(raised).toEqual([
      {
        withdrawalId: 'wd_1',
        details: { code: 'VALIDATION_FAILED', reason: 'insufficient_funds', message: 'insufficient funds', txid: '0xab', nonce: 7 },
      },
      { withdrawalId: 'wd_2', details: { code: 'INTERNAL', reason: null, message: 'x'.repeat(200) } },
    ]);
  });

  it('raises at most one a minute per withdrawal', () => {
    const { a, raised, at } = alarms();
    const error = new WalletError('UNAVAILABLE', 'node down');
    at(1_000_000);
    a.refused('wd_1', error);
    at(1_059_999);
    a.refused('wd_1', error);
    a.refused('wd_2', error);
    at(1_060_000);
    a.refused('wd_1', error);
    expect(raised.map((r) => r.withdrawalId)).toEqual(['wd_1', 'wd_2', 'wd_1']);
  });

  it.each(['INTEGRITY_MISMATCH', 'CLIENT_DISABLED', 'INVALID_DESTINATION'] as const)(
    'raises nothing for %s (alarmed where found, or held)',
    (code) => {
      const { a, raised } = alarms();
      a.refused('wd_1', new WalletError(code, 'no'));
      expect(raised).toEqual([]);
    },
  );

  it('survives an alarm that cannot be written', async () => {
    const a = new RefusalAlarms(() => Promise.reject(new Error('mysql down')));
    expect(() => a.refused('wd_1', new Error('refused'))).not.toThrow();
    await new Promise((r) => setImmediate(r)); // an unhandled rejection would fail the run
  });
});
