import { WalletError } from '@wallet/errors';
import { findDuplicateKey } from './findDuplicateKey.js';
import { validationFailed } from './parseInput.js';

/** `application/json`, with at most a UTF-8 charset parameter. */
const jsonMediaType = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Turns a request's raw body into JSON, strictly: a body is only read as JSON when it says it is
 * (`Content-Type: application/json`, else 415), must be valid UTF-8 JSON (else 400) and may not repeat a key
 * within one object (else 400: `JSON.parse` would silently keep the last value).
 * @param raw the body bytes as received (empty: no body)
 * @param contentType the request's Content-Type header
 * @returns the parsed value, or undefined for an empty body
 * @throws WalletError UNSUPPORTED_MEDIA_TYPE or VALIDATION_FAILED
 */
export function readJsonBody(raw: Buffer | undefined, contentType: string | undefined): unknown {
  if (raw === undefined || raw.length === 0) {
    if (contentType !== undefined && contentType !== '' && !jsonMediaType.test(contentType)) throw unsupportedMediaType();
    return undefined;
  }
  if (contentType === undefined || !jsonMediaType.test(contentType)) throw unsupportedMediaType();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw validationFailed([{ field: 'body', message: 'body is not valid UTF-8' }], 'body is not valid JSON');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw validationFailed([{ field: 'body', message: 'body is not valid JSON' }], 'body is not valid JSON');
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw validationFailed([{ field: 'body', message: 'an object repeats a key' }], 'body repeats a key');
  }
  return value;
}

function unsupportedMediaType(): WalletError<'UNSUPPORTED_MEDIA_TYPE'> {
  return new WalletError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
}
