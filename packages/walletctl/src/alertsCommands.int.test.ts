import { userInfo } from 'node:os';
import { type Db } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { AlertKind, alertCatalogue, alertCauseCatalogue, raiseAlert, raiseNodeAlert } from '@wallet/withdrawal-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWalletctl } from './walletctl.js';
import { createTestDatabase } from '@wallet/testkit';

// `walletctl alerts` on a MariaDB database of its own, as an operator runs it (MYSQL_URL: the admin user).

const log = createLogger('walletctl-alerts-test', { level: 'silent' });
let db: Db;
let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, url, drop } = await createTestDatabase());
  await raiseAlert(db, log, AlertKind.buildFailed, 'wd_1', { cause: 'insufficient_hot_wallet_funds', message: 'insufficient funds' });
  // past this millisecond: alarms of the two tables raised in the same one are listed signsrv's first (the tie rule)
  await new Promise((resolve) => setTimeout(resolve, 5));
  await raiseNodeAlert(db, log, AlertKind.settlementHeld, 'wd_2', { reason: 'token_transfer_mismatch' });
});
afterAll(async () => drop());

async function walletctl(...args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await runWalletctl(args, { out: (l) => out.push(l), err: (l) => out.push(l) }, { ...process.env, MYSQL_URL: url });
  return { code, out };
}

type Json = { id: string; kind: string; title: string; text: string; acknowledged: { by: string; comment: string } | null };

describe('walletctl alerts', () => {
  it("lists the unacknowledged alarms of both services newest first, each with its title and the operator's action", async () => {
    const { code, out } = await walletctl('alerts');
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text.indexOf('settlement_held')).toBeLessThan(text.indexOf('build_failed'));
    expect(text).toContain('Withdrawal cannot be built: hot wallet cannot pay');
    expect(text).toContain(alertCauseCatalogue.insufficient_hot_wallet_funds.text);
    expect(text).toContain(alertCatalogue.settlement_held.text);
    expect(text).not.toContain('VALIDATION_FAILED');

    const json = JSON.parse((await walletctl('alerts', '--json', '--kind', 'settlement_held')).out.join('\n')) as Json[];
    expect(json).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/^n:[0-9]+$/), kind: 'settlement_held', acknowledged: null }),
    ]);
  });

  it('acknowledges one as operator:<os user> with a comment; then only --all lists it; a second acknowledgement is refused', async () => {
    const [held] = JSON.parse((await walletctl('alerts', '--json', '--kind', 'settlement_held')).out.join('\n')) as Json[];
    const acked = await walletctl('alerts', 'ack', held!.id, '--comment', 'token delisted', '--json');
    expect(acked.code).toBe(0);
    expect(JSON.parse(acked.out.join('\n'))).toMatchObject({
      id: held!.id,
      acknowledged: { by: `operator:${userInfo().username}`, comment: 'token delisted' },
    });

    const open = JSON.parse((await walletctl('alerts', '--json')).out.join('\n')) as Json[];
    expect(open.map((a) => a.kind)).toEqual(['build_failed']);
    const all = await walletctl('alerts', '--all');
    expect(all.out.join('\n')).toMatch(/acknowledged by operator:.* token delisted/);

    await expect(walletctl('alerts', 'ack', held!.id, '--comment', 'again, differently')).rejects.toSatisfy((e: unknown) =>
      isWalletError(e, 'CONFLICT'),
    );
  });

  it('refuses an ack without a comment or an id, an unknown kind, an unknown action', async () => {
    const code = (work: Promise<unknown>) =>
      work.then(
        () => 'ok',
        (e: unknown) => (isWalletError(e) ? e.code : String(e)),
      );
    expect(await code(walletctl('alerts', 'ack', 's:1'))).toBe('VALIDATION_FAILED');
    expect(await code(walletctl('alerts', 'ack', 's:1', '--comment', ' '))).toBe('VALIDATION_FAILED');
    expect(await code(walletctl('alerts', 'ack', '--comment', 'c'))).toBe('VALIDATION_FAILED');
    expect(await code(walletctl('alerts', '--kind', 'no_such_kind'))).toBe('VALIDATION_FAILED');
    expect(await code(walletctl('alerts', 'purge'))).toBe('VALIDATION_FAILED');
    expect(await code(walletctl('alerts', 'ack', 'n:999999', '--comment', 'c'))).toBe('NOT_FOUND');
  });
});
