import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/** The UTXO set of one chain as operators look at it. */
export type UtxoStats = {
  readonly chain: string;
  /** Unspent outputs nobody holds: what the next withdrawal or consolidation may spend. */
  readonly spendable: { readonly count: number; readonly value: string };
  /** Held by a build not yet signed (released if it lapses). */
  readonly building: { readonly count: number; readonly value: string };
  /** Spent by a signed transaction the chain has not mined yet. */
  readonly inFlight: { readonly count: number; readonly value: string };
  /** Of the unspent ones, those on the wallet's own addresses (change, the main address) rather than deposit addresses. */
  readonly walletOwned: { readonly count: number; readonly value: string };
  /** Consolidations not yet confirmed. */
  readonly consolidationsInFlight: number;
};

/** Per UTXO chain with outputs (or the one asked for): the counts and values of {@link UtxoStats}. */
export async function utxoStats(db: Knex, chain?: string): Promise<UtxoStats[]> {
  const [rows] = (await db.raw(
    `SELECT chain,
       SUM(locked_until IS NULL OR locked_until <= CURRENT_TIMESTAMP(3)) AS spendable_n,
       CAST(COALESCE(SUM(IF(locked_until IS NULL OR locked_until <= CURRENT_TIMESTAMP(3), amount, 0)), 0) AS CHAR) AS spendable_v,
       SUM(locked_until > CURRENT_TIMESTAMP(3) AND locked_until < '9999-01-01') AS building_n,
       CAST(COALESCE(SUM(IF(locked_until > CURRENT_TIMESTAMP(3) AND locked_until < '9999-01-01', amount, 0)), 0) AS CHAR) AS building_v,
       SUM(locked_until >= '9999-01-01') AS inflight_n,
       CAST(COALESCE(SUM(IF(locked_until >= '9999-01-01', amount, 0)), 0) AS CHAR) AS inflight_v,
       SUM(account_id LIKE 'sys:%') AS wallet_n,
       CAST(COALESCE(SUM(IF(account_id LIKE 'sys:%', amount, 0)), 0) AS CHAR) AS wallet_v,
       (SELECT COUNT(*) FROM utxo_builds b WHERE b.chain = u.chain AND b.kind = 'consolidation'
          AND b.status IN ('built', 'signed', 'broadcast')) AS consolidations
     FROM utxos u WHERE spent_by_txid IS NULL ${chain === undefined ? '' : 'AND chain = ?'}
     GROUP BY chain ORDER BY chain`,
    chain === undefined ? [] : [chain],
  )) as [Record<string, string | number | null>[]];
  const n = (v: unknown): number => Number(v ?? 0);
  return rows.map((r) => ({
    chain: String(r['chain']),
    spendable: { count: n(r['spendable_n']), value: String(r['spendable_v']) },
    building: { count: n(r['building_n']), value: String(r['building_v']) },
    inFlight: { count: n(r['inflight_n']), value: String(r['inflight_v']) },
    walletOwned: { count: n(r['wallet_n']), value: String(r['wallet_v']) },
    consolidationsInFlight: n(r['consolidations']),
  }));
}

/** A consolidation request and signsrv's answer so far. */
export type ConsolidationRequest = {
  readonly id: number;
  readonly chain: string;
  readonly maxInputs: number;
  readonly status: 'requested' | 'built' | 'refused';
  readonly buildId: string | null;
  readonly reason: string | null;
  /** The build signsrv made, once it did. */
  readonly build: { readonly status: string; readonly txid: string | null; readonly inputs: number; readonly fee: string } | null;
};

/**
 * Asks signsrv (through MySQL: it answers on its next pass) to merge up to `maxInputs` of a UTXO chain's smallest
 * spendable outputs into the wallet's main address.
 * @throws WalletError VALIDATION_FAILED for a chain without UTXOs or a bad count
 */
export async function requestConsolidation(db: Knex, chain: string, maxInputs: number, requestedBy: string): Promise<number> {
  if (!Number.isInteger(maxInputs) || maxInputs < 2 || maxInputs > 1000) {
    throw new WalletError('VALIDATION_FAILED', '--max-inputs must be a whole number from 2 to 1000', { details: { field: 'max-inputs' } });
  }
  const known = await db('utxos').where({ chain }).first<{ chain: string } | undefined>('chain');
  if (!known) throw new WalletError('VALIDATION_FAILED', `no UTXOs are known on chain ${chain}`, { details: { field: 'chain', chain } });
  const [id] = await db('utxo_consolidation_requests').insert({ chain, max_inputs: maxInputs, requested_by: requestedBy.slice(0, 100) });
  return Number(id);
}

/** A consolidation request as it stands. @returns undefined for an unknown id */
export async function consolidationRequest(db: Knex, id: number): Promise<ConsolidationRequest | undefined> {
  const r = await db('utxo_consolidation_requests as r').leftJoin('utxo_builds as b', 'b.id', 'r.build_id').where('r.id', id).first<
    | {
        id: number;
        chain: string;
        max_inputs: number;
        status: ConsolidationRequest['status'];
        build_id: string | null;
        reason: string | null;
        build_status: string | null;
        txid: string | null;
        inputs: number | null;
        fee: string | null;
      }
    | undefined
  >('r.id', 'r.chain', 'r.max_inputs', 'r.status', 'r.build_id', 'r.reason', 'b.status as build_status', 'b.txid', 'b.inputs', db.raw('CAST(b.fee AS CHAR) AS fee'));
  if (!r) return undefined;
  return {
    id: Number(r.id),
    chain: r.chain,
    maxInputs: r.max_inputs,
    status: r.status,
    buildId: r.build_id,
    reason: r.reason,
    build: r.build_status === null ? null : { status: r.build_status, txid: r.txid, inputs: Number(r.inputs), fee: String(r.fee) },
  };
}
