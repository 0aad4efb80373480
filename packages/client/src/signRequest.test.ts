import { readFileSync } from 'node:fs';
import { signRequest as referenceSign } from '@wallet/client-auth';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRequest, stringToSign } from './signRequest.js';

// docs/api.md's worked example: the inputs and the signatures it prints. Each is also looked up in the page, so the
// SDK and the contract cannot drift apart.
const apiMd = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
const keyId = 'key_5f3a9c1e7b2d4f6a8c0e1b3d';
const secret = 'p3Vw8TqZ2xKc9LmN4rYs6BdF1hJu7GaE0oWiQkXtC5v';
const vectors = [
  {
    method: 'POST',
    pathWithQuery: '/v1/accounts/acc_01JD3Q7Z8X9V2M4N6P8R0T2W4Y/withdrawals',
    body: '{"asset":"ETH","to":"0x8ba1f109551bD432803012645Ac136ddd64DBA72","amount":"1500000000000000000"}',
    timestamp: 1_733_313_600_000,
    nonce: 'n7Qc2LzR8vXk4PtB1mWy6JdA',
    signature: '4a18f4fd52c3baee7d781d31fed1a78acaf4b61df3dc5681032e2e6da7f18087',
  },
  {
    method: 'GET',
    pathWithQuery: '/v1/accounts/acc_01JD3Q7Z8X9V2M4N6P8R0T2W4Y/ledger?asset=ETH&limit=2',
    body: undefined,
    timestamp: 1_733_313_600_500,
    nonce: 'h2Rk9TwX5bNc3VqL8mZs1FgY',
    signature: 'be78f109dd205407e6c1e34dcf00f8c877ec7d716be7bcba9b974067bc9d48a8',
  },
];

describe('signRequest: docs/api.md worked example', () => {
  it('uses the key, secret and signatures the page prints', () => {
    expect(apiMd).toContain(`keyId      ${keyId}\nsecret     ${secret}\n`);
    for (const v of vectors) expect(apiMd).toContain(v.signature);
  });

  it.each(vectors)('gives the page’s string signed and signature for $method $pathWithQuery', (v) => {
    const body = v.body === undefined ? undefined : Buffer.from(v.body, 'utf8');
    const signed = stringToSign({ method: v.method, pathWithQuery: v.pathWithQuery, body, timestamp: v.timestamp, nonce: v.nonce });
    expect(apiMd).toContain(`\`\`\`\n${signed}\n\`\`\``);
    expect(
      signRequest({ keyId, secret, method: v.method, pathWithQuery: v.pathWithQuery, body, timestamp: v.timestamp, nonce: v.nonce }),
    ).toEqual({
      'X-Api-Key': keyId,
      'X-Timestamp': String(v.timestamp),
      'X-Nonce': v.nonce,
      'X-Signature': v.signature,
    });
  });

  it('signs another query order as another request', () => {
    const [, get] = vectors;
    const pathWithQuery = get!.pathWithQuery.replace('asset=ETH&limit=2', 'limit=2&asset=ETH');
    const reordered = signRequest({ keyId, secret, method: 'GET', pathWithQuery, timestamp: get!.timestamp, nonce: get!.nonce });
    expect(reordered['X-Signature']).not.toBe(get!.signature);
  });
});

describe('signRequest against the reference signer (packages/client-auth)', () => {
  it('agrees on any request', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 80 });
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'post'),
        text,
        text,
        fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
        fc.integer({ min: 0, max: 2 ** 47 }),
        fc.option(text, { nil: undefined }),
        (method, secretText, path, nonce, timestamp, bodyText) => {
          fc.pre(secretText.length > 0);
          const pathWithQuery = `/v1/${encodeURIComponent(path)}`;
          const body = bodyText === undefined ? undefined : Buffer.from(bodyText, 'utf8');
          const ours = signRequest({ keyId: 'k', secret: secretText, method, pathWithQuery, body, timestamp, nonce });
          const reference = referenceSign({ keyId: 'k', secret: secretText, method, pathWithQuery, body, timestamp, nonce });
          expect(ours).toEqual(reference);
        },
      ),
    );
  });

  it('makes a fresh 24-character base64url nonce for each request', () => {
    const a = signRequest({ keyId, secret, method: 'GET', pathWithQuery: '/v1/assets', timestamp: 1 });
    const b = signRequest({ keyId, secret, method: 'GET', pathWithQuery: '/v1/assets', timestamp: 1 });
    expect(a['X-Nonce']).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(a['X-Nonce']).not.toBe(b['X-Nonce']);
    expect(a['X-Signature']).not.toBe(b['X-Signature']);
  });
});
