import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { AssetRegistry } from '@wallet/assets';
import { SeedVault, sealKeystore } from '@wallet/signer';

/** signsrv's secrets for a development cluster: the sealed keystore, the KEK that opens it, and one auditor's token. */
export type SignerSecrets = { readonly keystoreFile: string; readonly kekFile: string; readonly auditorToken: string };

/**
 * Creates (once) signsrv's keystore sealing `mnemonic`'s entropy with a random KEK, and an auditor token, in `dir`.
 * Files are written with mode 600; existing ones are kept. Development and tests only: a production keystore is made
 * offline with `signsrv:keystore create` and given to signsrv as a Secret (docs/operations.md).
 */
export function ensureSignerSecrets(dir: string, mnemonic: string): SignerSecrets {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const kekFile = join(dir, 'kek.hex');
  const keystoreFile = join(dir, 'signsrv-keystore.json');
  const tokenFile = join(dir, 'auditor-token');
  ensureKeyFile(kekFile);
  if (!existsSync(keystoreFile)) {
    const kek = Buffer.from(readFileSync(kekFile, 'utf8').trim(), 'hex');
    const keystore = sealKeystore(mnemonicToEntropy(mnemonic, wordlist), { kek });
    writeFileSync(keystoreFile, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600 });
  }
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return { keystoreFile, kekFile, auditorToken: readFileSync(tokenFile, 'utf8').trim() };
}

/** The key files of the secrets accountsrv (API key secrets) and transrv (webhook secrets) store sealed (issue 18). */
export type SecretsKeks = { readonly accountsrv: string; readonly transrv: string };

/**
 * Creates (once) `accountsrv-secrets-kek.hex` and `transrv-secrets-kek.hex` in `dir`, beside signsrv's `kek.hex`: one
 * random 32-byte key each, as 64 hex characters and a newline (signsrv's KEK format), mode 600; existing ones are kept
 * (a development database stays readable across runs). Development and tests only: production key files come from the
 * secrets manager (docs/operations-secrets.md).
 */
export function ensureSecretsKeks(dir: string): SecretsKeks {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (service: string): string => ensureKeyFile(join(dir, `${service}-secrets-kek.hex`));
  return { accountsrv: file('accountsrv'), transrv: file('transrv') };
}

/** SIGNSRV_AUDITORS's value for one auditor named `auditor` holding `token`. */
export function auditorTokenHashes(token: string, name = 'auditor'): Record<string, string> {
  return { [name]: createHash('sha256').update(token).digest('hex') };
}

/**
 * Account-level extended public keys for every chain of `registry`, as ACCOUNTSRV_XPUBS wants them: derived the way
 * signsrv's keystore tool derives them for production (SeedVault.accountXpubs). Development tooling: accountsrv itself
 * is never given the mnemonic.
 */
export function xpubsFor(registry: AssetRegistry, mnemonic: string): Record<string, string> {
  const entropy = mnemonicToEntropy(mnemonic, wordlist);
  const vault = new SeedVault(entropy);
  try {
    return vault.accountXpubs(registry.chains.values());
  } finally {
    vault.wipe();
    entropy.fill(0);
  }
}

/** Writes a random 32-byte key as 64 hex characters and a newline (mode 600) unless `path` exists. @returns path */
function ensureKeyFile(path: string): string {
  if (!existsSync(path)) writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return path;
}
