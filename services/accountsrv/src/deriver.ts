import type { DeriveAddress } from '@wallet/accounts';
import type { AssetRegistry } from '@wallet/assets';
import { WalletError } from '@wallet/errors';
import { derivationPath, deriveAddress } from '@wallet/keys';

/**
 * The address deriver for every configured chain, from account-level extended public keys. Each key is
 * tried once at start-up, so a wrong or private key stops the process with a clear message instead of
 * failing the first client request.
 */
export function createDeriver(registry: AssetRegistry, xpubs: Readonly<Record<string, string>>): DeriveAddress {
  const derive: DeriveAddress = (chainId, index) => {
    const chain = registry.chain(chainId);
    const xpub = xpubs[chainId];
    if (!xpub) throw new WalletError('UNSUPPORTED_CHAIN', `no extended public key for ${chainId}`);
    return {
      address: deriveAddress({ chain: chain.family, network: chain.network, xpub, index }),
      path: derivationPath(chain.family, chain.network, index),
    };
  };
  for (const chainId of registry.chains.keys()) {
    try {
      derive(chainId, 0);
    } catch (error) {
      const raw = (error as { details?: { reason?: unknown } }).details?.reason;
      const reason = typeof raw === 'string' ? raw : 'invalid';
      throw new WalletError('CONFIG_INVALID', `invalid configuration: ACCOUNTSRV_XPUBS: the key for ${chainId} is not usable (${reason})`, {
        details: { variables: ['ACCOUNTSRV_XPUBS'], chain: chainId },
        cause: error,
      });
    }
  }
  return derive;
}
