import { WalletError } from '@wallet/errors';
import { z } from 'zod';
import { BaseUnits } from './amount.js';

export const ChainKind = { evm: 'evm', utxo: 'utxo' } as const;
export type ChainKind = (typeof ChainKind)[keyof typeof ChainKind];

export const Network = { mainnet: 'mainnet', testnet: 'testnet', regtest: 'regtest' } as const;
export type Network = (typeof Network)[keyof typeof Network];

/** Chain ids are lower-case (`eth`, `btc`, `ltc`, any further EVM chain by configuration). */
export const ChainId = z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'chain id must be 2-16 lower-case letters/digits');
/** Asset ids are upper-case (`ETH`, `USDT`...). */
export const AssetId = z.string().regex(/^[A-Z][A-Z0-9]{1,15}$/, 'asset id must be 2-16 upper-case letters/digits');

const ChainSpec = z
  .object({
    id: ChainId,
    kind: z.enum(['evm', 'utxo']),
    /** For address formats and derivation paths. */
    network: z.enum(['mainnet', 'testnet', 'regtest']),
    /** The address family: eth for every EVM chain; btc or ltc for UTXO chains. */
    family: z.enum(['eth', 'btc', 'ltc']),
    /** EVM chain id. */
    evmChainId: z.number().int().positive().optional(),
    nativeAsset: AssetId,
  })
  .strict();
export type ChainSpec = z.infer<typeof ChainSpec>;

const AssetSpec = z
  .object({
    id: AssetId,
    chain: ChainId,
    decimals: z.number().int().min(0).max(36),
    /** Blocks on top of the deposit's block before it is credited. */
    confirmations: z.number().int().min(1).max(1000),
    minWithdrawal: BaseUnits,
    withdrawalFee: BaseUnits,
    /**
     * The withdrawal fee follows the chain's sampled network fee rate (a native asset only: the rate is in its base
     * units): `units` (gas, or virtual bytes) x rate, plus `markupPercent`; `withdrawalFee` is then the floor, and what
     * is charged when no fresh sample exists.
     */
    feeFromRates: z
      .object({ units: z.number().int().min(1).max(10_000_000), markupPercent: z.number().int().min(0).max(1000) })
      .strict()
      .optional(),
    /** ERC20 contract address (EIP-55), for tokens. */
    contract: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/)
      .optional(),
  })
  .strict();
export type AssetSpec = z.infer<typeof AssetSpec>;

const RegistrySpec = z.object({ chains: z.array(ChainSpec).min(1), assets: z.array(AssetSpec).min(1) }).strict();
export type RegistryInput = z.input<typeof RegistrySpec>;

/** The chains and assets this wallet supports: one source, loaded from configuration by every service. */
export class AssetRegistry {
  readonly chains: ReadonlyMap<string, ChainSpec>;
  readonly assets: ReadonlyMap<string, AssetSpec>;

  private constructor(chains: ChainSpec[], assets: AssetSpec[]) {
    this.chains = new Map(chains.map((c) => [c.id, c]));
    this.assets = new Map(assets.map((a) => [a.id, a]));
  }

  /**
   * Validates a registry (e.g. parsed from the WALLET_ASSETS variable).
   * @throws Error naming the problem (duplicate ids, unknown chains, tokens on UTXO chains)
   */
  static parse(input: unknown): AssetRegistry {
    const spec = RegistrySpec.parse(input);
    const chainIds = new Set<string>();
    for (const c of spec.chains) {
      if (chainIds.has(c.id)) throw new Error(`duplicate chain ${c.id}`);
      chainIds.add(c.id);
      if ((c.kind === 'evm') !== (c.family === 'eth')) throw new Error(`chain ${c.id}: family ${c.family} does not fit kind ${c.kind}`);
    }
    const assetIds = new Set<string>();
    for (const a of spec.assets) {
      if (assetIds.has(a.id)) throw new Error(`duplicate asset ${a.id}`);
      assetIds.add(a.id);
      const chain = spec.chains.find((c) => c.id === a.chain);
      if (!chain) throw new Error(`asset ${a.id}: unknown chain ${a.chain}`);
      if (a.contract !== undefined && chain.kind !== 'evm') throw new Error(`asset ${a.id}: tokens need an EVM chain`);
      if (a.contract === undefined && chain.nativeAsset !== a.id)
        throw new Error(`asset ${a.id}: not the native asset of ${a.chain} and no contract`);
      if (a.feeFromRates !== undefined && a.contract !== undefined)
        throw new Error(`asset ${a.id}: feeFromRates is for native assets (the network fee is paid in ${chain.nativeAsset})`);
    }
    for (const c of spec.chains) {
      if (!assetIds.has(c.nativeAsset)) throw new Error(`chain ${c.id}: native asset ${c.nativeAsset} is not listed`);
    }
    return new AssetRegistry(spec.chains, spec.assets);
  }

  /** @throws WalletError UNSUPPORTED_ASSET */
  asset(id: string): AssetSpec {
    const a = this.assets.get(id);
    if (!a) throw new WalletError('UNSUPPORTED_ASSET', `asset ${id} is not supported`, { details: { asset: id } });
    return a;
  }

  /** @throws WalletError UNSUPPORTED_CHAIN */
  chain(id: string): ChainSpec {
    const c = this.chains.get(id);
    if (!c) throw new WalletError('UNSUPPORTED_CHAIN', `chain ${id} is not supported`, { details: { chain: id } });
    return c;
  }

  /** Asset ids in a stable order. */
  assetIds(): string[] {
    return [...this.assets.keys()].sort();
  }
}

/** The local stack's registry: anvil (chain id 31337) and regtest UTXO chains. */
export const devRegistryInput: RegistryInput = {
  chains: [
    { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: 31337, nativeAsset: 'ETH' },
    { id: 'btc', kind: 'utxo', network: 'regtest', family: 'btc', nativeAsset: 'BTC' },
    { id: 'ltc', kind: 'utxo', network: 'regtest', family: 'ltc', nativeAsset: 'LTC' },
  ],
  assets: [
    { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 3, minWithdrawal: '1000000000000000', withdrawalFee: '100000000000000' },
    { id: 'BTC', chain: 'btc', decimals: 8, confirmations: 2, minWithdrawal: '10000', withdrawalFee: '2000' },
    { id: 'LTC', chain: 'ltc', decimals: 8, confirmations: 2, minWithdrawal: '100000', withdrawalFee: '10000' },
  ],
};

/**
 * A zod schema for the WALLET_ASSETS variable: JSON of a registry, defaulting to the dev registry.
 */
export const assetRegistryEnv = z
  .string()
  .default(JSON.stringify(devRegistryInput))
  .transform((text, ctx) => {
    try {
      return AssetRegistry.parse(JSON.parse(text));
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `not a valid asset registry: ${error instanceof Error ? error.message.slice(0, 300) : 'bad JSON'}`,
      });
      return z.NEVER;
    }
  });
