import { WalletError } from '@wallet/errors';

/** Which network of a chain: address prefixes, extended key versions and BIP44 coin types depend on it. */
export const Network = {
  mainnet: 'mainnet',
  testnet: 'testnet',
  /** Local dev chains (bitcoind/litecoind -regtest, anvil). */
  regtest: 'regtest',
} as const;

export type Network = (typeof Network)[keyof typeof Network];

const networks: ReadonlySet<unknown> = new Set(Object.values(Network));

/**
 * Whether `value` is one of the supported networks.
 * @param value anything, typically a config value
 * @returns true for 'mainnet', 'testnet' and 'regtest'
 */
export function isNetwork(value: unknown): value is Network {
  return networks.has(value);
}

/**
 * Throws unless `value` is a supported network.
 * @param value the network to check
 * @throws WalletError VALIDATION_FAILED
 */
export function assertNetwork(value: unknown): asserts value is Network {
  if (!isNetwork(value)) {
    throw new WalletError('VALIDATION_FAILED', 'Unsupported network', { details: { network: String(value), supported: [...networks] } });
  }
}
