import type { Db } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { mineEvery } from './mineEvery.js';
import { type Percentiles, percentiles } from './percentiles.js';
import { type CountedLoadResult, runRequests } from './runRequests.js';

export type SystemPayoutsOptions = {
  /** Withdrawals signsrv has received and that wait for review. */
  readonly ids: readonly string[];
  readonly signsrvUrl: string;
  readonly auditorToken: string;
  /** The cluster's database: statuses are read there, not through the API. */
  readonly db: Db;
  /** Mines one block on the chain the withdrawals are paid on. */
  readonly mineBlock: () => Promise<unknown>;
  readonly concurrency: number;
  readonly mineEveryMs: number;
  readonly timeoutMs: number;
  readonly log: Logger;
};

export type SystemPayouts = {
  /** The approve calls, from the first sent to the last answered (signsrv signs and broadcasts before answering). */
  readonly approvals: CountedLoadResult;
  /** From the first approval until the first / every withdrawal was `confirmed` in MySQL; null if never. */
  readonly firstConfirmedSeconds: number | null;
  readonly allConfirmedSeconds: number | null;
  readonly confirmedPerSecond: number | null;
  /** Per withdrawal, from its approve call sent until it was seen `confirmed` (100 ms polls): the confirmed ones. */
  readonly approveToConfirmed: Percentiles;
  readonly blocksMinedByCadence: number;
  /** The withdrawals' statuses when the watch ended. */
  readonly statuses: Readonly<Record<string, number>>;
};

const TERMINAL = ['confirmed', 'failed', 'rejected', 'cancelled'];

/**
 * Approves `ids` through signsrv's review API as fast as it answers (`concurrency` auditors' calls in a closed
 * loop) while a block is mined every `mineEveryMs`, and times the pipeline behind it: signed, broadcast, mined,
 * scanned, confirmed by the owning transrv after the asset's confirmations.
 */
export async function measureSystemPayouts(o: SystemPayoutsOptions): Promise<SystemPayouts> {
  const { db, log, ids } = o;
  const mining = mineEvery(o.mineBlock, o.mineEveryMs);
  const started = performance.now();
  // When each withdrawal's approve call was sent, and when it was first seen confirmed (performance.now()).
  const approvedAt = new Map<string, number>();
  const confirmedAt = new Map<string, number>();
  const sinceStart = () => (performance.now() - started) / 1000;
  const watching = watchStatuses();
  const approvals = await runRequests(
    o.signsrvUrl,
    o.concurrency,
    ids.length,
    (i) => {
      approvedAt.set(ids[i]!, performance.now());
      return {
        method: 'POST',
        path: `/v1/reviews/${ids[i]!}/approve`,
        headers: { authorization: `Bearer ${o.auditorToken}`, 'content-type': 'application/json' },
        body: '{}',
      };
    },
    {
      ok: (status, body) => status === 200 && (JSON.parse(body) as { decision?: unknown }).decision === 'approved',
      onProgress: (answered) => log.info({ answered, of: ids.length }, 'system: approvals answered'),
    },
  );
  log.info({ seconds: approvals.seconds, errors: approvals.errors }, 'system: every approval answered; waiting for confirmations');
  const watched = await watching;
  const { blocks } = await mining.stop();
  return {
    approvals,
    ...watched,
    confirmedPerSecond: watched.allConfirmedSeconds === null ? null : ids.length / watched.allConfirmedSeconds,
    approveToConfirmed: percentiles([...confirmedAt].map(([id, at]) => at - approvedAt.get(id)!)),
    blocksMinedByCadence: blocks,
  };

  /**
   * Polls the withdrawals' statuses in MySQL every 100 ms until every one has ended (or the time is up), noting when
   * each was first seen confirmed.
   */
  async function watchStatuses(): Promise<{
    firstConfirmedSeconds: number | null;
    allConfirmedSeconds: number | null;
    statuses: Record<string, number>;
  }> {
    let firstConfirmedSeconds: number | null = null;
    let lastLog = 0;
    for (;;) {
      const statuses: Record<string, number> = {};
      for (let i = 0; i < ids.length; i += 1000) {
        const rows = await db('withdrawals')
          .whereIn('id', ids.slice(i, i + 1000))
          .select<{ id: string; status: string }[]>('id', 'status');
        const now = performance.now();
        for (const r of rows) {
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 'confirmed' && !confirmedAt.has(r.id)) confirmedAt.set(r.id, now);
        }
      }
      const confirmed = statuses['confirmed'] ?? 0;
      if (firstConfirmedSeconds === null && confirmed > 0) firstConfirmedSeconds = sinceStart();
      if (confirmed === ids.length) return { firstConfirmedSeconds, allConfirmedSeconds: sinceStart(), statuses };
      const ended = TERMINAL.reduce((sum, s) => sum + (statuses[s] ?? 0), 0);
      if (ended === ids.length) {
        log.error({ statuses }, 'system: every withdrawal ended, not all of them confirmed');
        return { firstConfirmedSeconds, allConfirmedSeconds: null, statuses };
      }
      if (sinceStart() * 1000 > o.timeoutMs) {
        log.error({ statuses }, 'system: timed out waiting for confirmations');
        return { firstConfirmedSeconds, allConfirmedSeconds: null, statuses };
      }
      if (sinceStart() - lastLog >= 2) {
        lastLog = sinceStart();
        log.info({ statuses, of: ids.length }, 'system: withdrawal statuses');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
