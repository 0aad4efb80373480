import { type KeyObject, createHmac, hash } from 'node:crypto';

/** What the signature covers: everything that changes the meaning of a request. */
export type SignatureInput = {
  readonly timestamp: string;
  readonly nonce: string;
  readonly method: string;
  readonly pathWithQuery: string;
  /** The body bytes exactly as sent; a string is taken as its UTF-8 bytes; absent means empty. */
  readonly body?: string | Uint8Array | undefined;
};

const emptyBodyHash = hash('sha256', '', 'hex');

/**
 * The raw HMAC-SHA256 of a request, shared by the signing client and the verifying gateway so the two can
 * never disagree on the layout:
 *
 * ```
 * HMAC-SHA256(secret, timestamp "\n" nonce "\n" METHOD "\n" pathWithQuery "\n" hex(sha256(rawBody)))
 * ```
 * @param secret the client's secret (a KeyObject lets the gateway skip re-importing it per request)
 * @param input the signed fields
 * @returns the 32-byte MAC
 */
export function computeSignature(secret: string | Uint8Array | KeyObject, input: SignatureInput): Buffer {
  return createHmac('sha256', secret).update(signaturePayload(input)).digest();
}

/**
 * The text the HMAC covers (see {@link computeSignature}), so a verifier trying more than one key builds it once.
 * @param input the signed fields
 */
export function signaturePayload(input: SignatureInput): string {
  const { body } = input;
  // One-shot hash(): no Hash object per request, which matters at the gateway's request rate.
  const bodyHash = body === undefined || body.length === 0 ? emptyBodyHash : hash('sha256', body, 'hex');
  return `${input.timestamp}\n${input.nonce}\n${input.method.toUpperCase()}\n${input.pathWithQuery}\n${bodyHash}`;
}
