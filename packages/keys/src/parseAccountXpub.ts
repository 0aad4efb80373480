import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { WalletError } from '@wallet/errors';
import { HARDENED_OFFSET } from './assertAddressIndex.js';
import { type Chain, assertChain } from './chain.js';
import { acceptedXpubVersions, extendedKeyVersionName, extendedKeyVersions, isPrivateExtendedKeyVersion } from './extendedKeyVersions.js';
import { type Network, assertNetwork } from './network.js';

const base58check = createBase58check(sha256);

/** Why an account key was refused, in `details.reason` of the VALIDATION_FAILED error. */
export type AccountXpubRejection = 'FORMAT' | 'PRIVATE_KEY' | 'VERSION' | 'DEPTH' | 'ACCOUNT' | 'KEY';

// Serialized extended key (BIP32), 78 bytes before the base58check checksum:
//   version(4) | depth(1) | parent fingerprint(4) | child number(4) | chain code(32) | key data(33)
// key data is 0x00 || 32-byte private key for a private key, a compressed point (0x02/0x03 || x) for a public one.
const SERIALIZED_LENGTH = 78;
const DEPTH_OFFSET = 4;
const CHILD_NUMBER_OFFSET = 9;
const KEY_DATA_OFFSET = 45;
// An account key sits at m / purpose' / coin_type' / account': depth 3, and it is account 0' (derivationPath says so).
const ACCOUNT_DEPTH = 3;
const ACCOUNT_CHILD_NUMBER = HARDENED_OFFSET + 0;
// A base58 serialized key is 111 characters; anything much longer is not one (and is not worth decoding).
const MAX_LENGTH = 120;

function reject(reason: AccountXpubRejection, message: string, details: Record<string, unknown> = {}): WalletError<'VALIDATION_FAILED'> {
  // Never put the key itself in an error: an extended private key handed over by mistake would end up in logs.
  return new WalletError('VALIDATION_FAILED', message, { details: { reason, ...details } });
}

/**
 * Parses the account-level extended public key of a chain, refusing anything accountsrv must not hold or cannot
 * use: private keys (whatever their version), versions of another network or address type, keys that are not
 * at depth 3 or not account 0', and keys whose point is not on the curve.
 * @param params.chain eth, btc or ltc
 * @param params.network mainnet, testnet or regtest
 * @param params.xpub the base58 account key: see {@link acceptedXpubVersions} for the versions accepted
 * @returns the account node, public only
 * @throws WalletError VALIDATION_FAILED with `details.reason` one of {@link AccountXpubRejection}
 * @throws WalletError UNSUPPORTED_CHAIN
 */
export function parseAccountXpub(params: { chain: Chain; network: Network; xpub: string }): HDKey {
  const { chain, network, xpub } = params;
  assertChain(chain);
  assertNetwork(network);
  if (typeof xpub !== 'string' || xpub.length === 0 || xpub.length > MAX_LENGTH) {
    throw reject('FORMAT', 'Account key is not a serialized extended key');
  }
  let bytes: Uint8Array;
  try {
    bytes = base58check.decode(xpub);
  } catch {
    throw reject('FORMAT', 'Account key is not valid base58check');
  }
  if (bytes.length !== SERIALIZED_LENGTH) throw reject('FORMAT', 'Account key is not a serialized extended key');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(0);
  if (bytes[KEY_DATA_OFFSET] === 0x00 || isPrivateExtendedKeyVersion(version)) {
    throw reject('PRIVATE_KEY', 'An extended private key was given where only an extended public key is allowed', {
      version: extendedKeyVersionName(version),
    });
  }
  const accepted = acceptedXpubVersions(chain, network);
  const name = accepted.find((candidate) => extendedKeyVersions[candidate].public === version);
  if (name === undefined) {
    throw reject('VERSION', `Extended key version not accepted for ${chain} ${network}`, {
      version: extendedKeyVersionName(version),
      accepted,
    });
  }
  const depth = bytes[DEPTH_OFFSET];
  if (depth !== ACCOUNT_DEPTH) throw reject('DEPTH', 'Extended key is not an account key (depth 3)', { depth });
  const childNumber = view.getUint32(CHILD_NUMBER_OFFSET);
  if (childNumber !== ACCOUNT_CHILD_NUMBER) {
    throw reject('ACCOUNT', "Extended key is not account 0'", { childNumber });
  }
  try {
    // Checks the point is on the curve (and the depth/fingerprint/index consistency of BIP32 test vector 5).
    return HDKey.fromExtendedKey(xpub, extendedKeyVersions[name]);
  } catch {
    throw reject('KEY', 'Extended key does not hold a valid public key');
  }
}
