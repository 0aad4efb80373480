import type { AssetRegistry, AssetSpec, ChainSpec } from '@wallet/assets';
import { chainFamily } from '@wallet/chains';
import { LedgerKind as LedgerKinds } from '@wallet/ledger';
import type { Account, Deposit, DepositAddress, LedgerEntry, ReservesProof, TransferRecord, WithdrawalRecord } from '@wallet/proto';
import { z } from 'zod';

// The JSON shapes of docs/api.md. Each answer is built by one function from the gRPC record, and each has the zod
// schema the OpenAPI document is generated from: the two sit side by side so they change together.

export const Amount = z
  .string()
  .regex(/^[0-9]+$/)
  .meta({ description: 'Integer amount in the asset base unit (wei, satoshi).' });
const SignedAmount = z
  .string()
  .regex(/^-?[0-9]+$/)
  .meta({ description: 'Signed integer amount in base units.' });
export const Timestamp = z.string().meta({ description: 'ISO-8601 UTC timestamp.', format: 'date-time' });
const Reference = z.string().nullable().meta({
  description: "The client's own reference, as sent (unique per client among its withdrawals, and among its transfers); null: none.",
});
const Metadata = z.record(z.string(), z.string()).meta({ description: "The client's metadata, as sent; `{}` when none." });

export const DepositStatus = z.enum(['pending', 'credited', 'orphaned', 'reversed']).meta({ id: 'DepositStatus' });
export const WithdrawalStatus = z
  .enum(['pending_review', 'approved', 'signed', 'broadcast', 'confirmed', 'rejected', 'cancelled', 'failed'])
  .meta({ id: 'WithdrawalStatus' });
export const TransferStatus = z.enum(['pending_credit', 'completed']).meta({ id: 'TransferStatus' });
export const LedgerBucket = z.enum(['available', 'frozen']).meta({ id: 'LedgerBucket' });
export const LedgerKind = z
  .enum(Object.values(LedgerKinds) as [LedgerKinds, ...LedgerKinds[]])
  .meta({ id: 'LedgerKind', description: 'Why a ledger line was posted (docs/api.md, Ledger buckets and kinds).' });
/**
 * A chain id. Chains are configured per deployment: the OpenAPI document a gateway serves lists its own
 * (createApiDocument), and `GET /v1/assets` says what each one serves.
 */
export const Chain = z
  .string()
  .meta({ id: 'Chain', description: "A chain id of this deployment's registry (docs/api.md, Chains; GET /v1/assets)." });
export const ChainKind = z.enum(['evm', 'utxo']).meta({ id: 'ChainKind' });
export const Network = z.enum(['mainnet', 'testnet', 'regtest']).meta({ id: 'Network' });

export const AssetView = z
  .object({
    asset: z.string(),
    chain: Chain,
    chainKind: ChainKind,
    network: Network,
    evmChainId: z.number().int().optional().meta({ description: "EVM chains only: the chain's EIP-155 chain id." }),
    decimals: z.number().int(),
    confirmations: z.number().int().meta({ description: "Blocks on top of a deposit's block before it is credited." }),
    minWithdrawal: Amount,
    withdrawalFee: Amount,
    feeFromRates: z.object({ units: z.number().int(), markupPercent: z.number().int() }).optional().meta({
      description:
        "Present when the withdrawal fee follows the network: max(withdrawalFee, ceil(units x the chain's GET /v1/fees rate x (100 + markupPercent) / 100)).",
    }),
    contract: z.string().optional().meta({ description: 'Tokens only: the contract address (EIP-55).' }),
    deposits: z.boolean().meta({
      description: 'A scanner of this deployment watches the chain: addresses are issued and deposits credited (else `UNSUPPORTED_CHAIN`).',
    }),
    withdrawals: z.boolean().meta({
      description: 'This deployment pays withdrawals of the asset (else `UNSUPPORTED_ASSET`, `details.reason` `chain_not_served`).',
    }),
    transfers: z.boolean().meta({ description: 'Internal transfers between accounts: every listed asset.' }),
  })
  .meta({ id: 'Asset' });

/** What the deployment serves on a chain (accountsrv's GetServedChains). */
export type ChainService = { readonly deposits: boolean; readonly withdrawals: boolean };

/** An asset with its chain and what this deployment serves of it. */
export function assetView(a: AssetSpec, chain: ChainSpec, served: ChainService): z.infer<typeof AssetView> {
  return {
    asset: a.id,
    chain: a.chain,
    chainKind: chain.kind,
    network: chain.network,
    ...(chain.evmChainId === undefined ? {} : { evmChainId: chain.evmChainId }),
    decimals: a.decimals,
    confirmations: a.confirmations,
    minWithdrawal: a.minWithdrawal.toString(),
    withdrawalFee: a.withdrawalFee.toString(),
    ...(a.feeFromRates === undefined ? {} : { feeFromRates: { units: a.feeFromRates.units, markupPercent: a.feeFromRates.markupPercent } }),
    ...(a.contract === undefined ? {} : { contract: chainFamily(chain).canonicalAddress(a.contract) }),
    deposits: served.deposits,
    withdrawals: served.withdrawals,
    // A transfer moves the ledger only: any listed asset, whatever the chain's node.
    transfers: true,
  };
}

export const AccountView = z.object({ id: z.string(), externalId: z.string(), createdAt: Timestamp }).meta({ id: 'Account' });

export function accountView(a: Account): z.infer<typeof AccountView> {
  return { id: a.id, externalId: a.externalId, createdAt: a.createdAt };
}

export const BalanceView = z
  .object({
    asset: z.string(),
    available: Amount,
    frozen: Amount.meta({ description: 'Held for withdrawals in flight.' }),
    pending: Amount.meta({ description: 'Deposits seen on chain, not yet credited.' }),
  })
  .meta({ id: 'Balance' });

export const AddressView = z
  .object({ chain: Chain, address: z.string(), index: z.number().int(), createdAt: Timestamp })
  .meta({ id: 'Address' });

export function addressView(a: DepositAddress, registry: AssetRegistry): z.infer<typeof AddressView> {
  return { chain: a.chain, address: canonicalAddress(registry, a.chain, a.address), index: a.index, createdAt: a.createdAt };
}

/**
 * An address in the one form every answer shows it in, its chain family's canonical form (EIP-55 on EVM chains;
 * lower-case bech32, base58check as it is, on UTXO chains), whichever form the service that answered stored it in
 * (deposit rows keep the node's lower case). A chain no longer in the registry keeps the stored form.
 */
export function canonicalAddress(registry: AssetRegistry, chain: string, address: string): string {
  const spec = registry.chains.get(chain);
  return spec === undefined ? address : chainFamily(spec).canonicalAddress(address);
}

export const LedgerEntryView = z
  .object({
    id: z.string(),
    asset: z.string(),
    amount: SignedAmount,
    kind: LedgerKind,
    refId: z.string(),
    balanceAfter: Amount,
    bucket: LedgerBucket,
    createdAt: Timestamp,
  })
  .meta({ id: 'LedgerEntry' });

export function ledgerEntryView(e: LedgerEntry): z.infer<typeof LedgerEntryView> {
  return {
    id: e.id,
    asset: e.asset,
    amount: e.amount,
    kind: e.kind as z.infer<typeof LedgerKind>,
    refId: e.refId,
    balanceAfter: e.balanceAfter,
    bucket: e.bucket as z.infer<typeof LedgerBucket>,
    createdAt: e.createdAt,
  };
}

export const DepositView = z
  .object({
    id: z.string(),
    asset: z.string(),
    chain: Chain,
    address: z.string(),
    txid: z.string().nullable().meta({ description: 'null for an internal deposit.' }),
    outputIndex: z.number().int().meta({
      description: "BTC, LTC: the output's index in its transaction. EVM: the token Transfer log's index; -1 for a native transfer.",
    }),
    amount: Amount,
    blockNumber: z.number().int().nullable().meta({ description: 'null for an internal deposit.' }),
    blockHash: z.string().nullable().meta({ description: 'null for an internal deposit.' }),
    confirmations: z.number().int(),
    status: DepositStatus,
    createdAt: Timestamp,
    creditedAt: Timestamp.nullable(),
    internal: z.boolean().meta({
      description:
        'Credited by a withdrawal of this wallet to this deposit address: no chain transaction (txid and block fields are empty).',
    }),
  })
  .meta({ id: 'Deposit' });

export function depositView(d: Deposit, registry: AssetRegistry): z.infer<typeof DepositView> {
  return {
    id: d.id,
    asset: d.asset,
    chain: d.chain,
    address: canonicalAddress(registry, d.chain, d.address),
    txid: d.internal ? null : d.txid,
    outputIndex: d.outputIndex,
    amount: d.amount,
    blockNumber: d.internal ? null : Number(d.blockNumber),
    blockHash: d.internal ? null : d.blockHash,
    confirmations: d.confirmations,
    status: d.status as z.infer<typeof DepositStatus>,
    createdAt: d.createdAt,
    creditedAt: d.creditedAt || null,
    internal: d.internal,
  };
}

export const TransferView = z
  .object({
    id: z.string(),
    from: z.string(),
    to: z.string(),
    asset: z.string(),
    amount: Amount,
    status: TransferStatus,
    reference: Reference,
    metadata: Metadata,
    createdAt: Timestamp,
  })
  .meta({ id: 'Transfer' });

export function transferView(t: TransferRecord): z.infer<typeof TransferView> {
  return {
    id: t.id,
    from: t.fromAccountId,
    to: t.toAccountId,
    asset: t.asset,
    amount: t.amount,
    status: t.status as z.infer<typeof TransferStatus>,
    reference: t.reference || null,
    metadata: { ...t.metadata },
    createdAt: t.createdAt,
  };
}

export const WithdrawalView = z
  .object({
    id: z.string(),
    accountId: z.string(),
    chain: Chain,
    asset: z.string(),
    to: z.string(),
    amount: Amount,
    fee: Amount,
    status: WithdrawalStatus,
    txid: z.string().nullable(),
    outputIndex: z.number().int().nullable().meta({
      description:
        "UTXO chains (BTC, LTC): the index of the withdrawal's output in the transaction `txid` (a transaction may pay several withdrawals, one output each); null until signed, and always null on EVM chains.",
    }),
    confirmations: z.number().int().nullable(),
    reason: z.string().nullable(),
    networkFee: Amount.nullable(),
    internal: z.boolean().meta({
      description:
        'The destination is a deposit address of this wallet: settled in the books after approval, no chain transaction, no fee.',
    }),
    reference: Reference,
    metadata: Metadata,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Withdrawal' });

/** A withdrawal as clients see it; what it does not have yet is null, as for deposits. */
export function withdrawalView(w: WithdrawalRecord, registry: AssetRegistry): z.infer<typeof WithdrawalView> {
  return {
    id: w.id,
    accountId: w.accountId,
    chain: w.chain,
    asset: w.asset,
    to: canonicalAddress(registry, w.chain, w.to),
    amount: w.amount,
    fee: w.fee,
    status: w.status as z.infer<typeof WithdrawalStatus>,
    txid: w.txid || null,
    outputIndex: w.outputIndex ?? null,
    confirmations: w.confirmations < 0 ? null : w.confirmations,
    reason: w.reason || null,
    networkFee: w.networkFee || null,
    internal: w.internal,
    reference: w.reference || null,
    metadata: { ...w.metadata },
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

/** A list page: newest first; `nextCursor` is null on the last page. */
const Hash32 = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .meta({ description: '32 bytes as 64 lower-case hex characters.' });

export const ReservesProofStepView = z
  .object({
    hash: Hash32.meta({ description: "The sibling node's hash." }),
    sum: Amount.meta({ description: "The sibling node's sum." }),
    side: z.enum(['left', 'right']).meta({ description: 'Where the sibling sits: `left` hashes it first.' }),
  })
  .meta({ id: 'ReservesProofStep' });

export const ReservesProofView = z
  .object({
    reportId: z.string(),
    asset: z.string(),
    createdAt: Timestamp.meta({ description: 'When the report was made: the balances are those of that moment.' }),
    root: Hash32.meta({ description: "The report's Merkle sum tree root." }),
    total: Amount.meta({ description: 'What the exchange owed all accounts together (the sum of every leaf).' }),
    leafCount: z.number().int(),
    accountId: z.string(),
    leaf: z
      .object({
        index: z.number().int(),
        balance: Amount.meta({ description: 'What the report says is owed to this account: available + frozen.' }),
        commitment: Hash32.meta({ description: 'SHA-256(0x02 || accountId || salt): recompute it.' }),
      })
      .meta({ id: 'ReservesLeaf' }),
    salt: Hash32.meta({ description: "Your client's secret salt: it lets you recompute your commitments; never share it." }),
    path: z.array(ReservesProofStepView).meta({ description: 'The siblings from the leaf up to the root (docs/reserves.md).' }),
  })
  .meta({ id: 'ReservesProof' });

export function reservesProofView(accountId: string, p: ReservesProof): z.infer<typeof ReservesProofView> {
  return {
    reportId: p.reportId,
    asset: p.asset,
    createdAt: p.createdAt,
    root: p.root,
    total: p.total,
    leafCount: p.leafCount,
    accountId,
    leaf: { index: p.leafIndex, balance: p.balance, commitment: p.commitment },
    salt: p.salt,
    path: p.path.map((s) => ({ hash: s.hash, sum: s.sum, side: s.side === 'left' ? 'left' : 'right' })),
  };
}

export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

/** `{data: [...]}` for short, unpaged lists. */
export function listOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ data: z.array(item) }).meta({ id });
}
