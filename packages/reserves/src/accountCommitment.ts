import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Prefix } from './nodeHash.js';
import { ReservesError } from './ReservesError.js';

/** Length of a client's salt: 32 bytes, shown as 64 lower-case hex characters. */
export const SALT_BYTES = 32;

/**
 * An account's commitment: `SHA-256(0x02 || utf8(accountId) || salt[32])`. The salt is the account's client's secret
 * (the client reads it with its proof), so nobody else can tell which leaf is whose. The salt has a fixed length and
 * comes last, so the input parses one way only.
 * @param accountId the account's id as the API shows it (`acc_...`), 1-128 printable ASCII characters
 * @param salt the client's salt, 64 hex characters
 * @returns 64 lower-case hex characters
 */
export function accountCommitment(accountId: string, salt: string): string {
  if (!/^[\x21-\x7e]{1,128}$/.test(accountId)) {
    throw new ReservesError('INVALID_ACCOUNT_ID', 'an account id is 1-128 printable ASCII characters');
  }
  // never echo the salt: it is a secret of the client
  if (!/^[0-9a-fA-F]{64}$/.test(salt)) throw new ReservesError('INVALID_SALT', 'a salt is 32 bytes of hex');
  const id = utf8ToBytes(accountId);
  const input = new Uint8Array(1 + id.length + SALT_BYTES);
  input[0] = Prefix.commitment;
  input.set(id, 1);
  for (let i = 0; i < SALT_BYTES; i++) input[1 + id.length + i] = parseInt(salt.slice(2 * i, 2 * i + 2), 16);
  return bytesToHex(sha256(input));
}

/** A new random client salt (64 lower-case hex characters), from the platform's CSPRNG. */
export function newClientSalt(): string {
  return bytesToHex(randomBytes(SALT_BYTES));
}
