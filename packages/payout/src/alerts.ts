import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { decodeCursor, encodeCursor } from '@wallet/ids';
import { type AlertKind, AlertSource, alertKinds, alertTables, describeAlert } from '@wallet/withdrawal-protocol';
import { z } from 'zod';

/**
 * The operators' alarms, read from both tables that hold them (signsrv's `sign_alerts`, transrv's `node_alerts`), with
 * their acknowledgements (signsrv's `alert_acks`). An alarm's id names its table: `s:12` is sign_alerts 12, `n:7`
 * node_alerts 7.
 */

/** An alarm's id as the API shows it. */
export const AlertId = z
  .string()
  .regex(/^[sn]:[1-9][0-9]{0,18}$/, 'an alarm id is s:<n> (signsrv) or n:<n> (transrv)')
  .transform((id) => ({ source: id[0] === 's' ? AlertSource.sign : AlertSource.node, alertId: id.slice(2) }));

/** An acknowledgement's comment: trimmed, 1..200 characters (the column's width). */
export const AlertComment = z.string().trim().min(1, 'a comment is required').max(200, 'a comment is at most 200 characters');

/** An alarm kind, for filters. */
export const AlertKindFilter = z.enum(alertKinds as [AlertKind, ...AlertKind[]]);

export type AlertAck = { readonly by: string; readonly comment: string; readonly at: Date };

/** One alarm, as operators see it. */
export type AlertView = {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly text: string;
  readonly withdrawalId: string | null;
  readonly details: unknown;
  readonly createdAt: Date;
  readonly acknowledged: AlertAck | null;
};

export type AlertFilter = {
  /** true: acknowledged ones only; false: unacknowledged ones only. @default both */
  readonly acknowledged?: boolean;
  /** @default every kind */
  readonly kinds?: readonly string[];
  readonly withdrawalId?: string;
};

export type AlertPage = { readonly items: AlertView[]; readonly next: string | null };

type AckRow = Pick<Row, 'acknowledged_by' | 'comment' | 'acknowledged_at'>;

type Row = {
  id: string | number;
  kind: string;
  withdrawal_id: string | null;
  details: string;
  created_at: Date;
  acknowledged_by: string | null;
  comment: string | null;
  acknowledged_at: Date | null;
};

/** The newest-first order across both tables: time, then signsrv's before transrv's, then id. */
const RANK: Record<AlertSource, number> = { sign: 1, node: 0 };
const PREFIX: Record<AlertSource, string> = { sign: 's', node: 'n' };
const CURSOR = /^[0-9]{1,15}:[sn]:[0-9]{1,20}$/;

/**
 * One page of alarms of both sources, newest first (keyset paging: a page is stable while new alarms arrive).
 * @param cursor the `next` of the previous page
 * @returns the page, and `next` only when another page exists
 * @throws WalletError VALIDATION_FAILED for a cursor this function did not make
 */
export async function listAlerts(db: Knex, filter: AlertFilter, limit: number, cursor?: string): Promise<AlertPage> {
  const after = cursor === undefined ? undefined : parseCursor(cursor);
  const branches = await Promise.all(
    (Object.keys(alertTables) as AlertSource[]).map(async (source) =>
      (await branch(db, source, filter, limit + 1, after)).map((row) => ({ source, row })),
    ),
  );
  const merged = branches
    .flat()
    .sort(
      (a, b) =>
        b.row.created_at.getTime() - a.row.created_at.getTime() || RANK[b.source] - RANK[a.source] || compareIds(b.row.id, a.row.id),
    );
  const page = merged.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ source, row }) => toView(source, row)),
    next:
      merged.length > limit && last !== undefined
        ? encodeCursor(`${last.row.created_at.getTime()}:${PREFIX[last.source]}:${String(last.row.id)}`)
        : null,
  };
}

/**
 * One alarm.
 * @throws WalletError VALIDATION_FAILED (malformed id), NOT_FOUND
 */
export async function getAlert(db: Knex, id: string): Promise<AlertView> {
  const { source, alertId } = parseId(id);
  const row = await one(db, source, alertId);
  if (!row) throw new WalletError('NOT_FOUND', 'no such alarm', { details: { id } });
  return toView(source, row);
}

/**
 * Acknowledges an alarm with a comment, in one transaction. An alarm is acknowledged once: the same acknowledgement
 * again (same actor, same comment: a retried request) answers the alarm as the first one left it; any other is
 * refused (409 CONFLICT, the first acknowledgement in `details.acknowledged`). The alarm row itself is not changed.
 * @param by who acknowledges: `auditor:<name>`, `operator:<os user>`, 1..100 characters
 * @throws WalletError VALIDATION_FAILED (malformed id, comment not 1..200 characters), NOT_FOUND, CONFLICT
 */
export async function acknowledgeAlert(db: Knex, id: string, by: string, comment: string): Promise<AlertView> {
  const { source, alertId } = parseId(id);
  const parsed = AlertComment.safeParse(comment);
  if (!parsed.success) {
    throw new WalletError('VALIDATION_FAILED', parsed.error.issues[0]?.message ?? 'invalid comment', { details: { field: 'comment' } });
  }
  if (by.length < 1 || by.length > 100)
    throw new WalletError('VALIDATION_FAILED', 'the actor is 1..100 characters', { details: { field: 'by' } });
  return withTransaction(db, async (trx) => {
    const alarm = await one(trx, source, alertId);
    if (!alarm) throw new WalletError('NOT_FOUND', 'no such alarm', { details: { id } });
    try {
      await trx('alert_acks').insert({ source, alert_id: alertId, acknowledged_by: by, comment: parsed.data });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // acknowledged already (a duplicate key leaves the transaction usable: MySQL rolls back the statement only)
    }
    // A locking read sees the acknowledgement that won, even one committed after this transaction's snapshot.
    const ack = await trx('alert_acks')
      .where({ source, alert_id: alertId })
      .forShare()
      .first<AckRow>('acknowledged_by', 'comment', 'acknowledged_at');
    const view = toView(source, { ...alarm, ...ack });
    const first = view.acknowledged!;
    if (first.by !== by || first.comment !== parsed.data) {
      throw new WalletError('CONFLICT', 'the alarm is already acknowledged', {
        details: { id, acknowledged: { by: first.by, comment: first.comment, at: first.at.toISOString() } },
      });
    }
    return view;
  });
}

/** An alarm as the HTTP API and `walletctl --json` show it (absent values are null, times ISO 8601). */
export function alertJson(v: AlertView) {
  return {
    id: v.id,
    kind: v.kind,
    title: v.title,
    text: v.text,
    withdrawalId: v.withdrawalId,
    details: v.details,
    createdAt: v.createdAt.toISOString(),
    acknowledged:
      v.acknowledged === null ? null : { by: v.acknowledged.by, comment: v.acknowledged.comment, at: v.acknowledged.at.toISOString() },
  };
}

/** @throws WalletError VALIDATION_FAILED */
function parseId(id: string): { source: AlertSource; alertId: string } {
  const parsed = AlertId.safeParse(id);
  if (!parsed.success)
    throw new WalletError('VALIDATION_FAILED', parsed.error.issues[0]?.message ?? 'invalid alarm id', { details: { field: 'id' } });
  return parsed.data;
}

function parseCursor(cursor: string): { at: Date; source: AlertSource; id: string } {
  const [ms, prefix, id] = decodeCursor(cursor, CURSOR).split(':') as [string, string, string];
  return { at: new Date(Number(ms)), source: prefix === 's' ? AlertSource.sign : AlertSource.node, id };
}

function selectFrom(db: Knex, source: AlertSource) {
  return db(`${alertTables[source]} as a`)
    .leftJoin('alert_acks as k', (j) => void j.on('k.alert_id', '=', 'a.id').andOnVal('k.source', '=', source))
    .select<Row[]>('a.id', 'a.kind', 'a.withdrawal_id', 'a.details', 'a.created_at', 'k.acknowledged_by', 'k.comment', 'k.acknowledged_at');
}

async function one(db: Knex, source: AlertSource, alertId: string): Promise<Row | undefined> {
  return (await selectFrom(db, source).where('a.id', alertId))[0];
}

/** The newest `limit` alarms of one table after the cursor, in the merged order (see RANK). */
function branch(
  db: Knex,
  source: AlertSource,
  filter: AlertFilter,
  limit: number,
  after: { at: Date; source: AlertSource; id: string } | undefined,
): Promise<Row[]> {
  const q = selectFrom(db, source);
  if (filter.kinds !== undefined && filter.kinds.length > 0) void q.whereIn('a.kind', [...filter.kinds]);
  if (filter.withdrawalId !== undefined) void q.where('a.withdrawal_id', filter.withdrawalId);
  if (filter.acknowledged === true) void q.whereNotNull('k.alert_id');
  if (filter.acknowledged === false) void q.whereNull('k.alert_id');
  if (after !== undefined) {
    const { at, id } = after;
    // rows after the cursor in (created_at DESC, rank DESC, id DESC): same time, lower rank, or same rank, lower id
    if (RANK[source] === RANK[after.source])
      void q.where((w) => void w.where('a.created_at', '<', at).orWhere((s) => void s.where('a.created_at', at).andWhere('a.id', '<', id)));
    else if (RANK[source] < RANK[after.source]) void q.where('a.created_at', '<=', at);
    else void q.where('a.created_at', '<', at);
  }
  return q
    .orderBy([
      { column: 'a.created_at', order: 'desc' },
      { column: 'a.id', order: 'desc' },
    ])
    .limit(limit);
}

function toView(source: AlertSource, r: Row): AlertView {
  let details: unknown;
  try {
    details = JSON.parse(r.details) as unknown;
  } catch {
    details = r.details; // written by hand, or by something else: shown as it is
  }
  return {
    id: `${PREFIX[source]}:${String(r.id)}`,
    kind: r.kind,
    ...describeAlert(r.kind, details),
    withdrawalId: r.withdrawal_id,
    details,
    createdAt: r.created_at,
    acknowledged: r.acknowledged_by === null ? null : { by: r.acknowledged_by, comment: r.comment ?? '', at: r.acknowledged_at! },
  };
}

/** Ids (BIGINT, as strings) compared as numbers. */
function compareIds(a: string | number, b: string | number): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
