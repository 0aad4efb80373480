import { appendEvents, withdrawalEvent } from '@wallet/events';
import { type AssetRegistry, MAX_DECIMAL65, withdrawalFeeOf } from '@wallet/assets';
import { chainFamily } from '@wallet/chains';
import { type Knex, type NodeDbs, isDuplicateKey, nodeDbs, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import { validateAddress } from '@wallet/keys';
import { LedgerKind, metadataToColumn, postEntry, refuseDuplicateReference } from '@wallet/ledger';
import { type Withdrawal, withdrawalFromRow } from './Withdrawal.js';
import { computeLocalhash, encodeMessage, screenDestination, type WithdrawalRow } from '@wallet/withdrawal-protocol';

export type WithdrawalRequest = {
  readonly clientId: string;
  readonly idempotencyKey: string;
  /** Hash of the canonical request: the same key with another request is refused. */
  readonly requestHash: string;
  readonly accountId: string;
  readonly asset: string;
  /** As the client wrote it; validated and stored in the chain's canonical form. */
  readonly to: string;
  readonly amount: bigint;
  /** Unique per client among its withdrawals: another withdrawal with it is DUPLICATE_REFERENCE. */
  readonly reference?: string | undefined;
  /** Already checked against the bounds (ClientMetadata); `{}` or absent: none. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /**
   * The chain's latest sampled network fee rate (wei per gas, satoshi per vB), for an asset whose fee follows it
   * (`feeFromRates`); absent: the asset's fixed fee.
   */
  readonly networkFeeRate?: bigint | undefined;
};

/**
 * Checks a withdrawal request against the registry: the asset is listed and its chain can pay out, the destination
 * is valid for the chain's network (format and checksum: EIP-55 on EVM chains; base58check or bech32/bech32m with the
 * network's version bytes or prefix on BTC and LTC), the amount reaches the minimum.
 * @returns the canonical destination (EIP-55; lower-case bech32), the chain and the fee (withdrawalFeeOf)
 * @throws WalletError UNSUPPORTED_ASSET, INVALID_ADDRESS, AMOUNT_TOO_SMALL, VALIDATION_FAILED
 */
export function checkWithdrawalRequest(
  registry: AssetRegistry,
  req: Pick<WithdrawalRequest, 'asset' | 'to' | 'amount' | 'networkFeeRate'>,
): { to: string; chain: string; fee: bigint } {
  const asset = registry.asset(req.asset);
  const chain = registry.chain(asset.chain);
  if (!chainFamily(chain).payouts) {
    // No payout family for this chain's family yet (UTXO: coin selection, change, PSBT signing): refuse rather than
    // freeze funds for a withdrawal nothing could pay.
    throw new WalletError('UNSUPPORTED_ASSET', `withdrawals of ${asset.id} are not supported yet`, {
      details: { asset: asset.id, reason: 'withdrawals_not_supported' },
    });
  }
  const to = validateAddress(chain.family, chain.network, req.to);
  if (req.amount <= 0n) throw new WalletError('VALIDATION_FAILED', 'amount must be positive', { details: { field: 'amount' } });
  if (req.amount < asset.minWithdrawal) {
    throw new WalletError('AMOUNT_TOO_SMALL', `the minimum withdrawal of ${asset.id} is ${asset.minWithdrawal}`, {
      details: { asset: asset.id, minWithdrawal: asset.minWithdrawal.toString() },
    });
  }
  return { to, chain: chain.id, fee: withdrawalFeeOf(asset, req.networkFeeRate) };
}

/**
 * Accepts a withdrawal on the account's node, in ONE MySQL transaction: freezes amount + fee (a conditional
 * debit of available, so concurrent requests can never overdraw), stores the withdrawal with its localhash in
 * `pending_review`, its first audit event, and the blockout_req outbox row the RequestRelay sends to signsrv.
 *
 * Idempotent on (clientId, idempotencyKey), enforced by a unique key, so a retry storm creates one withdrawal even
 * if the gateway's idempotency cache was lost. The client's reference is unique per client by another unique key,
 * checked by the INSERT that comes before the freeze in the same transaction: of two requests with one reference
 * exactly one freezes, the other is DUPLICATE_REFERENCE with nothing frozen (a retry of the first one's key still gets
 * the first one's withdrawal). The caller has checked that the account is the client's and lives on
 * this node (transrv's AccountDirectory).
 *
 * The destination is screened first ({@link screenDestination}): the zero address, reserved addresses and the
 * wallet's own addresses are refused with nothing changed. A deposit address of this wallet makes the withdrawal
 * internal: it records the account credited, charges no withdrawal fee (nothing leaves through the chain), and is
 * settled in the ledger once approved (settleInternalWithdrawals).
 * @returns the withdrawal, and whether this call created it
 * @throws WalletError UNSUPPORTED_ASSET, INVALID_ADDRESS, INVALID_DESTINATION, AMOUNT_TOO_SMALL, INSUFFICIENT_FUNDS,
 * IDEMPOTENCY_KEY_REUSED, DUPLICATE_REFERENCE
 */
export async function createWithdrawal(
  dbs: Knex | NodeDbs,
  nodeId: string,
  registry: AssetRegistry,
  req: WithdrawalRequest,
): Promise<{ withdrawal: Withdrawal; created: boolean }> {
  // The withdrawal in the node's shard; the destination screened against the global database's addresses.
  const { global, shard: db } = nodeDbs(dbs);
  const replay = async (): Promise<{ withdrawal: Withdrawal; created: boolean } | undefined> => {
    const row = await db<WithdrawalRow>('withdrawals').where({ client_id: req.clientId, idempotency_key: req.idempotencyKey }).first();
    if (!row) return undefined;
    if (row.request_hash !== req.requestHash) {
      throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
    }
    return { withdrawal: withdrawalFromRow(row), created: false };
  };
  let checked: { to: string; chain: string; fee: bigint; internalAccountId: string | null };
  try {
    const request = checkWithdrawalRequest(registry, req);
    const { internalAccountId } = await screenDestination(global, registry.chain(request.chain), request.to);
    checked = { ...request, internalAccountId, fee: internalAccountId === null ? request.fee : 0n };
    if (req.amount + checked.fee > MAX_DECIMAL65) throw new WalletError('INSUFFICIENT_FUNDS', `insufficient available ${req.asset}`);
  } catch (error) {
    // A retry of a request accepted before the registry changed (minimum raised, asset delisted) still gets its
    // withdrawal; another request under a used key is IDEMPOTENCY_KEY_REUSED rather than a validation error.
    const earlier = await replay();
    if (earlier) return earlier;
    throw error;
  }
  const { to, chain, fee, internalAccountId } = checked;
  const total = req.amount + fee;

  try {
    return await withTransaction(db, async (trx) => {
      const id = newId('wd');
      const localhash = computeLocalhash({
        id,
        accountId: req.accountId,
        chain,
        asset: req.asset,
        to,
        amount: req.amount,
        fee,
        internalAccountId,
      });
      await trx('withdrawals').insert({
        id,
        client_id: req.clientId,
        account_id: req.accountId,
        node_id: nodeId,
        idempotency_key: req.idempotencyKey,
        request_hash: req.requestHash,
        chain,
        asset: req.asset,
        to_address: to,
        amount: req.amount.toString(),
        fee: fee.toString(),
        localhash,
        internal_account_id: internalAccountId,
        status: 'pending_review',
        reference: req.reference ?? null,
        metadata: metadataToColumn(req.metadata),
      });
      await postEntry(trx, {
        entryId: `${id}:freeze`,
        nodeId,
        refId: id,
        lines: [
          { accountId: req.accountId, asset: req.asset, bucket: 'available', amount: -total, kind: LedgerKind.withdrawalFreeze },
          { accountId: req.accountId, asset: req.asset, bucket: 'frozen', amount: total, kind: LedgerKind.withdrawalFreeze },
        ],
      });
      await trx('withdrawal_events').insert({
        withdrawal_id: id,
        from_status: null,
        to_status: 'pending_review',
        actor: `client:${req.clientId}`,
      });
      await trx('withdrawal_outbox').insert({
        withdrawal_id: id,
        node_id: nodeId,
        payload: encodeMessage({
          v: 1,
          withdrawalId: id,
          nodeId,
          accountId: req.accountId,
          chain,
          asset: req.asset,
          to,
          amount: req.amount,
          fee,
          localhash,
          ...(internalAccountId === null ? {} : { internalAccountId }),
        }),
      });
      const row = await trx<WithdrawalRow>('withdrawals').where({ id }).first();
      await appendEvents(trx, [withdrawalEvent(row!, null)]);
      return { withdrawal: withdrawalFromRow(row!), created: true };
    });
  } catch (error) {
    // A concurrent request with the same key committed first: answer with its withdrawal. Otherwise the reference
    // was taken (the only other unique key a new withdrawal can meet).
    if (isDuplicateKey(error)) {
      const winner = await replay();
      if (winner) return winner;
      if (req.reference !== undefined) await refuseDuplicateReference(db, 'withdrawals', req.clientId, req.reference);
    }
    throw error;
  }
}
