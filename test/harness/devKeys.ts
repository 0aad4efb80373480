import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { repoRoot } from './repoRoot.js';

/**
 * The published BIP39 test mnemonic (BIP84's vectors use it). Tests derive their deposit addresses
 * from it: its keys are public knowledge, so it is for regtest/anvil only.
 */
export const TEST_MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

/** The dev stack's mnemonic, from the entropy `deploy/local/stack.sh up` generated once. */
export function devMnemonic(): string {
  const file = join(repoRoot, '.stack', 'secrets', 'dev-seed-entropy.hex');
  if (!existsSync(file)) throw new Error(`${file} is missing: run bash deploy/local/stack.sh up`);
  return entropyToMnemonic(Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'), wordlist);
}

export { xpubsFor } from '@wallet/launcher';
