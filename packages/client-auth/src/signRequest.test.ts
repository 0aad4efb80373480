import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signRequest } from './index.js';

// Known-answer vectors. `expected` was computed outside this code with openssl:
//   BH=$(printf '%s' "$BODY" | openssl dgst -sha256 -r | cut -d' ' -f1)
//   printf '1700000000000\nabcdefghijklmnop0123\nPOST\n/v1/accounts?x=1\n%s' "$BH" | openssl dgst -sha256 -hmac 'kat-secret-0123456789'
// and each test also recomputes it inline from the layout in docs/api.md.
const secret = 'kat-secret-0123456789';
const timestamp = 1_700_000_000_000;
const nonce = 'abcdefghijklmnop0123';
const vectors = [
  {
    method: 'POST',
    pathWithQuery: '/v1/accounts?x=1',
    body: '{"externalId":"user-42"}',
    expected: '05bc6e39d634267797f8e816fcfd380925494d4c09f666e7dc5067d61515e91e',
  },
  { method: 'GET', pathWithQuery: '/v1/assets', body: '', expected: 'aa1ec244e85e323f3caafe829afc58d246a87124be9f29ff610f65b832a8b06d' },
];

function referenceSignature(method: string, pathWithQuery: string, body: string): string {
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  const payload = [String(timestamp), nonce, method, pathWithQuery, bodyHash].join('\n');
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

describe('signRequest', () => {
  it.each(vectors)('matches the known answer for $method $pathWithQuery', ({ method, pathWithQuery, body, expected }) => {
    expect(referenceSignature(method, pathWithQuery, body)).toBe(expected);
    const headers = signRequest({ keyId: 'key_kat', secret, method, pathWithQuery, body, timestamp, nonce });
    expect(headers).toEqual({ 'X-Api-Key': 'key_kat', 'X-Timestamp': '1700000000000', 'X-Nonce': nonce, 'X-Signature': expected });
  });

  it('signs a Buffer body as its bytes and an absent body as the empty string', () => {
    const [post, get] = vectors;
    const base = { keyId: 'key_kat', secret, timestamp, nonce };
    expect(signRequest({ ...base, method: 'POST', pathWithQuery: post!.pathWithQuery, body: Buffer.from(post!.body) })['X-Signature']).toBe(
      post!.expected,
    );
    expect(signRequest({ ...base, method: 'GET', pathWithQuery: get!.pathWithQuery })['X-Signature']).toBe(get!.expected);
  });

  it('upper-cases the method before signing', () => {
    const [post] = vectors;
    const headers = signRequest({
      keyId: 'k',
      secret,
      method: 'post',
      pathWithQuery: post!.pathWithQuery,
      body: post!.body,
      timestamp,
      nonce,
    });
    expect(headers['X-Signature']).toBe(post!.expected);
  });

  it('defaults to the current time and a fresh well-formed nonce', () => {
    const before = Date.now();
    const a = signRequest({ keyId: 'k', secret, method: 'GET', pathWithQuery: '/v1/assets' });
    const b = signRequest({ keyId: 'k', secret, method: 'GET', pathWithQuery: '/v1/assets' });
    expect(Number(a['X-Timestamp'])).toBeGreaterThanOrEqual(before);
    expect(Number(a['X-Timestamp'])).toBeLessThanOrEqual(Date.now());
    expect(a['X-Nonce']).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(a['X-Nonce']).not.toBe(b['X-Nonce']);
    expect(a['X-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });
});
