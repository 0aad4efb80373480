import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import { type EvmAdapter, type UtxoAdapter, addressToScript } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import {
  type AssetTier,
  type AuditFn,
  EvmMoveSender,
  type EvmSweeps,
  type HotReader,
  type PayoutFamily,
  RefillFollower,
  Tiers,
  type TreasuryChainJobs,
  TreasuryJob,
  UtxoRefillFollower,
  evmAddressInput,
} from '@wallet/payout';
import { type SeedVault, evmHotWalletPath, evmSigner } from '@wallet/signer';
import { deriveAddress, validateAddress } from '@wallet/keys';
import type { TierPolicy } from './config.js';

export type TreasuryWiring = {
  readonly db: Knex;
  readonly log: Logger;
  readonly registry: AssetRegistry;
  readonly vault: SeedVault;
  readonly families: ReadonlyMap<string, PayoutFamily>;
  readonly evmAdapters: ReadonlyMap<string, EvmAdapter>;
  /** UTXO chains' adapters (refills from cold are looked up on the node). */
  readonly utxoAdapters: ReadonlyMap<string, UtxoAdapter>;
  readonly sweeps: ReadonlyMap<string, EvmSweeps>;
  readonly tiers: Readonly<Record<string, TierPolicy>>;
  readonly approvals: number;
  readonly maxFeePerGas: (chain: string) => bigint;
  readonly rebroadcastAfterMs: number;
  readonly audit: AuditFn;
};

/**
 * A tier's cold destination on `chain`: an address as given (checked for the chain and network: EIP-55, bech32 ...), or
 * an offline wallet's account xpub, whose first receive address (/0/0) is used. This system never holds the cold keys:
 * an extended private key is refused.
 * @throws WalletError CONFIG_INVALID
 */
export function coldAddressOf(asset: string, cold: string, chain: ChainSpec): string {
  const field = `SIGNSRV_TIERS.${asset}.cold`;
  const invalid = (why: string) =>
    new WalletError('CONFIG_INVALID', `${field}: ${why}`, { details: { variables: ['SIGNSRV_TIERS'], asset } });
  if (/^[a-z]prv/i.test(cold)) throw invalid("an extended private key was given; give the cold wallet's xpub (its keys never come here)");
  const extended = /^[a-z]pub[1-9A-HJ-NP-Za-km-z]{100,}$/.test(cold);
  try {
    if (extended) return deriveAddress({ chain: chain.family, network: chain.network, xpub: cold, index: 0 });
    if (chain.kind === 'evm') return evmAddressInput(cold, field);
    return validateAddress(chain.family, chain.network, cold);
  } catch (error) {
    throw invalid(
      `not ${extended ? 'an account xpub' : 'an address'} of ${chain.id} (${error instanceof Error ? error.message : 'invalid'})`,
    );
  }
}

/**
 * signsrv's treasury job from its configuration: per EVM chain it pays on, a sender of approved treasury moves (the
 * hot wallet's key, derived here like the payout family's) and a follower of refills from cold; the tiers of each
 * configured asset. Derives keys: call before the vault is wiped.
 * @returns the job, and per chain the cold addresses of the tiers (recorded as operated addresses, role `cold`)
 */
export function buildTreasury(w: TreasuryWiring): { job: TreasuryJob; cold: Map<string, string[]> } {
  const cold = new Map<string, string[]>();
  const tiers: AssetTier[] = [];
  for (const [asset, policy] of Object.entries(w.tiers)) {
    const chain = w.registry.asset(asset).chain;
    const to = policy.cold === undefined ? undefined : coldAddressOf(asset, policy.cold, w.registry.chain(chain));
    if (to !== undefined) cold.set(chain, [...(cold.get(chain) ?? []), to]);
    tiers.push({
      asset,
      chain,
      ...(policy.cap === undefined ? {} : { cap: policy.cap }),
      ...(policy.floor === undefined ? {} : { floor: policy.floor }),
      ...(to === undefined ? {} : { cold: to }),
    });
  }
  const chains = new Map<string, TreasuryChainJobs>();
  const hot = new Map<string, { address: string; read: HotReader }>();
  for (const [chainId, family] of w.families) {
    const chain = w.registry.chain(chainId);
    const adapter = w.evmAdapters.get(chainId);
    if (adapter !== undefined) {
      const log = w.log.child({ component: 'treasury', chain: chainId });
      const moves = new EvmMoveSender({
        chain,
        adapter,
        hotWallet: w.vault.signer(evmSigner, evmHotWalletPath),
        registry: w.registry,
        db: w.db,
        log,
        maxFeePerGas: w.maxFeePerGas(chainId),
        rebroadcastAfterMs: w.rebroadcastAfterMs,
        audit: w.audit,
      });
      const refills = new RefillFollower({
        chain,
        adapter,
        registry: w.registry,
        db: w.db,
        log,
        hotWallet: family.address,
        coldAddresses: async () => w.db('operated_addresses').where({ chain: chainId, role: 'cold' }).pluck<string[]>('address'),
        audit: w.audit,
      });
      chains.set(chainId, { moves, refills });
      hot.set(chainId, {
        address: family.address,
        read: (asset) => {
          const contract = w.registry.asset(asset).contract;
          return contract === undefined ? adapter.balanceOf(family.address) : adapter.tokenBalanceOf(contract, family.address);
        },
      });
    } else {
      const adapter = w.utxoAdapters.get(chainId);
      if (adapter !== undefined && chain.kind === 'utxo' && chain.family !== 'eth') {
        chains.set(chainId, {
          refills: new UtxoRefillFollower({
            chain,
            registry: w.registry,
            db: w.db,
            log: w.log.child({ component: 'treasury', chain: chainId }),
            hotWallet: { address: family.address, script: addressToScript(chain.family, chain.network, family.address).toString('hex') },
            inputAddresses: (txid) => adapter.inputAddresses(txid),
            coldAddresses: async () => w.db('operated_addresses').where({ chain: chainId, role: 'cold' }).pluck<string[]>('address'),
            audit: w.audit,
          }),
        });
      }
      // UTXO chains: every unspent output of the wallet as the scanner recorded them (deposit outputs too: the hot key
      // spends them all).
      hot.set(chainId, {
        address: family.address,
        read: async () => {
          const [[row]] = (await w.db.raw(
            'SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM utxos WHERE chain = ? AND spent_by_txid IS NULL',
            [chainId],
          )) as [[{ s: string }]];
          return BigInt(row.s);
        },
      });
    }
  }
  const tierJob = new Tiers({
    db: w.db,
    log: w.log.child({ component: 'tiers' }),
    registry: w.registry,
    tiers,
    hot,
    approvals: w.approvals,
    audit: w.audit,
    onLow: (chain) => void w.sweeps.get(chain)?.kick(),
  });
  return { job: new TreasuryJob({ log: w.log.child({ component: 'treasury' }), chains, tiers: tierJob }), cold };
}
