import { describe, expect, it } from 'vitest';
import { createLogger } from './createLogger.js';

/** A logger whose lines are parsed into an array instead of written to stdout. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('test', {}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, log };
}

const secret = 'do-not-log-0123456789';
const fields = [
  'authorization',
  'auditorToken',
  'bearerToken',
  'accessToken',
  'kek',
  'passphrase',
  'entropy',
  'mnemonic',
  'seed',
  'privateKey',
  'secret',
  'password',
  'xprv',
] as const;

describe('createLogger redaction', () => {
  it.each(fields)('redacts %s at the top, one and two levels down', (field) => {
    const { lines, log } = capture();
    log.info({ [field]: secret, nested: { [field]: secret }, deeper: { inner: { [field]: secret } } }, 'event');
    const line = lines[0]!;
    expect(line[field]).toBe('[Redacted]');
    expect(line['nested']).toEqual({ [field]: '[Redacted]' });
    expect(line['deeper']).toEqual({ inner: { [field]: '[Redacted]' } });
    expect(JSON.stringify(line)).not.toContain(secret);
  });

  it('redacts the Authorization and X-Signature request headers', () => {
    const { lines, log } = capture();
    log.info({ req: { method: 'GET', headers: { authorization: `Bearer ${secret}`, 'x-signature': secret, host: 'h' } } }, 'request');
    log.info({ headers: { authorization: `Bearer ${secret}` } }, 'headers');
    expect(lines[0]!['req']).toEqual({ method: 'GET', headers: { authorization: '[Redacted]', 'x-signature': '[Redacted]', host: 'h' } });
    expect(lines[1]!['headers']).toEqual({ authorization: '[Redacted]' });
    expect(JSON.stringify(lines)).not.toContain(secret);
  });

  it('keeps every other field', () => {
    const { lines, log } = capture();
    log.info({ withdrawalId: 'wd_1', auditor: 'alice', nested: { tokenHash: 'ab' }, token: '42' }, 'approved');
    // `token` is a scanner's fencing token (public, and needed to follow a failover), not a credential.
    expect(lines[0]).toMatchObject({
      svc: 'test',
      msg: 'approved',
      withdrawalId: 'wd_1',
      auditor: 'alice',
      nested: { tokenHash: 'ab' },
      token: '42',
    });
  });
});
