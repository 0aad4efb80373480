import { pbkdf2Sync } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { WalletError } from '@wallet/errors';

/**
 * Throws unless `entropy` is BIP39 entropy of 16 bytes (12 words) or 32 bytes (24 words).
 * @param entropy what should be the entropy
 * @throws WalletError VALIDATION_FAILED (the value is not echoed)
 */
export function assertEntropy(entropy: unknown): asserts entropy is Uint8Array {
  if (!(entropy instanceof Uint8Array) || (entropy.length !== 16 && entropy.length !== 32)) {
    throw new WalletError('VALIDATION_FAILED', 'entropy must be 16 or 32 bytes');
  }
}

/**
 * The BIP39 seed of `entropy` with an empty passphrase: what `mnemonicToSeed(entropyToMnemonic(entropy))` gives,
 * without the mnemonic ever existing as a JavaScript string (strings cannot be zeroed and linger in the heap).
 * The caller zeroes the returned seed when done.
 * @param entropy 16 or 32 bytes
 * @returns the 64-byte seed
 * @throws WalletError VALIDATION_FAILED for entropy of another length
 */
export function seedFromEntropy(entropy: Uint8Array): Uint8Array {
  assertEntropy(entropy);
  // BIP39: bits = entropy (ENT bits) || first ENT/32 bits of sha256(entropy); each 11 bits index the word list;
  // phrase = words joined by single spaces (English words are ASCII, so NFKD is the identity);
  // seed = PBKDF2-HMAC-SHA512(password = phrase, salt = 'mnemonic' || passphrase, 2048 rounds, 64 bytes).
  // ENT/32 is at most 8 bits, so the first byte of the hash holds the whole checksum.
  const hash = sha256(entropy);
  const bits = new Uint8Array(entropy.length + 1);
  bits.set(entropy);
  bits[entropy.length] = hash[0] ?? 0;
  const wordCount = (entropy.length * 8 + entropy.length / 4) / 11;
  const phrase = new Uint8Array(wordCount * 9); // the longest English word has 8 letters, plus a space
  let length = 0;
  try {
    for (let word = 0; word < wordCount; word++) {
      let index = 0;
      for (let bit = word * 11; bit < word * 11 + 11; bit++) index = (index << 1) | (((bits[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
      const letters = wordlist[index] ?? '';
      if (word > 0) phrase[length++] = 0x20;
      for (let i = 0; i < letters.length; i++) phrase[length++] = letters.charCodeAt(i);
    }
    const derived = pbkdf2Sync(phrase.subarray(0, length), 'mnemonic', 2048, 64, 'sha512');
    const seed = Uint8Array.from(derived);
    derived.fill(0);
    return seed;
  } finally {
    phrase.fill(0);
    bits.fill(0);
    hash.fill(0);
  }
}
