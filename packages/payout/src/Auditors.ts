import { createHash, timingSafeEqual } from 'node:crypto';
import { WalletError } from '@wallet/errors';

/**
 * The auditors allowed to decide withdrawals: name -> sha256 (hex) of the auditor's bearer token. Only hashes are
 * configured, so the configuration does not hold usable credentials.
 */
export class Auditors {
  readonly #entries: { name: string; hash: Buffer }[];

  constructor(tokenHashes: Readonly<Record<string, string>>) {
    this.#entries = Object.entries(tokenHashes).map(([name, hex]) => {
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new WalletError('CONFIG_INVALID', `auditor ${name}: token hash must be 64 hex characters`);
      return { name, hash: Buffer.from(hex, 'hex') };
    });
  }

  /** sha256 hex of a token, as the configuration wants it. */
  static hashToken(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('hex');
  }

  /**
   * @returns the auditor's name
   * @throws WalletError UNAUTHENTICATED for a missing or unknown token
   */
  authenticate(token: string | undefined): string {
    if (token && token.length >= 16 && token.length <= 200) {
      const hash = createHash('sha256').update(token, 'utf8').digest();
      let found: string | undefined;
      // Compare against every entry, in constant time each, so timing does not tell which one matched.
      for (const e of this.#entries) if (timingSafeEqual(e.hash, hash)) found ??= e.name;
      if (found) return found;
    }
    throw new WalletError('UNAUTHENTICATED', 'missing or unknown auditor token');
  }
}
