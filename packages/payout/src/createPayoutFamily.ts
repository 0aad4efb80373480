import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import { type ChainAdapter, chainFamily, isEvmAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import { type SeedVault, evmHotWalletPath, evmSigner } from '@wallet/signer';
import type { PayoutFamily } from './PayoutFamily.js';
import { EvmPayoutFamily } from './evm/EvmPayoutFamily.js';

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
  /** EVM: the most signsrv offers per gas on this chain. */
  readonly maxFeePerGas: bigint;
  /** EVM: how much a replacement raises both fee fields, in percent. @default 25 */
  readonly bumpPercent?: number;
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
    case 'utxo':
      // Unreachable until chainFamily says UTXO chains pay out; the UTXO family (PSBT) goes here.
      throw new WalletError('UNSUPPORTED_CHAIN', `chain ${chain.id}: no payout family`, { details: { chain: chain.id } });
  }
}
