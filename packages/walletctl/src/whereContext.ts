import type { AssetRegistry } from '@wallet/assets';
import { chainFamily } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import type { DevChain } from './devChain.js';
import { formatDecimalAmount } from './decimalAmount.js';

/** What `walletctl dev where` reads besides MySQL. */
export type WhereContext = {
  readonly db: Knex;
  readonly registry: AssetRegistry;
  /** The chain's dev node, or why there is none to ask (the answer then comes from MySQL alone). */
  readonly chain: (chainId: string) => Promise<DevChain | string>;
  /** signsrv's HTTP base URL (`http://127.0.0.1:8090`) from its registration in etcd; null when none is registered. */
  readonly signsrvUrl: () => Promise<string | null>;
};

/** One deposit or withdrawal found: its facts for `--json`, and the lines a person reads. */
export type WhereReport = { readonly json: Record<string, unknown>; readonly lines: readonly string[] };

/** Confirmations of a transaction as the wallet counts them (to its scanned head) and as the node does. */
export type Confirmations = {
  /** To the highest block the wallet's scanner recorded: what crediting and settling go by. null: not in a block. */
  readonly counted: number | null;
  readonly required: number;
  /** As the node counts them; null when the node was not asked or does not know the transaction. */
  readonly node: number | null;
};

/** `1.5 ETH (1500000000000000000 base units)`; base units alone for an asset the registry does not list. */
export function amountText(registry: AssetRegistry, asset: string, amount: bigint): string {
  const spec = registry.assets.get(asset);
  return spec === undefined
    ? `${amount} base units of ${asset}`
    : `${formatDecimalAmount(amount, spec.decimals)} ${asset} (${amount} base units)`;
}

/** A txid as MySQL stores it (the scanner writes hex in lower case; columns compare bytes). */
export function normalizeRef(ref: string): string {
  return /^(0x)?[0-9a-fA-F]{64}$/.test(ref) ? ref.toLowerCase() : ref;
}

/** The command that mines `blocks` on a dev chain, for the "next" line. */
export function mineHint(chain: string, blocks: number): string {
  return `walletctl dev mine --chain ${chain} --blocks ${blocks}`;
}

/** An address in the one form the API shows it in (EVM: EIP-55; the scanner stores what the node reports). */
export function shownAddress(registry: AssetRegistry, chain: string, address: string): string {
  const spec = registry.chains.get(chain);
  return spec === undefined ? address : chainFamily(spec).canonicalAddress(address);
}

/** Which part of its transaction a deposit is: a UTXO output, a token's Transfer log, or an EVM transaction's value. */
export function outputText(registry: AssetRegistry, chain: string, asset: string, outputIndex: number): string {
  if (registry.chains.get(chain)?.kind === 'utxo') return `output ${outputIndex}`;
  return registry.assets.get(asset)?.contract === undefined ? 'its value' : `Transfer log ${outputIndex}`;
}
