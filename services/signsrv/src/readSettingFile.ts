import { readFileSync } from 'node:fs';
import { WalletError } from '@wallet/errors';

/**
 * Reads a file that a setting names (the keystore, a key file), as raw bytes so that secret content can be zeroed.
 * @param file the path, and what named it (`SIGNSRV_KEK_FILE`, `--kek-file`) so the error says which setting to fix
 * @param what what the file is, for the error message
 * @throws WalletError CONFIG_INVALID with `details.problem` `unreadable` and the errno code in the message; never the
 * content, nor the underlying error as `cause`
 */
export function readSettingFile(file: { readonly path: string; readonly name: string }, what: string): Buffer {
  try {
    return readFileSync(file.path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new WalletError('CONFIG_INVALID', `${file.name}: cannot read the ${what}${typeof code === 'string' ? ` (${code})` : ''}`, {
      details: { variables: [file.name], problem: 'unreadable' },
    });
  }
}
