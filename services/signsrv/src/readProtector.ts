import { WalletError, isWalletError } from '@wallet/errors';
import { type KeyProtector, parseKek } from '@wallet/signer';
import { readSettingFile } from './readSettingFile.js';

/** Where a keystore's protector comes from: a file holding a KEK (64 hex characters) or a passphrase. */
export type ProtectorFile = {
  readonly kind: 'kek' | 'passphrase';
  readonly path: string;
  /** What named the file (`SIGNSRV_KEK_FILE`, `--kek-file`): errors say which setting to fix. */
  readonly name: string;
};

/**
 * Reads a keystore's protector from its file. The bytes read are zeroed once parsed; the caller zeroes the KEK once
 * the keystore is open. Nothing read from the file reaches an error, not even as `cause`.
 * @param file the file and what kind of protector it holds
 * @returns the KEK or the passphrase (one trailing newline is not part of a passphrase)
 * @throws WalletError CONFIG_INVALID naming the file's setting (`details.variables`), `details.problem` `unreadable`
 * (the errno code is in the message) or `malformed` (no valid KEK in a KEK file)
 */
export function readProtector(file: ProtectorFile): KeyProtector {
  const content = readSettingFile(file, 'key file');
  try {
    if (file.kind === 'passphrase') return { passphrase: content.toString('utf8').replace(/\r?\n$/, '') };
    try {
      return { kek: parseKek(content.toString('utf8').trim()) };
    } catch (error) {
      // parseKek says what a KEK must look like and never echoes the value: keep its message, name the setting.
      const reason = isWalletError(error, 'CONFIG_INVALID') ? error.message : 'not a valid KEK';
      throw new WalletError('CONFIG_INVALID', `${file.name}: the key file does not hold a valid KEK (${reason})`, {
        details: { variables: [file.name], problem: 'malformed' },
      });
    }
  } finally {
    content.fill(0);
  }
}
