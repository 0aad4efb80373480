import { WalletError } from '@wallet/errors';

/** The chains this package derives deposit addresses for and validates withdrawal addresses of. */
export const Chain = {
  /** Ethereum and EVM chains (one address format for all of them). */
  eth: 'eth',
  /** Bitcoin. */
  btc: 'btc',
  /** Litecoin. */
  ltc: 'ltc',
} as const;

export type Chain = (typeof Chain)[keyof typeof Chain];

/** The UTXO chains: addresses are bitcoinjs-lib output scripts under a chain-specific network object. */
export type UtxoChain = Exclude<Chain, 'eth'>;

const chains: ReadonlySet<unknown> = new Set(Object.values(Chain));

/**
 * Whether `value` is one of the supported chains.
 * @param value anything, typically a config value or a request field
 * @returns true for 'eth', 'btc' and 'ltc'
 */
export function isChain(value: unknown): value is Chain {
  return chains.has(value);
}

/**
 * Throws unless `value` is a supported chain. Every exported function calls it, so a JavaScript caller or a
 * bad cast fails with a stable code instead of deriving something meaningless.
 * @param value the chain to check
 * @throws WalletError UNSUPPORTED_CHAIN
 */
export function assertChain(value: unknown): asserts value is Chain {
  if (!isChain(value)) {
    throw new WalletError('UNSUPPORTED_CHAIN', 'Unsupported chain', { details: { chain: String(value), supported: [...chains] } });
  }
}
