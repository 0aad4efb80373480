import { createHash, createHmac, randomBytes } from 'node:crypto';

/** A request to sign, exactly as it goes on the wire. */
export type SignInput = {
  readonly keyId: string;
  /** The secret as printed by `walletctl clients create`: its UTF-8 bytes are the HMAC key (never base64-decoded). */
  readonly secret: string;
  readonly method: string;
  /** The request target as sent: path plus `?query`, no scheme or host, no trailing `?`. */
  readonly pathWithQuery: string;
  /** The body bytes as sent; absent for a bodyless request. */
  readonly body?: Uint8Array | undefined;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** Single-use nonce, 16-64 of `[A-Za-z0-9_-]`. @default 24 random base64url characters */
  readonly nonce?: string | undefined;
};

/** The four authentication headers of docs/api.md. */
export type AuthHeaders = {
  readonly 'X-Api-Key': string;
  readonly 'X-Timestamp': string;
  readonly 'X-Nonce': string;
  readonly 'X-Signature': string;
};

/**
 * The string the HMAC covers (docs/api.md, Authentication): five fields joined by line feeds, none after the last.
 *
 * ```
 * timestamp "\n" nonce "\n" METHOD "\n" pathWithQuery "\n" hex(sha256(body))
 * ```
 * @param input the request; a missing body hashes as the empty string
 * @returns the text to MAC
 */
export function stringToSign(input: Omit<SignInput, 'keyId' | 'secret' | 'nonce'> & { readonly nonce: string }): string {
  const bodyHash = createHash('sha256')
    .update(input.body ?? new Uint8Array(0))
    .digest('hex');
  return `${input.timestamp}\n${input.nonce}\n${input.method.toUpperCase()}\n${input.pathWithQuery}\n${bodyHash}`;
}

/**
 * Signs one request (docs/api.md, Authentication). A retry is a new request to the gateway: sign it again, with a
 * fresh nonce and timestamp.
 * @param input key, secret and the request as sent
 * @returns the headers to send with it
 */
export function signRequest(input: SignInput): AuthHeaders {
  // 18 random bytes: exactly 24 base64url characters, 144 bits, so nonces never collide.
  const nonce = input.nonce ?? randomBytes(18).toString('base64url');
  const signature = createHmac('sha256', Buffer.from(input.secret, 'utf8'))
    .update(stringToSign({ ...input, nonce }), 'utf8')
    .digest('hex');
  return { 'X-Api-Key': input.keyId, 'X-Timestamp': String(input.timestamp), 'X-Nonce': nonce, 'X-Signature': signature };
}
