import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signRequest } from './index.js';

// docs/api.md's worked signing example is what integrators check their own signer against: it must be exactly what
// signRequest produces, string signed and signature alike.
const apiMd = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');

const keyId = 'key_5f3a9c1e7b2d4f6a8c0e1b3d';
const secret = 'p3Vw8TqZ2xKc9LmN4rYs6BdF1hJu7GaE0oWiQkXtC5v';
const examples = [
  {
    method: 'POST',
    pathWithQuery: '/v1/accounts/acc_01JD3Q7Z8X9V2M4N6P8R0T2W4Y/withdrawals',
    body: '{"asset":"ETH","to":"0x8ba1f109551bD432803012645Ac136ddd64DBA72","amount":"1500000000000000000"}',
    timestamp: 1_733_313_600_000,
    nonce: 'n7Qc2LzR8vXk4PtB1mWy6JdA',
  },
  {
    method: 'GET',
    pathWithQuery: '/v1/accounts/acc_01JD3Q7Z8X9V2M4N6P8R0T2W4Y/ledger?asset=ETH&limit=2',
    body: '',
    timestamp: 1_733_313_600_500,
    nonce: 'h2Rk9TwX5bNc3VqL8mZs1FgY',
  },
];

describe('docs/api.md worked example', () => {
  it('names the key and secret it signs with', () => {
    expect(apiMd).toContain(`keyId      ${keyId}\nsecret     ${secret}\n`);
  });

  it.each(examples)('shows what signRequest gives for $method $pathWithQuery', (example) => {
    const headers = signRequest({ keyId, secret, ...example });
    const bodyHash = createHash('sha256').update(example.body, 'utf8').digest('hex');
    const signed = [String(example.timestamp), example.nonce, example.method, example.pathWithQuery, bodyHash].join('\n');
    expect(apiMd).toContain(`\`\`\`\n${signed}\n\`\`\``);
    expect(apiMd).toContain(`(${Buffer.byteLength(signed)} bytes`);
    expect(apiMd).toContain(`X-Signature: ${headers['X-Signature']}`);
    if (example.body !== '') {
      expect(apiMd).toContain(`\`\`\`\n${example.body}\n\`\`\``);
      expect(apiMd).toContain(`body (${Buffer.byteLength(example.body)} bytes`);
    }
  });
});
