import { randomFillSync } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { assetRegistryEnv } from '@wallet/assets';
import { loadEnvConfig } from '@wallet/config';
import { WalletError, isWalletError } from '@wallet/errors';
import { type KeyProtector, type SeedVault, evmHotWalletPath, evmSigner, openKeystore, sealKeystore } from '@wallet/signer';
import { z } from 'zod';
import { openVault } from './openVault.js';
import { type ProtectorFile, readProtector } from './readProtector.js';

export type Io = { out: (line: string) => void; err: (line: string) => void };

const usage = `signsrv:keystore: create or inspect signsrv's keystore (WALLET_ASSETS selects the chains, as for accountsrv)

  create --out FILE (--kek-file FILE | --passphrase-file FILE) [--mnemonic-out FILE]
      seal a fresh 256-bit seed into a new keystore (mode 600); --mnemonic-out also writes its 24 words (mode 600)
      for an offline backup. The mnemonic is never printed.
  show FILE (--kek-file FILE | --passphrase-file FILE)
      open a keystore and print what the cluster is configured with

Both print the seed's fingerprint, the hot wallet's address (fund it) and ACCOUNTSRV_XPUBS for accountsrv.
`;

const env = z.object({ WALLET_ASSETS: assetRegistryEnv });

/** A usage mistake: exit code 2 and the usage text, not an error report. */
class UsageError extends Error {}

/**
 * Runs one command of the keystore tool (`pnpm signsrv:keystore ...`), the production key ceremony: no test harness,
 * no dev mnemonic. Files it writes are created with mode 600 and never overwritten.
 * @param argv the arguments after the script name
 * @param io where lines go
 * @param environment WALLET_ASSETS: the chains ACCOUNTSRV_XPUBS is printed for @default process.env
 * @returns the exit code: 0, 1 (the command failed), 2 (usage)
 */
export function runKeystoreCli(argv: readonly string[], io: Io, environment: NodeJS.ProcessEnv = process.env): number {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        out: { type: 'string' },
        'kek-file': { type: 'string' },
        'passphrase-file': { type: 'string' },
        'mnemonic-out': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [command, ...rest] = positionals;
    if (values.help) {
      io.out(usage);
      return 0;
    }
    const isCreate = command === 'create' && rest.length === 0 && values.out !== undefined;
    const isShow = command === 'show' && rest.length === 1 && values.out === undefined && values['mnemonic-out'] === undefined;
    if (!isCreate && !isShow) throw new UsageError('expected `create --out FILE ...` or `show FILE ...`');
    const protector = protectorFile(values['kek-file'], values['passphrase-file']);
    const chains = [...loadEnvConfig(env, environment).WALLET_ASSETS.chains.values()];
    if (isCreate) {
      create({ out: values.out!, protector, mnemonicOut: values['mnemonic-out'], chains, io });
      return 0;
    }
    const vault = openVault({ keystore: { path: rest[0]!, name: 'keystore file' }, protector });
    try {
      report(vault, chains, io);
    } finally {
      vault.wipe();
    }
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`signsrv:keystore: ${(error as Error).message}`);
      io.err(usage);
      return 2;
    }
    // WalletErrors from this tool never hold secrets (see openKeystore, readProtector); anything else is shown by code.
    io.err(`signsrv:keystore: ${isWalletError(error) ? `${error.code}: ${error.message}` : 'unexpected error'}`);
    return 1;
  }
}

function protectorFile(kekFile: string | undefined, passphraseFile: string | undefined): ProtectorFile {
  if ((kekFile === undefined) === (passphraseFile === undefined))
    throw new UsageError('give exactly one of --kek-file and --passphrase-file');
  return kekFile !== undefined
    ? { kind: 'kek', path: kekFile, name: '--kek-file' }
    : { kind: 'passphrase', path: passphraseFile!, name: '--passphrase-file' };
}

type Chains = Parameters<SeedVault['accountXpubs']>[0];

function create(o: { out: string; protector: ProtectorFile; mnemonicOut: string | undefined; chains: Chains; io: Io }): void {
  // Refuse before anything is generated: an existing keystore may be the only copy of a seed.
  for (const [flag, path] of [
    ['--out', o.out],
    ['--mnemonic-out', o.mnemonicOut],
  ] as const) {
    if (path !== undefined && existsSync(path))
      throw new WalletError('VALIDATION_FAILED', `${flag}: ${path} exists; it is never overwritten`);
  }
  // 256 bits (24 words), straight into memory of its own (randomBytes may hand out a slice of a shared pool).
  const entropy = new Uint8Array(32);
  randomFillSync(entropy);
  let protector: KeyProtector | undefined;
  let vault: SeedVault | undefined;
  try {
    protector = readProtector(o.protector);
    const keystore = sealKeystore(entropy, protector);
    // Open what was sealed before anything is written: a keystore that does not open is never handed to signsrv.
    vault = openKeystore(JSON.parse(JSON.stringify(keystore)) as unknown, protector);
    writeFileSync(o.out, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    if (o.mnemonicOut !== undefined) {
      try {
        // The mnemonic becomes a JS string here, which cannot be zeroed: it exists only when a backup is asked for.
        writeFileSync(o.mnemonicOut, `${entropyToMnemonic(entropy, wordlist)}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        rmSync(o.out, { force: true }); // no keystore without the backup that was asked for
        throw error;
      }
    }
    o.io.out(`keystore: ${o.out} (sealed with a ${'kek' in protector ? 'KEK' : 'passphrase'})`);
    if (o.mnemonicOut !== undefined) o.io.out(`mnemonic: ${o.mnemonicOut} (keep it offline; remove it from this machine)`);
    report(vault, o.chains, o.io);
  } finally {
    entropy.fill(0);
    if (protector !== undefined && 'kek' in protector) protector.kek.fill(0);
    vault?.wipe();
  }
}

/** What the rest of the cluster is configured with: all public. */
function report(vault: SeedVault, chains: Chains, io: Io): void {
  const wallet = vault.signer(evmSigner, evmHotWalletPath);
  try {
    io.out(`fingerprint: ${vault.fingerprint}`);
    io.out(`hot wallet: ${wallet.address} (${evmHotWalletPath}, every EVM chain)`);
    io.out(`ACCOUNTSRV_XPUBS=${JSON.stringify(vault.accountXpubs(chains))}`);
  } finally {
    wallet.wipe();
  }
}
