import { readFileSync } from 'node:fs';
import { WalletError } from '@wallet/errors';
import { SecretBox } from './SecretBox.js';

/** A setting naming a key file: its path, and the variable (`ACCOUNTSRV_SECRETS_KEK_FILE`) errors name. */
export type KekFile = { readonly path: string; readonly name: string };

const hexLine = /^[0-9a-fA-F]{64}$/;

/**
 * Parses a key file's text: one key-encryption key per line, 64 hex characters (32 bytes) as signsrv's
 * SIGNSRV_KEK_FILE holds, the sealing key first and the keys still needed to open older values after it. Blank lines
 * and lines starting with `#` are ignored. A file of one line is exactly signsrv's format.
 * @param text the file's content
 * @param name the variable that named the file, for errors
 * @returns the keys, in the file's order (each in memory of its own: the caller zeroes them)
 * @throws WalletError CONFIG_INVALID naming the variable and the line (`details.line`), never its content
 */
export function parseKekLines(text: string, name: string): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!hexLine.test(line)) {
      for (const k of keys) k.fill(0);
      throw new WalletError('CONFIG_INVALID', `${name}: line ${i + 1} is not a key (64 hex characters, 32 bytes)`, {
        details: { variables: [name], problem: 'malformed', line: i + 1 },
      });
    }
    // Memory of its own, not Node's shared pool (see @wallet/signer parseKek): zeroing it then leaves no copy behind.
    const key = Buffer.alloc(32);
    key.write(line, 'hex');
    keys.push(new Uint8Array(key.buffer, key.byteOffset, key.length));
  }
  if (keys.length === 0) {
    throw new WalletError('CONFIG_INVALID', `${name}: the key file holds no key`, { details: { variables: [name], problem: 'malformed' } });
  }
  return keys;
}

/**
 * Reads a key file ({@link parseKekLines}) into a {@link SecretBox}. The bytes read and the keys are zeroed once the box
 * holds its derived keys.
 * @throws WalletError CONFIG_INVALID naming the variable: `details.problem` `unreadable` (the errno code in the
 * message), `malformed` (a line that is not a key, no key) or `duplicate` (the same key twice)
 */
export function readSecretBox(file: KekFile): SecretBox {
  let content: Buffer;
  try {
    content = readFileSync(file.path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new WalletError('CONFIG_INVALID', `${file.name}: cannot read the key file${typeof code === 'string' ? ` (${code})` : ''}`, {
      details: { variables: [file.name], problem: 'unreadable' },
    });
  }
  let keys: Uint8Array[] = [];
  try {
    keys = parseKekLines(content.toString('utf8'), file.name);
    try {
      return SecretBox.fromKeks(keys);
    } catch {
      throw new WalletError('CONFIG_INVALID', `${file.name}: the same key is listed twice`, {
        details: { variables: [file.name], problem: 'duplicate' },
      });
    }
  } finally {
    content.fill(0);
    for (const k of keys) k.fill(0);
  }
}
