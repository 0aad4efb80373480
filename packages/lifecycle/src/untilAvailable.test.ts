import { WalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { describe, expect, it } from 'vitest';
import { untilAvailable } from './untilAvailable.js';

function capture(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(
    'lifecycle-test',
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

describe('untilAvailable', () => {
  it('retries a retryable failure until the attempt succeeds, logging the wait once and the recovery', async () => {
    const { log, lines } = capture();
    let calls = 0;
    const result = await untilAvailable(
      async () => {
        calls += 1;
        if (calls < 4) throw new WalletError('UNAVAILABLE', 'node refused the connection');
        return 'adapter';
      },
      { log, context: { chain: 'eth' }, what: 'chain node', baseMs: 5, maxMs: 10 },
    );
    expect(result).toBe('adapter');
    expect(calls).toBe(4);
    expect(lines.filter((l) => l['msg'] === 'chain node unavailable: waiting for it')).toMatchObject([{ chain: 'eth', level: 40 }]);
    expect(lines.filter((l) => l['msg'] === 'chain node answers: going on')).toMatchObject([{ chain: 'eth', failures: 3 }]);
  });

  it('a lost connection (ECONNREFUSED) counts as retryable', async () => {
    const { log } = capture();
    let calls = 0;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    await untilAvailable(
      async () => {
        calls += 1;
        if (calls === 1) throw refused;
      },
      { log, context: {}, what: 'chain node', baseMs: 1 },
    );
    expect(calls).toBe(2);
  });

  it('throws a non-retryable failure at once (a node serving another chain is not waited for)', async () => {
    const { log, lines } = capture();
    let calls = 0;
    await expect(
      untilAvailable(
        async () => {
          calls += 1;
          throw new WalletError('CONFIG_INVALID', 'the node serves EVM chain id 1, but the configuration says 31337');
        },
        { log, context: { chain: 'eth' }, what: 'chain node', baseMs: 1 },
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(calls).toBe(1);
    expect(lines).toEqual([]);
  });
});
