import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import type { AuditFn } from './review/Audit.js';
import { type ChainAdapter, chainFamily, isEvmAdapter, isUtxoAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import { accountDerivationPath } from '@wallet/keys';
import { type SeedVault, evmHotWalletPath, evmSigner, psbtSigner } from '@wallet/signer';
import type { CrashPoint } from '@wallet/lifecycle';
import type { PayoutFamily } from './PayoutFamily.js';
import { EvmPayoutFamily } from './evm/EvmPayoutFamily.js';
import { type AutoConsolidation } from './utxo/UtxoConsolidations.js';
import { type UtxoBatchPolicy, UtxoPayoutFamily } from './utxo/UtxoPayoutFamily.js';

/** What {@link createPayoutFamily} takes: one chain, its node's adapter, the seed its key is derived from. */
export type PayoutFamilySpec = {
  readonly chain: ChainSpec;
  /** From `createChainAdapter` for the same chain; the family closes it. */
  readonly adapter: ChainAdapter;
  /** The keys are derived from it; it is not kept (the signer holds its own copy of its key). */
  readonly vault: SeedVault;
  readonly registry: AssetRegistry;
  readonly db: Knex;
  readonly log: Logger;
  /** EVM: the most signsrv offers per gas on this chain (UTXO chains: see `utxo.maxFeeRate`). */
  readonly maxFeePerGas: bigint;
  /** How much a replacement raises the fees (EVM: both fee fields; UTXO: the fee rate), in percent. @default 25 */
  readonly bumpPercent?: number;
  /** UTXO: the chain's payout policy (batching, fee bound, confirmations of spent outputs, build lock). */
  readonly utxo?: {
    readonly batch?: UtxoBatchPolicy;
    /** sat/vB @default 500n */
    readonly maxFeeRate?: bigint;
    readonly minConf?: number;
    readonly buildLockMs?: number;
    readonly autoConsolidation?: AutoConsolidation;
  };
  /** UTXO: an unmined consolidation is sent again this often (ms). */
  readonly rebroadcastAfterMs?: number;
  /** Test-only crash points. */
  readonly crash?: CrashPoint;
  /** The audit log (consolidations' signatures; withdrawals' are audited where they are signed). */
  readonly audit?: AuditFn;
};

/**
 * The payout family of a chain, chosen by its kind: the one place in signsrv that knows the families apart, as
 * `createChainAdapter` is for the node and `chainFamily` for what needs no node.
 * @throws WalletError UNSUPPORTED_CHAIN (`details.reason` `withdrawals_not_supported`) for a chain whose family pays no
 * withdrawals yet (UTXO: see `chainFamily(chain).payouts`); CONFIG_INVALID when the adapter is not the chain's
 */
export function createPayoutFamily(spec: PayoutFamilySpec): PayoutFamily {
  const { chain, adapter } = spec;
  if (!chainFamily(chain).payouts) {
    throw new WalletError('UNSUPPORTED_CHAIN', `chain ${chain.id}: withdrawals are not supported on ${chain.kind} chains yet`, {
      details: { chain: chain.id, reason: 'withdrawals_not_supported' },
    });
  }
  if (adapter.chain !== chain.id) {
    throw new WalletError('CONFIG_INVALID', `the adapter of ${adapter.chain} was given for ${chain.id}`, { details: { chain: chain.id } });
  }
  switch (chain.kind) {
    case 'evm':
      if (!isEvmAdapter(adapter))
        throw new WalletError('CONFIG_INVALID', `chain ${chain.id}: not an EVM adapter`, { details: { chain: chain.id } });
      return new EvmPayoutFamily({
        chain,
        adapter,
        signer: spec.vault.signer(evmSigner, evmHotWalletPath),
        registry: spec.registry,
        db: spec.db,
        log: spec.log,
        maxFeePerGas: spec.maxFeePerGas,
        ...(spec.bumpPercent === undefined ? {} : { bumpPercent: spec.bumpPercent }),
      });
    case 'utxo': {
      if (!isUtxoAdapter(adapter) || chain.family === 'eth')
        throw new WalletError('CONFIG_INVALID', `chain ${chain.id}: not a UTXO adapter`, { details: { chain: chain.id } });
      const policy = spec.utxo ?? {};
      return new UtxoPayoutFamily({
        chain,
        adapter,
        signer: spec.vault.signer(psbtSigner(chain.family, chain.network), accountDerivationPath(chain.family, chain.network)),
        db: spec.db,
        log: spec.log,
        maxFeeRate: policy.maxFeeRate ?? 500n,
        ...(policy.batch === undefined ? {} : { batch: policy.batch }),
        ...(policy.minConf === undefined ? {} : { minConf: policy.minConf }),
        ...(policy.buildLockMs === undefined ? {} : { buildLockMs: policy.buildLockMs }),
        ...(policy.autoConsolidation === undefined ? {} : { autoConsolidation: policy.autoConsolidation }),
        ...(spec.rebroadcastAfterMs === undefined ? {} : { rebroadcastAfterMs: spec.rebroadcastAfterMs }),
        confirmations: spec.registry.asset(chain.nativeAsset).confirmations,
        ...(spec.bumpPercent === undefined ? {} : { bumpPercent: spec.bumpPercent }),
        ...(spec.crash === undefined ? {} : { crash: spec.crash }),
        ...(spec.audit === undefined ? {} : { audit: spec.audit }),
      });
    }
  }
}
