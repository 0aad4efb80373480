import { BaseUnits } from '@wallet/assets';
import { NodeId, ObjectId } from '@wallet/ids';
import { z } from 'zod';

const Localhash = z.string().regex(/^[0-9a-f]{64}$/);
// EVM: 0x and the keccak hash; UTXO chains: the txid as nodes show it (64 hex, no prefix). Lower-case only.
const TxHash = z.string().regex(/^(?:0x)?[0-9a-f]{64}$/);

/**
 * blockout_req: a withdrawal to review, transrv -> signsrv. Untrusted: signsrv checks every field against the row
 * in MySQL and the localhash recomputed from both, and refuses the message when anything differs.
 */
export const BlockoutRequest = z
  .object({
    v: z.literal(1),
    withdrawalId: ObjectId,
    nodeId: NodeId,
    accountId: ObjectId,
    chain: z.string().max(16),
    asset: z.string().max(16),
    to: z.string().min(1).max(100),
    amount: BaseUnits,
    fee: BaseUnits,
    localhash: Localhash,
    /** Present when the withdrawal is internal: the account it credits (covered by the localhash). */
    internalAccountId: ObjectId.optional(),
  })
  .strict();
export type BlockoutRequest = z.infer<typeof BlockoutRequest>;

/** What blockout_rsp reports, signsrv -> the transrv node that owns the withdrawal. */
export const ResponseType = {
  /** signsrv has the request in its review queue (transrv stops re-sending it). */
  received: 'received',
  /** An auditor approved it (signsrv already moved the row: approval races the client's cancel in MySQL). */
  approved: 'approved',
  /** An auditor rejected it: transrv releases the frozen funds. */
  rejected: 'rejected',
  /** Signed and stored (with blockout_ctx) before broadcasting. */
  signed: 'signed',
  /** Sent to the chain's node. */
  broadcast: 'broadcast',
  /**
   * An approved withdrawal that was never signed (its transaction cannot be built), given up by an auditor: transrv
   * releases the frozen funds and ends it `failed`, after checking signsrv's decision and that no transaction exists.
   */
  voided: 'voided',
} as const;
export type ResponseType = (typeof ResponseType)[keyof typeof ResponseType];

export const BlockoutResponse = z
  .object({
    v: z.literal(1),
    type: z.enum(['received', 'approved', 'rejected', 'signed', 'broadcast', 'voided']),
    withdrawalId: ObjectId,
    nodeId: NodeId,
    txid: TxHash.optional(),
    reason: z.string().max(200).optional(),
    actor: z.string().max(100).optional(),
  })
  .strict();
export type BlockoutResponse = z.infer<typeof BlockoutResponse>;

/** Serialises a message for a stream entry's `m` field. */
export function encodeMessage(message: BlockoutRequest | BlockoutResponse): string {
  return JSON.stringify(message, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
