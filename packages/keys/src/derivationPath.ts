import { assertAddressIndex } from './assertAddressIndex.js';
import { type Chain, assertChain } from './chain.js';
import { type Network, assertNetwork } from './network.js';

// Layout (BIP44, BIP84): m / purpose' / coin_type' / account' / change / address_index
//   purpose    44' for EVM (BIP44: the address is keccak of the key, no script type), 84' for BTC/LTC (P2WPKH)
//   coin_type  SLIP-44: 60' for EVM on every network (EVM dev chains and wallets use 60' everywhere),
//              0' BTC and 2' LTC on mainnet, 1' ("testnet, all coins") for both on testnet and regtest
//   account    0': one account per chain; its extended public key is what accountsrv holds
//   change     0: the external (receiving) chain; deposit addresses are never change addresses
const purpose: Readonly<Record<Chain, number>> = { eth: 44, btc: 84, ltc: 84 };

function coinType(chain: Chain, network: Network): number {
  if (chain === 'eth') return 60;
  if (network !== 'mainnet') return 1;
  return chain === 'btc' ? 0 : 2;
}

/**
 * The path of the account key accountsrv is configured with (depth 3), for display and audit.
 * @param chain eth, btc or ltc
 * @param network mainnet, testnet or regtest
 * @returns e.g. `m/84'/0'/0'`
 */
export function accountDerivationPath(chain: Chain, network: Network): string {
  assertChain(chain);
  assertNetwork(network);
  return `m/${purpose[chain]}'/${coinType(chain, network)}'/0'`;
}

/**
 * The full path of the deposit address at `index`, for display and audit.
 * @param chain eth, btc or ltc
 * @param network mainnet, testnet or regtest
 * @param index address index, an integer in [0, 2^31)
 * @returns e.g. `m/84'/0'/0'/0/7`
 */
export function derivationPath(chain: Chain, network: Network, index: number): string {
  assertAddressIndex(index);
  return `${accountDerivationPath(chain, network)}/0/${index}`;
}
