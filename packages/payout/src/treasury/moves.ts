import type { AssetRegistry } from '@wallet/assets';
import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import { checksumEthAddress } from '@wallet/keys';
import type { AuditFn } from '../review/Audit.js';
import type { Principal } from '../review/Principal.js';
import { requireAdmin } from '../review/policyStore.js';

/** What a treasury move is (`treasury_moves.kind`). */
export const MoveKind = { coldTransfer: 'cold_transfer', contractCall: 'contract_call', refill: 'refill' } as const;
export type MoveKind = (typeof MoveKind)[keyof typeof MoveKind];

/** The states of a treasury move; `rejected`, `confirmed` and `failed` are final. */
export const MoveStatus = {
  pendingReview: 'pending_review',
  approved: 'approved',
  rejected: 'rejected',
  signed: 'signed',
  broadcast: 'broadcast',
  confirmed: 'confirmed',
  failed: 'failed',
} as const;
export type MoveStatus = (typeof MoveStatus)[keyof typeof MoveStatus];

/** A `treasury_moves` row as MySQL returns it (DECIMAL and BIGINT as strings). */
export type MoveRow = {
  readonly id: string;
  readonly kind: MoveKind;
  readonly chain: string;
  readonly asset: string;
  readonly from_address: string;
  readonly to_address: string | null;
  readonly amount: string;
  readonly data: string;
  readonly status: MoveStatus;
  readonly required_approvals: number;
  readonly requested_by: string;
  readonly note: string | null;
  readonly nonce: string | number | null;
  readonly gas_limit: string | number | null;
  readonly gas_price: string | null;
  readonly txid: string | null;
  readonly raw: string | null;
  readonly fee: string | null;
  readonly block: string | number | null;
  readonly contract_address: string | null;
  readonly reason: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly decided_at: Date | null;
  readonly finished_at: Date | null;
};

/** A move as the console, walletctl and tests see it, with its decisions. */
export type MoveView = {
  readonly id: string;
  readonly kind: MoveKind;
  readonly chain: string;
  readonly asset: string;
  readonly from: string;
  /** null: a contract creation. */
  readonly to: string | null;
  readonly amount: bigint;
  readonly data: string;
  readonly status: MoveStatus;
  readonly requiredApprovals: number;
  readonly requestedBy: string;
  readonly note: string | null;
  readonly decisions: readonly {
    readonly by: string;
    readonly decision: 'approved' | 'rejected';
    readonly reason: string | null;
    readonly at: Date;
  }[];
  readonly txid: string | null;
  readonly nonce: number | null;
  readonly fee: bigint | null;
  readonly block: number | null;
  readonly contractAddress: string | null;
  readonly reason: string | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
};

/** Open states: the move may still sign or is on its way. */
export const OPEN_MOVE_STATES: readonly MoveStatus[] = [
  MoveStatus.pendingReview,
  MoveStatus.approved,
  MoveStatus.signed,
  MoveStatus.broadcast,
];

const MAX_DATA_BYTES = 48 * 1024;
const MAX_UINT256 = (1n << 256n) - 1n;

/** What an operator asks for: an outbound EVM transaction from the chain's hot wallet. */
export type ContractCallInput = {
  readonly chain: string;
  /** The contract called (any EVM address); null or absent: a contract creation with `data` as its init code. */
  readonly to?: string | null;
  /** Calldata or init code, 0x-hex. */
  readonly data: string;
  /** Wei sent with it, a decimal string. */
  readonly value?: string;
  readonly note?: string;
};

/**
 * Checks an EVM address as a human typed it: `0x` and 40 hex digits; mixed case must be its EIP-55 checksum.
 * @returns the EIP-55 form
 * @throws WalletError INVALID_ADDRESS
 */
export function evmAddressInput(address: string, field: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new WalletError('INVALID_ADDRESS', `${field}: expected 0x and 40 hex digits`, { details: { field } });
  }
  const body = address.slice(2);
  const checksummed = checksumEthAddress(body.toLowerCase());
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && checksummed !== address) {
    throw new WalletError('INVALID_ADDRESS', `${field}: the EIP-55 checksum does not match`, { details: { field, reason: 'checksum' } });
  }
  return checksummed;
}

/** A decimal string of base units within [0, 2^256). */
function baseUnits(value: string, field: string): bigint {
  if (!/^(0|[1-9][0-9]{0,77})$/.test(value)) {
    throw new WalletError('VALIDATION_FAILED', `${field}: expected a non-negative integer of base units`, { details: { field } });
  }
  const n = BigInt(value);
  if (n > MAX_UINT256) throw new WalletError('VALIDATION_FAILED', `${field}: above 2^256 - 1`, { details: { field } });
  return n;
}

function noteOf(note: string | undefined): string | null {
  if (note === undefined) return null;
  const trimmed = note.trim();
  if (trimmed.length > 500) throw new WalletError('VALIDATION_FAILED', 'note: at most 500 characters', { details: { field: 'note' } });
  return trimmed.length === 0 ? null : trimmed;
}

/** The chain's active hot wallet (signsrv records it at start), or UNSUPPORTED_CHAIN. */
async function hotWalletOf(db: Knex, registry: AssetRegistry, chain: string): Promise<string> {
  const spec = registry.chains.get(chain);
  if (!spec || spec.kind !== 'evm') {
    throw new WalletError('UNSUPPORTED_CHAIN', `${chain} is not an EVM chain of the registry: contract calls need one`, {
      details: { chain },
    });
  }
  const row = await db('hot_wallets').where({ chain }).first<{ address: string } | undefined>('address');
  if (!row)
    throw new WalletError('UNSUPPORTED_CHAIN', `signsrv has no hot wallet on ${chain}`, { details: { chain, reason: 'no_hot_wallet' } });
  return row.address;
}

/**
 * Records an operator's contract call (or creation) for review: `pending_review`, needing `approvals` admins other than
 * the requester. Nothing is signed until then. Bad input changes nothing.
 * @throws WalletError FORBIDDEN (not an admin), VALIDATION_FAILED, INVALID_ADDRESS, UNSUPPORTED_CHAIN
 */
export async function requestContractCall(
  db: Knex,
  audit: AuditFn,
  registry: AssetRegistry,
  by: Principal,
  input: ContractCallInput,
  approvals: number,
): Promise<MoveView> {
  requireAdmin(by);
  const to = input.to === undefined || input.to === null || input.to === '' ? null : evmAddressInput(input.to, 'to');
  if (!/^0x([0-9a-fA-F]{2})*$/.test(input.data)) {
    throw new WalletError('VALIDATION_FAILED', 'data: expected 0x and an even number of hex digits', { details: { field: 'data' } });
  }
  if ((input.data.length - 2) / 2 > MAX_DATA_BYTES) {
    throw new WalletError('VALIDATION_FAILED', `data: at most ${MAX_DATA_BYTES} bytes`, { details: { field: 'data' } });
  }
  if (to === null && input.data.length <= 2) {
    throw new WalletError('VALIDATION_FAILED', 'a contract creation needs its init code in data', { details: { field: 'data' } });
  }
  const value = baseUnits(input.value ?? '0', 'value');
  const note = noteOf(input.note);
  const from = await hotWalletOf(db, registry, input.chain);
  const id = newId('tm');
  await withTransaction(db, async (trx) => {
    await trx('treasury_moves').insert({
      id,
      kind: MoveKind.contractCall,
      chain: input.chain,
      asset: registry.chain(input.chain).nativeAsset,
      from_address: from,
      to_address: to,
      amount: value.toString(),
      data: input.data.toLowerCase(),
      status: MoveStatus.pendingReview,
      required_approvals: approvals,
      requested_by: by.id,
      note,
    });
    await audit(trx, {
      actor: by.id,
      action: 'treasury_move_requested',
      subject: id,
      details: {
        kind: MoveKind.contractCall,
        chain: input.chain,
        to,
        value: value.toString(),
        dataBytes: (input.data.length - 2) / 2,
        note,
      },
    });
  });
  return (await getMove(db, id))!;
}

/** What the tier job plans: the excess of the hot wallet over the cap, to the cold address. */
export type ColdTransferPlan = {
  readonly chain: string;
  readonly asset: string;
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly approvals: number;
  readonly note: string;
};

/**
 * Records a cold transfer for review, unless the asset already has an open one (one at a time: UNIQUE open_asset).
 * @returns the new move's id, or null when one is open
 */
export async function planColdTransfer(db: Knex, audit: AuditFn | undefined, plan: ColdTransferPlan): Promise<string | null> {
  const id = newId('tm');
  try {
    await withTransaction(db, async (trx) => {
      await trx('treasury_moves').insert({
        id,
        kind: MoveKind.coldTransfer,
        chain: plan.chain,
        asset: plan.asset,
        from_address: plan.from,
        to_address: plan.to,
        amount: plan.amount.toString(),
        data: '0x',
        status: MoveStatus.pendingReview,
        required_approvals: plan.approvals,
        requested_by: 'signsrv:tiers',
        note: plan.note,
      });
      await audit?.(trx, {
        actor: 'signsrv:tiers',
        action: 'treasury_move_requested',
        subject: id,
        details: { kind: MoveKind.coldTransfer, chain: plan.chain, asset: plan.asset, to: plan.to, amount: plan.amount.toString() },
      });
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_DUP_ENTRY') return null;
    throw error;
  }
  return id;
}

/**
 * An admin's decision on a move awaiting review. Admins only; never the one who asked for it; once per admin. A
 * rejection ends the move; the `required_approvals`-th approval makes it `approved` (signed on signsrv's next pass).
 * @throws WalletError FORBIDDEN (not an admin, or the requester), NOT_FOUND, CONFLICT (not awaiting review),
 * ALREADY_APPROVED (this admin decided it already), VALIDATION_FAILED (a rejection without a reason)
 */
export async function decideMove(
  db: Knex,
  audit: AuditFn,
  by: Principal,
  id: string,
  decision: 'approve' | 'reject',
  reason?: string,
): Promise<MoveView> {
  requireAdmin(by);
  const why = reason?.trim() ?? '';
  if (decision === 'reject' && (why.length === 0 || why.length > 500)) {
    throw new WalletError('VALIDATION_FAILED', 'a rejection needs a reason (1..500 characters)', { details: { field: 'reason' } });
  }
  if (why.length > 500) throw new WalletError('VALIDATION_FAILED', 'reason: at most 500 characters', { details: { field: 'reason' } });
  await withTransaction(db, async (trx) => {
    const row = await trx<MoveRow>('treasury_moves').where({ id }).forUpdate().first();
    if (!row) throw new WalletError('NOT_FOUND', `no treasury move ${id}`, { details: { id } });
    if (row.status !== MoveStatus.pendingReview) {
      throw new WalletError('CONFLICT', `the move is ${row.status}, not awaiting review`, { details: { id, status: row.status } });
    }
    if (row.requested_by === by.id) {
      throw new WalletError('FORBIDDEN', 'the one who asked for a move cannot decide it', { details: { id, reason: 'own_request' } });
    }
    try {
      await trx('treasury_move_approvals').insert({
        move_id: id,
        approver: by.id,
        decision: decision === 'approve' ? 'approved' : 'rejected',
        reason: why.length === 0 ? null : why,
      });
    } catch (error) {
      if ((error as { code?: string }).code !== 'ER_DUP_ENTRY') throw error;
      throw new WalletError('ALREADY_APPROVED', 'this admin has decided the move already: the next decision must come from someone else', {
        details: { id },
      });
    }
    const [[count]] = (await trx.raw("SELECT COUNT(*) AS n FROM treasury_move_approvals WHERE move_id = ? AND decision = 'approved'", [
      id,
    ])) as [[{ n: number | string }]];
    const next =
      decision === 'reject'
        ? MoveStatus.rejected
        : Number(count.n) >= row.required_approvals
          ? MoveStatus.approved
          : MoveStatus.pendingReview;
    if (next !== MoveStatus.pendingReview) {
      await trx('treasury_moves')
        .where({ id })
        .update({
          status: next,
          decided_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          ...(next === MoveStatus.rejected ? { reason: 'rejected', finished_at: trx.raw('CURRENT_TIMESTAMP(3)') } : {}),
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
    }
    await audit(trx, {
      actor: by.id,
      action: decision === 'approve' ? 'treasury_move_approved' : 'treasury_move_rejected',
      subject: id,
      details: {
        kind: row.kind,
        chain: row.chain,
        asset: row.asset,
        to: row.to_address,
        amount: row.amount,
        status: next,
        reason: why || null,
      },
    });
  });
  return (await getMove(db, id))!;
}

/** One move with its decisions, or undefined. */
export async function getMove(db: Knex, id: string): Promise<MoveView | undefined> {
  const row = await db<MoveRow>('treasury_moves').where({ id }).first();
  if (!row) return undefined;
  return (await withDecisions(db, [row]))[0];
}

/** Filter of {@link listMoves}. */
export type MoveFilter = { readonly status?: MoveStatus | 'open'; readonly kind?: MoveKind; readonly limit?: number };

/** Moves, newest first. */
export async function listMoves(db: Knex, filter: MoveFilter = {}): Promise<MoveView[]> {
  let q = db<MoveRow>('treasury_moves')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 50, 1), 500));
  if (filter.status === 'open') q = q.whereIn('status', [...OPEN_MOVE_STATES]);
  else if (filter.status !== undefined) q = q.where({ status: filter.status });
  if (filter.kind !== undefined) q = q.where({ kind: filter.kind });
  return withDecisions(db, await q);
}

async function withDecisions(db: Knex, rows: readonly MoveRow[]): Promise<MoveView[]> {
  const decisions =
    rows.length === 0
      ? []
      : await db('treasury_move_approvals')
          .whereIn(
            'move_id',
            rows.map((r) => r.id),
          )
          .orderBy('created_at')
          .select<{ move_id: string; approver: string; decision: 'approved' | 'rejected'; reason: string | null; created_at: Date }[]>();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    chain: r.chain,
    asset: r.asset,
    from: r.from_address,
    to: r.to_address,
    amount: BigInt(r.amount),
    data: r.data,
    status: r.status,
    requiredApprovals: Number(r.required_approvals),
    requestedBy: r.requested_by,
    note: r.note,
    decisions: decisions
      .filter((d) => d.move_id === r.id)
      .map((d) => ({ by: d.approver, decision: d.decision, reason: d.reason, at: d.created_at })),
    txid: r.txid,
    nonce: r.nonce === null ? null : Number(r.nonce),
    fee: r.fee === null ? null : BigInt(r.fee),
    block: r.block === null ? null : Number(r.block),
    contractAddress: r.contract_address,
    reason: r.reason,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  }));
}

/** The JSON form of a move (amounts as decimal strings). */
export function moveJson(m: MoveView) {
  return {
    id: m.id,
    kind: m.kind,
    chain: m.chain,
    asset: m.asset,
    from: m.from,
    to: m.to,
    amount: m.amount.toString(),
    dataBytes: (m.data.length - 2) / 2,
    status: m.status,
    requiredApprovals: m.requiredApprovals,
    requestedBy: m.requestedBy,
    note: m.note,
    decisions: m.decisions.map((d) => ({ ...d, at: d.at.toISOString() })),
    txid: m.txid,
    nonce: m.nonce,
    fee: m.fee?.toString() ?? null,
    block: m.block,
    contractAddress: m.contractAddress,
    reason: m.reason,
    createdAt: m.createdAt.toISOString(),
    finishedAt: m.finishedAt?.toISOString() ?? null,
  };
}
