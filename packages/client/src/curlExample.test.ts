import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { signRequest } from './signRequest.js';

// examples/curl/wallet.sh is the signer without the SDK (bash, openssl, curl). Its dry run is checked here against
// docs/api.md's worked example and against this SDK's signer; test/integration/sdk.test.ts sends with it for real.
const script = fileURLToPath(new URL('../../../examples/curl/wallet.sh', import.meta.url));
const apiMd = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');

async function dryRun(env: Record<string, string>, ...args: string[]): Promise<{ signed: string; headers: Record<string, string> }> {
  const { stdout } = await promisify(execFile)('bash', [script, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WALLET_DRY_RUN: '1', ...env },
  });
  const [, signed = '', headerLines = ''] = /^--- string signed \(\d+ bytes\)\n([\s\S]*)\n--- headers\n([\s\S]*)$/.exec(stdout) ?? [];
  const headers = Object.fromEntries(
    headerLines
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
  );
  return { signed, headers };
}

const example = {
  WALLET_KEY_ID: 'key_5f3a9c1e7b2d4f6a8c0e1b3d',
  WALLET_SECRET: 'p3Vw8TqZ2xKc9LmN4rYs6BdF1hJu7GaE0oWiQkXtC5v',
};

describe('examples/curl/wallet.sh', () => {
  it('signs docs/api.md’s worked POST as the page shows', async () => {
    const body = '{"asset":"ETH","to":"0x8ba1f109551bD432803012645Ac136ddd64DBA72","amount":"1500000000000000000"}';
    const env = { ...example, WALLET_TIMESTAMP: '1733313600000', WALLET_NONCE: 'n7Qc2LzR8vXk4PtB1mWy6JdA' };
    const { signed, headers } = await dryRun(env, 'POST', '/v1/accounts/acc_01JD3Q7Z8X9V2M4N6P8R0T2W4Y/withdrawals', body, 'wd-7f2c-0001');
    expect(apiMd).toContain(`\`\`\`\n${signed}\n\`\`\``);
    const shown = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n');
    expect(apiMd).toContain(`\`\`\`\n${shown}\n\`\`\``);
    expect(headers['X-Signature']).toBe('4a18f4fd52c3baee7d781d31fed1a78acaf4b61df3dc5681032e2e6da7f18087');
  });

  it('signs docs/api.md’s worked GET as the page shows', async () => {
    const env = { ...example, WALLET_TIMESTAMP: '1733313600500', WALLET_NONCE: 'h2Rk9TwX5bNc3VqL8mZs1FgY' };
    const { signed, headers } = await dryRun(env, 'GET', '/v1/accounts/acc_01JD3Q7Z8X9V2M4N6P8R0T2W4Y/ledger?asset=ETH&limit=2');
    expect(apiMd).toContain(`\`\`\`\n${signed}\n\`\`\``);
    expect(apiMd).toContain(`\`X-Signature: ${headers['X-Signature']}\``);
    expect(headers['Idempotency-Key']).toBeUndefined();
  });

  // Its HMAC is written out by RFC 2104 (so the secret is never on a command line): keys with bytes that XOR to
  // zero, longer than a block (hashed first), exactly a block, and non-ASCII text; bodies with Unicode and newlines.
  it.each([
    ['6666\\\\\\\\', '{"externalId":"user-1"}'],
    ['k'.repeat(64), '{}'],
    [`${'s'.repeat(64)}x`, '{"a":"b"}'],
    ['sécrét-ключ', '{"externalId":"ü 42"}\n\n'],
    ['x', ''],
  ])('agrees with the SDK’s signer for secret %j', async (secret, body) => {
    const env = { WALLET_KEY_ID: 'key_x', WALLET_SECRET: secret, WALLET_TIMESTAMP: '1700000000123', WALLET_NONCE: 'abcdefghijklmnop' };
    const post = await dryRun(env, 'POST', '/v1/accounts?x=1', body);
    const expected = signRequest({
      keyId: 'key_x',
      secret,
      method: 'POST',
      pathWithQuery: '/v1/accounts?x=1',
      body: Buffer.from(body, 'utf8'),
      timestamp: 1_700_000_000_123,
      nonce: 'abcdefghijklmnop',
    });
    expect(post.headers['X-Signature']).toBe(expected['X-Signature']);
    expect(post.headers['Idempotency-Key']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('makes a fresh nonce and a millisecond timestamp when none is given', async () => {
    const before = Date.now();
    const a = await dryRun(example, 'GET', '/v1/assets');
    const b = await dryRun(example, 'GET', '/v1/assets');
    expect(a.headers['X-Nonce']).toMatch(/^[0-9a-f]{24}$/);
    expect(a.headers['X-Nonce']).not.toBe(b.headers['X-Nonce']);
    expect(Number(a.headers['X-Timestamp'])).toBeGreaterThanOrEqual(before - 1000);
    expect(Number(a.headers['X-Timestamp'])).toBeLessThanOrEqual(Date.now());
  });

  it.each([[['GET']], [['GET', '/v1/assets?']], [['GET', 'v1/assets']], [['POST', '/v1/accounts']], [['PUT', '/v1/accounts', '{}']]])(
    'refuses %j as a usage error',
    async (args) => {
      await expect(dryRun(example, ...args)).rejects.toMatchObject({ code: 2 });
    },
  );
});
