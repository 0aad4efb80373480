import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from './webhookSignature.js';

// The verification function docs/webhooks.md gives receivers, run as written (plain Node, its own process) against
// signatures the wallet makes: a receiver copying it accepts what the wallet sends and nothing else.

const doc = readFileSync(new URL('../../../docs/webhooks.md', import.meta.url), 'utf8');
const snippet = /```js\n(import \{ createHmac[\s\S]*?)```/.exec(doc)?.[1];

/** Runs the documented function on each case in a fresh `node`; returns its answers. */
function verifyAsDocumented(cases: { header: string | undefined; body: string; secret: string }[]): boolean[] {
  const program = `${snippet}
const cases = JSON.parse(process.argv[1]);
process.stdout.write(JSON.stringify(cases.map((c) => verifyWalletWebhook(c.header, Buffer.from(c.body, 'utf8'), c.secret))));
`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', program, JSON.stringify(cases)], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as boolean[];
}

describe('docs/webhooks.md: the Node verification example', () => {
  it('is in the document', () => {
    expect(snippet).toContain('export function verifyWalletWebhook');
  });

  it("accepts the wallet's signatures, with either secret during a rotation; refuses tampering, other secrets, stale or future timestamps", () => {
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ seq: 7, id: 'evt_1', type: 'deposit.credited', data: { amount: '1.5', note: 'ü' } });
    const secret = `whsec_${'a1'.repeat(32)}`;
    const old = `whsec_${'b2'.repeat(32)}`;
    const both = signatureHeader([secret, old], now, body);
    const answers = verifyAsDocumented([
      { header: signatureHeader([secret], now, body), body, secret },
      { header: both, body, secret },
      { header: both, body, secret: old },
      { header: signatureHeader([secret], now - 60, body), body, secret },
      // refused:
      { header: signatureHeader([secret], now, body), body: body.replace('1.5', '9.5'), secret },
      { header: signatureHeader([secret], now, body), body, secret: `whsec_${'c3'.repeat(32)}` },
      { header: signatureHeader([secret], now - 3600, body), body, secret },
      { header: signatureHeader([secret], now + 3600, body), body, secret },
      { header: signatureHeader([secret], now, body).replace(`t=${now}`, `t=${now - 1}`), body, secret },
      { header: `t=${now}`, body, secret },
      { header: undefined, body, secret },
      { header: 'garbage', body, secret },
      { header: `t=${now},v1=${'0'.repeat(64)}`, body, secret },
    ]);
    expect(answers).toEqual([true, true, true, true, false, false, false, false, false, false, false, false, false]);
  });
});
