import { WalletError } from '@wallet/errors';
import { type SeedVault, openKeystore } from '@wallet/signer';
import { type ProtectorFile, readProtector } from './readProtector.js';
import { readSettingFile } from './readSettingFile.js';

/** The files a keystore is opened from. */
export type VaultFiles = {
  /** The keystore (JSON), and what named it (`SIGNSRV_KEYSTORE_FILE`, a command-line argument) for errors. */
  readonly keystore: { readonly path: string; readonly name: string };
  readonly protector: ProtectorFile;
};

/**
 * Opens a keystore from its files (signsrv start-up, the keystore tool). The KEK is zeroed once the keystore is open,
 * or failed to open; nothing read from the key file reaches a log line or an error.
 * @param files the keystore file and its protector's file
 * @returns the opened seed vault
 * @throws WalletError CONFIG_INVALID naming the setting (`details.variables`), `details.problem` `unreadable` (a file
 * that cannot be read) or `malformed` (a key file without a valid KEK, a keystore that is not JSON); or openKeystore's
 * CONFIG_INVALID (a malformed keystore, a wrong key, a damaged file)
 */
export function openVault(files: VaultFiles): SeedVault {
  const keystore = readKeystore(files.keystore);
  const protector = readProtector(files.protector);
  try {
    return openKeystore(keystore, protector);
  } finally {
    // The vault holds what it needs: the KEK stays in memory no longer than this. (A passphrase is a JS string, which
    // cannot be zeroed: one more reason to prefer a KEK.)
    if ('kek' in protector) protector.kek.fill(0);
  }
}

function readKeystore(file: VaultFiles['keystore']): unknown {
  const text = readSettingFile(file, 'keystore').toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WalletError('CONFIG_INVALID', `${file.name}: the keystore is not JSON`, {
      details: { variables: [file.name], problem: 'malformed' },
    });
  }
}
