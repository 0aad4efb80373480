import { HDKey } from '@scure/bip32';
import { seedFromEntropy } from './seedFromEntropy.js';

/**
 * The BIP32 master key fingerprint of the seed of `entropy`: the first 4 bytes of HASH160 of the master public key,
 * as wallets and PSBTs show it. Public: it names a seed without revealing anything about it.
 * @param entropy 16 or 32 bytes of BIP39 entropy
 * @returns 8 lower-case hex characters, e.g. `73c5da0a`
 * @throws WalletError VALIDATION_FAILED for entropy of another length
 */
export function masterFingerprint(entropy: Uint8Array): string {
  const seed = seedFromEntropy(entropy);
  const master = HDKey.fromMasterSeed(seed);
  try {
    return master.fingerprint.toString(16).padStart(8, '0');
  } finally {
    seed.fill(0);
    master.wipePrivateData();
  }
}
