import { type Db } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import {
  AlertKind,
  alertCatalogue,
  alertCauseCatalogue,
  raiseAlert,
  raiseNodeAlert,
  raiseNodeAlertOnce,
} from '@wallet/withdrawal-protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AlertView, acknowledgeAlert, alertJson, getAlert, listAlerts } from './alerts.js';
import { createTestDatabase } from '@wallet/testkit';

// The alarm read model on MariaDB: both tables (signsrv's sign_alerts, transrv's node_alerts) newest first with keyset
// paging, the filters, and acknowledgements in alert_acks.

const log = createLogger('alerts-int', { level: 'silent' });
let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});

afterAll(async () => {
  await drop?.();
});

beforeEach(async () => {
  await db('alert_acks').delete();
  await db('sign_alerts').delete();
  await db('node_alerts').delete();
});

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

/** All pages, `limit` at a time. */
async function everyPage(limit: number, filter = {}): Promise<AlertView[][]> {
  const pages: AlertView[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await listAlerts(db, filter, limit, cursor);
    pages.push(page.items);
    if (page.next === null) return pages;
    cursor = page.next;
  }
}

describe('listAlerts', () => {
  it('lists both sources newest first, ties by source then id, and pages through them without loss or repeat', async () => {
    // created_at ties across tables and within one, as two services raising at the same millisecond write them
    const [s1] = await db('sign_alerts').insert({ kind: 'nonce_ahead', details: '{}', created_at: at(1) });
    const [n1] = await db('node_alerts').insert({
      kind: 'settlement_held',
      withdrawal_id: 'wd_a',
      details: '{"reason":"x"}',
      created_at: at(2),
    });
    const [s2] = await db('sign_alerts').insert({ kind: 'tampered_request', details: '{}', created_at: at(2) });
    const [s3] = await db('sign_alerts').insert({ kind: 'tampered_request', details: '{}', created_at: at(2) });
    const [n2] = await db('node_alerts').insert({ kind: 'unknown_hot_wallet_tx', details: '{"txid":"t"}', created_at: at(3) });
    const expected = [`n:${n2}`, `s:${s3}`, `s:${s2}`, `n:${n1}`, `s:${s1}`];

    expect((await listAlerts(db, {}, 50)).items.map((a) => a.id)).toEqual(expected);
    for (const limit of [1, 2, 3, 4, 5]) {
      const pages = await everyPage(limit);
      expect(
        pages.flat().map((a) => a.id),
        `limit ${limit}`,
      ).toEqual(expected);
      expect(pages.every((p) => p.length > 0 && p.length <= limit)).toBe(true);
    }
    const first = (await listAlerts(db, {}, 5)).items;
    expect(first[0]).toMatchObject({
      kind: 'unknown_hot_wallet_tx',
      title: alertCatalogue.unknown_hot_wallet_tx.title,
      text: alertCatalogue.unknown_hot_wallet_tx.text,
      details: { txid: 't' },
      withdrawalId: null,
      acknowledged: null,
    });
    expect(first[3]).toMatchObject({ kind: 'settlement_held', withdrawalId: 'wd_a', createdAt: at(2) });
  });

  it('filters by kind, by acknowledged or not, and by withdrawal', async () => {
    await raiseAlert(db, log, AlertKind.nonceAhead, null, { chain: 'eth' });
    await raiseNodeAlert(db, log, AlertKind.settlementHeld, 'wd_b', { reason: 'integrity_mismatch' });
    await raiseNodeAlert(db, log, AlertKind.unknownHotWalletTx, null, { txid: 'u' });
    const all = (await listAlerts(db, {}, 50)).items;
    const held = all.find((a) => a.kind === 'settlement_held')!;
    await acknowledgeAlert(db, held.id, 'operator:alice', 'row restored');

    const kinds = async (filter: object) => (await listAlerts(db, filter, 50)).items.map((a) => a.kind).sort();
    expect(await kinds({ kinds: ['settlement_held', 'nonce_ahead'] })).toEqual(['nonce_ahead', 'settlement_held']);
    expect(await kinds({ acknowledged: false })).toEqual(['nonce_ahead', 'unknown_hot_wallet_tx']);
    expect(await kinds({ acknowledged: true })).toEqual(['settlement_held']);
    expect(await kinds({ withdrawalId: 'wd_b' })).toEqual(['settlement_held']);
    expect(await kinds({ acknowledged: false, kinds: ['settlement_held'] })).toEqual([]);
    // unacknowledged ones, paged one at a time
    expect((await everyPage(1, { acknowledged: false })).flat().map((a) => a.kind)).toEqual(['unknown_hot_wallet_tx', 'nonce_ahead']);
  });

  it('shows a build failure by its cause, never by a generic error code', async () => {
    await raiseAlert(db, log, AlertKind.buildFailed, 'wd_c', { cause: 'gas_estimate_failed', message: 'eth_estimateGas: the call fails' });
    const [a] = (await listAlerts(db, {}, 1)).items;
    expect(a).toMatchObject({ kind: 'build_failed', text: alertCauseCatalogue.gas_estimate_failed.text });
    expect(a!.title).toBe('Withdrawal cannot be built: gas estimate fails');
  });

  it('refuses a cursor it did not make', async () => {
    for (const cursor of ['nope', Buffer.from('c1:1:x:2').toString('base64url'), Buffer.from("c1:1:s:2' OR 1").toString('base64url')]) {
      await expect(listAlerts(db, {}, 5, cursor)).rejects.toSatisfy((e: unknown) => isWalletError(e, 'VALIDATION_FAILED'));
    }
  });
});

describe('raiseNodeAlertOnce', () => {
  it('records a condition found on every pass once per withdrawal and kind, in node_alerts', async () => {
    expect(await raiseNodeAlertOnce(db, log, AlertKind.settlementHeld, 'wd_d', { reason: 'x' })).toBe(true);
    expect(await raiseNodeAlertOnce(db, log, AlertKind.settlementHeld, 'wd_d', { reason: 'x' })).toBe(false);
    expect(await db('node_alerts').where({ withdrawal_id: 'wd_d' }).pluck('kind')).toEqual(['settlement_held']);
    expect(await db('sign_alerts').pluck('id')).toEqual([]);
  });
});

describe('acknowledgeAlert', () => {
  it('records who acknowledged, with the comment; the same acknowledgement again answers the first; another is CONFLICT', async () => {
    await raiseNodeAlert(db, log, AlertKind.ctxMismatch, 'wd_e', { txid: 't' });
    const [alarm] = (await listAlerts(db, {}, 1)).items;
    const acked = await acknowledgeAlert(db, alarm!.id, 'operator:alice', '  redis checked  ');
    expect(acked.acknowledged).toMatchObject({ by: 'operator:alice', comment: 'redis checked' });
    expect(acked.acknowledged!.at).toBeInstanceOf(Date);

    const again = await acknowledgeAlert(db, alarm!.id, 'operator:alice', 'redis checked');
    expect(again).toEqual(acked);
    await expect(acknowledgeAlert(db, alarm!.id, 'auditor:bob', 'me too')).rejects.toSatisfy(
      (e: unknown) =>
        isWalletError(e, 'CONFLICT') &&
        (e.details['acknowledged'] as { by: string }).by === 'operator:alice' &&
        e.details['id'] === alarm!.id,
    );
    expect(await db('alert_acks').pluck('acknowledged_by')).toEqual(['operator:alice']);
    expect(alertJson(await getAlert(db, alarm!.id)).acknowledged).toEqual({
      by: 'operator:alice',
      comment: 'redis checked',
      at: acked.acknowledged!.at.toISOString(),
    });
  });

  it('lets one of two concurrent acknowledgements win', async () => {
    await raiseAlert(db, log, AlertKind.nonceAhead, null, {});
    const [alarm] = (await listAlerts(db, {}, 1)).items;
    const outcomes = await Promise.allSettled([
      acknowledgeAlert(db, alarm!.id, 'operator:a', 'first'),
      acknowledgeAlert(db, alarm!.id, 'operator:b', 'second'),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(isWalletError(refused.reason, 'CONFLICT')).toBe(true);
  });

  it('refuses a missing or too long comment, a malformed id, and an unknown alarm', async () => {
    await raiseAlert(db, log, AlertKind.nonceAhead, null, {});
    const [alarm] = (await listAlerts(db, {}, 1)).items;
    const code = async (work: Promise<unknown>) =>
      work.then(
        () => 'ok',
        (e: unknown) => (isWalletError(e) ? e.code : String(e)),
      );
    expect(await code(acknowledgeAlert(db, alarm!.id, 'operator:a', '   '))).toBe('VALIDATION_FAILED');
    expect(await code(acknowledgeAlert(db, alarm!.id, 'operator:a', 'x'.repeat(201)))).toBe('VALIDATION_FAILED');
    expect(await code(acknowledgeAlert(db, alarm!.id, 'operator:a', 'x'.repeat(200)))).toBe('ok');
    for (const id of ['12', 'x:1', 's:0', 's:1 OR 1', 's:01'])
      expect(await code(acknowledgeAlert(db, id, 'operator:a', 'c')), id).toBe('VALIDATION_FAILED');
    expect(await code(acknowledgeAlert(db, 'n:999999', 'operator:a', 'c'))).toBe('NOT_FOUND');
    expect(await code(getAlert(db, 's:999999'))).toBe('NOT_FOUND');
    expect(await db('alert_acks').count<{ n: string }[]>('* as n')).toEqual([{ n: '1' }]);
  });
});
